"""`/healthz` (liveness: never asks a dependency) and `/readyz` (readiness: asks each one)."""

import time

import pytest

from minbil.api import health

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_redis(settings):
    """The local-memory cache, unless a test points the cache at a Redis."""
    settings.REDIS_URL = ""


@pytest.fixture
def info_checks(monkeypatch):
    """An empty registry of informational entries, restored afterwards."""
    monkeypatch.setattr(health, "_info_checks", {})
    return health


@pytest.mark.parametrize("path", ["/healthz", "/healthz/"])
def test_healthz_answers_ok_without_touching_any_dependency(
    api_client, path, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = api_client.get(path)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "register_mode": "sandbox"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_says_live_when_the_live_register_answers(
    api_client, settings, django_assert_num_queries
):
    settings.VEGVESEN_MODE = "live"
    settings.VEGVESEN_API_KEY = "a-key"

    with django_assert_num_queries(0):  # from the settings: the register is never asked
        response = api_client.get("/healthz")

    assert response.json() == {"status": "ok", "register_mode": "live"}


@pytest.mark.parametrize("path", ["/readyz", "/readyz/"])
def test_readyz_is_200_naming_each_check_when_everything_answers(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    # No Redis configured: no cache check. The register is shown for information.
    assert set(body["checks"]) == {"database", "storage", "register"}
    assert body["checks"]["database"]["state"] == body["checks"]["storage"]["state"] == "ok"
    assert all(isinstance(check["duration_ms"], float) for check in body["checks"].values())
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_503_when_photo_storage_is_not_writable(api_client, settings, tmp_path):
    not_a_folder = tmp_path / "media"
    not_a_folder.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = not_a_folder

    response = api_client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["storage"]["state"] == "failing"
    assert body["checks"]["storage"]["error"] == "PermissionError"
    assert body["checks"]["database"]["state"] == "ok"


def test_readyz_gives_up_on_a_hanging_check_at_its_timeout(api_client, settings, monkeypatch):
    settings.READINESS_TIMEOUT_SECONDS = 0.2
    monkeypatch.setattr(health, "_check_storage", lambda: time.sleep(3))

    response = api_client.get("/readyz")

    assert response.status_code == 503
    storage = response.json()["checks"]["storage"]
    assert (storage["state"], storage["error"]) == ("failing", "timeout")
    assert storage["duration_ms"] < 3000
    assert response.json()["checks"]["database"]["state"] == "ok"


def test_an_app_can_add_an_informational_entry(api_client, info_checks):
    info_checks.add_info("register", lambda: {"mode": "sandbox", "breaker": "closed"})

    body = api_client.get("/readyz").json()

    assert body["checks"]["register"]["state"] == "info"
    assert body["checks"]["register"]["mode"] == "sandbox"
    assert body["checks"]["register"]["breaker"] == "closed"


def test_the_register_is_shown_for_information_and_never_fails_readiness(api_client, settings):
    settings.VEGVESEN_MODE = "live"
    settings.VEGVESEN_API_KEY = "a-key"
    settings.REGISTER_DAILY_BUDGET = 45_000

    register = api_client.get("/readyz").json()["checks"]["register"]

    assert register["state"] == "info"
    assert (register["mode"], register["breaker"]) == ("live", "closed")
    assert (register["calls_today"], register["daily_budget"]) == (0, 45_000)


def test_a_failing_informational_entry_never_makes_the_instance_unready(api_client, info_checks):
    def broken():
        raise RuntimeError("breaker state unreadable")

    info_checks.add_info("register", broken)

    response = api_client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["register"] == {
        "state": "info",
        "error": "RuntimeError",
        "duration_ms": response.json()["checks"]["register"]["duration_ms"],
    }
