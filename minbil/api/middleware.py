"""
Request ids on every request and log line; API errors that never reach a DRF view; request
body limits; database trouble as 503 everywhere.
"""

import gc
import io
import logging
import time

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.db import InterfaceError, OperationalError
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import gettext as _

from minbil.api import limits
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
    Under `/api/`: replaces any error page not made by the exception handler (unknown path,
    Django's own 400/413/500 pages, debug pages) with the error envelope, so no HTML leaves the
    API. (Bodies too large for their view are refused by `minbil.api.limits`.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX):
            return response
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            replacement = error_response(request, response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response


class RequestLimitMiddleware:
    """
    Refuses a body over its view's limit (`minbil.api.limits`) before anything reads it, on
    every path, and sizes chunked bodies: one sent with `Transfer-Encoding` (no
    `Content-Length`) is read here up to the limit when the WSGI server hands over its end
    (`wsgi.input_terminated`: gunicorn does); elsewhere (`runserver`) it cannot be sized and
    answers `411 length_required`. Left to Django, a chunked body would read as empty.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (_declared_length(request) or 0) > settings.MAX_JSON_BYTES:
            # Django REST framework's request, view and serializer refer to each other, so a
            # parsed upload (a photo's text and bytes, tens of MB) is freed only by the cyclic
            # garbage collector, which counts objects, not bytes, and may not run for many
            # requests. After an upload-sized body it is run here, so a worker's memory
            # follows the uploads in flight (`make bench-images`).
            gc.collect()
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        limit = limits.body_limit(view_func, request.method)
        if "HTTP_TRANSFER_ENCODING" in request.META:
            return self._read_chunked(request, limit)
        length = _declared_length(request)
        if length is None:
            return error_response(request, 400, _("The Content-Length header is not a number."))
        if length > getattr(settings, limit):
            return self._too_large(request, limit)
        return None

    def _read_chunked(self, request, limit: str):
        if not request.META.get("wsgi.input_terminated"):
            return error_response(
                request,
                411,
                _("Send the body with a Content-Length header: this server cannot size it."),
            )
        size = getattr(settings, limit)
        body = limits.read_at_most(request.META["wsgi.input"], size + 1)
        if len(body) > size:
            return self._too_large(request, limit)
        # From here on the request reads as if it had come with a Content-Length. (Django
        # wrapped the input in a stream of length 0 when it made the request.)
        request.META["CONTENT_LENGTH"] = str(len(body))
        request._stream = LimitedStream(io.BytesIO(bytes(body)), len(body))
        return None

    @staticmethod
    def _too_large(request, limit: str):
        return error_response(
            request,
            413,
            limits.body_too_large_message(limit),
            details=limits.limit_details(limit),
        )


def _declared_length(request) -> int | None:
    """The Content-Length (0 without one), or None when it is not a number of bytes."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    return length if length >= 0 else None


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
