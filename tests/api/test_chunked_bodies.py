"""
Chunked request bodies (`Transfer-Encoding: chunked`, no `Content-Length`), for real: the app
under gunicorn, which de-chunks them, on the test run's own database. They are read and limited
like any other body, never silently taken for an empty one. (Django's test client cannot send
them; a server that does not de-chunk answers 411, see test_request_limits.py.)
"""

import base64
import http.client
import json
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from PIL import Image
from rest_framework_simplejwt.tokens import AccessToken

from notifications.models import NotificationPreference
from tests.factories import UserFactory
from tests.servers import database_url, serve_app, stop
from tests.vehicles.test_photos import encode
from vehicles.models import VehicleLink

pytestmark = pytest.mark.django_db(transaction=True)

PREFERENCES_URL = "/api/co/settings/notifications"


@pytest.fixture(scope="module")
def app_url(django_db_setup, tmp_path_factory):
    """gunicorn serving the app on the test database (signing tokens with the suite's key)."""
    workdir = tmp_path_factory.mktemp("chunked")
    server, base_url = serve_app(
        {
            "DATABASE_URL": database_url(connection.settings_dict),
            "CONN_MAX_AGE": "0",  # no connection left open when the suite drops the database
            "SECRET_KEY": settings.SECRET_KEY,
            "REDIS_URL": "",
            "MEDIA_ROOT": str(workdir / "media"),
        },
        workdir / "server.log",
    )
    yield base_url
    stop(server)


@pytest.fixture
def owner():
    return UserFactory()


def send_chunked(base_url: str, method: str, path: str, body: bytes, owner, pieces: int = 3):
    """The body in `pieces` chunks; http.client sends an iterable body chunked."""
    size = -(-len(body) // pieces)
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    address = urlsplit(base_url)
    connection_ = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection_.request(
            method,
            path,
            body=iter(chunks),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {AccessToken.for_user(owner)}",
            },
        )
        response = connection_.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection_.close()


def test_a_chunked_update_is_applied(app_url, owner):
    body = json.dumps({"message.new": {"push": False}, "booking.accepted": {"email": False}})

    status, answer = send_chunked(app_url, "PUT", PREFERENCES_URL, body.encode(), owner)

    assert status == 200, answer
    assert answer["preferences"]["message.new"] == {"email": True, "push": False}
    assert answer["preferences"]["booking.accepted"] == {"email": False, "push": True}
    stored = NotificationPreference.objects.filter(user=owner, enabled=False)
    assert {(p.event, p.channel) for p in stored} == {
        ("message.new", "push"),
        ("booking.accepted", "email"),
    }


def test_a_chunked_body_over_the_limit_is_413_and_changes_nothing(app_url, owner):
    body = json.dumps({"message.new": {"push": False}, "padding": "x" * (70 * 1024)})

    status, answer = send_chunked(app_url, "PUT", PREFERENCES_URL, body.encode(), owner)

    assert status == 413
    assert answer["error"]["code"] == "payload_too_large"
    assert answer["error"]["details"] == {"limit": "MAX_JSON_BYTES", "max_bytes": 65536}
    assert not NotificationPreference.objects.filter(user=owner).exists()


def test_a_chunked_photo_upload_takes_the_upload_limit(app_url, owner):
    noise = Image.effect_noise((640, 480), 80).convert("RGB")
    image = base64.b64encode(encode(noise, "JPEG", quality=95)).decode()
    assert len(image) > 64 * 1024
    body = json.dumps({"registration_number": "BT57225", "image": image})

    status, answer = send_chunked(app_url, "POST", "/api/co/vehicles", body.encode(), owner, 8)

    assert status == 201, answer
    assert answer["data"]["image_url"].startswith("http")
    assert VehicleLink.objects.get(user=owner).photo.name
