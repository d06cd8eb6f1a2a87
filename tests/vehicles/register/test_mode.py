"""
The register mode is explicit: production can never answer from the samples unnoticed. A
missing mode or a malformed register setting stops start-up (`manage.py check`, `migrate`,
gunicorn through the WSGI entry point) with one sentence naming the variable.
"""

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from minbil.settings import environment
from vehicles.register import check_mode, configured_mode, describe_mode, status
from vehicles.register.mode import LIVE_WITHOUT_KEY, NOT_CHOSEN

PROJECT_DIR = Path(__file__).resolve().parents[3]
GUNICORN = Path(sys.executable).with_name("gunicorn")


@pytest.mark.parametrize(
    "mode, key, debug, expected",
    [
        ("live", "a-key", False, "live"),
        ("live", "", True, None),
        ("sandbox", "a-key", False, "sandbox"),
        ("sandbox", "", False, "sandbox"),
        ("", "a-key", False, "live"),
        ("", "a-key", True, "live"),
        ("", "", True, "sandbox"),
        ("", "", False, None),
    ],
)
def test_the_mode_rule(settings, mode, key, debug, expected):
    settings.VEGVESEN_MODE, settings.VEGVESEN_API_KEY, settings.DEBUG = mode, key, debug

    assert configured_mode() == expected
    assert bool(check_mode()) == (expected is None)


def test_the_check_says_in_one_sentence_what_to_set(settings):
    settings.VEGVESEN_MODE, settings.VEGVESEN_API_KEY, settings.DEBUG = "", "", False
    (error,) = check_mode()
    assert error.msg == NOT_CHOSEN
    assert "VEGVESEN_API_KEY" in error.msg and "VEGVESEN_MODE" in error.msg
    assert error.msg.count(".") == 1 and error.msg.endswith(".")
    assert describe_mode() == f"not configured. {NOT_CHOSEN}"

    settings.VEGVESEN_MODE = "live"
    (error,) = check_mode()
    assert error.msg == LIVE_WITHOUT_KEY
    assert "VEGVESEN_API_KEY" in error.msg and "VEGVESEN_MODE" in error.msg


def test_status_reports_mode_breaker_and_budget(settings):
    settings.REGISTER_DAILY_BUDGET = 45000

    assert status() == {
        "mode": "sandbox",
        "breaker": "closed",
        "calls_today": 0,
        "daily_budget": 45000,
        "quota_spent_for_seconds": None,
        "calls_in_flight": 0,
    }


# --- Typed settings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reader, name, value, expected",
    [
        (lambda n: environment.env_int(n, 5), "REGISTER_BREAKER_FAILURES", "five", "whole number"),
        (lambda n: environment.env_int(n, 5), "REGISTER_DAILY_BUDGET", "-1", "whole number"),
        (lambda n: environment.env_int(n, 5), "REGISTER_DAILY_BUDGET", "4.5", "whole number"),
        (
            lambda n: environment.env_number(n, 0.8, maximum=1),
            "REGISTER_BATCH_SHARE",
            "1.5",
            "0 to 1",
        ),
        (
            lambda n: environment.env_positive_number(n, 12),
            "REGISTER_DEADLINE_SECONDS",
            "0",
            "above 0",
        ),
        (
            lambda n: environment.env_positive_number(n, 8),
            "VEGVESEN_TIMEOUT_SECONDS",
            "nan",
            "number",
        ),
        (
            lambda n: environment.env_positive_number(n, 8),
            "VEGVESEN_TIMEOUT_SECONDS",
            "inf",
            "number",
        ),
        (
            lambda n: environment.env_choice(n, ("live", "sandbox"), ""),
            "VEGVESEN_MODE",
            "prod",
            "live or sandbox",
        ),
        (lambda n: environment.env_flag(n, False), "DEBUG", "maybe", "1 or 0"),
        (
            lambda n: environment.env_rate(n, "30/hour"),
            "REGISTER_LOOKUP_THROTTLE_RATE",
            "lots",
            "30/hour",
        ),
    ],
)
def test_a_malformed_setting_is_refused_with_its_name(monkeypatch, reader, name, value, expected):
    monkeypatch.setenv(name, value)

    with pytest.raises(ImproperlyConfigured) as refused:
        reader(name)

    assert str(refused.value).startswith(f"{name} must be ")
    assert expected in str(refused.value)
    assert repr(value) in str(refused.value)


def test_typed_settings_read_their_values_and_defaults(monkeypatch):
    monkeypatch.setenv("A_FLAG", "Yes")
    monkeypatch.setenv("A_NUMBER", " 0 ")
    monkeypatch.setenv("A_CHOICE", "LIVE")
    monkeypatch.setenv("EMPTY", "")

    assert environment.env_flag("A_FLAG", False) is True
    assert environment.env_int("A_NUMBER", 5) == 0  # 0 turns a rule off: it is not "unset"
    assert environment.env_choice("A_CHOICE", ("live", "sandbox"), "") == "live"
    assert environment.env_int("EMPTY", 7) == 7
    assert environment.env_number("UNSET_VARIABLE", 0.8) == 0.8


# --- Start-up, in real processes -------------------------------------------------------------


def production_env(tmp_path, **overrides: str) -> dict[str, str]:
    """A production-like environment: DEBUG off, a secret, a scratch SQLite file, no register."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VEGVESEN_", "REGISTER_", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="minbil.settings.base",
        DEBUG="0",
        SECRET_KEY="start-up-test-secret-key-long-enough-for-hs256",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL="",
        **overrides,
    )
    return env


def run(args: list[str], env: dict[str, str], timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own interpreter and project)
        args, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.parametrize("command", ["check", "migrate"])
def test_manage_py_refuses_to_start_without_a_register_mode(tmp_path, command):
    done = run([sys.executable, "manage.py", command], production_env(tmp_path))

    assert done.returncode != 0
    assert NOT_CHOSEN in done.stderr
    database = tmp_path / "db.sqlite3"
    if database.exists():  # opened by the checks, but nothing migrated
        assert not sqlite3.connect(database).execute("SELECT name FROM sqlite_master").fetchall()


def test_manage_py_starts_with_an_explicit_sandbox(tmp_path):
    done = run(
        [sys.executable, "manage.py", "check"], production_env(tmp_path, VEGVESEN_MODE="sandbox")
    )

    assert done.returncode == 0, done.stderr
    assert "Vehicle register: sandbox" in done.stderr


def test_the_wsgi_entry_point_refuses_live_mode_without_a_key(tmp_path):
    env = production_env(tmp_path, VEGVESEN_MODE="live")

    done = run([sys.executable, "-c", "import minbil.wsgi"], env)

    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert LIVE_WITHOUT_KEY in done.stderr


def test_gunicorn_refuses_to_start_without_a_register_mode(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    done = run(
        [str(GUNICORN), "minbil.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        production_env(tmp_path),
    )

    assert done.returncode != 0  # the worker failed to boot, so gunicorn exits
    assert NOT_CHOSEN in done.stderr


def test_a_malformed_register_setting_stops_start_up_naming_it(tmp_path):
    env = production_env(tmp_path, VEGVESEN_MODE="sandbox", REGISTER_BREAKER_FAILURES="five")

    done = run([sys.executable, "manage.py", "check"], env)

    assert done.returncode != 0
    assert (
        "REGISTER_BREAKER_FAILURES must be a whole number of 0 or more, not 'five'." in done.stderr
    )
