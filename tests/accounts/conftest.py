"""Helpers for the account tests: real tokens from the real token endpoint."""

import pytest
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD

TOKEN_URL = "/api/auth/token"
REFRESH_URL = "/api/auth/token/refresh"
ME_URL = "/api/co/me"


def obtain(user, password: str = DEFAULT_PASSWORD) -> dict:
    """A token pair from `POST /api/auth/token`, as a device gets it."""
    response = APIClient().post(
        TOKEN_URL, {"email": user.email, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def bearer(access: str, **defaults) -> APIClient:
    client = APIClient(**defaults)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def refresh(token: str):
    return APIClient().post(REFRESH_URL, {"refresh": token}, format="json")


@pytest.fixture
def device(user) -> dict:
    """The owner signed in on one device: its token pair."""
    return obtain(user)
