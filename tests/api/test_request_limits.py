"""
Request limits (`minbil.api.limits`, `minbil.api.parsers`): bodies by size before they are read,
JSON by depth and structure, chunked bodies that cannot be sized, and error details that stay
small whatever the body names. (Chunked bodies through gunicorn: test_chunked_bodies.py.)
"""

import base64
import io
import json
from pathlib import Path
from unittest import mock

import pytest
import yaml
from django.conf import settings
from PIL import Image

from minbil.api.parsers import JSONParser
from notifications.models import NotificationPreference
from tests.api.conftest import caller_of
from tests.api.test_envelope import assert_error_envelope
from vehicles.models import VehicleLink

pytestmark = pytest.mark.django_db

PREFERENCES_URL = "/api/co/settings/notifications"
VEHICLES_URL = "/api/co/vehicles"
SCHEMA = yaml.safe_load((Path(settings.BASE_DIR) / "openapi.yaml").read_text(encoding="utf-8"))


def json_operations():
    """Every documented operation that takes a JSON body, as (method, path, caller)."""
    for path, item in SCHEMA["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                label = f"{method.upper()} {path}"
                yield pytest.param(method, path, caller_of(operation), id=label)


def nested(depth: int) -> str:
    """`depth` levels of arrays and objects, alternating, around `true`."""
    opening = "".join('{"a": ' if level % 2 else "[" for level in range(depth))
    closing = "".join("}" if level % 2 else "]" for level in reversed(range(depth)))
    return opening + "true" + closing


# --- Depth and syntax -----------------------------------------------------------------------


@pytest.mark.parametrize("method, path, caller", list(json_operations()))
def test_json_nested_1000_levels_is_400_on_every_json_operation(request, method, path, caller):
    client = request.getfixturevalue(caller)
    url = path.replace("{reg}", "BT57225")

    response = client.generic(method.upper(), url, nested(1000), content_type="application/json")

    body = assert_error_envelope(response, 400, "invalid_json")
    assert "32 levels" in body["error"]["message"]


def test_32_levels_are_parsed_and_33_refused(auth_client):
    at_limit = auth_client.put(PREFERENCES_URL, nested(32), content_type="application/json")
    beyond = auth_client.put(PREFERENCES_URL, nested(33), content_type="application/json")

    assert at_limit.status_code == 400
    assert at_limit.json()["error"]["code"] == "validation_error"  # parsed, then validated
    assert_error_envelope(beyond, 400, "invalid_json")


@pytest.mark.parametrize(
    "content",
    [
        b'{"message.new": {"push": false}',  # truncated
        b'{"message.new": {"push": NaN}}',  # not JSON, though Python would read it
        b'{"message.new": {"push": false}} trailing',
        b'{"message.new": "\xff\xfe"}',  # not UTF-8
    ],
    ids=["truncated", "nan", "trailing", "bad-utf8"],
)
def test_a_body_that_is_not_json_is_400_invalid_json_and_changes_nothing(auth_client, content):
    response = auth_client.put(PREFERENCES_URL, content, content_type="application/json")

    assert_error_envelope(response, 400, "invalid_json")
    assert not NotificationPreference.objects.exists()


# --- Error details stay small ----------------------------------------------------------------


def unknown_events(count: int) -> str:
    return json.dumps({f"e{i}": True for i in range(count)}, separators=(",", ":"))


def test_178000_unknown_keys_answer_a_small_400_naming_20_and_the_count(auth_client, settings):
    settings.MAX_JSON_BYTES = 4 * 1024 * 1024  # let the 2.5 MB body through to validation
    body = unknown_events(178_000)
    assert len(body) > 2_400_000

    response = auth_client.put(PREFERENCES_URL, body, content_type="application/json")

    error = assert_error_envelope(response, 400, "validation_error")["error"]
    assert len(response.content) < 4096
    assert list(error["details"]) == [f"e{i}" for i in range(20)] + ["error_count"]
    assert error["details"]["error_count"] == 178_000
    assert error["message"].startswith("178000 fields are invalid, among them: e0, e1, ")
    assert not NotificationPreference.objects.exists()


def test_nested_offending_keys_are_bounded_too(auth_client):
    channels = {f"c{i}": True for i in range(500)}

    response = auth_client.put(PREFERENCES_URL, {"message.new": channels}, format="json")

    details = assert_error_envelope(response, 400, "validation_error")["error"]["details"]
    assert len(details["message.new"]) == 21
    assert details["message.new"]["error_count"] == 500


def test_20_offending_keys_are_listed_without_a_count(auth_client):
    response = auth_client.put(PREFERENCES_URL, unknown_events(20), content_type="application/json")

    details = assert_error_envelope(response, 400, "validation_error")["error"]["details"]
    assert set(details) == {f"e{i}" for i in range(20)}


def test_the_same_body_at_the_default_limit_is_413_before_it_is_read(auth_client):
    with mock.patch.object(JSONParser, "parse", side_effect=AssertionError("read")):
        response = auth_client.put(
            PREFERENCES_URL, unknown_events(178_000), content_type="application/json"
        )

    error = assert_error_envelope(response, 413, "payload_too_large")["error"]
    assert error["details"] == {"limit": "MAX_JSON_BYTES", "max_bytes": 65536}
    assert error["message"] == "The request body is larger than the 64 KiB limit."


# --- Body limits per endpoint ----------------------------------------------------------------


def noisy_jpeg(min_bytes: int) -> bytes:
    """A JPEG of at least `min_bytes`: noise does not compress."""
    side = 1200
    while True:
        channels = [Image.effect_noise((side, side), 120) for _ in range(3)]
        out = io.BytesIO()
        Image.merge("RGB", channels).save(out, "JPEG", quality=95)
        if out.tell() >= min_bytes:
            return out.getvalue()
        side = int(side * 1.3)


@pytest.fixture(scope="module")
def five_mb_photo() -> str:
    return base64.b64encode(noisy_jpeg(5 * 1000 * 1000)).decode()


def test_a_5_mb_base64_photo_is_accepted_when_linking(auth_client, user, five_mb_photo):
    response = auth_client.post(
        VEHICLES_URL, {"registration_number": "BT57225", "image": five_mb_photo}, format="json"
    )

    assert response.status_code == 201, response.content[:500]
    assert response.json()["data"]["image_url"].startswith("http")
    assert VehicleLink.objects.get(user=user).photo.name


def test_a_5_mb_base64_photo_is_accepted_as_an_update(owner_client, user, five_mb_photo):
    response = owner_client.put(f"{VEHICLES_URL}/BT57225", {"image": five_mb_photo}, format="json")

    assert response.status_code == 200, response.content[:500]
    assert VehicleLink.objects.get(user=user).photo.name


def test_djangos_own_cap_never_answers_before_the_limits(owner_client, user):
    # Django refuses more than DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB by default) of form text
    # with a 413 of its own; within MAX_REQUEST_BYTES, the serializer judges it instead.
    response = owner_client.put(
        f"{VEHICLES_URL}/BT57225", {"nickname": "x" * (3 * 1024 * 1024)}, format="multipart"
    )

    error = assert_error_envelope(response, 400, "validation_error")["error"]
    assert set(error["details"]) == {"nickname"}
    assert VehicleLink.objects.get(user=user).nickname == ""


def test_other_endpoints_refuse_a_body_over_max_json_bytes(owner_client):
    padding = "x" * (64 * 1024)

    response = owner_client.post(
        f"{VEHICLES_URL}/set-primary",
        {"registration_number": "BT57225", "padding": padding},
        format="json",
    )

    error = assert_error_envelope(response, 413, "payload_too_large")["error"]
    assert error["details"] == {"limit": "MAX_JSON_BYTES", "max_bytes": 65536}


def test_photo_endpoints_refuse_a_body_over_max_request_bytes(owner_client, settings):
    settings.MAX_REQUEST_BYTES = 100_000

    response = owner_client.put(f"{VEHICLES_URL}/BT57225", {"image": "A" * 100_000}, format="json")

    error = assert_error_envelope(response, 413, "payload_too_large")["error"]
    assert error["details"] == {"limit": "MAX_REQUEST_BYTES", "max_bytes": 100_000}
    assert "97.7 KiB" in error["message"]


def test_json_around_a_photo_is_held_to_max_json_bytes(owner_client, user):
    many_arrays = [[] for _ in range(40_000)]  # 120 kB of structure, no photo at all

    response = owner_client.put(
        f"{VEHICLES_URL}/BT57225", {"nickname": "Ny", "image": many_arrays}, format="json"
    )

    error = assert_error_envelope(response, 413, "payload_too_large")["error"]
    assert error["details"]["limit"] == "MAX_JSON_BYTES"
    assert error["message"].startswith("Apart from its strings, the JSON body is larger")
    assert VehicleLink.objects.get(user=user).nickname == ""


def test_the_admin_login_takes_no_more_than_max_json_bytes(client):
    response = client.post(
        "/admin/login/", {"username": "a@example.com", "password": "x" * (70 * 1024)}
    )

    assert response.status_code == 413
    assert response.json()["error"]["details"]["limit"] == "MAX_JSON_BYTES"


@pytest.mark.parametrize("length", ["abc", "-5"])
def test_an_unreadable_content_length_is_400(auth_client, length):
    response = auth_client.put(
        PREFERENCES_URL, "{}", content_type="application/json", CONTENT_LENGTH=length
    )

    assert_error_envelope(response, 400, "bad_request")


def test_a_chunked_body_this_server_cannot_size_is_411_and_changes_nothing(auth_client):
    # Django's test server, like runserver, does not de-chunk (no `wsgi.input_terminated`).
    response = auth_client.put(
        PREFERENCES_URL,
        '{"message.new": {"push": false}}',
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
    )

    assert_error_envelope(response, 411, "length_required")
    assert not NotificationPreference.objects.exists()
