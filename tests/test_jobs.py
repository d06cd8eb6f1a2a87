"""
The job engine's configuration, read in a fresh interpreter: the broker chosen from
`CELERY_BROKER_URL`, `REDIS_URL` or the local folder, the schedules as crontab lines in
Europe/Oslo (a malformed one stops start-up naming the variable), and the process types.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PROJECT_DIR = Path(settings.BASE_DIR)
READ_CONFIG = (
    "import django, json; django.setup(); from minbil.celery import app; c = app.conf; "
    "print(json.dumps({'broker': c.broker_url, 'options': c.broker_transport_options, "
    "'timezone': str(c.timezone), 'backend': c.result_backend, "
    "'schedule': {n: str(e['schedule']) for n, e in c.beat_schedule.items()}}))"
)


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CELERY_", "REDIS_", "REFRESH_", "REMINDER_", "JOBS_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="minbil.settings.base",
        SECRET_KEY="x" * 50,
        VEGVESEN_MODE="sandbox",
        **env,
    )
    return subprocess.run(  # noqa: S603 (the test's own interpreter and code)
        [sys.executable, "-c", code],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def celery_config(**env: str) -> dict:
    result = run_python(READ_CONFIG, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_broker_url_jobs_go_through_a_folder_of_the_project(tmp_path):
    config = celery_config(JOBS_DIR=str(tmp_path / "jobs"))

    assert config["broker"] == "filesystem://localhost//"
    assert config["options"]["data_folder_in"] == str(tmp_path / "jobs" / "broker")
    assert config["options"]["data_folder_out"] == config["options"]["data_folder_in"]
    assert (tmp_path / "jobs" / "broker").is_dir()  # made when the app is configured
    assert config["backend"] is None


def test_the_default_folder_is_ignored_by_git():
    config = celery_config()

    folder = Path(config["options"]["data_folder_in"]).parent
    assert folder == PROJECT_DIR / ".jobs"
    ignored = subprocess.run(  # noqa: S603
        ["git", "check-ignore", "-q", str(folder / "broker" / "x.msg")],  # noqa: S607
        cwd=PROJECT_DIR,
        check=False,
    )
    assert ignored.returncode == 0


def test_redis_at_redis_url_is_the_broker_unless_celery_broker_url_says_otherwise():
    via_cache = celery_config(REDIS_URL="redis://cache.internal:6379/0")
    explicit = celery_config(
        REDIS_URL="redis://cache.internal:6379/0", CELERY_BROKER_URL="redis://queue:6379/3"
    )

    assert via_cache["broker"] == "redis://cache.internal:6379/0"
    assert via_cache["options"]["socket_connect_timeout"] == 2
    assert explicit["broker"] == "redis://queue:6379/3"


def test_schedules_default_to_two_and_nine_oclock_in_oslo():
    config = celery_config()

    assert config["timezone"] == "Europe/Oslo"
    assert config["schedule"]["refresh-vehicles"] == "<crontab: 0 2 * * * (m/h/dM/MY/d)>"
    assert config["schedule"]["send-inspection-reminders"] == "<crontab: 0 9 * * * (m/h/dM/MY/d)>"
    assert "clean-delivery-log" in config["schedule"]
    assert "retry-deliveries" in config["schedule"]


def test_schedules_are_crontab_lines():
    config = celery_config(REFRESH_SCHEDULE="30  1 * * 1-5", REMINDER_SCHEDULE="0 8,17 * * *")

    assert config["schedule"]["refresh-vehicles"] == "<crontab: 30 1 * * 1-5 (m/h/dM/MY/d)>"
    assert (
        config["schedule"]["send-inspection-reminders"] == "<crontab: 0 8,17 * * * (m/h/dM/MY/d)>"
    )


@pytest.mark.parametrize(
    "name, value, reason",
    [
        ("REFRESH_SCHEDULE", "every night", "not 'every night'."),
        ("REMINDER_SCHEDULE", "0 25 * * *", "not '0 25 * * *' (Invalid end range: 25 > 23)."),
        ("REMINDER_SCHEDULE", "0 9 * *", "not '0 9 * *'."),
    ],
)
def test_a_malformed_schedule_stops_start_up_naming_the_variable(name, value, reason):
    result = run_python("import django; django.setup()", **{name: value})

    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith(f"django.core.exceptions.ImproperlyConfigured: {name} must be a ")
    assert "crontab of five fields (minute hour day-of-month month day-of-week)" in message
    assert message.endswith(reason)


def test_a_public_base_url_that_is_not_http_stops_start_up():
    result = run_python("import django; django.setup()", PUBLIC_BASE_URL="api.minbil.no")

    assert result.returncode != 0
    assert "PUBLIC_BASE_URL must be an http(s) address" in result.stderr


@pytest.mark.parametrize("procfile", ["Procfile", "Procfile.dev"])
def test_the_procfiles_name_web_worker_and_beat(procfile):
    lines = (PROJECT_DIR / procfile).read_text().splitlines()
    types = [line.split(":", 1)[0] for line in lines if line and not line.startswith("#")]

    assert types == ["web", "worker", "beat"]


def test_beats_schedule_folder_is_made_with_any_broker(tmp_path):
    celery_config(JOBS_DIR=str(tmp_path / "jobs"), REDIS_URL="redis://cache.internal:6379/0")

    assert (tmp_path / "jobs").is_dir()
    assert not (tmp_path / "jobs" / "broker").exists()
