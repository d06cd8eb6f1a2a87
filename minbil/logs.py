"""
Log records as a person (or a log pipeline) reads them: ISO-8601 UTC timestamps, the request
id on every line, text by default or one JSON object per line with `LOG_FORMAT=json`.

Used by the Django settings and by `gunicorn.conf.py`, so gunicorn's own lines look the same.
Kept free of Django imports: gunicorn configures logging before Django is loaded.
"""

import logging
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"


def _iso_utc(created: float) -> str:
    """`2026-05-04T09:12:33.123Z`"""
    moment = datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class UTCFormatter(logging.Formatter):
    """The default text format, with ISO-8601 UTC timestamps."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _iso_utc(record.created)


class JSONFormatter(JsonFormatter):
    """
    One JSON object per line: `time`, `level`, `logger`, `request_id`, `message`, plus the
    record's extra fields (the access line's `method`, `path`, `status`, `duration_ms`,
    `user_id`) and `exc_info` when there is a traceback.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"}
        )
        super().__init__(JSON_FIELDS, *args, **kwargs)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _iso_utc(record.created)


class DowngradeToWarning(logging.Filter):
    """
    For `django.security.DisallowedHost`: a bad `Host` header is a client's (or a scanner's)
    mistake, worth one WARNING line, not an ERROR with a traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True


class SkipAnsweredErrors(logging.Filter):
    """
    For `django.request`: drops its "Service Unavailable: /path" lines for error responses
    the app made and logged itself (they carry no traceback); uncaught exceptions, which do,
    are kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.exc_info is not None


def logging_config(*, level: str = "INFO", fmt: str = "text") -> dict[str, Any]:
    """The `LOGGING` dict for Django and gunicorn (`fmt` is `text` or `json`)."""
    formatter = (
        {"()": JSONFormatter} if fmt == "json" else {"()": UTCFormatter, "format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "minbil.api.request_id.RequestIdLogFilter"},
            "downgrade_to_warning": {"()": DowngradeToWarning},
            "skip_answered_errors": {"()": SkipAnsweredErrors},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["request_id"],
                "formatter": "default",
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # The app logs one access line per request (minbil.request); runserver's and
            # gunicorn's own access logs would repeat it.
            "django.server": {"level": "WARNING"},
            "gunicorn.access": {"level": "WARNING"},
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "django.request": {"level": "ERROR", "filters": ["skip_answered_errors"]},
            "django.security.DisallowedHost": {"filters": ["downgrade_to_warning"]},
            # Axes logs every failed admin login at INFO; lock-outs are warnings.
            "axes": {"level": "WARNING"},
        },
    }
