"""Request ids on every request and log line; API errors that never reach a DRF view."""

import logging
import time

from django.conf import settings
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
            logger.info(
                "%s %s %s %.1fms",
                request.method,
                request.get_full_path(),
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
            return response
        finally:
            current_request_id.reset(token)


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
