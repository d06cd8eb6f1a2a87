"""
Odd register data is the register's error, not ours: every answer the databases would refuse
(or Python could not even parse) is `502 register_error` through the API, stores nothing, and
is logged with the plate and the reason, never the key. The suite runs on SQLite and again on
PostgreSQL, so each case is proven on both.
"""

import json
import logging

import pytest

from tests.vehicles.conftest import API_KEY, REGISTER_URL, sample, store_sample
from vehicles.models import Vehicle, VehicleDataChange, VehicleLink

pytestmark = pytest.mark.django_db

PLACEHOLDER = 424242  # stands for a value JSON cannot hold (Infinity, ...) in the body text


def with_value(path: tuple[str | int, ...], value, payload: dict | None = None) -> dict:
    """The BT57225 sample (or `payload`) with `value` at `path` inside its vehicle."""
    payload = payload or sample("BT57225")
    node = payload["kjoretoydataListe"][0]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return payload


def body_with(path: tuple[str | int, ...], literal: str) -> str:
    """The BT57225 sample as text, with `literal` written at `path` as it stands."""
    return json.dumps(with_value(path, PLACEHOLDER)).replace(str(PLACEHOLDER), literal)


def nested(levels: int) -> list:
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


TECHNICAL = ("godkjenning", "tekniskGodkjenning", "tekniskeData")
MODEL = (*TECHNICAL, "generelt", "handelsbetegnelse", 0)
MAKE = (*TECHNICAL, "generelt", "merke", 0, "merke")
CURB_WEIGHT = (*TECHNICAL, "vekter", "egenvekt")
POWER = (*TECHNICAL, "motorOgDrivverk", "motor", 0, "drivstoff", 0, "maksNettoEffekt")
UNPARSED = (*TECHNICAL, "ovrigeTekniskeData")  # kept in the raw payload only

ODD_BODIES = {
    "text-longer-than-its-column": (json.dumps(with_value(MODEL, "X" * 201)), "model is 201"),
    "nul-in-parsed-text": (json.dumps(with_value(MAKE, "VOLKS\x00WAGEN")), "NUL"),
    "nul-in-raw-payload-only": (json.dumps(with_value(UNPARSED, ["a\x00b"])), "NUL"),
    "lone-surrogate": (body_with(MAKE, '"\\ud800"'), "surrogate"),
    "integer-over-2-31": (json.dumps(with_value(CURB_WEIGHT, 2**31)), "curb_weight_kg is"),
    "1e30-in-an-integer-column": (body_with(CURB_WEIGHT, "1e30"), "curb_weight_kg is"),
    "integer-beyond-64-bits": (json.dumps(with_value(UNPARSED, 10**30)), "64 bits"),
    "infinity": (body_with(POWER, "Infinity"), "not JSON"),
    "minus-infinity": (body_with(POWER, "-Infinity"), "not JSON"),
    "nan": (body_with(POWER, "NaN"), "not JSON"),
    "1e400": (body_with(POWER, "1e400"), "not finite"),
    "nested-40-levels": (json.dumps(with_value(UNPARSED, nested(40))), "nested deeper"),
    "nested-beyond-pythons-recursion": ("[" * 100_000 + "]" * 100_000, "too deeply"),
    "5000-digit-integer": ("[" + "9" * 5000 + "]", "not JSON"),
    "not-utf-8": (b'{"kjoretoydataListe": ["\xff\xfe"]}', "not JSON"),
}


@pytest.fixture
def caplog_register(caplog):
    caplog.set_level(logging.INFO, logger="vehicles.register")
    return caplog


@pytest.mark.parametrize("body, reason", ODD_BODIES.values(), ids=ODD_BODIES.keys())
def test_an_odd_answer_to_a_link_is_502_stores_nothing_and_logs_plate_and_reason(
    auth_client, live_register, caplog_register, body, reason
):
    live_register.get(REGISTER_URL, body=body, content_type="application/json")

    response = auth_client.post("/api/co/vehicles", {"reg": "bt 57225"}, format="json")

    assert response.status_code == 502
    assert response.json()["error"]["code"] == "register_error"
    assert not Vehicle.objects.exists()
    assert not VehicleLink.objects.exists()
    refused = [r.getMessage() for r in caplog_register.records if "refused" in r.getMessage()]
    assert len(refused) == 1
    assert "BT57225" in refused[0]
    assert reason in refused[0]
    assert API_KEY not in caplog_register.text
    assert len(live_register.calls) == 1  # the register's error: not retried


@pytest.mark.parametrize("body, reason", ODD_BODIES.values(), ids=ODD_BODIES.keys())
def test_an_odd_answer_to_a_refresh_leaves_the_stored_vehicle_as_it_was(
    auth_client, user, live_register, body, reason
):
    vehicle = store_sample("BT57225")
    auth_client.post("/api/co/vehicles", {"reg": "BT57225"}, format="json")  # stored: no call
    before = Vehicle.objects.values().get(pk=vehicle.pk)
    live_register.get(REGISTER_URL, body=body, content_type="application/json")

    response = auth_client.post("/api/co/vehicles/refresh/BT57225")

    assert response.status_code == 502
    assert response.json()["error"]["code"] == "register_error"
    assert Vehicle.objects.values().get(pk=vehicle.pk) == before
    assert not VehicleDataChange.objects.exists()


def test_the_same_answer_within_limits_is_stored(auth_client, live_register):
    """The checks refuse only what cannot be stored: the edges themselves are fine."""
    payload = with_value(CURB_WEIGHT, 2**31 - 1, with_value(MODEL, "X" * 200))
    live_register.get(REGISTER_URL, json=payload)

    response = auth_client.post("/api/co/vehicles", {"reg": "BT57225"}, format="json")

    assert response.status_code == 201
    vehicle = Vehicle.objects.get()
    assert (len(vehicle.model), vehicle.curb_weight_kg) == (200, 2**31 - 1)
