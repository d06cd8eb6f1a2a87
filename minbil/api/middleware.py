"""
Request ids on every request and log line; API errors that never reach a DRF view; database
trouble as 503 everywhere.
"""

import logging
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import gettext as _

from minbil.api.exceptions import error_response
from minbil.api.request_id import accept_or_create, current_request_id

logger = logging.getLogger("minbil.request")

API_PREFIX = "/api/"


class RequestIdMiddleware:
    """
    Gives each request an id: the client's `X-Request-ID` when well formed, else a new
    UUID. It is on `request.request_id`, in the response header, in `meta.request_id`
    (see the renderer) and in every log line of the request, ending with one access line.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accept_or_create(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        token = current_request_id.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            self._log_access(request, response, (time.monotonic() - started) * 1000)
            return response
        finally:
            current_request_id.reset(token)

    @staticmethod
    def _log_access(request, response, duration_ms: float) -> None:
        """One line per request; the query string is left out (it may carry signatures)."""
        user_id = _known_user_id(request)
        logger.info(
            "%s %s %s %.1fms%s",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            f" user={user_id}" if user_id is not None else "",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(duration_ms, 1),
                "user_id": user_id,
            },
        )


def _known_user_id(request) -> int | None:
    """
    The authenticated user's id, when the request already knows it. Django's lazy
    `request.user` is not evaluated here: that would cost a session query for anonymous
    requests, and fail when the database is down.
    """
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = user.__dict__.get("_wrapped", empty)  # set once something has asked
    if user is empty or user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.pk


class ApiErrorMiddleware:
    """
    Under `/api/`: refuses an oversized body from its Content-Length before reading it,
    and replaces any error page not made by the exception handler (unknown path, Django's
    own 400/413/500 pages, debug pages) with the error envelope, so no HTML leaves the API.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(request, 400, _("The Content-Length header is not a number."))
        if length > settings.MAX_REQUEST_BYTES:
            limit_mb = round(settings.MAX_REQUEST_BYTES / (1024 * 1024))
            return error_response(
                request,
                413,
                _("The request body is larger than the %(limit)s MB limit.") % {"limit": limit_mb},
            )

        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            replacement = error_response(request, response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response


class DatabaseUnavailableMiddleware:
    """
    An unreachable database, one out of connections or a SQLite file still locked after its
    busy timeout (`OperationalError`, `InterfaceError`) answers `503 service_unavailable`
    with `Retry-After: 1` in the error envelope, on every path, and is logged once as one
    line (no traceback: it is not a bug). DRF views hand these errors on to here (see
    `minbil.api.exceptions.exception_handler`), so there is one place that answers them.
    """

    RETRY_AFTER_SECONDS = 1

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        reason = str(exception).strip().splitlines()
        logger.error(
            "Database unavailable: %s%s",
            type(exception).__name__,
            f": {reason[0]}" if reason else "",
        )
        response = error_response(
            request, 503, _("The service is briefly unavailable. Try again in a moment.")
        )
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response
