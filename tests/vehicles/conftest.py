"""
Register fixtures: sample payloads, a live register mocked at the HTTP level, and a stand-in
register served over real HTTP. (The photo storage under test, local and S3, is in
tests/conftest.py.)
"""

import copy
import datetime
import json
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path

import pytest
import responses
from django.utils import timezone

from vehicles.models import Vehicle
from vehicles.register import parse_payload
from vehicles.register.sandbox import SAMPLES_DIR
from vehicles.register.standin import Behaviour, StandInRegister

REGISTER_URL = "https://register.test/enkeltoppslag/kjoretoydata"
API_KEY = "svv-test-key-7f3a9c-must-never-leak"


def sample(name: str) -> dict:
    """A fresh copy of a shipped sample payload (`BT57225`, `not_available`, ...)."""
    return copy.deepcopy(json.loads((Path(SAMPLES_DIR) / f"{name}.json").read_text("utf-8")))


@pytest.fixture
def live_register(settings, monkeypatch):
    """Live mode against a mocked register; backoff sleeps are skipped."""
    settings.VEGVESEN_MODE = "live"
    settings.VEGVESEN_API_KEY = API_KEY
    settings.VEGVESEN_API_URL = REGISTER_URL
    monkeypatch.setattr("vehicles.register.lookups.BACKOFF_SECONDS", 0)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def standin_register(settings):
    """
    Live mode against a stand-in register on a local port (real sockets, real timing):
    `standin_register(Behaviour.HANG)` starts one and points the settings at it.
    """
    with ExitStack() as servers:

        def start(behaviour: Behaviour = Behaviour.ANSWER, **options) -> StandInRegister:
            register = servers.enter_context(StandInRegister(behaviour, **options))
            settings.VEGVESEN_MODE = "live"
            settings.VEGVESEN_API_KEY = API_KEY
            settings.VEGVESEN_API_URL = register.url
            return register

        yield start


def store_sample(name: str, **overrides) -> Vehicle:
    """A vehicle stored as if fetched from the register's sample `name` a day ago."""
    payload = sample(name)
    fields = {
        **asdict(parse_payload(payload)),
        "register_payload": payload,
        "data_fetched_at": timezone.now() - datetime.timedelta(days=1),
        **overrides,
    }
    return Vehicle.objects.create(registration_number=name, **fields)
