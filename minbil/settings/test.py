"""Test settings: the base settings, with what the suite needs to be fast and isolated."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-not-a-secret-but-long-enough-for-hs256")
# The embedded broker's folder and beat's schedule file: never the project's .jobs/.
os.environ.setdefault(
    "JOBS_DIR", os.path.join(tempfile.gettempdir(), f"minbil-test-jobs-{os.getpid()}")
)

from minbil.settings.base import *  # noqa: F403
from minbil.settings.base import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The suite never reaches the live register, whatever the environment says; tests of the
# live client switch to live mode with a key and mock the HTTP layer with `responses` (or
# serve a stand-in register on a local port).
VEGVESEN_MODE = "sandbox"
VEGVESEN_API_KEY = ""
VEGVESEN_SANDBOX_DIR = ""
# The register's protections are off unless a test turns one on: a test about something else
# must not be answered from a negative cache, a breaker or a budget left by its own setup.
REGISTER_BREAKER_FAILURES = 0
REGISTER_NOT_FOUND_TTL_SECONDS = 0
REGISTER_REFRESH_MIN_AGE_SECONDS = 0
REGISTER_DAILY_BUDGET = 0
REGISTER_MAX_CONCURRENT_CALLS = 100

# Tasks run in the test's own process and transaction (Celery's eager mode); the tests that
# need a real broker start a worker themselves (tests/test_worker.py).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

# Media never lands in the repository: a temporary folder for the run (tests/conftest.py
# gives each test a folder of its own as well).
MEDIA_ROOT = os.path.join(tempfile.gettempdir(), f"minbil-test-media-{os.getpid()}")

# Static files are not collected for the suite; look them up per request instead.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not an in-memory database: the concurrency tests use real threads, each
    # with its own connection, which an in-memory database cannot share with WAL.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"minbil-test-{os.getpid()}.sqlite3"),
    }
