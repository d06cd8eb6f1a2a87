"""
Real services for tests: free ports, a private Redis, the app under gunicorn, a local SMTP
server.
"""

import email
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from email.policy import default as default_policy
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A port nothing listens on (just released by the OS: connecting to it is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A throw-away `redis-server` on its own port, which a test may stop and start again."""

    def __init__(self, workdir: Path) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.skip("redis-server is not installed (Debian package redis-server)")
        self.executable = executable
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [self.executable, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        self.process = subprocess.Popen(  # noqa: S603 (a fixed command line)
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def database_url(settings_dict: dict) -> str:
    """A `DATABASE_URL` for another process to reach the database of `settings_dict` (the
    test run's own, once pytest-django has made it)."""
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{settings_dict['NAME']}"
    credentials = settings_dict["USER"]
    if settings_dict.get("PASSWORD"):
        credentials += f":{settings_dict['PASSWORD']}"
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{settings_dict['NAME']}"


def serve_app(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    """
    The app under gunicorn (as in the image, `DEBUG=0`) on a free port, with `env` on top of
    the test run's environment; returns the process and its base URL once `/healthz` answers.
    """
    port = free_port()
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "minbil.settings.base",
        "DEBUG": "0",
        "SECRET_KEY": "outage-test-only-not-a-secret-but-long-enough",
        "ALLOWED_HOSTS": "127.0.0.1",
        "VEGVESEN_MODE": "sandbox",
        "VEGVESEN_API_KEY": "",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    with log.open("w") as log_file:
        server = subprocess.Popen(  # noqa: S603 (our own app)
            [gunicorn, "minbil.wsgi:application"],
            cwd=PROJECT_DIR,
            env=full_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2):  # noqa: S310
                return server, base_url
        except OSError:  # not listening yet, or too slow to answer on a busy machine
            time.sleep(0.2)
    stop(server)
    raise RuntimeError(f"The app did not start:\n{log.read_text()[-3000:]}")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


class Inbox:
    """An aiosmtpd handler keeping every message it is handed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        self.received.set()
        return "250 Message accepted"
