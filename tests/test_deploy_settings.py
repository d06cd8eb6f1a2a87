"""
Production settings as the README's production example sets them: `manage.py check --deploy`
finds nothing, and a proxy's `X-Forwarded-Proto` is believed only when there is a proxy.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from notifications.delivery.push import FIELDS

PROJECT_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
def production_example(tmp_path) -> dict[str, str]:
    """The `export NAME=value` lines of the README's production example, placeholders filled."""
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Production", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)[1]
    values = dict(
        assignment.split("=", 1)
        for line in block.splitlines()
        if line.startswith("export ")
        for assignment in line.removeprefix("export ").split("#", 1)[0].split()
    )
    assert values["SECRET_KEY"] == "..."
    values["SECRET_KEY"] = secrets.token_urlsafe(50)
    # The mounted key file: a service account's fields (start-up reads them, sends nothing).
    key_file = tmp_path / "fcm.json"
    key_file.write_text(json.dumps({name: "x" for name in FIELDS} | {"type": "service_account"}))
    values["FCM_CREDENTIALS_FILE"] = str(key_file)
    return values


def django(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`manage.py <args>` with the base settings and only `env` on top of a bare environment."""
    bare = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, str(PROJECT_DIR / "manage.py"), *args],
        cwd=PROJECT_DIR,
        env={**bare, "DJANGO_SETTINGS_MODULE": "minbil.settings.base", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_production_example_passes_check_deploy(production_example):
    done = django("check", "--deploy", "--fail-level", "WARNING", env=production_example)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_fails_without_hsts(production_example):
    del production_example["SECURE_HSTS_SECONDS"]

    done = django("check", "--deploy", "--fail-level", "WARNING", env=production_example)

    assert done.returncode != 0
    assert "security.W004" in done.stderr + done.stdout


@pytest.mark.parametrize(
    "proxies, trusted", [("0", "None"), ("1", "('HTTP_X_FORWARDED_PROTO', 'https')")]
)
def test_x_forwarded_proto_is_believed_only_behind_a_proxy(production_example, proxies, trusted):
    done = django(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(getattr(settings, 'SECURE_PROXY_SSL_HEADER'))",
        env={**production_example, "NUM_PROXIES": proxies},
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == trusted


@pytest.mark.django_db
def test_https_only_redirects_everything_but_the_probes(settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # a new client builds its middleware from these settings

    probe = client.get("/healthz")
    api = client.get("/api/co/vehicles")

    assert probe.status_code == 200
    assert api.status_code == 301
    assert api["Location"] == "https://testserver/api/co/vehicles"


@pytest.mark.django_db
def test_hsts_is_sent_over_https_once_configured(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    response = Client().get("/healthz", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.django_db
def test_no_hsts_by_default():
    response = Client().get("/healthz", secure=True)

    assert "Strict-Transport-Security" not in response


@pytest.mark.parametrize(("flag", "threshold"), [(None, "0"), ("1", "0"), ("0", "None")])
def test_prepared_statements_on_postgresql_are_on_unless_turned_off(flag, threshold):
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://minbil@db.example:5432/minbil",  # never connected to
        **({"DATABASE_PREPARED_STATEMENTS": flag} if flag else {}),
    }
    script = "from django.db import connection; print(connection.settings_dict['OPTIONS'])"

    done = django("shell", "-c", script, env=env)

    assert done.returncode == 0, done.stderr
    assert f"'prepare_threshold': {threshold}" in done.stdout
