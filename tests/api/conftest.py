"""Fixtures for tests that call the real WSGI app in process (fuzzer, excerpt examples)."""

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections


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
