"""The push channel's and the sender API's settings: refused at start-up when wrong."""

import json
import secrets

import pytest

from notifications.checks import push_credentials
from tests.test_jobs import run_python


def test_short_service_tokens_stop_start_up_without_showing_them():
    good = secrets.token_urlsafe(32)

    result = run_python("import django; django.setup()", INTERNAL_API_TOKENS=f"{good},short")

    assert result.returncode != 0
    assert "INTERNAL_API_TOKENS must be comma-separated tokens of 32 characters" in result.stderr
    assert good not in result.stderr


def test_service_tokens_are_a_comma_separated_list():
    tokens = [secrets.token_urlsafe(32), secrets.token_urlsafe(32)]

    result = run_python(
        "import django; django.setup(); from django.conf import settings; "
        "print(len(settings.INTERNAL_API_TOKENS))",
        INTERNAL_API_TOKENS=f" {tokens[0]} , {tokens[1]},",
    )

    assert result.stdout.strip().splitlines()[-1] == "2", result.stderr


def test_without_credentials_production_is_warned_that_pushes_are_only_logged(settings):
    settings.FCM_CREDENTIALS_FILE = ""
    settings.DEBUG = False

    (warning,) = push_credentials(None)

    assert warning.id == "notifications.W001"
    settings.DEBUG = True
    assert push_credentials(None) == []


@pytest.mark.parametrize(
    "content, reason",
    [
        ("not json", "cannot be read as JSON"),
        (json.dumps({"type": "service_account", "project_id": "p"}), "has no client_email"),
        (
            json.dumps(
                {
                    "type": "authorized_user",
                    "project_id": "p",
                    "client_email": "e",
                    "private_key": "k",
                    "token_uri": "https://oauth2.googleapis.com/token",
                }
            ),
            "is not a service account's key",
        ),
    ],
)
def test_a_credentials_file_that_is_no_service_account_key_stops_start_up(
    settings, tmp_path, content, reason
):
    path = tmp_path / "fcm.json"
    path.write_text(content)
    settings.FCM_CREDENTIALS_FILE = str(path)

    (error,) = push_credentials(None)

    assert error.id == "notifications.E001"
    assert reason in error.msg
    assert "oauth2.googleapis.com" not in error.msg  # never a value of the file


def test_a_missing_credentials_file_stops_start_up(settings, tmp_path):
    settings.FCM_CREDENTIALS_FILE = str(tmp_path / "missing.json")

    (error,) = push_credentials(None)

    assert error.id == "notifications.E001"


def test_the_stand_ins_credentials_pass(fcm):
    assert push_credentials(None) == []
