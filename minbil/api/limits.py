"""
Request body limits, in one place: how large a body each view accepts (`body_limit`), refused
before it is read with `413 payload_too_large`, naming the limit and its value
(`RequestLimitMiddleware` in `minbil.api.middleware`).

Every view takes bodies up to `MAX_JSON_BYTES`; a view method marked `@accepts_upload` (the
photo endpoints) up to `MAX_REQUEST_BYTES`, so a `MAX_IMAGE_BYTES` photo fits in base64 JSON.
The JSON parser (`minbil.api.parsers`) holds the JSON around the strings to `MAX_JSON_BYTES`
even there, so only a photo's text uses the room.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status

JSON_LIMIT = "MAX_JSON_BYTES"
UPLOAD_LIMIT = "MAX_REQUEST_BYTES"
READ_STEP = 64 * 1024


def accepts_upload(handler: Callable) -> Callable:
    """Marks a view method whose body may reach `MAX_REQUEST_BYTES` (a photo) instead of
    `MAX_JSON_BYTES`."""
    handler.body_limit = UPLOAD_LIMIT
    return handler


def body_limit(view_func: Callable, method: str) -> str:
    """The body limit (a setting's name) of `method` on a view, a DRF view or a function."""
    handler = view_func
    view_class = getattr(view_func, "cls", None)
    if view_class is not None:
        actions = getattr(view_func, "actions", None) or {}
        handler = getattr(view_class, actions.get(method.lower(), method.lower()), None)
    return getattr(handler, "body_limit", JSON_LIMIT)


def limit_details(name: str) -> dict[str, Any]:
    """What a `413` says about the limit it enforces: the setting's name and its value."""
    return {"limit": name, "max_bytes": getattr(settings, name)}


def describe_size(size: int) -> str:
    """`65536` → `64 KiB`, `22020096` → `21 MiB`: limits as people read them."""
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} bytes"


def body_too_large_message(name: str) -> str:
    """The `413`'s sentence for a body over the limit `name`."""
    return _("The request body is larger than the %(size)s limit.") % {
        "size": describe_size(getattr(settings, name))
    }


def read_at_most(stream, size: int) -> bytearray:
    """
    Up to `size` bytes of a body, read in steps into one buffer that grows in place (large
    buffers are remapped, not copied), however short the server stream's reads: reading a
    large body in one call would have gunicorn's stream buffer it several times over.
    """
    body = bytearray()
    while len(body) < size:
        chunk = stream.read(min(READ_STEP, size - len(body)))
        if not chunk:
            break
        body += chunk
    return body


class PayloadTooLarge(exceptions.APIException):
    """413 raised inside a view (the JSON parser); `details` names the limit and its value."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = _("The request body is too large.")

    def __init__(self, limit: str, message=None) -> None:
        super().__init__(message or body_too_large_message(limit))
        self.details = limit_details(limit)
