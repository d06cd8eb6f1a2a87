"""
The vehicles' scheduled jobs through Celery (eager): the nightly register refresh (priority
order, the batch share of the budget, one run at a time, its log line) and the reminder run.
"""

import datetime
import logging

import pytest
from django.core.cache import cache
from django.utils import timezone
from responses import matchers

from tests.factories import VehicleFactory, VehicleLinkFactory
from tests.vehicles.conftest import REGISTER_URL, sample, store_sample
from vehicles import tasks
from vehicles.models import InspectionReminder, VehicleDataChange

pytestmark = pytest.mark.django_db


def _plate(plate: str):
    return matchers.query_param_matcher({"kjennemerke": plate})


def task_lines(caplog) -> list[str]:
    """What the task itself logged (Celery adds its own "succeeded" line)."""
    return [r.getMessage() for r in caplog.records if r.name == "vehicles.tasks"]


def ago(**kwargs) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**kwargs)


def test_the_nightly_refresh_takes_old_data_most_urgent_first_and_records_changes(
    live_register, caplog
):
    store_sample("BT57225", data_fetched_at=ago(days=3))
    overdue = store_sample("KH45678", data_fetched_at=ago(days=2))  # deadline passed: first
    store_sample("EL12345", data_fetched_at=ago(hours=2))  # fetched tonight already: left
    renewed = sample("KH45678")
    renewed["kjoretoydataListe"][0]["periodiskKjoretoyKontroll"]["kontrollfrist"] = "2028-05-31"
    live_register.get(REGISTER_URL, json=renewed, match=[_plate("KH45678")])
    live_register.get(REGISTER_URL, json=sample("BT57225"), match=[_plate("BT57225")])

    with caplog.at_level(logging.INFO, logger="vehicles.tasks"):
        summary = tasks.refresh_vehicles.apply().get()

    assert summary == {"outcomes": {"changed": 1, "unchanged": 1}, "left": 0}
    assert [c.request.params["kjennemerke"] for c in live_register.calls] == ["KH45678", "BT57225"]
    change = VehicleDataChange.objects.get()
    assert (change.vehicle, change.source) == (overdue, "job")
    assert task_lines(caplog) == ["Register refresh: changed 1, unchanged 1"]


def test_the_nightly_refresh_stops_cleanly_at_the_batch_share(live_register, settings, caplog):
    settings.REGISTER_DAILY_BUDGET = 10
    settings.REGISTER_BATCH_SHARE = 0.2  # two calls for batches, eight left for owners
    for plate in ("AA10001", "AA10002", "AA10003", "AA10004"):
        VehicleFactory(registration_number=plate, data_fetched_at=ago(days=2))
    live_register.get(REGISTER_URL, json=sample("BT57225"))

    with caplog.at_level(logging.INFO, logger="vehicles.tasks"):
        summary = tasks.refresh_vehicles.apply().get()

    assert len(live_register.calls) == 2
    assert summary["left"] == 2
    assert (
        "stopped (Batch refreshes have used their share of today's register look-ups"
        in (caplog.messages[0])
    )
    assert caplog.messages[0].endswith("2 left for the next run")


def test_only_one_nightly_refresh_runs_at_a_time(live_register):
    VehicleFactory(data_fetched_at=ago(days=2))
    cache.add(tasks._NIGHTLY_LOCK, "another-worker", timeout=60)

    summary = tasks.refresh_vehicles.apply().get()

    assert summary == {"skipped": "another run is in progress"}
    assert not live_register.calls


def test_the_nightly_refresh_leaves_the_rest_when_its_time_is_up(live_register, monkeypatch):
    VehicleFactory(data_fetched_at=ago(days=2))
    monkeypatch.setattr(tasks, "NIGHTLY_TIME_BUDGET", datetime.timedelta(0))

    summary = tasks.refresh_vehicles.apply().get()

    assert summary == {"outcomes": {}, "left": 1}
    assert not live_register.calls


def test_the_reminder_job_sends_and_logs_one_line(caplog, django_capture_on_commit_callbacks):
    VehicleLinkFactory(vehicle=VehicleFactory(next_inspection_due=timezone.localdate()))

    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        summary = tasks.send_inspection_reminders.apply().get()

    assert summary == {"sent": 1, "held": 0, "refreshed": 0}
    assert InspectionReminder.objects.get().step == "7_days"
    assert (
        "EU-kontroll reminders: sent 1, held 0 for a failed refresh; refreshed 0 vehicle(s) "
        "first, 0 not refreshed"
    ) in caplog.messages
    assert "Delivered 1 notification(s): sent 1" in caplog.messages
