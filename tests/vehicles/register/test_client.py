"""
The register client against a register mocked at the HTTP level (vegvesen.md §3), and against
a stand-in register on a local port for what only real sockets show: an attempt bounded from
connect to the last byte, and a request bounded by its deadline.
"""

import logging
import threading
import time
from collections.abc import Callable

import pytest
import requests
import responses
from django.core.cache import cache

from tests.vehicles.conftest import API_KEY, REGISTER_URL, sample
from vehicles.register import (
    RegisterError,
    RegisterQuotaExhausted,
    RegisterUnavailable,
    VehicleNotFound,
    budget,
    client,
    describe_mode,
    lookup,
    lookups,
    quota,
)
from vehicles.register.standin import Behaviour


def test_found_vehicle_sends_plate_key_header_and_user_agent(live_register):
    live_register.get(REGISTER_URL, json=sample("BT57225"))

    result = lookup("BT57225")

    assert result.data.vin == "WVWSYNTH0ME000001"
    assert result.payload == sample("BT57225")
    request = live_register.calls[0].request
    assert request.url == f"{REGISTER_URL}?kjennemerke=BT57225"
    assert request.headers["SVV-Authorization"] == f"Apikey {API_KEY}"
    assert "MinBil" in request.headers["User-Agent"]


def test_every_attempt_has_a_timeout(live_register, settings):
    settings.VEGVESEN_TIMEOUT_SECONDS = 3.5
    live_register.get(REGISTER_URL, json=sample("EL12345"))

    lookup("EL12345")

    assert live_register.calls[0].request.req_kwargs["timeout"] == 3.5


@pytest.mark.parametrize(
    "kwargs",
    [
        {"status": 200, "json": {"feilmelding": "OPPLYSNINGER_IKKE_TILGJENGELIGE"}},
        {"status": 200, "json": {"feilmelding": "KJENNEMERKE_UKJENT", "kjoretoydataListe": []}},
        {"status": 200, "json": {"kjoretoydataListe": []}},
        {"status": 200, "json": {}},
        {"status": 204},
        {"status": 404},
    ],
    ids=["feilmelding", "feilmelding-empty-list", "empty-list", "missing-list", "204", "404"],
)
def test_no_data_answers_are_vehicle_not_found_without_retry(live_register, kwargs):
    live_register.get(REGISTER_URL, **kwargs)

    with pytest.raises(VehicleNotFound) as caught:
        lookup("AB12345")

    assert caught.value.code == "vehicle_not_found"
    assert "no data available" in caught.value.message.lower()
    assert len(live_register.calls) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried_twice_then_unavailable(live_register, status):
    live_register.get(REGISTER_URL, status=status)

    with pytest.raises(RegisterUnavailable) as caught:
        lookup("BT57225")

    assert len(live_register.calls) == 3
    assert caught.value.status_code == 503
    assert caught.value.retry_after > 0


def test_a_retry_that_succeeds_returns_the_vehicle(live_register):
    live_register.get(REGISTER_URL, status=503)
    live_register.get(REGISTER_URL, body=requests.ConnectionError("reset"))
    live_register.get(REGISTER_URL, json=sample("KH45678"))

    assert lookup("KH45678").data.make == "TOYOTA"
    assert len(live_register.calls) == 3


@pytest.mark.parametrize(
    "error",
    [requests.ConnectTimeout(), requests.ReadTimeout(), requests.ConnectionError("refused")],
    ids=["connect-timeout", "read-timeout", "connection-error"],
)
def test_timeouts_and_connection_errors_are_retried_then_unavailable(live_register, error):
    live_register.get(REGISTER_URL, body=error)

    with pytest.raises(RegisterUnavailable):
        lookup("BT57225")

    assert len(live_register.calls) == 3


def test_retries_back_off_with_jitter(live_register, monkeypatch):
    monkeypatch.setattr(lookups, "BACKOFF_SECONDS", 0.2)
    sleeps: list[float] = []
    monkeypatch.setattr(lookups.time, "sleep", sleeps.append)
    live_register.get(REGISTER_URL, status=502)

    with pytest.raises(RegisterUnavailable):
        lookup("BT57225")

    assert len(sleeps) == 2
    assert 0.1 <= sleeps[0] <= 0.3
    assert 0.2 <= sleeps[1] <= 0.6


@pytest.mark.parametrize("status", [422, 429])
def test_quota_exhausted_is_not_retried_and_uses_the_registers_retry_after(live_register, status):
    live_register.get(REGISTER_URL, status=status, headers={"Retry-After": "120"})

    with pytest.raises(RegisterQuotaExhausted) as caught:
        lookup("BT57225")

    assert len(live_register.calls) == 1
    assert caught.value.code == "register_quota_exhausted"
    assert caught.value.status_code == 503
    assert 119 <= caught.value.retry_after <= 120


def test_after_quota_exhaustion_calls_are_refused_locally_until_the_reset(live_register):
    live_register.get(REGISTER_URL, status=429, headers={"Retry-After": "60"})
    with pytest.raises(RegisterQuotaExhausted):
        lookup("BT57225")

    with pytest.raises(RegisterQuotaExhausted) as caught:
        lookup("EL12345")

    assert len(live_register.calls) == 1
    assert 0 < caught.value.retry_after <= 60


def test_quota_state_lives_in_the_shared_cache_and_expires(live_register):
    live_register.get(REGISTER_URL, status=422, headers={"Retry-After": "60"})
    with pytest.raises(RegisterQuotaExhausted):
        lookup("BT57225")
    assert cache.get(quota.SPENT_UNTIL_KEY) > time.time()

    cache.set(quota.SPENT_UNTIL_KEY, time.time() - 1)  # the reset has passed
    live_register.get(REGISTER_URL, json=sample("BT57225"))

    assert lookup("BT57225").data.make == "VOLKSWAGEN"


def test_quota_without_retry_after_waits_until_midnight_in_oslo(live_register):
    live_register.get(REGISTER_URL, status=429)

    with pytest.raises(RegisterQuotaExhausted) as caught:
        lookup("BT57225")

    assert caught.value.retry_after == pytest.approx(budget.seconds_until_oslo_midnight(), abs=2)
    assert 0 < caught.value.retry_after <= 25 * 3600


def test_quota_retry_after_as_an_http_date(live_register):
    moment = time.time() + 300
    http_date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(moment))
    live_register.get(REGISTER_URL, status=429, headers={"Retry-After": http_date})

    with pytest.raises(RegisterQuotaExhausted) as caught:
        lookup("BT57225")

    assert 295 <= caught.value.retry_after <= 301


def test_seconds_until_midnight_across_a_dst_change(monkeypatch):
    # 2027-03-28 is the spring-forward day in Norway: the day has 23 hours.
    from datetime import UTC, datetime

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2027, 3, 27, 23, 0, tzinfo=UTC)  # 00:00 on the 28th in Oslo

    monkeypatch.setattr(budget, "datetime", FrozenDatetime)

    assert budget.seconds_until_oslo_midnight() == 23 * 3600


@pytest.mark.parametrize("status", [400, 401, 403, 405, 418])
def test_refusals_are_register_errors_without_retry(live_register, status):
    live_register.get(REGISTER_URL, status=status, json={"feilmelding": "NOPE"})

    with pytest.raises(RegisterError) as caught:
        lookup("BT57225")

    assert caught.value.status_code == 502
    assert caught.value.code == "register_error"
    assert len(live_register.calls) == 1


@pytest.mark.parametrize(
    "body", ["<html>gateway</html>", "", "OPPLYSNINGER_IKKE_TILGJENGELIGE", "[1, 2]"]
)
def test_bodies_that_are_not_the_documented_json_are_register_errors(live_register, body):
    live_register.get(REGISTER_URL, status=200, body=body)

    with pytest.raises(RegisterError):
        lookup("BT57225")


def test_the_key_never_reaches_logs_or_errors(live_register, caplog):
    caplog.set_level(logging.DEBUG)
    live_register.get(REGISTER_URL, status=403)
    live_register.get(REGISTER_URL, status=503)
    live_register.get(REGISTER_URL, body=requests.ReadTimeout(f"timed out, key {API_KEY}"))
    live_register.get(REGISTER_URL, status=429)
    errors = []

    for _ in range(2):
        with pytest.raises((RegisterError, RegisterQuotaExhausted)) as caught:
            lookup("BT57225")
        errors.append(caught.value)

    assert [type(e) for e in errors] == [RegisterError, RegisterQuotaExhausted]
    assert caplog.records, "the failures were logged"
    assert API_KEY not in caplog.text
    for error in errors:
        assert API_KEY not in str(error)
        assert API_KEY not in repr(error.details)
        assert error.__cause__ is None or API_KEY not in str(error.__cause__)


def test_sandbox_answers_from_the_samples_through_the_same_parser(settings):
    settings.VEGVESEN_API_KEY = ""

    with responses.RequestsMock() as mock:  # any HTTP call would fail the test
        result = lookup("BT57225")
        with pytest.raises(VehicleNotFound):
            lookup("ZZ99999")
        assert not mock.calls

    assert result.payload == sample("BT57225")
    assert result.data.model == "PASSAT VARIANT GTE"


def test_sandbox_reads_extra_samples_from_a_configured_folder(settings, tmp_path):
    (tmp_path / "MINBIL.json").write_text('{"kjoretoydataListe": [{"kjoretoyId": {}}]}')
    settings.VEGVESEN_SANDBOX_DIR = str(tmp_path)

    assert lookup("MINBIL").data.make is None
    with pytest.raises(VehicleNotFound):
        lookup("BT57225")


def test_describe_mode_names_the_mode_but_never_the_key(settings):
    settings.VEGVESEN_API_KEY = ""
    assert describe_mode().startswith("sandbox (3 sample vehicles: BT57225, EL12345, KH45678)")

    settings.VEGVESEN_MODE = "live"
    settings.VEGVESEN_API_KEY = API_KEY
    settings.VEGVESEN_API_URL = REGISTER_URL
    assert describe_mode().startswith("live (register.test")
    assert API_KEY not in describe_mode()


# --- Bounded in time and size ---------------------------------------------------------------


def timed(call: Callable[[], object], limit: float) -> tuple[BaseException | None, float]:
    """
    Runs `call` on a thread and returns what it raised and how long it took; fails the test
    instead of hanging it when the call is still running after `limit` seconds.
    """
    raised: list[BaseException] = []

    def target() -> None:
        try:
            call()
        except BaseException as exc:  # handed to the test
            raised.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(limit)
    assert not thread.is_alive(), f"the call was still running after {limit} s"
    return (raised[0] if raised else None), time.monotonic() - started


@pytest.mark.parametrize(
    "behaviour",
    [Behaviour.DRIP_BODY, Behaviour.DRIP_ALL, Behaviour.HANG],
    ids=["drip-fed-body", "drip-fed-status-line-and-headers", "no-answer"],
)
def test_one_attempt_is_bounded_from_connect_to_the_last_byte(standin_register, behaviour):
    register = standin_register(behaviour, drip_interval=1.0)  # one byte a second

    error, elapsed = timed(lambda: client.get_payload("BT57225", timeout=1.5), limit=10)

    assert isinstance(error, lookups.TransientFailure)
    assert error.reason == "timed out"
    assert 1.4 <= elapsed < 2.0  # while every byte came well within 1.5 s of the last
    assert register.calls == 1


def test_the_deadline_bounds_retries_and_backoff_together(standin_register, settings):
    settings.VEGVESEN_TIMEOUT_SECONDS = 1.0
    settings.REGISTER_DEADLINE_SECONDS = 2.5
    register = standin_register(Behaviour.DRIP_BODY, drip_interval=0.5)

    error, elapsed = timed(lambda: lookup("BT57225"), limit=10)

    assert isinstance(error, RegisterUnavailable)
    assert error.retry_after > 0
    assert elapsed < 2.5 + 0.2
    # 1 s, a pause, 1 s: a third attempt would not fit in what is left (less than 1 s).
    assert register.calls == 2


def test_a_healthy_stand_in_answers_through_the_same_bounded_path(standin_register):
    register = standin_register(Behaviour.ANSWER)

    result = lookup("EL12345")

    assert result.data.make == "VOLKSWAGEN"
    assert result.payload["kjoretoydataListe"][0]["kjoretoyId"]["kjennemerke"] == "EL12345"
    assert register.calls == 1


def test_a_body_over_the_size_limit_is_refused_from_its_content_length(
    standin_register, monkeypatch
):
    monkeypatch.setattr(client, "MAX_BODY_BYTES", 1000)  # the samples are about 18 kB
    standin_register(Behaviour.ANSWER)

    with pytest.raises(RegisterError) as caught:
        lookup("BT57225")

    assert caught.value.reason.endswith("bytes, over the 1000 limit")


def test_a_body_over_the_size_limit_is_refused_while_it_streams(live_register, monkeypatch):
    monkeypatch.setattr(client, "MAX_BODY_BYTES", 1000)
    live_register.add(
        responses.GET, REGISTER_URL, body=b" " * 5000, auto_calculate_content_length=False
    )

    with pytest.raises(RegisterError) as caught:
        lookup("BT57225")

    assert "larger than 1000 bytes" in caught.value.reason
    assert len(live_register.calls) == 1  # a register error: not retried
