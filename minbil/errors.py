"""
Domain errors raised by services and turned into the API's error envelope.

Services stay free of HTTP concerns apart from these class attributes: the exception
handler reads `status_code`, `code` and `details` from them, so a new error needs no change
anywhere else.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A failure a client can act on. Subclasses set `status_code`, `code` and `message`."""

    status_code: int = 400
    code: str = "bad_request"
    message: str = _("The request could not be processed.")

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.message = message or self.message
        self.details = details or {}
        self.retry_after = retry_after
        super().__init__(self.message)


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    message = _("The request conflicts with the current state.")
