"""
What the benchmarks share: the environment they run the app with, gunicorn started as the
image runs it, a scratch PostgreSQL database next to `DATABASE_URL`'s, and small helpers
(a free port, a JSON request, a percentile).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-only-not-a-secret-but-long-enough-for-hs256"  # noqa: S105 (benchmarks only)

# Budgets that would only turn a benchmark's load into 429s: per client IP (every request
# comes from 127.0.0.1), per email, and per owner (register look-ups, photo uploads).
RAISED_LIMITS = {
    "AUTH_THROTTLE_RATE": "1000000/minute",
    "LOGIN_EMAIL_THROTTLE_RATE": "1000000/minute",
    "REGISTER_LOOKUP_THROTTLE_RATE": "1000000/hour",
    "PHOTO_UPLOAD_THROTTLE_RATE": "1000000/hour",
}


def bench_env(database_url: str, **values: str) -> dict[str, str]:
    """
    This process's environment with production settings (`DEBUG=0`), the sandbox register,
    warnings only in the log, and `database_url`; `values` add to it or replace.
    """
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "minbil.settings.base",
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "VEGVESEN_MODE": "sandbox",
        "LOG_LEVEL": "WARNING",
        **values,
    }


# --- gunicorn ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ensure_free(port: int) -> None:
    """Refuses to measure against someone else's server that already holds the port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return
    raise RuntimeError(f"port {port} is in use; set BENCH_*_PORT to free ones")


def start_gunicorn(app: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    """
    As the image runs it (`gunicorn <app>` in the project folder, so gunicorn.conf.py sets the
    workers, threads, timeout and logging), bound to 127.0.0.1:`port`; its output goes to `log`.
    """
    command = [str(Path(sys.executable).with_name("gunicorn")), app, "--bind", f"127.0.0.1:{port}"]
    with log.open("w") as output:
        return subprocess.Popen(  # noqa: S603 (our own gunicorn and app)
            command, cwd=PROJECT_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
        )


def worker_pids(gunicorn: subprocess.Popen) -> list[int]:
    """The pids of gunicorn's workers (Linux: the master's children)."""
    children = Path(f"/proc/{gunicorn.pid}/task/{gunicorn.pid}/children")
    return [int(pid) for pid in children.read_text().split()]


def wait_until_healthy(
    base_url: str, gunicorn: subprocess.Popen, log: Path, *, workers: int = 1
) -> None:
    """Until `/healthz` answers 200 and `workers` workers run; exits with the log if not."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and gunicorn.poll() is None:
        if request("GET", "/healthz", base_url)[0] == 200 and len(worker_pids(gunicorn)) >= workers:
            return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not become healthy:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM (gunicorn finishes the requests in flight), then SIGKILL after `timeout`."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- Requests and figures ------------------------------------------------------------------


def request(method: str, path: str, base_url: str, body=None, token=None) -> tuple[int, dict]:
    """One JSON request: `(status, body)`, `(0, {})` when nothing answered."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base_url + path, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310 (127.0.0.1 only)
            payload = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        payload, status = error.read(), error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, {}
    try:
        return status, json.loads(payload or b"{}")
    except ValueError:
        return status, {}


def run(command, *, check=True, **kwargs) -> None:
    """Runs a command quietly; its output becomes the error when it fails."""
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # noqa: S603
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{done.stdout}{done.stderr}")


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the sorted `values` lie (nan when there are none)."""
    return values[min(len(values) - 1, int(share * len(values)))] if values else float("nan")


# --- A scratch PostgreSQL database ---------------------------------------------------------


def scratch_postgres(source: str, suffix: str) -> str:
    """Creates `<source's database><suffix>` on `source`'s server (dropped first if left over)."""
    parts = urlsplit(source)
    name = parts.path.strip("/") + suffix
    _admin(source, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def drop_postgres(source: str, scratch: str) -> None:
    name = urlsplit(scratch).path.strip("/")
    _admin(source, f'DROP DATABASE IF EXISTS "{name}"')


def is_postgres(database_url: str) -> bool:
    return database_url.startswith(("postgres://", "postgresql://"))


def _admin(source: str, *statements: str) -> None:
    import psycopg

    # The server's maintenance database: `source`'s own need not exist yet.
    maintenance = urlunsplit(urlsplit(source)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as db:
        for statement in statements:
            db.execute(statement)
