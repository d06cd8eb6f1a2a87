"""
MinBil settings, read from the environment (twelve-factor style).

Every variable is listed with its default in README.md. Production differs from a laptop
only by environment values: `DATABASE_URL`, `REDIS_URL`, `AWS_STORAGE_BUCKET_NAME`,
`VEGVESEN_API_KEY` and friends.
"""

import math
from datetime import timedelta
from pathlib import Path

import environ
from botocore.config import Config as BotoConfig
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from minbil.logs import logging_config
from minbil.settings.environment import (
    env_choice,
    env_crontab,
    env_flag,
    env_int,
    env_number,
    env_positive_number,
    env_rate,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# --- Core ----------------------------------------------------------------------------------

DEBUG = env_flag("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "django-insecure-local-development-only"

# localhost is always allowed: the container's HEALTHCHECK calls /healthz through it.
ALLOWED_HOSTS = [*env.list("ALLOWED_HOSTS", default=["[::1]"]), "localhost", "127.0.0.1"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "minbil.accounts",
    "vehicles",
    "notifications",
]

MIDDLEWARE = [
    "minbil.api.middleware.RequestIdMiddleware",
    # Before the API's error pages, so even a 413 refused before the view is translated.
    "django.middleware.locale.LocaleMiddleware",
    "minbil.api.middleware.ApiErrorMiddleware",
    "minbil.api.middleware.DatabaseUnavailableMiddleware",
    # Before anything reads a body (CSRF reads the admin's forms).
    "minbil.api.middleware.RequestLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a locked-out admin login into its lock-out page (see "Admin login lock-out").
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "minbil.urls"
WSGI_APPLICATION = "minbil.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The excerpt's paths have no trailing slash; urls accept both forms, so never redirect
# (a redirect would drop a POST body).
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "minbil" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Languages ------------------------------------------------------------------------------

# API messages and emails: the authenticated user's `language`, else the request's
# Accept-Language, else English (error codes never change). The admin follows the staff
# member's browser. Catalogues: locale/<lang>/LC_MESSAGES/django.po, compiled by the build.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nb", _("Norwegian Bokmål"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Oslo"  # "today" for inspection deadlines is the Norwegian date
USE_TZ = True
# 24-hour clocks in English too (Django's `nb` formats already use them).
FORMAT_MODULE_PATH = ["minbil.formats"]

# --- Database ------------------------------------------------------------------------------

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Each gunicorn thread keeps one connection for CONN_MAX_AGE seconds: a deployment uses at
# most containers x WEB_CONCURRENCY x GUNICORN_THREADS connections (README, "Database
# connections"). A database that cannot be reached or has no connection left answers
# 503 service_unavailable (minbil.api.middleware.DatabaseUnavailableMiddleware).
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # libpq waits forever for an unreachable server by default (its minimum is 2 s).
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
        "DATABASE_CONNECT_TIMEOUT_SECONDS", default=3, minimum=1
    )
    # The queries of minbil/prepared.py (those every request of the apps runs) are prepared
    # on first use, per connection; psycopg prepares nothing else (Django binds on the client).
    # Off for a pooler in transaction mode that cannot keep prepared statements.
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = (
        0 if env_flag("DATABASE_PREPARED_STATEMENTS", default=True) else None
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside one writer; IMMEDIATE takes the write lock when a
    # transaction starts, so concurrent writers queue on the busy timeout instead of
    # failing with "database is locked" when a read lock cannot be upgraded.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", default=20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# --- Cache (shared by throttles and the register's quota state) -----------------------------

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Redis accelerates, it is never required: while it is unreachable every cache operation
    # is served from per-process memory (see minbil/cache.py), so short timeouts keep a dead
    # Redis from slowing requests down.
    CACHES = {
        "default": {
            "BACKEND": "minbil.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="minbil"),
            "OPTIONS": {
                "socket_connect_timeout": env_positive_number(
                    "REDIS_CONNECT_TIMEOUT_SECONDS", default=0.25
                ),
                "socket_timeout": env_positive_number("REDIS_TIMEOUT_SECONDS", default=0.5),
            },
        }
    }
else:
    # Per process. Django's default of 300 entries is too few once every owner has a
    # throttle counter: culling would drop the register breaker's count with them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }

# --- Static and media files ----------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))

# Signed photo URLs (local storage and S3 alike) are valid this long after they are handed out.
PHOTO_URL_MAX_AGE_SECONDS = env_int("PHOTO_URL_MAX_AGE_SECONDS", default=3600, minimum=1)

# Photos: a private S3 bucket when one is named, else local files under MEDIA_ROOT, served
# by the app behind signed, expiring URLs (minbil/storage.py). Credentials come from
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the usual AWS chain.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "location": env.str("AWS_LOCATION", default=""),
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "signature_version": "s3v4",
            "querystring_expire": env_int(
                "AWS_QUERYSTRING_EXPIRE", default=PHOTO_URL_MAX_AGE_SECONDS, minimum=1
            ),
            # botocore waits 60 s to connect by default; a request never waits that long.
            # (A client_config replaces the one django-storages builds, so it names s3v4 too.)
            "client_config": BotoConfig(
                signature_version="s3v4",
                connect_timeout=3,
                read_timeout=10,
                retries={"max_attempts": 2},
            ),
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "minbil.storage.SignedURLFileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Auth ----------------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out admin login before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "minbil.accounts.validators.NotOnlyWhitespaceValidator"},
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(
        minutes=env_int("JWT_ACCESS_TOKEN_MINUTES", default=15, minimum=1)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        days=env_int("JWT_REFRESH_TOKEN_DAYS", default=30, minimum=1)
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "TOKEN_OBTAIN_SERIALIZER": "minbil.accounts.serializers.TokenObtainInputSerializer",
    "TOKEN_REFRESH_SERIALIZER": "minbil.accounts.serializers.TokenRefreshInputSerializer",
}

# Per client IP, each of register, token, refresh, password reset and reset confirm with
# its own budget (one carrier NAT carries many owners); the token endpoint also per email.
AUTH_THROTTLE_RATE = env_rate("AUTH_THROTTLE_RATE", default="120/minute")
LOGIN_EMAIL_THROTTLE_RATE = env_rate("LOGIN_EMAIL_THROTTLE_RATE", default="10/minute")
PASSWORD_RESET_EMAIL_THROTTLE_RATE = env_rate(
    "PASSWORD_RESET_EMAIL_THROTTLE_RATE", default="3/hour"
)

# Password reset: the emailed link (the apps set a deep link) and how long it works.
PASSWORD_RESET_URL = env.str(
    "PASSWORD_RESET_URL", default="http://localhost:5000/reset?uid={uid}&token={token}"
)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", default=3600, minimum=1)

# Admin login lock-out (django-axes): 10 failures per account lock it for 15 minutes, even
# with the right password. Only the admin's login counts and is locked: the API's token
# endpoint has its own throttles (see minbil/accounts/lockout.py).
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", default=10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ADMIN_LOGIN_LOCKOUT_MINUTES", default=15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_ONLY_ADMIN_SITE = True
AXES_USERNAME_CALLABLE = "minbil.accounts.lockout.login_email"
# The lock lasts 15 minutes from the last counted failure; tries while locked do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_VERBOSE = False
# Axes warns when IPs are not part of the lock: locking the account wherever the attempts come
# from is the point here (an attacker rotating addresses must not get more tries).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# --- Email ---------------------------------------------------------------------------------

# One URL: smtp://user:password@host:587?tls=True, smtp+ssl://...:465, consolemail:// (the
# terminal; `make run`), memorymail://, dummymail://. Sending lives in minbil/mail.py.
_email = env.email_url("EMAIL_URL", default="smtp://localhost:25")
_email_options = {key.lower(): value for key, value in _email.pop("OPTIONS", {}).items()}
for _flag, _setting in (("tls", "EMAIL_USE_TLS"), ("ssl", "EMAIL_USE_SSL")):
    _value = _email_options.pop(_flag, _email.get(_setting, False))
    _email[_setting] = str(_value).lower() in ("1", "true", "yes", "on")
if _email_options:
    raise ImproperlyConfigured(f"Unknown EMAIL_URL options: {', '.join(_email_options)}.")
vars().update(_email)
EMAIL_TIMEOUT = env_positive_number("EMAIL_TIMEOUT", default=10.0)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="MinBil <no-reply@minbil.no>")

# --- REST framework ------------------------------------------------------------------------

# Trusted reverse proxies in front of the app. 0: the socket's address is the client's, and
# no X-Forwarded-* header is believed (a client could forge them); see also "Security" below.
NUM_PROXIES = env_int("NUM_PROXIES", default=0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "minbil.accounts.authentication.AccountJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["minbil.api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["minbil.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "minbil.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "NUM_PROXIES": NUM_PROXIES,
}

# --- Vehicle photos ----------------------------------------------------------------------------

MAX_IMAGE_BYTES = env_int("MAX_IMAGE_BYTES", default=15 * 1024 * 1024, minimum=1)
MAX_IMAGE_PIXELS = env_int("MAX_IMAGE_PIXELS", default=40_000_000, minimum=1)
PHOTO_MAX_SIDE = env_int("PHOTO_MAX_SIDE", default=2048, minimum=1)
PHOTO_THUMBNAIL_SIDE = env_int("PHOTO_THUMBNAIL_SIDE", default=400, minimum=1)
PHOTO_JPEG_QUALITY = env_int("PHOTO_JPEG_QUALITY", default=85, minimum=1)
# Memory one photo's decode may take (checked from its header, per format: vehicles/photos.py),
# how many photos a process decodes at once, how long others wait for a turn (then 503 busy),
# and uploads per user.
MAX_DECODE_BYTES = env_int("MAX_DECODE_BYTES", default=160_000_000, minimum=1)
PHOTO_DECODE_CONCURRENCY = env_int("PHOTO_DECODE_CONCURRENCY", default=2, minimum=1)
PHOTO_DECODE_WAIT_SECONDS = env_number("PHOTO_DECODE_WAIT_SECONDS", default=3.0)
PHOTO_UPLOAD_THROTTLE_RATE = env_rate("PHOTO_UPLOAD_THROTTLE_RATE", default="30/hour")

SPECTACULAR_SETTINGS = {
    "TITLE": "MinBil car-owner API",
    "DESCRIPTION": (
        "Car owners link their vehicles by Norwegian registration number (technical data from "
        "Statens vegvesen's vehicle register) and choose which notifications reach them.\n\n"
        'Successes are `{"data": ..., "meta": {"request_id", "generated_at"}}` '
        "(the token pair and the notification settings keep their published bodies); every "
        'error is `{"error": {"code", "message", "details"}, "meta": {...}}`. '
        "Every path also accepts a trailing slash. Send `X-Request-ID` to trace a call."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "COMPONENT_SPLIT_PATCH": False,  # PUT is partial too: one request shape for both
    "ENFORCE_NON_BLANK_FIELDS": True,
    "PREPROCESSING_HOOKS": ["minbil.api.schema.publish_api_paths"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "minbil.api.schema.document_request_bodies",
        "minbil.api.schema.document_service_unavailable",
    ],
    "TAGS": [
        {"name": "auth", "description": "Sign-up, JWT tokens, sign-out and password reset."},
        {"name": "account", "description": "The signed-in owner's profile, password and data."},
        {"name": "vehicles", "description": "The owner's vehicles, backed by Statens vegvesen."},
        {"name": "notification settings", "description": "Which events reach the owner."},
        {"name": "devices", "description": "The owner's app installations that get push."},
        {
            "name": "internal notifications",
            "description": (
                "The sender API for other MinBil services (bookings, messages, ratings): "
                "service tokens, not owners' JWTs."
            ),
        },
    ],
}

# Request bodies (minbil/api/limits.py): larger ones are refused with 413 before anything is
# read. The photo endpoints take MAX_REQUEST_BYTES, which by default fits a photo of
# MAX_IMAGE_BYTES sent as base64 in JSON; every other endpoint takes MAX_JSON_BYTES.
MAX_REQUEST_BYTES = env_int(
    "MAX_REQUEST_BYTES", default=math.ceil(MAX_IMAGE_BYTES * 4 / 3) + 1024 * 1024, minimum=1
)
MAX_JSON_BYTES = env_int("MAX_JSON_BYTES", default=64 * 1024, minimum=1)
# Django's own cap on what it reads into memory (form text; the JSON parser reads the stream
# itself) must not undercut those with a generic 413 of its own (its default is 2.5 MiB).
DATA_UPLOAD_MAX_MEMORY_SIZE = max(MAX_REQUEST_BYTES, MAX_JSON_BYTES)
# Multipart uploads above this size go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Vehicles and the Statens vegvesen register -----------------------------------------------

# `live` calls the register with the key; `sandbox` answers from the sample payloads shipped in
# vehicles/register/samples (or VEGVESEN_SANDBOX_DIR). Unset: live with a key, sandbox with
# DEBUG on, and otherwise a system check refuses to start (vehicles/register/mode.py).
VEGVESEN_MODE = env_choice("VEGVESEN_MODE", ("live", "sandbox"), default="")
VEGVESEN_API_KEY = env.str("VEGVESEN_API_KEY", default="")
VEGVESEN_API_URL = env.str(
    "VEGVESEN_API_URL",
    default="https://akfell-datautlevering.atlas.vegvesen.no/enkeltoppslag/kjoretoydata",
)
VEGVESEN_SANDBOX_DIR = env.str("VEGVESEN_SANDBOX_DIR", default="")
# One attempt, from connect to the last byte; and all of one request's register work.
VEGVESEN_TIMEOUT_SECONDS = env_positive_number("VEGVESEN_TIMEOUT_SECONDS", default=8.0)
REGISTER_DEADLINE_SECONDS = env_positive_number("REGISTER_DEADLINE_SECONDS", default=12.0)
# Consecutive timeouts, connection errors or 5xx that open the breaker (0: no breaker), and
# how long it stays open before one probe is let through.
REGISTER_BREAKER_FAILURES = env_int("REGISTER_BREAKER_FAILURES", default=5)
REGISTER_BREAKER_COOLDOWN_SECONDS = env_int(
    "REGISTER_BREAKER_COOLDOWN_SECONDS", default=30, minimum=1
)
# Register calls one process makes at once; a request that finds them all busy waits briefly,
# then answers 503, so a hanging register can hold only this many of a worker's threads.
REGISTER_MAX_CONCURRENT_CALLS = env_int("REGISTER_MAX_CONCURRENT_CALLS", default=1, minimum=1)
# "No data" for a plate is remembered this long (0: not remembered).
REGISTER_NOT_FOUND_TTL_SECONDS = env_int("REGISTER_NOT_FOUND_TTL_SECONDS", default=6 * 3600)
# A refresh of data younger than this answers the stored data (0: always fetch).
REGISTER_REFRESH_MIN_AGE_SECONDS = env_int("REGISTER_REFRESH_MIN_AGE_SECONDS", default=600)
# Register calls per day (Oslo time) below the register's quota of 50 000 (0: no budget), and
# the share of it batch refreshes may use, leaving the rest for owners.
REGISTER_DAILY_BUDGET = env_int("REGISTER_DAILY_BUDGET", default=45_000)
REGISTER_BATCH_SHARE = env_number("REGISTER_BATCH_SHARE", default=0.8, maximum=1.0)
# Per user, on links and refreshes that reach the register: the API is no scraping tool.
REGISTER_LOOKUP_THROTTLE_RATE = env_rate("REGISTER_LOOKUP_THROTTLE_RATE", default="30/hour")

MAX_VEHICLES_PER_USER = env_int("MAX_VEHICLES_PER_USER", default=20, minimum=1)

# --- Background jobs (Celery: minbil/celery.py) ---------------------------------------------

# The broker: CELERY_BROKER_URL, else Redis at REDIS_URL, else a folder on the local disk
# (kombu's filesystem transport), which needs no server but serves one machine only.
JOBS_DIR = Path(env.str("JOBS_DIR", default=str(BASE_DIR / ".jobs")))
CELERY_BROKER_URL = (
    env.str("CELERY_BROKER_URL", default="") or REDIS_URL or "filesystem://localhost//"
)
if CELERY_BROKER_URL.startswith("filesystem:"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(JOBS_DIR / "broker"),
        "data_folder_out": str(JOBS_DIR / "broker"),
        "control_folder": str(JOBS_DIR / "control"),
        # A worker looks for the next message this often once it is free (kombu's default of
        # a second would cap it at one job a second); an idle folder costs next to nothing.
        "polling_interval": 0.02,
    }
else:
    # Enqueueing never hangs on a dead broker; a task unacknowledged for an hour (its worker
    # died) goes back to the queue, which is longer than any task may run (acks_late tasks).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        "visibility_timeout": 3600,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 4
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Tasks return small summaries for the log; nobody waits for a result, so there is no backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# One task at a time per worker process: the jobs are long, and acks_late ones would otherwise
# hold prefetched messages a crashed process never runs.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Django's LOGGING formats every line (time, level, logger); the console email backend
# writes to stdout, which stays the terminal instead of becoming warning lines.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_REDIRECT_STDOUTS = False
CELERY_BEAT_SCHEDULE_FILENAME = str(JOBS_DIR / "celerybeat-schedule")


# Crontab lines in Europe/Oslo: the nightly register refresh and the daily reminder run.
REFRESH_SCHEDULE = env_crontab("REFRESH_SCHEDULE", default="0 2 * * *")
REMINDER_SCHEDULE = env_crontab("REMINDER_SCHEDULE", default="0 9 * * *")
# Notifications and their delivery log are deleted this many days after they were created.
DELIVERY_LOG_DAYS = env_int("DELIVERY_LOG_DAYS", default=180, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "refresh-vehicles": {
        "task": "vehicles.refresh_vehicles",
        "schedule": REFRESH_SCHEDULE,
    },
    "send-inspection-reminders": {
        "task": "vehicles.send_inspection_reminders",
        "schedule": REMINDER_SCHEDULE,
    },
    # Deliveries waiting for a retry, or whose queued task was lost, go out again.
    "retry-deliveries": {"task": "notifications.retry_deliveries", "schedule": 60.0},
    "clean-delivery-log": {
        "task": "notifications.clean_delivery_log",
        "schedule": crontab(minute=30, hour=3),
    },
}

# --- Notifications -------------------------------------------------------------------------

# Unsubscribe links in notification emails (List-Unsubscribe) point here: the address the
# owners' mail clients reach this app at.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://localhost:5000").rstrip("/")
if not PUBLIC_BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"PUBLIC_BASE_URL must be an http(s) address such as https://api.minbil.no, "
        f"not {PUBLIC_BASE_URL!r}."
    )

# Push notifications through Firebase Cloud Messaging (notifications/delivery/push.py): the
# service account's JSON key file (its project and token endpoint are read from it). Unset:
# pushes are written to the log (make run), and a system check warns when DEBUG is off.
FCM_CREDENTIALS_FILE = env.str("FCM_CREDENTIALS_FILE", default="")
FCM_API_URL = env.str("FCM_API_URL", default="https://fcm.googleapis.com").rstrip("/")
# Each call to FCM (and to its token endpoint), and all the calls of one delivery batch.
FCM_TIMEOUT_SECONDS = env_positive_number("FCM_TIMEOUT_SECONDS", default=10.0)
FCM_BATCH_DEADLINE_SECONDS = env_positive_number("FCM_BATCH_DEADLINE_SECONDS", default=180.0)

# The sender API (/api/internal/notifications) takes `Authorization: Bearer <one of these>`;
# other MinBil services hold them. Empty: the API refuses every call.
INTERNAL_API_TOKENS = [t.strip() for t in env.list("INTERNAL_API_TOKENS", default=[]) if t.strip()]
if any(len(token) < 32 for token in INTERNAL_API_TOKENS):
    raise ImproperlyConfigured(
        "INTERNAL_API_TOKENS must be comma-separated tokens of 32 characters or more "
        "(e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
    )

# --- Security (production) -----------------------------------------------------------------

# A proxy's X-Forwarded-Proto says the client used HTTPS only when a proxy is there to set it.
if NUM_PROXIES > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
# HTTPS only, once it is served over HTTPS (README, "Production"); off by default, since a
# browser remembers HSTS for SECURE_HSTS_SECONDS and a wrong value cannot be taken back.
SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]  # probes call the container directly
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_flag("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # Preloading is asked for a whole registrable domain (minbil.no and every subdomain) by
    # its owner, not by one service on it: leaving it off is the decision, not an oversight.
    SILENCED_SYSTEM_CHECKS += ["security.W021"]

# --- Logging -------------------------------------------------------------------------------

# ISO-8601 UTC timestamps and the request id on every line; one access line per request
# (minbil.api.middleware). LOG_FORMAT=json writes one JSON object per line instead of text.
LOG_FORMAT = env_choice("LOG_FORMAT", ("text", "json"), default="text")
LOGGING = logging_config(level=env.str("LOG_LEVEL", default="INFO"), fmt=LOG_FORMAT)

# --- Probes --------------------------------------------------------------------------------

# /readyz answers within this many seconds; each dependency not answering by then fails.
READINESS_TIMEOUT_SECONDS = env_positive_number("READINESS_TIMEOUT_SECONDS", default=2.0)
