"""
Redis is an accelerator: with it unreachable (a closed port) or stopped mid-run (a private
`redis-server`), the endpoints that read the cache (auth throttles, the register look-up
throttle) answer their normal codes, `/readyz` names the failing cache, and the app goes back
to Redis once it answers again.
"""

import logging

import pytest
import redis
from rest_framework.test import APIClient

from minbil import cache as fallback_cache
from tests.factories import UserFactory
from tests.servers import PrivateRedis, free_port

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-passphrase"


@pytest.fixture
def use_redis(settings, monkeypatch):
    """Points the cache (and the readiness check) at a Redis URL, with a fresh outage state."""
    monkeypatch.setattr(fallback_cache, "_outages", {})

    def use(url: str) -> None:
        settings.REDIS_URL = url
        settings.CACHES = {
            "default": {
                "BACKEND": "minbil.cache.FallbackRedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "minbil-test",
                "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
            }
        }

    return use


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def cache_warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "minbil.cache" and r.levelno == logging.WARNING]


def exercise_every_cache_reader(api_client: APIClient, owner) -> dict[str, int]:
    """The auth, link and refresh endpoints, each of which reads and writes the cache."""
    email = f"new-{owner.pk}@example.com"
    statuses = {
        "register": api_client.post(
            "/api/auth/register", {"email": email, "password": PASSWORD}, format="json"
        ).status_code,
    }
    token = api_client.post(
        "/api/auth/token", {"email": email, "password": PASSWORD}, format="json"
    )
    statuses["token"] = token.status_code
    statuses["token_refresh"] = api_client.post(
        "/api/auth/token/refresh", {"refresh": token.json().get("refresh")}, format="json"
    ).status_code
    owner_client = APIClient()
    owner_client.force_authenticate(owner)
    statuses["link"] = owner_client.post(
        "/api/co/vehicles", {"registration_number": "BT57225"}, format="json"
    ).status_code
    statuses["refresh"] = owner_client.post("/api/co/vehicles/refresh/BT57225").status_code
    return statuses


NORMAL = {"register": 201, "token": 200, "token_refresh": 200, "link": 201, "refresh": 200}


def test_with_redis_unreachable_every_endpoint_answers_as_usual(
    api_client, use_redis, monkeypatch, caplog
):
    use_redis(f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setattr(fallback_cache, "RETRY_AFTER_SECONDS", 0)  # ask Redis on every call

    statuses = exercise_every_cache_reader(api_client, UserFactory())

    assert statuses == NORMAL
    # Many failed calls, one warning (at most one a minute per process).
    assert len(cache_warnings(caplog)) == 1
    assert "ConnectionError" in cache_warnings(caplog)[0].getMessage()


def test_with_redis_unreachable_readyz_names_the_cache_and_healthz_stays_ok(api_client, use_redis):
    use_redis(f"redis://127.0.0.1:{free_port()}/0")

    ready = api_client.get("/readyz")

    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["cache"] == {
        "state": "failing",
        "error": "ConnectionError",
        "duration_ms": checks["cache"]["duration_ms"],
    }
    assert checks["database"]["state"] == "ok"
    assert api_client.get("/healthz").status_code == 200


def test_with_redis_unreachable_throttles_fail_open_but_still_count_per_process(
    api_client, use_redis, settings
):
    use_redis(f"redis://127.0.0.1:{free_port()}/0")
    settings.AUTH_THROTTLE_RATE = "2/minute"
    body = {"email": "nobody@example.com", "password": "wrong-password"}

    statuses = [
        api_client.post("/api/auth/token", body, format="json").status_code for _ in range(3)
    ]

    assert statuses == [401, 401, 429]


def test_redis_stopped_mid_run_then_back(api_client, use_redis, private_redis, monkeypatch, caplog):
    use_redis(private_redis.url)
    direct = redis.Redis(port=private_redis.port)
    monkeypatch.setattr(fallback_cache, "RETRY_AFTER_SECONDS", 0)
    assert api_client.get("/readyz").status_code == 200
    assert exercise_every_cache_reader(api_client, UserFactory()) == NORMAL
    assert direct.keys("*throttle_register_*")  # the throttle counts in Redis while it is up

    private_redis.stop()
    down = exercise_every_cache_reader(api_client, UserFactory())
    ready_while_down = api_client.get("/readyz")

    assert down == NORMAL
    assert ready_while_down.status_code == 503
    assert ready_while_down.json()["checks"]["cache"]["state"] == "failing"
    assert len(cache_warnings(caplog)) == 1

    private_redis.start()  # empty again: it keeps nothing on disk
    caplog.clear()
    again = exercise_every_cache_reader(api_client, UserFactory())

    assert again == NORMAL
    assert direct.keys("*throttle_register_*")  # counting in Redis again
    assert api_client.get("/readyz").status_code == 200
    assert any(r.getMessage() == "Cache reachable again; using Redis" for r in caplog.records)
