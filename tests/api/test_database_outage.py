"""
Database trouble, for real: the app under gunicorn (`DEBUG=0`) with `DATABASE_URL` at a closed
port, and (on SQLite) a database locked by another writer past the busy timeout. API and
non-API paths answer `503 service_unavailable` with `Retry-After: 1` in the error envelope,
each failure is logged once without a traceback, `/readyz` names the database and `/healthz`
stays `200`.
"""

import datetime
import json
import sqlite3
import urllib.error
import urllib.request
import uuid

import jwt
import pytest
from django.db import connection

from notifications.models import NotificationPreference
from tests.servers import free_port, serve_app, stop

SECRET_KEY = "database-outage-test-only-not-a-secret-but-long-enough"


@pytest.fixture(scope="module")
def app_without_database(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("db-outage")
    log = workdir / "server.log"
    server, base_url = serve_app(
        {
            "DATABASE_URL": f"postgres://minbil@127.0.0.1:{free_port()}/minbil",
            "SECRET_KEY": SECRET_KEY,
            "REDIS_URL": "",
            "MEDIA_ROOT": str(workdir / "media"),
        },
        log,
    )
    yield base_url, log
    stop(server)


def call(url: str, *, method: str = "GET", body: dict | None = None, headers: dict | None = None):
    request = urllib.request.Request(  # noqa: S310 (our own server)
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def access_token(user_id: int = 1) -> str:
    """An access token as simplejwt makes it, signed with the served app's key."""
    now = datetime.datetime.now(datetime.UTC)
    claims = {
        "token_type": "access",
        "exp": now + datetime.timedelta(minutes=5),
        "iat": now,
        "jti": uuid.uuid4().hex,
        "user_id": str(user_id),
    }
    return jwt.encode(claims, SECRET_KEY, algorithm="HS256")


REQUESTS = {
    "token": {
        "url": "/api/auth/token",
        "method": "POST",
        "body": {"email": "kari@example.com", "password": "a-long-unusual-passphrase"},
    },
    "vehicles": {"url": "/api/co/vehicles", "headers": {"Authorization": "Bearer {token}"}},
    "admin": {
        "url": "/admin/",
        "headers": {"Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345"},
    },
}


@pytest.mark.parametrize("name", REQUESTS)
def test_an_unreachable_database_answers_503_in_the_envelope(app_without_database, name):
    base_url, log = app_without_database
    spec = REQUESTS[name]
    headers = {k: v.format(token=access_token()) for k, v in spec.get("headers", {}).items()}
    request_id = f"db-outage-{name}"
    headers["X-Request-ID"] = request_id

    status, response_headers, content = call(
        base_url + spec["url"],
        method=spec.get("method", "GET"),
        body=spec.get("body"),
        headers=headers,
    )

    assert status == 503
    assert response_headers["Retry-After"] == "1"
    body = json.loads(content)
    assert body["error"]["code"] == "service_unavailable"
    assert body["meta"]["request_id"] == request_id
    lines = [line for line in log.read_text().splitlines() if f"[{request_id}]" in line]
    assert [line for line in lines if "Database unavailable: OperationalError" in line] != []
    assert len([line for line in lines if "ERROR" in line]) == 1  # logged once
    assert "Traceback" not in log.read_text()


def test_readyz_names_the_database_and_healthz_stays_ok(app_without_database):
    base_url, _ = app_without_database

    status, _, content = call(f"{base_url}/readyz")
    health_status, _, health = call(f"{base_url}/healthz")

    assert status == 503
    checks = json.loads(content)["checks"]
    assert checks["database"]["state"] == "failing"
    assert checks["database"]["error"] == "OperationalError"
    assert checks["storage"]["state"] == "ok"
    assert (health_status, json.loads(health)) == (
        200,
        {"status": "ok", "register_mode": "sandbox"},
    )


@pytest.mark.django_db(transaction=True)
def test_sqlite_locked_past_its_busy_timeout_answers_503(auth_client):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's busy timeout; PostgreSQL is covered by the tests above")
    options = connection.settings_dict["OPTIONS"]
    busy_timeout = options["timeout"]
    connection.close()
    options["timeout"] = 0.2  # the next connection waits this long for the lock
    writer = sqlite3.connect(connection.settings_dict["NAME"])
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        response = auth_client.patch(
            "/api/co/settings/notifications", {"message.new": {"push": False}}, format="json"
        )
    finally:
        writer.rollback()
        writer.close()
        connection.close()
        options["timeout"] = busy_timeout

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "service_unavailable"
    assert not NotificationPreference.objects.exists()
