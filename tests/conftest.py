"""Shared fixtures: API and admin clients, users, and a clean cache for every test."""

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from minbil.accounts.models import SUPPORT_GROUP
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test stores its photos in a folder of its own, never in the repository."""
    settings.MEDIA_ROOT = tmp_path / "media"


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


@pytest.fixture
def superuser(db):
    return UserFactory(email="root@minbil.test", is_staff=True, is_superuser=True)


@pytest.fixture
def support_user(db):
    """A staff member in the Support group, as the data migration made it."""
    staff = UserFactory(email="support@minbil.test", is_staff=True)
    staff.groups.add(Group.objects.get(name=SUPPORT_GROUP))
    return staff


@pytest.fixture
def superuser_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def support_client(support_user) -> Client:
    client = Client()
    client.force_login(support_user)
    return client


def pytest_terminal_summary(terminalreporter):
    """Prints how many requests the contract fuzzer sent to each operation, and how many
    cases each of its checks judged."""
    import sys

    fuzz = sys.modules.get("tests.api.test_fuzz")
    counts = getattr(fuzz, "CASES_PER_OPERATION", None)
    if counts:
        terminalreporter.section("contract fuzzing: generated requests per operation")
        for label, count in sorted(counts.items()):
            terminalreporter.write_line(f"{count:6d}  {label}")
        terminalreporter.write_line(f"{sum(counts.values()):6d}  in total")
        terminalreporter.section("contract fuzzing: cases judged per check")
        for check, count in fuzz.CASES_PER_CHECK.items():
            terminalreporter.write_line(f"{count:6d}  {check}")
