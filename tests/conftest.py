"""Shared fixtures: API clients, users, and a clean cache for every test."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _clean_cache():
    """Throttle counters live in the cache; no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    """A client authenticated as `user` (the token endpoint itself is tested separately)."""
    client = APIClient()
    client.force_authenticate(user)
    return client


def pytest_terminal_summary(terminalreporter):
    """Prints how many requests the contract fuzzer sent to each operation."""
    import sys

    fuzz = sys.modules.get("tests.api.test_fuzz")
    counts = getattr(fuzz, "CASES_PER_OPERATION", None)
    if counts:
        terminalreporter.section("contract fuzzing: generated requests per operation")
        for label, count in sorted(counts.items()):
            terminalreporter.write_line(f"{count:6d}  {label}")
        terminalreporter.write_line(f"{sum(counts.values()):6d}  in total")
