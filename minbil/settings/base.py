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
from django.core.exceptions import ImproperlyConfigured

from minbil.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# --- Core ----------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)

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
# Each gunicorn thread keeps one connection for CONN_MAX_AGE seconds: a deployment uses at
# most containers x WEB_CONCURRENCY x GUNICORN_THREADS connections (README, "Database
# connections"). A database that cannot be reached or has no connection left answers
# 503 service_unavailable (minbil.api.middleware.DatabaseUnavailableMiddleware).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # libpq waits forever for an unreachable server by default (its minimum is 2 s).
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
        "DATABASE_CONNECT_TIMEOUT_SECONDS", default=3
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside one writer; IMMEDIATE takes the write lock when a
    # transaction starts, so concurrent writers queue on the busy timeout instead of
    # failing with "database is locked" when a read lock cannot be upgraded.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=20),
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
                "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT_SECONDS", default=0.25),
                "socket_timeout": env.float("REDIS_TIMEOUT_SECONDS", default=0.5),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Static and media files ----------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))

# Signed photo URLs (local storage and S3 alike) are valid this long after they are handed out.
PHOTO_URL_MAX_AGE_SECONDS = env.int("PHOTO_URL_MAX_AGE_SECONDS", default=3600)

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
            "querystring_expire": env.int(
                "AWS_QUERYSTRING_EXPIRE", default=PHOTO_URL_MAX_AGE_SECONDS
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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_TOKEN_DAYS", default=30)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "TOKEN_OBTAIN_SERIALIZER": "minbil.accounts.serializers.TokenObtainInputSerializer",
    "TOKEN_REFRESH_SERIALIZER": "minbil.accounts.serializers.TokenRefreshInputSerializer",
}

# Per client IP on register/token; per user on vehicle links that reach the register.
AUTH_THROTTLE_RATE = env.str("AUTH_THROTTLE_RATE", default="20/minute")

# --- REST framework ------------------------------------------------------------------------

# Trusted reverse proxies in front of the app. 0: the socket's address is the client's, and
# no X-Forwarded-* header is believed (a client could forge them); see also "Security" below.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["minbil.api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["minbil.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "minbil.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "NUM_PROXIES": NUM_PROXIES,
}

# --- Vehicle photos ----------------------------------------------------------------------------

MAX_IMAGE_BYTES = env.int("MAX_IMAGE_BYTES", default=15 * 1024 * 1024)
MAX_IMAGE_PIXELS = env.int("MAX_IMAGE_PIXELS", default=40_000_000)
PHOTO_MAX_SIDE = env.int("PHOTO_MAX_SIDE", default=2048)
PHOTO_THUMBNAIL_SIDE = env.int("PHOTO_THUMBNAIL_SIDE", default=400)
PHOTO_JPEG_QUALITY = env.int("PHOTO_JPEG_QUALITY", default=85)
# Memory one photo's decode may take (checked from its header, per format: vehicles/photos.py),
# how many photos a process decodes at once, how long others wait for a turn (then 503 busy),
# and uploads per user.
MAX_DECODE_BYTES = env.int("MAX_DECODE_BYTES", default=160_000_000)
PHOTO_DECODE_CONCURRENCY = env.int("PHOTO_DECODE_CONCURRENCY", default=2)
PHOTO_DECODE_WAIT_SECONDS = env.float("PHOTO_DECODE_WAIT_SECONDS", default=3.0)
PHOTO_UPLOAD_THROTTLE_RATE = env.str("PHOTO_UPLOAD_THROTTLE_RATE", default="30/hour")

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
        {"name": "auth", "description": "Accounts and JWT tokens."},
        {"name": "vehicles", "description": "The owner's vehicles, backed by Statens vegvesen."},
        {"name": "notification settings", "description": "Which events reach the owner."},
    ],
}

# Request bodies (minbil/api/limits.py): larger ones are refused with 413 before anything is
# read. The photo endpoints take MAX_REQUEST_BYTES, which by default fits a photo of
# MAX_IMAGE_BYTES sent as base64 in JSON; every other endpoint takes MAX_JSON_BYTES.
MAX_REQUEST_BYTES = env.int(
    "MAX_REQUEST_BYTES", default=math.ceil(MAX_IMAGE_BYTES * 4 / 3) + 1024 * 1024
)
MAX_JSON_BYTES = env.int("MAX_JSON_BYTES", default=64 * 1024)
# Django's own cap on what it reads into memory (form text; the JSON parser reads the stream
# itself) must not undercut those with a generic 413 of its own (its default is 2.5 MiB).
DATA_UPLOAD_MAX_MEMORY_SIZE = max(MAX_REQUEST_BYTES, MAX_JSON_BYTES)
# Multipart uploads above this size go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Vehicles and the Statens vegvesen register -----------------------------------------------

# With a key the live register is called; without one, the sandbox answers from the sample
# payloads shipped in vehicles/vegvesen/samples (or VEGVESEN_SANDBOX_DIR).
VEGVESEN_API_KEY = env.str("VEGVESEN_API_KEY", default="")
VEGVESEN_API_URL = env.str(
    "VEGVESEN_API_URL",
    default="https://akfell-datautlevering.atlas.vegvesen.no/enkeltoppslag/kjoretoydata",
)
VEGVESEN_TIMEOUT_SECONDS = env.float("VEGVESEN_TIMEOUT_SECONDS", default=8.0)
VEGVESEN_SANDBOX_DIR = env.str("VEGVESEN_SANDBOX_DIR", default="")

MAX_VEHICLES_PER_USER = env.int("MAX_VEHICLES_PER_USER", default=20)
# Per user, on links and refreshes that reach the register: the API is no scraping tool.
REGISTER_LOOKUP_THROTTLE_RATE = env.str("REGISTER_LOOKUP_THROTTLE_RATE", default="30/hour")

# --- Security (production) -----------------------------------------------------------------

# A proxy's X-Forwarded-Proto says the client used HTTPS only when a proxy is there to set it.
if NUM_PROXIES > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
# HTTPS only, once it is served over HTTPS (README, "Production"); off by default, since a
# browser remembers HSTS for SECURE_HSTS_SECONDS and a wrong value cannot be taken back.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]  # probes call the container directly
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # Preloading is asked for a whole registrable domain (minbil.no and every subdomain) by
    # its owner, not by one service on it: leaving it off is the decision, not an oversight.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Logging -------------------------------------------------------------------------------

# ISO-8601 UTC timestamps and the request id on every line; one access line per request
# (minbil.api.middleware). LOG_FORMAT=json writes one JSON object per line instead of text.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
LOGGING = logging_config(level=env.str("LOG_LEVEL", default="INFO"), fmt=LOG_FORMAT)

# --- Probes --------------------------------------------------------------------------------

# /readyz answers within this many seconds; each dependency not answering by then fails.
READINESS_TIMEOUT_SECONDS = env.float("READINESS_TIMEOUT_SECONDS", default=2.0)
