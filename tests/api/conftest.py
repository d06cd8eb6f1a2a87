"""
Fixtures of the API tests: the documented operations' callers, and the real WSGI app in
process (fuzzer, excerpt examples).
"""

import secrets

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.test import APIClient


def caller_of(operation: dict) -> str:
    """The fixture that calls a documented operation as it expects to be called."""
    security = operation.get("security", [{}])
    if {"internalToken": []} in security:
        return "service_client"
    return "api_client" if security == [{}] else "owner_client"


@pytest.fixture
def owner_client(auth_client):
    """An owner with one linked vehicle, BT57225 (the `{reg}` of item paths)."""
    auth_client.post("/api/co/vehicles", {"registration_number": "BT57225"}, format="json")
    return auth_client


@pytest.fixture
def service_client(settings):
    """Another MinBil service, with a service token (the sender API's callers)."""
    token = secrets.token_urlsafe(32)
    settings.INTERNAL_API_TOKENS = [token]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def in_process_wsgi(db):
    """
    Lets requests through the WSGI app run inside the test's transaction: as Django's own
    test client does, the end of a request must not close the test's connection.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
