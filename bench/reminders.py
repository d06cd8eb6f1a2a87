"""
`make bench-reminders`: the daily EU-kontroll reminder run over a large fleet.

Fills a scratch database with 100 000 vehicles and 150 000 links (100 000 owners; half of the
vehicles shared by two), deadlines spread evenly over two years around today and every
vehicle's data fresh (so no register call is made: that part is the register's budget, not
this run's). Then times three runs and counts their queries: the first, when every due owner
is reminded at once (the run after a deployment), the next day's, which sends the steps that
began that day, and that day's again, which finds nothing new. Delivery is queued on the
embedded broker (a temporary folder), as `notify_many` does after the commit; no worker runs.

The database is a temporary SQLite file, or, when `DATABASE_URL` points at PostgreSQL, a
database created next to it (`<name>_bench_reminders`) and dropped at the end. Target: each
run under 60 s, with queries that do not grow with the rows (a fixed few per 1 000 reminders).
"""

import argparse
import datetime
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.common import bench_env, drop_postgres, is_postgres, scratch_postgres

TARGET_SECONDS = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vehicles", type=int, default=100_000)
    parser.add_argument("--links", type=int, default=150_000)
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="minbil-bench-reminders-"))
    source = os.environ.get("DATABASE_URL", "")
    postgres = is_postgres(source)
    scratch = (
        scratch_postgres(source, "_bench_reminders")
        if postgres
        else f"sqlite:///{workdir / 'bench.sqlite3'}"
    )
    os.environ.update(
        bench_env(scratch, JOBS_DIR=str(workdir / "jobs"), CELERY_BROKER_URL="", REDIS_URL="")
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0)
        print(
            f"Reminder run: {'PostgreSQL' if postgres else 'SQLite (temporary file)'}, "
            f"{options.vehicles:,} vehicles, {options.links:,} links"
        )
        started = time.monotonic()
        _fill(options.vehicles, options.links)
        print(f"  filled in {time.monotonic() - started:.1f} s")
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        met = True
        today = datetime.date.today()
        next_day = today + datetime.timedelta(days=1)
        runs = (("first run (everyone due)", today), ("next day", next_day), ("again", next_day))
        for label, day in runs:
            met &= _measure(label, day)
        print(f"  target: each run under {TARGET_SECONDS:.0f} s: {'ok' if met else 'MISSED'}")
        return 0 if met else 1
    finally:
        connection.close()
        if postgres:
            drop_postgres(source, scratch)
        shutil.rmtree(workdir, ignore_errors=True)


def _fill(vehicle_count: int, link_count: int) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from vehicles.models import Vehicle, VehicleLink

    User = get_user_model()
    random.seed(13)
    today = timezone.localdate()
    now = timezone.now()
    owners = vehicle_count  # one owner per vehicle, and every other vehicle has a second one
    unusable = make_password(None)  # bench accounts cannot sign in
    User.objects.bulk_create(
        (
            User(email=f"owner{i}@bench.test", password=unusable, language="nb" if i % 3 else "en")
            for i in range(owners)
        ),
        batch_size=5000,
    )
    Vehicle.objects.bulk_create(
        (
            Vehicle(
                registration_number=f"BE{i:05d}",
                make="TOYOTA",
                model="RAV4",
                inspection_required=True,
                registration_status_code="REGISTRERT",
                next_inspection_due=today + datetime.timedelta(days=random.randint(-60, 669)),  # noqa: S311
                data_fetched_at=now,
            )
            for i in range(vehicle_count)
        ),
        batch_size=5000,
    )
    user_ids = list(User.objects.order_by("pk").values_list("pk", flat=True))
    vehicle_ids = list(Vehicle.objects.order_by("pk").values_list("pk", flat=True))
    pairs = [(user_ids[i], vehicle_ids[i]) for i in range(vehicle_count)]
    for n in range(link_count - vehicle_count):
        pairs.append((user_ids[(n * 2 + 1) % owners], vehicle_ids[n * 2 % vehicle_count]))
    VehicleLink.objects.bulk_create(
        (VehicleLink(user_id=u, vehicle_id=v) for u, v in pairs), batch_size=5000
    )


def _measure(label: str, day: datetime.date) -> bool:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from vehicles.reminders import send_inspection_reminders

    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        run = send_inspection_reminders(today=day)
        seconds = time.monotonic() - started
    print(
        f"  {label}: {run.sent:,} reminders in {seconds:.1f} s, "
        f"{len(queries.captured_queries)} queries"
    )
    return seconds < TARGET_SECONDS


if __name__ == "__main__":
    sys.exit(main())
