"""Readable logs: one access line per request, ISO-8601 UTC, JSON on request, no secrets."""

import json
import logging
import re

import pytest
from rest_framework.test import APIClient

from minbil.logs import JSONFormatter, UTCFormatter, logging_config
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def access_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "minbil.request" and hasattr(r, "status")]


def test_one_access_line_per_request_with_method_path_status_duration_and_user(caplog):
    owner = UserFactory()
    client = APIClient()
    client.force_authenticate(owner)
    caplog.set_level(logging.INFO)

    client.get("/api/co/vehicles?registration_number=BT57225", HTTP_X_REQUEST_ID="trace-1")

    (line,) = access_lines(caplog)
    assert (line.method, line.path, line.status, line.user_id) == (
        "GET",
        "/api/co/vehicles",  # the query string is left out: it may carry a signature
        404,
        owner.pk,
    )
    assert line.duration_ms >= 0
    assert line.request_id == "trace-1"
    assert line.getMessage().startswith("GET /api/co/vehicles 404 ")
    assert line.getMessage().endswith(f"ms user={owner.pk}")


def test_an_anonymous_request_has_no_user_and_costs_no_query(
    api_client, caplog, django_assert_num_queries
):
    caplog.set_level(logging.INFO)
    with django_assert_num_queries(0):
        api_client.get("/healthz", HTTP_COOKIE="sessionid=" + "s" * 32)

    (line,) = access_lines(caplog)
    assert line.user_id is None
    assert "user=" not in line.getMessage()


def test_text_lines_carry_an_iso_8601_utc_timestamp():
    record = logging.LogRecord("minbil", logging.INFO, __file__, 1, "hello", None, None)
    record.request_id = "-"

    line = UTCFormatter(logging_config()["formatters"]["default"]["format"]).format(record)

    timestamp = line.split(" ")[0]
    assert ISO_UTC.match(timestamp), line
    assert line.endswith("INFO minbil [-] hello")


def test_json_lines_are_one_object_with_the_access_fields():
    record = logging.LogRecord("minbil.request", logging.INFO, __file__, 1, "GET / 200", None, None)
    record.request_id = "abc"
    record.__dict__.update(method="GET", path="/", status=200, duration_ms=1.5, user_id=7)

    line = JSONFormatter().format(record)

    assert "\n" not in line
    body = json.loads(line)
    assert ISO_UTC.match(body["time"])
    assert {k: body[k] for k in ("level", "logger", "request_id", "message")} == {
        "level": "INFO",
        "logger": "minbil.request",
        "request_id": "abc",
        "message": "GET / 200",
    }
    assert (body["method"], body["status"], body["duration_ms"], body["user_id"]) == (
        "GET",
        200,
        1.5,
        7,
    )


def test_a_bad_host_header_is_one_warning_without_a_traceback(client, caplog):
    response = client.get("/healthz", HTTP_HOST="evil.example")

    assert response.status_code == 400
    (record,) = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert "evil.example" in record.getMessage()


def test_passwords_and_tokens_never_reach_the_log(api_client, caplog):
    caplog.set_level(logging.DEBUG)
    password = "a-long-unusual-passphrase"
    user = UserFactory(email="kari@example.com")
    user.set_password(password)
    user.save()

    tokens = api_client.post(
        "/api/auth/token", {"email": "kari@example.com", "password": password}, format="json"
    ).json()
    api_client.get("/api/co/vehicles", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    logged = caplog.text
    assert password not in logged
    assert tokens["access"] not in logged
    assert tokens["refresh"] not in logged
    assert f"user={user.pk}" in logged
