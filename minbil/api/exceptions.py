"""
The one place that turns failures into the contract's error envelope:
`{"error": {"code", "message", "details"}, "meta": {...}}`.

`exception_handler` serves every DRF view. `error_response` is the same body for the few
answers that never reach a view (an unknown path, an oversized body), used by
`ApiErrorMiddleware`.
"""

import logging
import math
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from minbil.api.limits import UPLOAD_LIMIT, PayloadTooLarge
from minbil.api.renderers import build_meta
from minbil.errors import DomainError

logger = logging.getLogger(__name__)

# Codes and messages for answers that carry nothing but a status (the fallback path).
STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", _("The request could not be understood.")),
    401: ("not_authenticated", _("Authentication credentials were not provided.")),
    403: ("permission_denied", _("You do not have permission to perform this action.")),
    404: ("not_found", _("There is nothing at this address.")),
    405: ("method_not_allowed", _("This method is not allowed on this address.")),
    406: ("not_acceptable", _("This endpoint only answers application/json.")),
    411: ("length_required", _("Send the body with a Content-Length header.")),
    413: ("payload_too_large", _("The request body is too large.")),
    415: ("unsupported_media_type", _("This content type is not supported here.")),
    429: ("throttled", _("Too many requests. Try again later.")),
    500: (
        "server_error",
        _("Something went wrong on our side. Quote the request id if it persists."),
    ),
    502: ("bad_gateway", _("An upstream service answered with an error.")),
    503: ("service_unavailable", _("The service is unavailable. Try again later.")),
}

# The JWT library's messages, by code, in our words (it has no Norwegian translation).
TOKEN_ERRORS: dict[str, str] = {
    "token_not_valid": _("The token is invalid, expired or signed out."),
    "bad_authorization_header": _("The Authorization header must be: Bearer <token>."),
    "user_not_found": _("The account of this token no longer exists."),
    "user_inactive": _("This account is inactive."),
    "no_active_account": _("No active account matches these credentials."),
}


# An error names at most this many offending keys per object, and how many there are in all.
MAX_ERROR_KEYS = 20
ERROR_COUNT_KEY = "error_count"


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": bounded(details or {})}}


def bounded(details: dict[str, Any]) -> dict[str, Any]:
    """
    At most `MAX_ERROR_KEYS` keys per object, nested ones included, plus `error_count` (how
    many offending keys there are in all) where some were left out: a body of 178 000 unknown
    keys is answered with a small error, not a copy of itself. (Validators that walk keys a
    client chose collect no more than that in the first place: `first_errors`.)
    """
    keys = [key for key in details if key != ERROR_COUNT_KEY]
    shown = {key: _bounded_value(details[key]) for key in keys[:MAX_ERROR_KEYS]}
    if _error_count(details) > MAX_ERROR_KEYS:
        shown[ERROR_COUNT_KEY] = _error_count(details)
    return shown


def first_errors(problems: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """
    The first `MAX_ERROR_KEYS` `(key, error)` pairs as details, plus `error_count` when there
    are more: for validators that walk keys a client chose, so that a huge body does not build
    a huge error (Django REST framework's `ValidationError` copies every entry it is given).
    """
    errors: dict[str, Any] = {}
    count = 0
    for key, error in problems:
        count += 1
        if count <= MAX_ERROR_KEYS:
            errors[key] = error
    if count > MAX_ERROR_KEYS:
        errors[ERROR_COUNT_KEY] = count
    return errors


def _error_count(details: dict[str, Any]) -> int:
    """How many offending keys `details` stands for (DRF turns a given count into text)."""
    keys = sum(1 for key in details if key != ERROR_COUNT_KEY)
    return max(int(details.get(ERROR_COUNT_KEY, 0)), keys)


def _bounded_value(value: Any) -> Any:
    return bounded(value) if isinstance(value, dict) else value


def error_response(
    request, status_code: int, message: str | None = None, details: dict | None = None
) -> JsonResponse:
    """An error envelope for answers produced outside DRF (see `ApiErrorMiddleware`)."""
    code, default_message = STATUS_ERRORS.get(
        status_code, ("client_error" if status_code < 500 else "server_error", _("Request failed."))
    )
    body = error_body(code, message or default_message, details)
    body["meta"] = build_meta(request)
    return JsonResponse(body, status=status_code, json_dumps_params={"separators": (",", ":")})


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception of every API view ends here."""
    if isinstance(exc, DomainError):
        set_rollback()
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return Response(
            error_body(exc.code, exc.message, exc.details),
            status=exc.status_code,
            headers=headers,
        )
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is unavailable: answered as 503 by DatabaseUnavailableMiddleware, for
        # API and non-API paths alike. Returning None makes DRF re-raise it.
        return None
    if isinstance(exc, RequestDataTooBig):  # Django's own cap, DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = PayloadTooLarge(UPLOAD_LIMIT)
    elif isinstance(exc, SuspiciousOperation):  # e.g. too many multipart fields
        exc = exceptions.ParseError(str(exc) or STATUS_ERRORS[400][1])

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled error in %s", type(context.get("view")).__name__, exc_info=exc)
        set_rollback()
        code, message = STATUS_ERRORS[500]
        return Response(error_body(code, message), status=status.HTTP_500_INTERNAL_SERVER_ERROR)

    response.data = error_body(*_describe(exc))
    return response


def _describe(exc: exceptions.APIException) -> tuple[str, str, dict]:
    """Code, message and details of a DRF exception."""
    detail = exc.detail
    if isinstance(exc, exceptions.ValidationError):
        if isinstance(detail, dict):
            return "validation_error", _invalid_fields_message(detail), detail
        messages = detail if isinstance(detail, list) else [detail]
        return "validation_error", str(messages[0]), {"non_field_errors": messages}
    if isinstance(detail, dict):
        # simplejwt's token errors: {"detail": ..., "code": ..., "messages": [...]}
        code = str(detail.get("code") or exc.default_code)
        message = detail.get("detail", STATUS_ERRORS.get(exc.status_code, ("", ""))[1])
        return code, str(TOKEN_ERRORS.get(code, message)), {}
    details = dict(getattr(exc, "details", None) or {})
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        details["retry_after"] = math.ceil(exc.wait)
    code = str(getattr(detail, "code", None) or exc.default_code)
    return code, str(TOKEN_ERRORS.get(code, detail)), details


def _invalid_fields_message(detail: dict) -> str:
    keys = [str(key) for key in detail if key != ERROR_COUNT_KEY]
    fields = ", ".join(keys[:MAX_ERROR_KEYS])
    count = _error_count(detail)
    if count > MAX_ERROR_KEYS:
        return _("%(count)d fields are invalid, among them: %(fields)s.") % {
            "count": count,
            "fields": fields,
        }
    return _("Some fields are invalid: %(fields)s.") % {"fields": fields}
