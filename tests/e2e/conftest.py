"""
A live app for browser tests: `manage.py runserver` on a free port with `seed_demo` data in a
throw-away SQLite file (sandbox register), and Debian's headless Chromium driven by Playwright.

Skipped when `/usr/bin/chromium` is missing, unless `REQUIRE_BROWSER_TESTS` is set (CI sets
it, after installing the `chromium` package), in which case a missing browser fails.
"""

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import free_port, stop

CHROMIUM = Path("/usr/bin/chromium")
PROJECT_DIR = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = PROJECT_DIR / "test-artifacts"
# Playwright adds --headless and a fresh temporary --user-data-dir itself. Without the
# background-networking flags Chromium keeps calling Google's hosts, which a closed
# network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SUPPORT_EMAIL = "support@minbil.no"
STARTUP_SECONDS = 30


@dataclass(frozen=True)
class LiveApp:
    base_url: str
    support_password: str


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing (Debian package `chromium`)"
    if os.environ.get("REQUIRE_BROWSER_TESTS"):
        pytest.fail(f"{reason}, and REQUIRE_BROWSER_TESTS is set")
    pytest.skip(reason)


def _wait_until_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own URL)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise RuntimeError(f"The app did not answer {url}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def live_app(tmp_path_factory) -> Iterator[LiveApp]:
    """The app as `make run` serves it (DEBUG on, static files from WhiteNoise)."""
    _require_chromium()
    workdir = tmp_path_factory.mktemp("e2e")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "minbil.settings.base",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "REDIS_URL": "",
        "VEGVESEN_MODE": "sandbox",  # whatever the environment says
        "VEGVESEN_API_KEY": "",
        "VEGVESEN_SANDBOX_DIR": "",
        # The admin test refreshes a vehicle seed_demo has just fetched.
        "REGISTER_REFRESH_MIN_AGE_SECONDS": "0",
        "MEDIA_ROOT": str(workdir / "media"),
        "PYTHONUNBUFFERED": "1",
    }
    manage = [sys.executable, str(PROJECT_DIR / "manage.py")]

    def run(*args: str) -> str:
        done = subprocess.run(  # noqa: S603 (our own manage.py)
            [*manage, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    run("migrate", "--noinput", "--verbosity", "0")
    seeded = run("seed_demo")
    password = re.search(rf"^{re.escape(SUPPORT_EMAIL)}  password: (\S+)$", seeded, re.M)[1]

    port = free_port()
    log = workdir / "server.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(  # noqa: S603
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_healthy(f"{base_url}/healthz", server, log)
            yield LiveApp(base_url, password)
        finally:
            stop(server)


@pytest.fixture
def page(live_app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()
