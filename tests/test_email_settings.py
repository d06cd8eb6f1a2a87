"""`EMAIL_URL` and friends become Django's email settings (read in a fresh interpreter)."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

KEYS = ["EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD"]
BACKENDS = "django.core.mail.backends"
KEYS += ["EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT", "DEFAULT_FROM_EMAIL"]


def load_settings(code: str, **env) -> subprocess.CompletedProcess:
    """Runs `code` in a new interpreter with only `env`'s email variables set."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    environment.update(SECRET_KEY="x" * 50, **env)
    return subprocess.run(  # noqa: S603 (the test's own interpreter and code)
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def email_settings(**env) -> dict:
    code = (
        "import json, minbil.settings.base as s; "
        f"print(json.dumps({{k: getattr(s, k) for k in {KEYS!r}}}))"
    )
    result = load_settings(code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_smtp_with_tls_user_and_a_percent_encoded_password():
    config = email_settings(
        EMAIL_URL="smtp://mailer%40minbil.no:p%40ss%2Fword@smtp.example.com:587?tls=True",
        EMAIL_TIMEOUT="7",
        DEFAULT_FROM_EMAIL="MinBil <hei@minbil.no>",
    )

    assert config == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "mailer@minbil.no",
        "EMAIL_HOST_PASSWORD": "p@ss/word",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 7.0,
        "DEFAULT_FROM_EMAIL": "MinBil <hei@minbil.no>",
    }


@pytest.mark.parametrize(
    "url, backend, tls, ssl",
    [
        ("consolemail://", "django.core.mail.backends.console.EmailBackend", False, False),
        (
            "smtp://localhost:25?tls=False",
            "django.core.mail.backends.smtp.EmailBackend",
            False,
            False,
        ),
        ("smtp+ssl://h:465", "django.core.mail.backends.smtp.EmailBackend", False, True),
    ],
)
def test_other_email_urls(url, backend, tls, ssl):
    config = email_settings(EMAIL_URL=url)

    assert (config["EMAIL_BACKEND"], config["EMAIL_USE_TLS"], config["EMAIL_USE_SSL"]) == (
        backend,
        tls,
        ssl,
    )


def test_the_default_is_smtp_on_localhost_with_a_timeout():
    config = email_settings()

    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("localhost", 25)
    assert config["EMAIL_TIMEOUT"] == 10.0


def test_an_unknown_option_is_refused_at_start_up():
    result = load_settings("import minbil.settings.base", EMAIL_URL="smtp://h:25?tsl=True")

    assert result.returncode != 0
    assert "Unknown EMAIL_URL options: tsl" in result.stderr
