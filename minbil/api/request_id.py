"""
The current request's id, for log records. Kept free of Django and DRF imports, because
logging is configured before the apps are loaded.
"""

import logging
import re
import uuid
from contextvars import ContextVar

current_request_id: ContextVar[str] = ContextVar("request_id", default="-")

# A client may send its own id: a UUID or 1-64 of A-Za-z0-9._- (a UUID is a subset).
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def accept_or_create(offered: str | None) -> str:
    """The client's id when well formed, else a new UUID."""
    if offered and _CLIENT_REQUEST_ID.fullmatch(offered):
        return offered
    return str(uuid.uuid4())


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every log record (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True
