"""Project-wide API behaviour: envelopes, request ids, and errors that never come as HTML."""

import logging
import re
import uuid
from unittest import mock

import pytest
from django.test import override_settings

from minbil.api.request_id import RequestIdLogFilter

PREFERENCES_URL = "/api/co/settings/notifications"
GENERATED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

pytestmark = pytest.mark.django_db


def assert_error_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "meta"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    assert body["meta"]["request_id"] == response["X-Request-ID"]
    assert GENERATED_AT.match(body["meta"]["generated_at"])
    return body


def test_success_envelope_carries_data_and_meta(api_client):
    response = api_client.post(
        "/api/auth/register",
        {"email": "new@example.com", "password": "a-long-unusual-passphrase"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"data", "meta"}
    assert body["data"]["email"] == "new@example.com"
    assert uuid.UUID(body["meta"]["request_id"])
    assert body["meta"]["request_id"] == response["X-Request-ID"]
    assert GENERATED_AT.match(body["meta"]["generated_at"])


@pytest.mark.parametrize(
    "offered",
    ["3f0c9a5e-8f0e-4c55-9a0d-1c2b3d4e5f60", "mobile-ios.42_abc", "x", "a" * 64],
)
def test_well_formed_client_request_id_is_echoed(auth_client, offered):
    response = auth_client.get(PREFERENCES_URL, HTTP_X_REQUEST_ID=offered)

    assert response.status_code == 200
    assert response["X-Request-ID"] == offered


@pytest.mark.parametrize("offered", ["", "a" * 65, "has space", "semi;colon", "ünicode", "a/b"])
def test_malformed_client_request_id_is_replaced_by_a_uuid(api_client, offered):
    response = api_client.get("/api/nothing-here", HTTP_X_REQUEST_ID=offered)

    assert response["X-Request-ID"] != offered
    assert uuid.UUID(response["X-Request-ID"])
    assert response.json()["meta"]["request_id"] == response["X-Request-ID"]


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.addFilter(RequestIdLogFilter())

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def log_records():
    handler = _Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler.records
    root.removeHandler(handler)


def test_every_log_line_of_a_request_carries_its_id(auth_client, log_records):
    with mock.patch("notifications.views.effective_preferences", side_effect=RuntimeError("boom")):
        response = auth_client.get(PREFERENCES_URL, HTTP_X_REQUEST_ID="trace-me-1")

    assert response.status_code == 500
    messages = {record.getMessage(): record.request_id for record in log_records}
    access_line = next(m for m in messages if m.startswith(f"GET {PREFERENCES_URL} 500"))
    error_line = next(m for m in messages if m.startswith("Unhandled error"))
    assert messages[access_line] == "trace-me-1"
    assert messages[error_line] == "trace-me-1"


def test_log_records_outside_a_request_have_a_placeholder_id(log_records):
    logging.getLogger("minbil.test").warning("outside")

    assert log_records[-1].request_id == "-"


@pytest.mark.parametrize("debug", [False, True])
def test_unknown_api_path_is_404_envelope_even_in_debug(api_client, debug):
    with override_settings(DEBUG=debug):
        response = api_client.get("/api/co/does-not-exist")

    assert_error_envelope(response, 404, "not_found")


def test_missing_token_is_401_envelope(api_client):
    response = api_client.get(PREFERENCES_URL)

    body = assert_error_envelope(response, 401, "not_authenticated")
    assert "Bearer" in response["WWW-Authenticate"]
    assert "Traceback" not in str(body)


@pytest.mark.parametrize(
    "header, code",
    [
        ("Bearer not-a-jwt", "token_not_valid"),
        ("Bearer a.b.c", "token_not_valid"),
        ("Bearer ", "bad_authorization_header"),
        ("Token abc", "not_authenticated"),  # not our scheme: as if no credentials
    ],
)
def test_malformed_token_is_401_envelope(api_client, header, code):
    response = api_client.get(PREFERENCES_URL, HTTP_AUTHORIZATION=header)

    assert_error_envelope(response, 401, code)


def test_method_not_allowed_is_405_envelope_with_allow_header(auth_client):
    response = auth_client.delete(PREFERENCES_URL)

    assert_error_envelope(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_unsupported_media_type_is_415_envelope(auth_client):
    response = auth_client.put(PREFERENCES_URL, data="booking=1", content_type="text/plain")

    assert_error_envelope(response, 415, "unsupported_media_type")


def test_malformed_json_is_400_envelope(auth_client):
    response = auth_client.put(PREFERENCES_URL, data="{not json", content_type="application/json")

    assert_error_envelope(response, 400, "invalid_json")


@override_settings(MAX_JSON_BYTES=1024)
def test_oversized_body_is_413_envelope_before_it_is_read(auth_client):
    response = auth_client.put(
        PREFERENCES_URL, data='{"x": "' + "a" * 2048 + '"}', content_type="application/json"
    )

    body = assert_error_envelope(response, 413, "payload_too_large")
    assert body["error"]["message"] == "The request body is larger than the 1 KiB limit."
    assert body["error"]["details"] == {"limit": "MAX_JSON_BYTES", "max_bytes": 1024}


@pytest.mark.parametrize("debug", [False, True])
def test_unexpected_exception_is_500_envelope_without_traceback(auth_client, debug):
    with (
        override_settings(DEBUG=debug),
        mock.patch(
            "notifications.views.effective_preferences",
            side_effect=RuntimeError("secret internals"),
        ),
    ):
        response = auth_client.get(PREFERENCES_URL)

    body = assert_error_envelope(response, 500, "server_error")
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in body["error"]["message"]


@pytest.mark.parametrize("path", [PREFERENCES_URL, PREFERENCES_URL + "/"])
def test_paths_work_with_and_without_trailing_slash(auth_client, path):
    response = auth_client.get(path)

    assert response.status_code == 200
    assert "preferences" in response.json()
