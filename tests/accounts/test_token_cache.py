"""
An access token is verified once per process (`_verified_access_token`), and yet an expired,
tampered or signed-out token is refused as before.
"""

import datetime

import pytest
from rest_framework_simplejwt.utils import aware_utcnow

from minbil.accounts import authentication
from tests.accounts.conftest import ME_URL, bearer
from tests.api.test_envelope import assert_error_envelope

pytestmark = pytest.mark.django_db


def test_a_token_sent_again_is_not_verified_again(device, monkeypatch):
    verified = []
    monkeypatch.setattr(
        authentication,
        "AccessToken",
        lambda raw, real=authentication.AccessToken: verified.append(raw) or real(raw),
    )
    authentication._verified_access_token.cache_clear()
    client = bearer(device["access"])

    statuses = [client.get(ME_URL).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert len(verified) == 1


def test_an_expired_token_is_refused_though_it_was_verified_before(device, monkeypatch):
    client = bearer(device["access"])
    assert client.get(ME_URL).status_code == 200
    later = aware_utcnow() + datetime.timedelta(minutes=16)
    monkeypatch.setattr(authentication, "aware_utcnow", lambda: later)
    monkeypatch.setattr("rest_framework_simplejwt.tokens.aware_utcnow", lambda: later)

    response = client.get(ME_URL)

    assert_error_envelope(response, 401, "token_not_valid")


def test_a_tampered_token_is_refused(device):
    header, payload, signature = device["access"].split(".")
    assert bearer(device["access"]).get(ME_URL).status_code == 200

    response = bearer(f"{header}.{payload}.{signature[:-2]}AA").get(ME_URL)

    assert_error_envelope(response, 401, "token_not_valid")


def test_a_signed_out_token_is_refused_at_once_though_it_was_verified(device):
    client = bearer(device["access"])
    assert client.get(ME_URL).status_code == 200

    assert client.post("/api/auth/logout-all").status_code == 200

    assert_error_envelope(client.get(ME_URL), 401, "token_not_valid")
