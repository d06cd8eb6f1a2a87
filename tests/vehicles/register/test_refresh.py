"""Refreshing stored vehicles: the change record and the per-vehicle outcomes of a batch."""

import datetime

import pytest
import responses
from django.utils import timezone

from tests.factories import VehicleFactory
from tests.vehicles.conftest import REGISTER_URL, sample
from vehicles.models import Vehicle, VehicleDataChange
from vehicles.register import RefreshStatus, attempt_vehicle_refresh, refresh_vehicle
from vehicles.services import link_vehicle

pytestmark = pytest.mark.django_db


def stored_kh45678(user, register=None, *, then: dict | None = None) -> Vehicle:
    """
    KH45678 as first fetched (deadline 2026-05-31); with a mocked live `register`, the
    register answers `then` from now on.
    """
    if register is not None:
        register.get(REGISTER_URL, json=sample("KH45678"))
    link, _ = link_vehicle(user=user, registration_number="KH45678")
    if register is not None:
        register.replace(responses.GET, REGISTER_URL, json=then)
    return link.vehicle


def with_new_deadline(name: str, deadline: str, approved: str) -> dict:
    payload = sample(name)
    payload["kjoretoydataListe"][0]["periodiskKjoretoyKontroll"] = {
        "kontrollfrist": deadline,
        "sistGodkjent": approved,
    }
    return payload


def test_a_refresh_that_changes_data_records_old_and_new_values(user, live_register):
    renewed = with_new_deadline("KH45678", "2028-05-31", "2026-11-20")
    vehicle = stored_kh45678(user, live_register, then=renewed)

    changes = refresh_vehicle(vehicle=vehicle, source="command")

    assert changes == {
        "next_inspection_due": (datetime.date(2026, 5, 31), datetime.date(2028, 5, 31)),
        "last_inspection_approved": (datetime.date(2024, 5, 21), datetime.date(2026, 11, 20)),
    }
    record = VehicleDataChange.objects.get(vehicle=vehicle)
    assert record.source == "command"
    assert record.changes == {
        "next_inspection_due": {"old": "2026-05-31", "new": "2028-05-31"},
        "last_inspection_approved": {"old": "2024-05-21", "new": "2026-11-20"},
    }
    vehicle.refresh_from_db()
    assert record.fetched_at == vehicle.data_fetched_at
    assert record.summary == (
        "next inspection due 2026-05-31 → 2028-05-31; "
        "last inspection approved 2024-05-21 → 2026-11-20"
    )


def test_a_new_registration_status_is_recorded(user, live_register):
    payload = sample("KH45678")
    payload["kjoretoydataListe"][0]["registrering"]["registreringsstatus"] = {
        "kodeVerdi": "AVREGISTRERT",
        "kodeBeskrivelse": "Avregistrert",
    }
    vehicle = stored_kh45678(user, live_register, then=payload)

    refresh_vehicle(vehicle=vehicle)

    record = vehicle.data_changes.get()
    assert record.source == "api"  # the default keeps the API's call unchanged
    assert record.changes["registration_status_code"] == {
        "old": "REGISTRERT",
        "new": "AVREGISTRERT",
    }


def test_an_unchanged_refresh_records_nothing_but_the_fetch_time(user):
    vehicle = stored_kh45678(user)
    fetched = vehicle.data_fetched_at

    assert refresh_vehicle(vehicle=vehicle, source="admin") == {}

    assert not VehicleDataChange.objects.exists()
    vehicle.refresh_from_db()
    assert vehicle.data_fetched_at > fetched


def test_changes_are_computed_against_the_stored_row_not_a_stale_instance(user, live_register):
    renewed = with_new_deadline("KH45678", "2028-05-31", "2026-11-20")
    stale = stored_kh45678(user, live_register, then=renewed)
    refresh_vehicle(vehicle=Vehicle.objects.get(pk=stale.pk))

    assert refresh_vehicle(vehicle=stale) == {}  # `stale` still holds the 2026 deadline

    assert VehicleDataChange.objects.count() == 1


def test_the_change_record_and_the_update_are_one_write(user, live_register, monkeypatch):
    renewed = with_new_deadline("KH45678", "2028-05-31", "2026-11-20")
    vehicle = stored_kh45678(user, live_register, then=renewed)
    before = Vehicle.objects.values().get(pk=vehicle.pk)

    def broken_create(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(VehicleDataChange.objects, "create", broken_create)

    with pytest.raises(RuntimeError):
        refresh_vehicle(vehicle=vehicle)

    assert Vehicle.objects.values().get(pk=vehicle.pk) == before


def test_the_api_refresh_records_its_change_as_api(auth_client, live_register):
    live_register.get(REGISTER_URL, json=sample("KH45678"))
    auth_client.post("/api/co/vehicles", {"registration_number": "KH45678"}, format="json")
    live_register.replace(
        responses.GET,
        REGISTER_URL,
        json=with_new_deadline("KH45678", "2028-05-31", "2026-11-20"),
    )

    assert auth_client.post("/api/co/vehicles/refresh/KH45678").status_code == 200

    assert VehicleDataChange.objects.get().source == "api"


# --- attempt_vehicle_refresh: one outcome per vehicle, never an exception ---------------------


@pytest.mark.parametrize(
    "mock_kwargs, status",
    [
        ({"json": sample("not_available")}, RefreshStatus.NOT_FOUND),
        ({"status": 429}, RefreshStatus.QUOTA_EXHAUSTED),
        ({"status": 503}, RefreshStatus.UNAVAILABLE),
        ({"status": 403}, RefreshStatus.FAILED),
    ],
)
def test_register_failures_become_outcomes(live_register, mock_kwargs, status):
    vehicle = VehicleFactory(registration_number="BT57225")
    before = Vehicle.objects.values().get(pk=vehicle.pk)
    live_register.get(REGISTER_URL, **mock_kwargs)

    outcome = attempt_vehicle_refresh(vehicle=vehicle, source="command")

    assert outcome.status == status
    assert not outcome.succeeded
    assert outcome.summary  # a sentence for people, never empty
    assert Vehicle.objects.values().get(pk=vehicle.pk) == before


def test_a_quota_outcome_says_when_to_retry(live_register):
    live_register.get(REGISTER_URL, status=429, headers={"Retry-After": "3600"})

    outcome = attempt_vehicle_refresh(vehicle=VehicleFactory(), source="admin")

    assert outcome.retry_after == 3600


def test_an_unexpected_error_is_an_outcome_too(monkeypatch, caplog):
    def boom(registration_number):
        raise ValueError("bug")

    monkeypatch.setattr("vehicles.register.refresh.lookup", boom)

    outcome = attempt_vehicle_refresh(vehicle=VehicleFactory(), source="command")

    assert outcome.status == RefreshStatus.FAILED
    assert "bug" not in outcome.summary
    assert "failed unexpectedly" in caplog.text


def test_a_successful_outcome_summarises_the_changes(user, live_register):
    renewed = with_new_deadline("KH45678", "2028-05-31", "2024-05-21")
    vehicle = stored_kh45678(user, live_register, then=renewed)

    outcome = attempt_vehicle_refresh(vehicle=vehicle, source="admin")

    assert outcome.status == RefreshStatus.CHANGED
    assert outcome.summary == "next inspection due 2026-05-31 → 2028-05-31"


# --- The refresh minimum age --------------------------------------------------------------------


@pytest.fixture
def min_age(settings):
    settings.REGISTER_REFRESH_MIN_AGE_SECONDS = 600
    return 600


def test_a_refresh_of_fresh_data_answers_the_stored_data_without_a_call(
    auth_client, live_register, min_age
):
    live_register.get(REGISTER_URL, json=sample("KH45678"))
    linked = auth_client.post("/api/co/vehicles", {"reg": "KH45678"}, format="json").json()
    live_register.replace(
        responses.GET, REGISTER_URL, json=with_new_deadline("KH45678", "2028-05-31", "2026-11-20")
    )

    refreshes = [auth_client.post("/api/co/vehicles/refresh/KH45678") for _ in range(5)]

    assert [r.status_code for r in refreshes] == [200] * 5
    assert all(r.json()["data"] == linked["data"] for r in refreshes)  # fetch time included
    assert len(live_register.calls) == 1  # the link's
    assert not VehicleDataChange.objects.exists()


def test_data_older_than_the_minimum_age_is_fetched_again(auth_client, live_register, min_age):
    live_register.get(REGISTER_URL, json=sample("KH45678"))
    auth_client.post("/api/co/vehicles", {"reg": "KH45678"}, format="json")
    eleven_minutes_ago = timezone.now() - datetime.timedelta(minutes=11)
    Vehicle.objects.update(data_fetched_at=eleven_minutes_ago)

    data = auth_client.post("/api/co/vehicles/refresh/KH45678").json()["data"]

    assert len(live_register.calls) == 2
    assert data["data_fetched_at"] > eleven_minutes_ago.isoformat()


def test_a_fresh_vehicle_in_a_batch_is_left_alone_with_an_outcome_saying_why(
    live_register, min_age
):
    vehicle = VehicleFactory(data_fetched_at=timezone.now() - datetime.timedelta(minutes=3))

    outcome = attempt_vehicle_refresh(vehicle=vehicle, source="command")

    assert outcome.status == RefreshStatus.FRESH
    assert not outcome.succeeded
    assert outcome.summary == "Fetched 3 min ago; not fetched again within 10 min."
    assert not live_register.calls


def test_a_zero_minimum_age_always_fetches(auth_client, live_register, settings):
    settings.REGISTER_REFRESH_MIN_AGE_SECONDS = 0
    live_register.get(REGISTER_URL, json=sample("KH45678"))
    auth_client.post("/api/co/vehicles", {"reg": "KH45678"}, format="json")

    for _ in range(3):
        assert auth_client.post("/api/co/vehicles/refresh/KH45678").status_code == 200

    assert len(live_register.calls) == 4
