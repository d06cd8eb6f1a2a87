"""
Outage figures: the app under gunicorn as the image runs it (gunicorn.conf.py, `DEBUG=0`)
against a private Redis and a private PostgreSQL cluster, under load.

1. Redis stopped for 30 s under load: how many requests answered 5xx (target 0).
2. PostgreSQL out of connections (`max_connections=10`, default workers and threads, some
   connections held by "another service"): how many answered 500 (target 0) and 503.
   (Scenario 1 runs with `max_connections=50`, so only Redis is missing there.)

    make bench-outages          # or: .venv/bin/python -m bench.outages

Needs `redis-server`, PostgreSQL's `initdb`/`pg_ctl` (run as the `postgres` user when this runs
as root) and nothing else; every instance is private (ports below), and all of it is stopped
and removed at the end. Traffic goes to 127.0.0.1 only, bounded in time.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench.common import (
    PROJECT_DIR,
    RAISED_LIMITS,
    bench_env,
    ensure_free,
    request,
    run,
    start_gunicorn,
    stop,
    wait_until_healthy,
)

PYTHON = sys.executable
REDIS_PORT = int(os.environ.get("BENCH_REDIS_PORT", "6393"))
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "5443"))
APP_PORT = int(os.environ.get("BENCH_APP_PORT", "8093"))
PG_BIN = Path(os.environ.get("BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
EMAIL, PASSWORD = "bench@example.com", "a-long-unusual-bench-passphrase"
REDIS_STOP_SECONDS = 30
PG_HELD_CONNECTIONS = 3
PG_LOAD_SECONDS = 20


class Bench:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.processes: list[subprocess.Popen] = []
        self.redis: subprocess.Popen | None = None
        self.pg_start: list[str] = []
        self.pg_stop: list[str] = []
        self.pg_data = workdir / "pg"
        self.base_url = f"http://127.0.0.1:{APP_PORT}"
        self.env = bench_env(
            f"postgres://minbil@127.0.0.1:{PG_PORT}/minbil",
            REDIS_URL=f"redis://127.0.0.1:{REDIS_PORT}/0",
            MEDIA_ROOT=str(workdir / "media"),
            VEGVESEN_API_KEY="",
            # Limits would only turn load into 429s; the throttles still read the cache.
            **RAISED_LIMITS,
        )

    # --- Private services ------------------------------------------------------------------

    def start_redis(self) -> None:
        ensure_free(REDIS_PORT)
        command = ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        self.redis = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
        wait_for_port(REDIS_PORT)

    def stop_redis(self) -> None:
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(timeout=10)

    def start_postgres(self, max_connections: int) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if as_postgres:  # initdb refuses to run as root
            shutil.chown(self.workdir, "postgres")
        pg_ctl = [*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(self.pg_data)]
        initdb = [*as_postgres, str(PG_BIN / "initdb"), "-D", str(self.pg_data)]
        run([*initdb, "-U", "postgres", "--auth=trust", "--no-sync"])
        self.pg_start = [*pg_ctl, "-l", str(self.workdir / "pg.log"), "-w", "-o"]
        self.pg_stop = [*pg_ctl, "-m", "fast", "-w", "stop"]
        self.restart_postgres(max_connections)
        psql = [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-q"]
        run([*psql, "-c", "CREATE ROLE minbil LOGIN"])
        run([*psql, "-c", "CREATE DATABASE minbil OWNER minbil"])

    def restart_postgres(self, max_connections: int) -> None:
        self.stop_postgres()
        ensure_free(PG_PORT)
        options = f"-p {PG_PORT} -c max_connections={max_connections} -k {self.workdir}"
        run([*self.pg_start, f"{options} -c listen_addresses=127.0.0.1", "start"])

    def stop_postgres(self) -> None:
        if self.pg_stop:
            run(self.pg_stop, check=False)

    # --- The app ---------------------------------------------------------------------------

    def prepare_app(self) -> None:
        manage = [PYTHON, "manage.py"]
        run([*manage, "migrate", "--noinput", "-v", "0"], env=self.env, cwd=PROJECT_DIR)
        script = (
            "from minbil.accounts.models import User; from vehicles.services import link_vehicle;"
            f"u = User.objects.create_user(email='{EMAIL}', password='{PASSWORD}');"
            "link_vehicle(user=u, registration_number='BT57225')"
        )
        run([*manage, "shell", "-c", script], env=self.env, cwd=PROJECT_DIR)

    def start_app(self) -> None:
        ensure_free(APP_PORT)
        log = self.workdir / "gunicorn.log"
        self.app = start_gunicorn("minbil.wsgi:application", APP_PORT, self.env, log)
        self.processes.append(self.app)
        wait_until_healthy(self.base_url, self.app, log)

    def stop_app(self) -> None:
        stop(self.app)

    def cleanup(self) -> None:
        for process in self.processes:
            stop(process)
        self.stop_redis()
        self.stop_postgres()


# --- Load ----------------------------------------------------------------------------------


class Client(threading.Thread):
    """One simulated app: logs in, then lists, refreshes and renews its token in a loop."""

    def __init__(self, base_url: str, until: float, results: list, mix: str) -> None:
        super().__init__(daemon=True)
        self.base_url, self.until, self.results, self.mix = base_url, until, results, mix

    def call(self, method, path, body=None, token=None):
        status, body = request(method, path, self.base_url, body, token)
        self.results.append((time.monotonic(), status))
        return status, body

    def run(self) -> None:
        access = refresh = None
        step = 0
        while time.monotonic() < self.until:
            if access is None or (self.mix == "auth" and step % 10 == 0):
                status, body = self.call(
                    "POST", "/api/auth/token", {"email": EMAIL, "password": PASSWORD}
                )
                if status == 200:
                    access, refresh = body["access"], body["refresh"]
                elif access is None:
                    time.sleep(0.1)
                    continue
            kind = step % 3
            if kind == 0:
                self.call("GET", "/api/co/vehicles", token=access)
            elif kind == 1 and self.mix == "auth":
                self.call("POST", "/api/co/vehicles/refresh/BT57225", token=access)
            else:
                status, body = self.call("POST", "/api/auth/token/refresh", {"refresh": refresh})
                if status == 200:
                    access, refresh = body["access"], body["refresh"]
            step += 1


def load(base_url: str, clients: int, seconds: float, mix: str, during=None) -> list:
    results: list = []
    until = time.monotonic() + seconds
    threads = [Client(base_url, until, results, mix) for _ in range(clients)]
    for thread in threads:
        thread.start()
    if during is not None:
        during()
    for thread in threads:
        thread.join()
    return results


# --- Helpers -------------------------------------------------------------------------------


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def by_status(results) -> str:
    counts = Counter(status for _, status in results)
    return ", ".join(f"{status or 'no answer'}: {n}" for status, n in sorted(counts.items()))


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="minbil-bench-outages-"))
    bench = Bench(workdir)
    try:
        bench.start_redis()
        bench.start_postgres(max_connections=50)  # plenty, for the Redis scenario
        bench.prepare_app()
        bench.start_app()
        workers = os.environ.get("WEB_CONCURRENCY", "2")
        threads = os.environ.get("GUNICORN_THREADS", "4")
        print(f"gunicorn: {workers} workers x {threads} threads, DEBUG=0, gunicorn.conf.py")

        window = {}

        def stop_redis_for_a_while():
            time.sleep(5)
            window["start"] = time.monotonic()
            bench.stop_redis()
            time.sleep(REDIS_STOP_SECONDS)
            window["end"] = time.monotonic()
            bench.start_redis()

        results = load(bench.base_url, 8, REDIS_STOP_SECONDS + 15, "auth", stop_redis_for_a_while)
        during = [(t, s) for t, s in results if window["start"] <= t <= window["end"]]
        print(
            f"\n1. Redis stopped for {REDIS_STOP_SECONDS} s under load (8 clients: token, "
            "token refresh, vehicle list, vehicle refresh)"
        )
        print(f"   requests while Redis was down: {len(during)} ({by_status(during)})")
        print(f"   5xx while Redis was down: {sum(1 for _, s in during if s >= 500)} (target 0)")
        print(f"   all requests: {len(results)} ({by_status(results)})")
        warnings = (workdir / "gunicorn.log").read_text().count("Cache unreachable")
        print(f"   'Cache unreachable' warnings logged: {warnings} (at most 1 a minute per worker)")

        bench.stop_app()
        bench.restart_postgres(max_connections=10)
        bench.start_app()
        held = [
            subprocess.Popen(  # noqa: S603 (idle sessions of "another service")
                [
                    str(PG_BIN / "psql"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(PG_PORT),
                    "-U",
                    "minbil",
                    "minbil",
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(PG_HELD_CONNECTIONS)
        ]
        bench.processes.extend(held)
        time.sleep(1)
        results = load(bench.base_url, 16, PG_LOAD_SECONDS, "db")
        for process in held:
            process.stdin.close()
        statuses = Counter(status for _, status in results)
        print(
            f"\n2. PostgreSQL out of connections: max_connections=10 (7 for non-superusers), "
            f"{PG_HELD_CONNECTIONS} held by another client, {workers}x{threads} app threads, "
            f"16 clients for {PG_LOAD_SECONDS} s"
        )
        print(f"   all requests: {len(results)} ({by_status(results)})")
        failures = sum(n for status, n in statuses.items() if status >= 500 or status == 0)
        print(f"   500: {statuses[500]} (target 0)   503: {statuses[503]} (of {failures} failures)")
    finally:
        bench.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
