"""
The vehicles' scheduled jobs (see `CELERY_BEAT_SCHEDULE`): the nightly register refresh and
the daily EU-kontroll reminders. Each calls one service and logs one line.
"""

import datetime
import logging
import uuid

from celery import shared_task
from django.core.cache import cache

from minbil.celery import Job
from vehicles import register, reminders

logger = logging.getLogger(__name__)

# The nightly refresh takes vehicles whose data is older than this (so a second run the same
# night fetches nothing twice), and stops after this long, leaving the rest for the next night.
NIGHTLY_STALE_AFTER = datetime.timedelta(hours=20)
NIGHTLY_TIME_BUDGET = datetime.timedelta(hours=5)
_NIGHTLY_LIMIT = int(NIGHTLY_TIME_BUDGET.total_seconds()) + 600
_NIGHTLY_LOCK = "jobs:refresh-vehicles:running"


# Not acks_late: a run lost with its worker is made up by the next night's, and a message
# redelivered while it still runs would only fetch the same vehicles twice.
@shared_task(
    name="vehicles.refresh_vehicles",
    base=Job,
    soft_time_limit=_NIGHTLY_LIMIT - 60,
    time_limit=_NIGHTLY_LIMIT,
)
def refresh_vehicles() -> dict:
    # One run at a time across workers (shared through Redis when REDIS_URL is set).
    token = uuid.uuid4().hex
    if not cache.add(_NIGHTLY_LOCK, token, timeout=_NIGHTLY_LIMIT):
        logger.info("Register refresh: another run is in progress; nothing done")
        return {"skipped": "another run is in progress"}
    try:
        run = register.refresh_stored_vehicles(
            stale_after=NIGHTLY_STALE_AFTER, time_budget=NIGHTLY_TIME_BUDGET
        )
    finally:
        if cache.get(_NIGHTLY_LOCK) == token:
            cache.delete(_NIGHTLY_LOCK)
    logger.info("%s", run.describe())
    return {"outcomes": dict(run.outcomes), "left": run.left}


# Safe to run again and on two workers at once (acks_late): each reminder is recorded under
# a unique constraint before it is sent.
@shared_task(
    name="vehicles.send_inspection_reminders",
    base=Job,
    acks_late=True,
    soft_time_limit=1740,
    time_limit=1800,
)
def send_inspection_reminders() -> dict:
    run = reminders.send_inspection_reminders()
    logger.info("%s", run.describe())
    return {"sent": run.sent, "held": run.held, "refreshed": run.refreshed}
