"""
The rules that keep the register cheap and the API fast when it misbehaves: the breaker, the
negative cache, the budgets (per user, per day, the batch share), the register's own spent
quota, and the per-process cap on calls in flight. Each is off in the test settings and
turned on here, by the test that exercises it.
"""

import json
import threading
import time

import pytest
import requests
import responses
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import UserFactory, VehicleFactory, VehicleLinkFactory
from tests.vehicles.conftest import REGISTER_URL, sample
from vehicles.register import (
    BatchShareExhausted,
    RegisterError,
    RegisterLookupThrottled,
    RegisterQuotaExhausted,
    RegisterUnavailable,
    VehicleNotFound,
    budget,
    lookup,
    status,
)
from vehicles.register.breaker import BreakerState, state
from vehicles.register.quota import ODD_RETRY_AFTER_PAUSE_SECONDS, SPENT_UNTIL_KEY

pytestmark = pytest.mark.django_db


def failing_lookups(plate: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(RegisterUnavailable):
            lookup(plate)


# --- The breaker ------------------------------------------------------------------------------


@pytest.fixture
def breaker_on(settings):
    settings.REGISTER_BREAKER_FAILURES = 5
    settings.REGISTER_BREAKER_COOLDOWN_SECONDS = 30


def test_five_failures_in_a_row_open_the_breaker_and_then_nothing_is_sent(
    live_register, breaker_on
):
    live_register.get(REGISTER_URL, status=503)
    failing_lookups("BT57225", 1)  # 3 attempts: 3 failures
    assert state() == BreakerState.CLOSED

    with pytest.raises(RegisterUnavailable) as opened:
        lookup("BT57225")  # failures 4 and 5 open it; the third attempt is not made

    assert len(live_register.calls) == 5
    assert state() == BreakerState.OPEN
    assert 29 <= opened.value.retry_after <= 30
    started = time.monotonic()
    with pytest.raises(RegisterUnavailable) as refused:
        lookup("EL12345")
    assert time.monotonic() - started < 0.1
    assert len(live_register.calls) == 5
    assert 29 <= refused.value.retry_after <= 30
    assert status()["breaker"] == "open"


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500},
        {"status": 504},
        {"body": requests.ReadTimeout()},
        {"body": requests.ConnectionError()},
    ],
    ids=["500", "504", "timeout", "connection-error"],
)
def test_timeouts_connection_errors_and_5xx_count(live_register, settings, failure):
    settings.REGISTER_BREAKER_FAILURES = 3
    live_register.get(REGISTER_URL, **failure)

    failing_lookups("BT57225", 1)

    assert state() == BreakerState.OPEN


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 404},
        {"status": 403},
        {"status": 429},
        {"body": "<html>"},
        {"json": sample("not_available")},
    ],
    ids=["no-data", "key-refused", "quota", "odd-body", "feilmelding"],
)
def test_answers_from_the_register_never_count_as_failures(live_register, breaker_on, answer):
    live_register.get(REGISTER_URL, **answer)

    for _ in range(6):
        cache.delete(SPENT_UNTIL_KEY)  # so that a 429 is asked for again each time
        with pytest.raises((VehicleNotFound, RegisterError, RegisterQuotaExhausted)):
            lookup("BT57225")

    assert state() == BreakerState.CLOSED
    assert len(live_register.calls) == 6


def test_an_answer_resets_the_failures_in_a_row(live_register, breaker_on):
    live_register.get(REGISTER_URL, status=503)
    live_register.get(REGISTER_URL, status=503)
    live_register.get(REGISTER_URL, status=503)
    live_register.get(REGISTER_URL, status=503)
    live_register.get(REGISTER_URL, json=sample("BT57225"))
    failing_lookups("BT57225", 1)  # three failures
    lookup("BT57225")  # a fourth, then an answer
    live_register.replace(responses.GET, REGISTER_URL, status=503)

    failing_lookups("EL12345", 1)  # three more: seven, had the answer not reset the count

    assert state() == BreakerState.CLOSED
    assert len(live_register.calls) == 8


@pytest.fixture
def half_open(live_register, settings):
    """A breaker opened by two failures, with its one-second cooldown just over."""
    settings.REGISTER_BREAKER_FAILURES = 2
    settings.REGISTER_BREAKER_COOLDOWN_SECONDS = 1
    live_register.get(REGISTER_URL, status=503)
    failing_lookups("BT57225", 1)
    assert state() == BreakerState.OPEN
    time.sleep(1.1)
    assert state() == BreakerState.HALF_OPEN


def test_after_the_cooldown_one_probe_that_is_answered_closes_it(live_register, half_open):
    live_register.replace(responses.GET, REGISTER_URL, json=sample("BT57225"))
    calls = len(live_register.calls)

    assert lookup("BT57225").data.make == "VOLKSWAGEN"

    assert len(live_register.calls) == calls + 1
    assert state() == BreakerState.CLOSED


def test_a_probe_that_fails_opens_it_again_at_once(live_register, half_open):
    calls = len(live_register.calls)

    failing_lookups("BT57225", 1)

    assert len(live_register.calls) == calls + 1  # the probe only: no retries behind it
    assert state() == BreakerState.OPEN


def test_while_one_request_probes_the_others_are_refused_without_a_call(live_register, half_open):
    probing, release = threading.Event(), threading.Event()

    def slow_answer(request):
        probing.set()
        release.wait(5)
        return 200, {}, json.dumps(sample("EL12345"))

    live_register.remove(responses.GET, REGISTER_URL)
    live_register.add_callback(responses.GET, REGISTER_URL, callback=slow_answer)
    probe = threading.Thread(target=lookup, args=("EL12345",))
    probe.start()
    assert probing.wait(5)
    calls = len(live_register.calls)

    with pytest.raises(RegisterUnavailable):
        lookup("KH45678")  # another plate: not the probe's single flight

    assert len(live_register.calls) == calls
    release.set()
    probe.join(5)
    assert state() == BreakerState.CLOSED


def test_zero_failures_turns_the_breaker_off(live_register, settings):
    settings.REGISTER_BREAKER_FAILURES = 0
    live_register.get(REGISTER_URL, status=503)

    failing_lookups("BT57225", 4)

    assert len(live_register.calls) == 12
    assert state() == BreakerState.CLOSED


def test_an_open_breaker_answers_503_with_retry_after_through_the_api(
    auth_client, live_register, breaker_on
):
    live_register.get(REGISTER_URL, status=503)
    failing_lookups("BT57225", 2)
    calls = len(live_register.calls)

    response = auth_client.post("/api/co/vehicles", {"reg": "EL12345"}, format="json")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "register_unavailable"
    assert 29 <= int(response["Retry-After"]) <= 30
    assert len(live_register.calls) == calls


@pytest.mark.parametrize("links", [0, 19])
def test_an_open_breaker_answers_a_new_plate_after_two_queries(
    live_register, breaker_on, django_assert_num_queries, links
):
    owner = UserFactory()
    VehicleLinkFactory.create_batch(links, user=owner)
    live_register.get(REGISTER_URL, status=503)
    failing_lookups("BT57225", 2)  # opened
    client = APIClient()
    client.force_authenticate(owner)

    # The plate's link (none), then the owner's links and the plate's stored vehicle.
    with django_assert_num_queries(2):
        response = client.post("/api/co/vehicles", {"reg": "EL12345"}, format="json")

    assert response.status_code == 503


@pytest.mark.parametrize(
    "refusal, code",
    [
        ("breaker-open", "register_unavailable"),
        ("register-quota-spent", "register_quota_exhausted"),
        ("daily-budget-spent", "register_quota_exhausted"),
    ],
)
def test_refusals_before_any_call_leave_the_owners_budget_alone(
    auth_client, live_register, settings, refusal, code
):
    settings.REGISTER_LOOKUP_THROTTLE_RATE = "1/hour"
    if refusal == "breaker-open":
        settings.REGISTER_BREAKER_FAILURES = 5
        live_register.get(REGISTER_URL, status=503)
        failing_lookups("BT57225", 2)
    elif refusal == "register-quota-spent":
        live_register.get(REGISTER_URL, status=429)
        with pytest.raises(RegisterQuotaExhausted):
            lookup("BT57225")
    else:
        settings.REGISTER_DAILY_BUDGET = 1
        live_register.get(REGISTER_URL, json=sample("BT57225"))
        lookup("BT57225")
    calls = len(live_register.calls)

    errors = [
        auth_client.post("/api/co/vehicles", {"reg": "EL12345"}, format="json").json()["error"]
        for _ in range(3)
    ]

    assert [error["code"] for error in errors] == [code] * 3  # never 429
    assert len(live_register.calls) == calls


# --- The negative cache -----------------------------------------------------------------------


def test_no_data_is_remembered_and_answered_without_a_call(auth_client, live_register, settings):
    settings.REGISTER_NOT_FOUND_TTL_SECONDS = 21600
    live_register.get(REGISTER_URL, json=sample("not_available"))
    first = auth_client.post("/api/co/vehicles", {"reg": "ZZ 99999"}, format="json")
    auth_client.force_authenticate(UserFactory())  # someone else, the same plate

    again = auth_client.post("/api/co/vehicles", {"reg": "zz99999"}, format="json")

    assert first.status_code == again.status_code == 404
    assert first.json()["error"] == again.json()["error"]
    assert again.json()["error"]["code"] == "vehicle_not_found"
    assert len(live_register.calls) == 1


def test_no_data_is_forgotten_after_its_ttl(live_register, settings):
    settings.REGISTER_NOT_FOUND_TTL_SECONDS = 1
    live_register.get(REGISTER_URL, status=404)
    with pytest.raises(VehicleNotFound):
        lookup("ZZ99999")
    time.sleep(1.1)

    with pytest.raises(VehicleNotFound):
        lookup("ZZ99999")

    assert len(live_register.calls) == 2


def test_a_zero_ttl_remembers_nothing(live_register, settings):
    settings.REGISTER_NOT_FOUND_TTL_SECONDS = 0
    live_register.get(REGISTER_URL, status=404)

    for _ in range(3):
        with pytest.raises(VehicleNotFound):
            lookup("ZZ99999")

    assert len(live_register.calls) == 3


def test_only_no_data_is_remembered(live_register, settings):
    settings.REGISTER_NOT_FOUND_TTL_SECONDS = 21600
    live_register.get(REGISTER_URL, status=403)
    with pytest.raises(RegisterError):
        lookup("BT57225")
    live_register.replace(responses.GET, REGISTER_URL, json=sample("BT57225"))

    assert lookup("BT57225").data.make == "VOLKSWAGEN"


# --- The daily budget and the batch share -----------------------------------------------------


def test_over_the_daily_budget_look_ups_answer_quota_until_midnight_in_oslo(
    auth_client, live_register, settings
):
    settings.REGISTER_DAILY_BUDGET = 3
    live_register.get(REGISTER_URL, status=503)
    live_register.get(REGISTER_URL, json=sample("BT57225"))
    lookup("BT57225")  # two calls: a retry counts
    lookup("EL12345")  # the third

    response = auth_client.post("/api/co/vehicles", {"reg": "KH45678"}, format="json")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "register_quota_exhausted"
    assert int(response["Retry-After"]) == pytest.approx(
        budget.seconds_until_oslo_midnight(), abs=2
    )
    assert len(live_register.calls) == 3
    assert status()["calls_today"] == 3


def test_batch_look_ups_stop_at_their_share_and_owners_keep_the_rest(live_register, settings):
    settings.REGISTER_DAILY_BUDGET = 10
    settings.REGISTER_BATCH_SHARE = 0.5
    live_register.get(REGISTER_URL, json=sample("BT57225"))
    for _ in range(5):
        lookup("BT57225", batch=True)

    with pytest.raises(BatchShareExhausted) as caught:
        lookup("BT57225", batch=True)

    assert caught.value.code == "register_quota_exhausted"
    assert caught.value.retry_after > 0
    for _ in range(5):
        lookup("BT57225")  # owners: calls 6 to 10
    with pytest.raises(RegisterQuotaExhausted):
        lookup("BT57225")
    assert len(live_register.calls) == 10


def test_a_zero_budget_counts_calls_but_never_refuses(live_register, settings):
    settings.REGISTER_DAILY_BUDGET = 0
    live_register.get(REGISTER_URL, json=sample("BT57225"))

    for _ in range(4):
        lookup("BT57225", batch=True)

    assert budget.calls_today() == 4


# --- The per-user budget ----------------------------------------------------------------------


def test_the_user_budget_is_per_user_with_the_windows_time_left_as_retry_after(settings):
    settings.REGISTER_LOOKUP_THROTTLE_RATE = "2/minute"
    owner, other = UserFactory(), UserFactory()
    lookup("BT57225", user=owner)
    lookup("EL12345", user=owner)

    with pytest.raises(RegisterLookupThrottled) as caught:
        lookup("KH45678", user=owner)

    assert 1 <= caught.value.retry_after <= 60
    assert lookup("KH45678", user=other).data.make == "TOYOTA"
    assert lookup("KH45678").data.make == "TOYOTA"  # no user: no user budget


# --- The register's own spent quota -----------------------------------------------------------


@pytest.mark.parametrize(
    "retry_after",
    [
        "9" * 30,
        "90001",
        "-5",
        "0",
        "soon",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Mon, 01 Jan 2001 00:00:00 GMT",
        "3.5",
    ],
    ids=[
        "30-digits",
        "over-a-day",
        "negative",
        "zero",
        "word",
        "year-9999",
        "past-date",
        "decimal",
    ],
)
def test_an_odd_retry_after_pauses_one_hour_and_is_answered_through_the_api(
    auth_client, live_register, retry_after
):
    live_register.get(REGISTER_URL, status=429, headers={"Retry-After": retry_after})

    first = auth_client.post("/api/co/vehicles", {"reg": "BT57225"}, format="json")
    again = auth_client.post("/api/co/vehicles", {"reg": "EL12345"}, format="json")

    assert first.status_code == again.status_code == 503
    assert first.json()["error"]["code"] == "register_quota_exhausted"
    assert int(first["Retry-After"]) == ODD_RETRY_AFTER_PAUSE_SECONDS
    assert 0 < int(again["Retry-After"]) <= ODD_RETRY_AFTER_PAUSE_SECONDS
    assert len(live_register.calls) == 1  # the second was refused locally


# --- The per-process cap on calls in flight ---------------------------------------------------


class HeldCall:
    """A look-up on its own thread whose register call is held until `finish()`."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.thread = threading.Thread(target=lookup, args=("BT57225",))

    def finish(self) -> None:
        self.release.set()
        self.thread.join(10)


@pytest.fixture
def held_call(live_register, settings):
    """The register answers only when released: a call in flight that holds its slot."""
    settings.REGISTER_MAX_CONCURRENT_CALLS = 1
    held, started = HeldCall(), threading.Event()

    def answer(request):
        if not started.is_set():  # the first call is held until released
            started.set()
            held.release.wait(10)
        return 200, {}, json.dumps(sample("BT57225"))

    live_register.add_callback(responses.GET, REGISTER_URL, callback=answer)
    held.thread.start()
    assert started.wait(5)
    yield held
    held.finish()


def test_a_request_finding_every_slot_busy_waits_briefly_then_answers_503(live_register, held_call):
    started = time.monotonic()

    with pytest.raises(RegisterUnavailable) as caught:
        lookup("EL12345")

    assert 0.4 <= time.monotonic() - started < 1.0
    assert caught.value.retry_after == 5
    held_call.finish()
    assert len(live_register.calls) == 1  # the holder's only


def test_a_slot_freed_within_the_wait_is_taken(live_register, held_call):
    threading.Timer(0.2, held_call.release.set).start()

    assert lookup("EL12345").payload == sample("BT57225")  # the same mocked answer

    assert len(live_register.calls) == 2


def test_beyond_one_waiter_per_slot_a_request_is_refused_at_once(live_register, held_call):
    refused: list[RegisterUnavailable] = []

    def wait_for_a_slot() -> None:
        try:
            lookup("EL12345")
        except RegisterUnavailable as exc:
            refused.append(exc)

    waiter = threading.Thread(target=wait_for_a_slot)
    waiter.start()
    time.sleep(0.1)  # the waiter is waiting
    started = time.monotonic()

    with pytest.raises(RegisterUnavailable):
        lookup("KH45678")

    assert time.monotonic() - started < 0.2
    waiter.join(5)
    assert len(refused) == 1  # the waiter, after its wait


def test_requests_that_need_no_register_call_never_wait_for_one(auth_client, held_call):
    stored = VehicleFactory(registration_number="AB12345")
    started = time.monotonic()

    linked = auth_client.post(
        "/api/co/vehicles", {"reg": stored.registration_number}, format="json"
    )
    listed = auth_client.get("/api/co/vehicles")

    assert (linked.status_code, listed.status_code) == (201, 200)
    assert time.monotonic() - started < 0.4  # the slot's waiters wait 0.5 s
