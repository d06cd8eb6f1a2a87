"""
`make bench-register-outage`: the API under a register that hangs, as production runs it.

Starts a stand-in register that never answers and gunicorn with the Dockerfile's worker
settings (`WEB_CONCURRENCY`, `GUNICORN_THREADS`, `GUNICORN_TIMEOUT`; 2 x 4 by default), both on
free local ports, with `DEBUG=0` and every register setting at its default. With `REDIS_URL`
set the workers share their cache (breaker, budgets), under a key prefix of their own.
Then 50 clients link new plates (all at once first, then each about once a second at a random
moment, as owners spread over 500 accounts, each request on a new connection), while `/healthz`
is probed every 100 ms, until the register has had no call for a whole attempt timeout plus
2 s (the breaker is open everywhere) and 10 s more.

Prints the upstream calls made, the latency of the 503s sent once the breaker was open, and
the worst `/healthz`, against the targets (<= 10 calls; p99 <= 50 ms; <= 1 s); exits 1 when
one is missed.

The database is a scratch one: a temporary SQLite file, or `DATABASE_URL` (migrated; the
accounts the run creates are deleted at the end).
"""

import argparse
import http.client
import itertools
import json
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import bench_env, free_port, percentile, start_gunicorn, stop, wait_until_healthy

TARGET_CALLS = 10
TARGET_503_P99_MS = 50
TARGET_HEALTHZ_MS = 1000
ACCOUNTS_PER_CLIENT = 10  # so no owner comes near the per-user look-up budget


@dataclass(frozen=True)
class Sample:
    sent: float  # time.monotonic() when sent
    seconds: float
    status: int
    code: str


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--window", type=float, default=10.0, help="seconds measured once open")
    parser.add_argument("--max-seconds", type=float, default=180.0)
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="minbil-register-outage-"))
    env = bench_env(
        os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite3'}",
        CACHE_KEY_PREFIX=f"bench-{secrets.token_hex(4)}",
        VEGVESEN_MODE="live",
        VEGVESEN_API_KEY="bench-not-a-real-key",
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "INFO"),  # as the image logs, access lines too
    )
    for name in list(env):  # every register setting at its default
        if name.startswith("REGISTER_") or name == "VEGVESEN_TIMEOUT_SECONDS":
            del env[name]
            os.environ.pop(name)
    os.environ.update(env)

    import django

    django.setup()
    from django.conf import settings

    from vehicles.register.standin import Behaviour, StandInRegister

    accounts = _create_accounts(options.clients * ACCOUNTS_PER_CLIENT)
    log = workdir / "gunicorn.log"
    gunicorn = None
    met = False
    try:
        with StandInRegister(Behaviour.HANG) as register:
            port = free_port()
            app_env = {**env, "VEGVESEN_API_URL": register.url}
            gunicorn = start_gunicorn("minbil.wsgi:application", port, app_env, log)
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(base, gunicorn, log)
            started = time.monotonic()
            links, probes, opened_at = _drive(base, register, accounts, options, settings)
            _report(options, settings, env, links, probes, register, started, opened_at)
            met = _all_met(links, probes, register, opened_at)
            return 0 if met else 1
    finally:
        if gunicorn is not None:
            stop(gunicorn, timeout=15)
        _delete_accounts(accounts)
        if met:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"gunicorn's log, for a look: {log}")


# --- Set-up ---------------------------------------------------------------------------------


def _create_accounts(count: int) -> list[tuple[int, str]]:
    """`count` owners and an access token for each, in the scratch database."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    call_command("migrate", verbosity=0)
    user_model = get_user_model()
    run = secrets.token_hex(3)
    no_password = make_password(None)  # they authenticate with the tokens minted here
    users = user_model.objects.bulk_create(
        user_model(email=f"bench-{run}-{i}@bench.invalid", password=no_password)
        for i in range(count)
    )
    if not all(user.pk for user in users):  # backends that return no ids on bulk inserts
        users = list(user_model.objects.filter(email__startswith=f"bench-{run}-").order_by("pk"))
    return [(user.pk, str(AccessToken.for_user(user))) for user in users]


def _delete_accounts(accounts: list[tuple[int, str]]) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk__in=[pk for pk, _ in accounts]).delete()


# --- Load -----------------------------------------------------------------------------------


def _request(base: str, method: str, path: str, body=None, token=None) -> Sample:
    """One request on a connection of its own, so that every worker gets its share."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    sent = time.monotonic()
    try:
        connection.request(method, path, json.dumps(body) if body else None, headers)
        answer = connection.getresponse()
        payload = answer.read()
        seconds = time.monotonic() - sent
        code = ""
        if answer.status >= 400 and path.startswith("/api/"):
            code = json.loads(payload)["error"]["code"]
        return Sample(sent, seconds, answer.status, code)
    except OSError as exc:
        return Sample(sent, time.monotonic() - sent, 0, type(exc).__name__)
    finally:
        connection.close()


def _drive(base, register, accounts, options, settings):
    """Runs the clients and the probe until the breaker has been open for the window."""
    links: list[Sample] = []
    probes: list[Sample] = []
    stop = threading.Event()
    plates = (f"BN{n}" for n in itertools.count(10000))
    plates_lock = threading.Lock()
    start_together = threading.Barrier(options.clients + 2)  # the clients, the probe, and us

    def client(index: int) -> None:
        mine = accounts[index :: options.clients]
        pace = random.Random(index)  # noqa: S311 (timing, not security)
        start_together.wait()
        for turn in itertools.count():
            if stop.is_set():
                return
            with plates_lock:
                plate = next(plates)
            _, token = mine[turn % len(mine)]
            sample = _request(base, "POST", "/api/co/vehicles", {"reg": plate}, token)
            links.append(sample)
            # About once a second, at a random moment: owners do not act in step.
            stop.wait(max(0.0, pace.uniform(0.5, 1.5) - sample.seconds))

    def probe() -> None:
        start_together.wait()
        first = time.monotonic()
        for tick in itertools.count():
            if stop.is_set():
                return
            probes.append(_request(base, "GET", "/healthz"))
            stop.wait(max(0.0, first + (tick + 1) * 0.1 - time.monotonic()))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(options.clients)]
    threads.append(threading.Thread(target=probe))
    for thread in threads:
        thread.start()
    start_together.wait()
    begun = time.monotonic()
    opened_at = None
    quiet = settings.VEGVESEN_TIMEOUT_SECONDS + 2
    while time.monotonic() - begun < options.max_seconds:
        time.sleep(0.2)
        calls = list(register.call_times)
        if opened_at is None and calls and time.monotonic() - calls[-1] > quiet:
            # The last call failed (timed out) a whole timeout after it started: every
            # process's breaker is open from then on at the latest.
            opened_at = calls[-1] + settings.VEGVESEN_TIMEOUT_SECONDS
        if opened_at is not None and time.monotonic() - opened_at > quiet + options.window:
            break
    stop.set()
    for thread in threads:
        thread.join()
    return links, probes, opened_at


# --- Report ---------------------------------------------------------------------------------


def _open_503s(links: list[Sample], opened_at: float | None) -> list[float]:
    if opened_at is None:
        return []
    return sorted(s.seconds for s in links if s.status == 503 and s.sent >= opened_at)


def _all_met(links, probes, register, opened_at) -> bool:
    open_503s = _open_503s(links, opened_at)
    return (
        register.calls <= TARGET_CALLS
        and bool(open_503s)
        and percentile(open_503s, 0.99) * 1000 <= TARGET_503_P99_MS
        and max(p.seconds for p in probes) * 1000 <= TARGET_HEALTHZ_MS
        and all(p.status == 200 for p in probes)
    )


def _report(options, settings, env, links, probes, register, started, opened_at) -> None:
    database = "SQLite (temporary file)" if "sqlite" in env["DATABASE_URL"] else "PostgreSQL"
    cache = "Redis, shared by the workers" if env.get("REDIS_URL") else "local memory per process"
    workers = env.get("WEB_CONCURRENCY", "2"), env.get("GUNICORN_THREADS", "4")
    print(f"Register outage: gunicorn {workers[0]} workers x {workers[1]} threads, DEBUG=0,")
    print(f"  {database}, cache in {cache}; a stand-in register that never answers;")
    print(
        f"  register settings at their defaults: {settings.VEGVESEN_TIMEOUT_SECONDS:g} s per "
        f"attempt, {settings.REGISTER_DEADLINE_SECONDS:g} s deadline, breaker after "
        f"{settings.REGISTER_BREAKER_FAILURES} failures for "
        f"{settings.REGISTER_BREAKER_COOLDOWN_SECONDS} s, "
        f"{settings.REGISTER_MAX_CONCURRENT_CALLS} call(s) in flight per process"
    )
    print(
        f"Load: {options.clients} clients linking new plates (all at once, then each about "
        "once a second); /healthz every 100 ms"
    )
    if opened_at is None:
        print(f"  the register kept being called for {options.max_seconds:g} s")
    else:
        print(
            f"  breaker open everywhere {opened_at - started:.1f} s in (the last call timed "
            f"out); measured {options.window:g} s more"
        )
    statuses: dict[str, int] = {}
    for sample in links:
        key = f"{sample.status} {sample.code}".strip()
        statuses[key] = statuses.get(key, 0) + 1
    counted = ", ".join(f"{key}: {count}" for key, count in sorted(statuses.items()))
    print(f"  links sent: {len(links)} ({counted})")

    call_times = ", ".join(f"{t - started:.1f}" for t in register.call_times)
    met = register.calls <= TARGET_CALLS
    print(f"  upstream calls made: {register.calls} (at {call_times} s)")
    print(f"      target <= {TARGET_CALLS}: {_verdict(met)}")

    open_503s = _open_503s(links, opened_at)
    p50, p99 = (percentile(open_503s, q) * 1000 for q in (0.5, 0.99))
    met = bool(open_503s) and p99 <= TARGET_503_P99_MS
    print(
        f"  503s sent once the breaker was open: {len(open_503s)}, "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    print(f"      target p99 <= {TARGET_503_P99_MS} ms: {_verdict(met)}")

    seconds = [p.seconds for p in probes]
    slowest = max(probes, key=lambda p: p.seconds)
    worst = slowest.seconds * 1000
    failed = sum(p.status != 200 for p in probes)
    met = worst <= TARGET_HEALTHZ_MS and not failed
    print(
        f"  /healthz: {len(probes)} probes, median {statistics.median(seconds) * 1000:.1f} ms, "
        f"worst {worst:.0f} ms (sent {slowest.sent - started:.1f} s in), {failed} not 200"
    )
    print(f"      target <= {TARGET_HEALTHZ_MS} ms, all 200: {_verdict(met)}")


def _verdict(met: bool) -> str:
    return "ok" if met else "FAIL"


if __name__ == "__main__":
    sys.exit(main())
