"""
End to end through a real broker: a Celery worker and beat started as `make run` starts them
(the commands of `Procfile.dev`), on a throw-away SQLite database. The broker is the embedded
one (a temporary folder) on the default run, and Redis when `REDIS_URL` is set (another
database number than the cache's: the suite empties the cache around every test).

Beat runs the reminder job every minute here (`REMINDER_SCHEDULE="* * * * *"`), so its first
run comes at the next full minute: the test takes up to about a minute.
"""

import datetime
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.utils import timezone

from tests.servers import stop

PROJECT_DIR = Path(__file__).resolve().parents[1]
MANAGE = [sys.executable, str(PROJECT_DIR / "manage.py")]
BEAT_FIRST_RUN_SECONDS = 75  # the next full minute, and a worker busy starting up


def procfile_command(name: str) -> str:
    for line in (PROJECT_DIR / "Procfile.dev").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise LookupError(name)


def broker_url() -> str:
    """Redis (next to the cache's database) when the run has Redis, else the local folder."""
    if os.environ.get("CELERY_BROKER_URL"):
        return os.environ["CELERY_BROKER_URL"]
    redis = os.environ.get("REDIS_URL")
    if not redis:
        return ""
    parts = urlsplit(redis)
    database = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(database + 1) % 16}"))


@dataclass
class Jobs:
    env: dict[str, str]
    database: Path
    worker_log: Path
    beat_log: Path

    def manage(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 (our own manage.py)
            [*MANAGE, *args], env=self.env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def link_vehicle_due_in(self, days: int, *, email: str, language: str, plate: str) -> None:
        """An owner with a vehicle whose EU-kontroll deadline is `days` days away."""
        deadline = timezone.localdate() + datetime.timedelta(days=days)
        self.manage(
            "shell",
            "-c",
            "from minbil.accounts.models import User; from vehicles.models import Vehicle, "
            "VehicleLink; from django.utils import timezone; "
            f"u = User.objects.create_user({email!r}, 'x' * 20, name='Kari', "
            f"language={language!r}); "
            f"v = Vehicle.objects.create(registration_number={plate!r}, make='TOYOTA', "
            f"model='RAV4', next_inspection_due={deadline.isoformat()!r}, "
            "data_fetched_at=timezone.now()); "
            "VehicleLink.objects.create(user=u, vehicle=v, nickname='Hyttebilen')",
        )

    def deliveries(self) -> list[tuple[str, str]]:
        with sqlite3.connect(self.database) as db:
            return db.execute(
                "SELECT n.reference, d.status FROM notifications_delivery d "
                "JOIN notifications_notification n ON n.id = d.notification_id ORDER BY d.id"
            ).fetchall()


def wait_for(condition, *, seconds: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    tails = "\n".join(f"--- {log.name}\n{log.read_text()[-4000:]}" for log in logs)
    raise AssertionError(f"{what} did not happen within {seconds} s\n{tails}")


@pytest.fixture(scope="module")
def jobs(tmp_path_factory) -> Iterator[Jobs]:
    workdir = tmp_path_factory.mktemp("jobs")
    database = workdir / "db.sqlite3"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "minbil.settings.base",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{database}",
        "JOBS_DIR": str(workdir / "jobs"),
        "CELERY_BROKER_URL": broker_url(),
        "EMAIL_URL": "consolemail://",
        "VEGVESEN_MODE": "sandbox",
        "VEGVESEN_API_KEY": "",
        "VEGVESEN_SANDBOX_DIR": "",
        "REMINDER_SCHEDULE": "* * * * *",
        "MEDIA_ROOT": str(workdir / "media"),
        "PYTHONUNBUFFERED": "1",
    }
    jobs = Jobs(env, database, workdir / "worker.log", workdir / "beat.log")
    jobs.manage("migrate", "--noinput", "--verbosity", "0")
    if env["CELERY_BROKER_URL"]:
        subprocess.run(  # noqa: S603 (a broker of this test's own; leftovers of a killed run)
            [str(Path(sys.executable).with_name("celery")), "-A", "minbil", "purge", "-f"],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            timeout=60,
            check=True,
        )
    jobs.link_vehicle_due_in(10, email="kari@example.com", language="nb", plate="AA12345")

    processes = []
    try:
        for name, log in (("worker", jobs.worker_log), ("beat", jobs.beat_log)):
            with log.open("w") as out:
                processes.append(
                    subprocess.Popen(  # noqa: S603 (the Procfile's own command line)
                        shlex.split(procfile_command(name)),
                        cwd=PROJECT_DIR,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        yield jobs
    finally:
        for process in processes:
            stop(process)


def test_beat_schedules_the_reminder_job_and_the_worker_emails_it(jobs):
    logs = [jobs.worker_log, jobs.beat_log]

    wait_for(
        lambda: ("AA12345", "sent") in jobs.deliveries(),
        seconds=BEAT_FIRST_RUN_SECONDS,
        what="The scheduled reminder's email",
        logs=logs,
    )

    beat = jobs.beat_log.read_text()
    assert "Sending due task send-inspection-reminders (vehicles.send_inspection_reminders)" in beat
    worker = jobs.worker_log.read_text()
    deadline = (timezone.localdate() + datetime.timedelta(days=10)).strftime("%d.%m.%Y")
    assert f"Subject: EU-kontroll innen {deadline}: Hyttebilen (AA 12345, TOYOTA RAV4)" in worker
    assert "To: kari@example.com" in worker
    assert re.search(r"List-Unsubscribe:\s+<http://localhost:5000/unsubscribe/[^>]+>", worker)
    assert "EU-kontroll reminders: sent 1" in worker
    assert "Delivered 1 notification(s): sent 1" in worker


def test_a_reminder_sent_with_the_command_is_emailed_by_the_worker_once(jobs):
    jobs.link_vehicle_due_in(-2, email="ola@example.com", language="en", plate="BB23456")

    out = jobs.manage("send_inspection_reminders")

    assert "EU-kontroll reminders: sent 1" in out
    wait_for(
        lambda: ("BB23456", "sent") in jobs.deliveries(),
        seconds=30,
        what="The command's reminder email",
        logs=[jobs.worker_log],
    )
    worker = jobs.worker_log.read_text()
    assert worker.count("Subject: EU-kontroll deadline passed: Hyttebilen (BB 23456") == 1
    assert jobs.deliveries().count(("BB23456", "sent")) == 1
