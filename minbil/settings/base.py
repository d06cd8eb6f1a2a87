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
from django.core.exceptions import ImproperlyConfigured

from minbil.settings.environment import (
    env_choice,
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
    "minbil.accounts",
    "vehicles",
    "notifications",
]

MIDDLEWARE = [
    "minbil.api.middleware.RequestIdMiddleware",
    "minbil.api.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

LANGUAGE_CODE = "en-us"
TIME_ZONE = "Europe/Oslo"  # "today" for inspection deadlines is the Norwegian date
USE_I18N = True
USE_TZ = True

# --- Database ------------------------------------------------------------------------------

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
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
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="minbil"),
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
# Serve MEDIA_ROOT from Django itself (local development, `make run`). Off in production,
# where photos live in S3 or behind a web server.
SERVE_MEDIA = env_flag("SERVE_MEDIA", default=DEBUG)

# Photos: local files by default; a private S3 bucket (signed URLs) when a bucket is named.
# Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the usual AWS chain.
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
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", default=3600, minimum=1),
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Auth ----------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
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

# Per client IP on register/token; per user on vehicle links that reach the register.
AUTH_THROTTLE_RATE = env_rate("AUTH_THROTTLE_RATE", default="20/minute")

# --- REST framework ------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["minbil.api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "minbil.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Number of trusted reverse proxies in front of the app; 0 means "use REMOTE_ADDR",
    # so a client cannot dodge the per-IP throttle with a forged X-Forwarded-For.
    "NUM_PROXIES": env_int("NUM_PROXIES", default=0),
}

# --- Vehicle photos ----------------------------------------------------------------------------

MAX_IMAGE_BYTES = env_int("MAX_IMAGE_BYTES", default=15 * 1024 * 1024, minimum=1)
MAX_IMAGE_PIXELS = env_int("MAX_IMAGE_PIXELS", default=40_000_000, minimum=1)
PHOTO_MAX_SIDE = env_int("PHOTO_MAX_SIDE", default=2048, minimum=1)
PHOTO_THUMBNAIL_SIDE = env_int("PHOTO_THUMBNAIL_SIDE", default=400, minimum=1)
PHOTO_JPEG_QUALITY = env_int("PHOTO_JPEG_QUALITY", default=85, minimum=1)

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
    "TAGS": [
        {"name": "auth", "description": "Accounts and JWT tokens."},
        {"name": "vehicles", "description": "The owner's vehicles, backed by Statens vegvesen."},
        {"name": "notification settings", "description": "Which events reach the owner."},
    ],
}

# Bodies larger than this are refused with 413 from the Content-Length header alone, before
# anything is read. The default fits a photo of MAX_IMAGE_BYTES sent as base64 in JSON.
MAX_REQUEST_BYTES = env_int(
    "MAX_REQUEST_BYTES", default=math.ceil(MAX_IMAGE_BYTES * 4 / 3) + 1024 * 1024, minimum=1
)
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

# --- Security (production) -----------------------------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Logging -------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "minbil.api.request_id.RequestIdLogFilter"}},
    "formatters": {
        "default": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "default",
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Our request log line replaces runserver's access log.
        "django.server": {"level": "WARNING"},
        # Unhandled exceptions are logged once, by our exception handler, with the request id.
        "django.request": {"level": "ERROR"},
    },
}
