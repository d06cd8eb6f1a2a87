"""
`make bench-push`: the sender API and push delivery as production runs them.

Fills a scratch database with 1 000 owners with 2 push devices each, starts a stand-in for
FCM (send and token endpoints, `notifications/delivery/fcm_standin.py`), the app under
gunicorn as the image runs it (`gunicorn.conf.py`: `WEB_CONCURRENCY` x `GUNICORN_THREADS`,
2 x 4 by default, `DEBUG=0`) and one Celery worker process on the embedded broker (a
temporary folder). Then 1 000 sender-API calls, one per owner, are sent at a steady 50 a
second (from 8 client threads on keep-alive connections; a call is sent at its moment, or
at once when its thread is behind), while the worker delivers, and the run waits for the
2 000th push to arrive at the stand-in. A steady rate measures the API's own latency: a
closed loop of clients sending as fast as answers come would measure its queue instead.
`--rate 100` sends faster than one worker delivers on this machine, to watch it catch up.

Prints the time from the first call to the last push (target under 60 s), the sender API's
own latency (p50 and p99; target p99 under 50 ms: it only stores and enqueues), and the
queries of one call and of delivering one notification to an owner with 2 and with 20
devices (which must be equal). Emails are rendered and handed to Django's dummy backend.
Exits 1 when a target is missed.

The database is a temporary SQLite file, or, when `DATABASE_URL` points at PostgreSQL, a
database created next to it (`<name>_bench_push`) and dropped at the end.
"""

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import (
    PROJECT_DIR,
    drop_postgres,
    free_port,
    percentile,
    scratch_postgres,
    wait_until_healthy,
)

TARGET_SECONDS = 60.0
TARGET_P99_MS = 50.0
CLIENTS = 8
# Calls a second: what one worker process delivers as they come, on this 2-core machine.
RATE = 50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--owners", type=int, default=1000)
    parser.add_argument("--devices", type=int, default=2, help="per owner")
    parser.add_argument("--rate", type=float, default=RATE, help="calls a second")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="minbil-bench-push-"))
    source = os.environ.get("DATABASE_URL", "")
    postgres = source.startswith(("postgres://", "postgresql://"))
    scratch = (
        scratch_postgres(source, "_bench_push")
        if postgres
        else f"sqlite:///{workdir / 'bench.sqlite3'}"
    )
    service_token = secrets.token_urlsafe(32)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="minbil.settings.base",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1",
        VEGVESEN_MODE="sandbox",
        DATABASE_URL=scratch,
        JOBS_DIR=str(workdir / "jobs"),
        CELERY_BROKER_URL="",
        REDIS_URL="",
        EMAIL_URL="dummymail://",
        INTERNAL_API_TOKENS=service_token,
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(PROJECT_DIR))

    from notifications.delivery.fcm_standin import FcmStandIn

    processes: list[subprocess.Popen] = []
    met = False
    try:
        with FcmStandIn(workdir) as fcm:
            os.environ.update(FCM_CREDENTIALS_FILE=str(fcm.credentials_file), FCM_API_URL=fcm.url)
            import django

            django.setup()
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            owners = _fill(options.owners, options.devices)
            queries = _count_queries(fcm, service_token)
            fcm.messages.clear()

            port = free_port()
            processes.append(
                _start(
                    ["gunicorn", "minbil.wsgi:application", "--bind", f"127.0.0.1:{port}"],
                    workdir,
                    "gunicorn",
                )
            )
            processes.append(
                _start(
                    [
                        "celery",
                        "-A",
                        "minbil",
                        "worker",
                        "--concurrency",
                        "1",
                        "--loglevel",
                        "WARNING",
                    ],
                    workdir,
                    "worker",
                )
            )
            base = f"127.0.0.1:{port}"
            wait_until_healthy(f"http://{base}", processes[0], workdir / "gunicorn.log")

            expected = len(owners) * options.devices
            started, latencies, statuses = _send_all(base, service_token, owners, options.rate)
            sent_in = time.monotonic() - started
            arrived = fcm.wait_for(expected, seconds=300)
            last_push = time.monotonic() - started
            met = _report(
                options,
                postgres,
                latencies,
                statuses,
                sent_in,
                last_push,
                arrived,
                len(fcm.messages),
                expected,
                queries,
            )
            return 0 if met else 1
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if postgres:
            from django.db import connections

            connections.close_all()
            drop_postgres(source, scratch)
        if met:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"The logs, for a look: {workdir}")


def _fill(count: int, devices: int) -> list[int]:
    """`count` owners with `devices` push devices each; their ids."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from notifications.models import Device

    user_model = get_user_model()
    run = secrets.token_hex(3)
    no_password = make_password(None)
    user_model.objects.bulk_create(
        user_model(email=f"bench-{run}-{i}@bench.invalid", password=no_password, language="nb")
        for i in range(count)
    )
    owners = list(
        user_model.objects.filter(email__startswith=f"bench-{run}-").values_list("pk", flat=True)
    )
    Device.objects.bulk_create(
        Device(
            user_id=owner,
            token=f"bench{owner:07d}d{n}:{secrets.token_urlsafe(110)}",
            platform=("android", "ios")[n % 2],
        )
        for owner in owners
        for n in range(devices)
    )
    return owners


def _count_queries(fcm, service_token: str) -> dict[str, int]:
    """Queries of one sender-API call, and of delivering one notification (2, 20 devices)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from notifications.delivery import dispatch
    from notifications.models import Notification

    counts = {}
    for devices in (2, 20):
        (owner,) = _fill(1, devices)
        with CaptureQueriesContext(connection) as call:
            answer = Client().post(
                "/api/internal/notifications",
                _body(owner, f"queries-{devices}"),
                content_type="application/json",
                headers={"authorization": f"Bearer {service_token}", "host": "127.0.0.1"},
            )
        if answer.status_code != 202:
            raise RuntimeError(f"The sender API answered {answer.status_code}: {answer.content}")
        notification = Notification.objects.get(pk=answer.json()["data"]["id"])
        with CaptureQueriesContext(connection) as delivery:
            outcome = dispatch.deliver(notification_ids=[notification.pk])
        if outcome != {"sent": devices + 1}:
            raise RuntimeError(f"Delivery went wrong: {outcome}")
        counts[f"call ({devices} devices)"] = len(call.captured_queries)
        counts[f"delivery ({devices} devices)"] = len(delivery.captured_queries)
    return counts


def _body(owner: int, key: str) -> dict:
    return {
        "user_id": owner,
        "event": "booking.accepted",
        "title": "Bestillingen er bekreftet",
        "body": "Verkstedet venter deg mandag kl. 08:00.",
        "data": {"booking_id": key},
        "idempotency_key": f"bench:{key}",
    }


def _start(command: list[str], workdir: Path, name: str) -> subprocess.Popen:
    command[0] = str(Path(sys.executable).with_name(command[0]))
    log = (workdir / f"{name}.log").open("w")
    return subprocess.Popen(  # noqa: S603 (our own app)
        command, cwd=PROJECT_DIR, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT
    )


def _send_all(
    base: str, token: str, owners: list[int], rate: float
) -> tuple[float, list[float], dict[int, int]]:
    """The calls at `rate` a second, from `CLIENTS` threads: when the first was sent, the
    latencies and the statuses."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    host, port = base.split(":")

    start = time.monotonic() + 0.5

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        for turn in range(index, len(owners), CLIENTS):
            owner = owners[turn]
            time.sleep(max(0.0, start + turn / rate - time.monotonic()))
            sent = time.monotonic()
            connection.request(
                "POST", "/api/internal/notifications", json.dumps(_body(owner, str(owner))), headers
            )
            answer = connection.getresponse()
            answer.read()
            seconds = time.monotonic() - sent
            with lock:
                latencies.append(seconds)
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return start, sorted(latencies), statuses


def _report(
    options, postgres, latencies, statuses, sent_in, last_push, arrived, pushes, expected, queries
) -> bool:
    workers = os.environ.get("WEB_CONCURRENCY", "2"), os.environ.get("GUNICORN_THREADS", "4")
    database = "PostgreSQL" if postgres else "SQLite (temporary file)"
    print(
        f"Push: {options.owners:,} owners x {options.devices} devices; {database}; gunicorn "
        f"{workers[0]} workers x {workers[1]} threads, DEBUG=0; one worker process on the "
        "embedded broker; FCM stand-in on localhost"
    )
    counted = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
    print(
        f"  sender-API calls: {len(latencies):,} at {options.rate:g} a second from {CLIENTS} "
        f"clients, sent in {sent_in:.1f} s ({counted})"
    )
    p50, p99 = (percentile(latencies, q) * 1000 for q in (0.5, 0.99))
    latency_met = statuses == {202: len(latencies)} and p99 < TARGET_P99_MS
    worst = latencies[-1] * 1000
    print(f"  sender API latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms, worst {worst:.0f} ms")
    print(f"      target p99 < {TARGET_P99_MS:.0f} ms: {_verdict(latency_met)}")
    time_met = arrived and last_push < TARGET_SECONDS
    print(
        f"  pushes arrived: {pushes:,} of {expected:,}; the last {last_push:.1f} s after "
        "the first call"
    )
    print(f"      target < {TARGET_SECONDS:.0f} s: {_verdict(time_met)}")
    print("  queries: " + ", ".join(f"{label} {count}" for label, count in queries.items()))
    same = queries["delivery (2 devices)"] == queries["delivery (20 devices)"]
    print(f"      target: a delivery's queries do not grow with the devices: {_verdict(same)}")
    return latency_met and time_met and same


def _verdict(met: bool) -> str:
    return "ok" if met else "MISSED"


if __name__ == "__main__":
    sys.exit(main())
