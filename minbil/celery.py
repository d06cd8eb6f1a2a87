"""
The Celery app: background jobs (the nightly register refresh, EU-kontroll reminders, the
delivery of notifications). Configured from Django's settings (the `CELERY_` names), with
the schedules in settings and the tasks in each app's `tasks.py`.

    celery -A minbil worker      # runs tasks; start as many as needed
    celery -A minbil beat        # sends the scheduled ones; exactly one per deployment

Tasks are thin: they load ids, call one service and return a small summary, which they log
as one line. `Job` is their base: time limits are set per task, transient errors (the
database or the broker briefly unreachable) are retried with exponential backoff and jitter.
"""

import os
from pathlib import Path

from celery import Celery, Task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minbil.settings.base")

app = Celery("minbil")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Errors that say "try again later", not "this job is wrong".
TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerError)


class Job(Task):
    """The base of MinBil's tasks: retried on transient errors, backing off up to 10 minutes."""

    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 5
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5


@app.on_after_configure.connect
def _make_local_folders(sender: Celery, **kwargs) -> None:
    """Beat's schedule file, and kombu's filesystem transport, expect their folders to exist."""
    folders = [Path(sender.conf.beat_schedule_filename).parent]
    if sender.conf.broker_url.startswith("filesystem:"):
        options = sender.conf.broker_transport_options
        folders += [Path(options[key]) for key in ("data_folder_in", "control_folder")]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
