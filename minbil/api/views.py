"""
Endpoints outside the versioned API: liveness and readiness probes, signed local media, and the
content-security policy of the API docs.
"""

import mimetypes
import os
from collections.abc import Callable
from functools import wraps
from stat import S_ISREG

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, JsonResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from minbil.api import health
from minbil.api.exceptions import error_response
from minbil.storage import SignedURLFileSystemStorage


@never_cache
@require_safe
def healthz(request):
    """
    Liveness: `200` whenever the process answers. Checks no dependency, on purpose; the body
    carries the constant facts apps add (`register_mode`), read from settings, no I/O.
    """
    return JsonResponse({"status": "ok", **health.liveness_facts()})


@never_cache
@require_safe
def readyz(request):
    """Readiness: `200` when every dependency answers in time, `503` naming the failing ones."""
    readiness = health.check_readiness()
    return JsonResponse(readiness.as_body(), status=200 if readiness.ready else 503)


@require_safe
def media(request, path: str):
    """
    A stored file behind a signed URL of `SignedURLFileSystemStorage` (local photo storage):
    `403` when the URL is unsigned, tampered with or expired, `404` when the file is gone.
    Conditional requests (`If-None-Match`, `If-Modified-Since`) answer `304`.
    """
    storage = default_storage
    remaining = None
    if isinstance(storage, SignedURLFileSystemStorage):
        remaining = storage.verify_url(
            path, request.GET.get("expires"), request.GET.get("signature")
        )
    if remaining is None:
        return error_response(request, 403, _("This link is invalid or has expired."))
    try:
        full_path = storage.path(path)
        stat = os.stat(full_path)
    except (OSError, SuspiciousFileOperation):
        return error_response(request, 404)
    if not S_ISREG(stat.st_mode):
        return error_response(request, 404)

    etag = quote_etag(f"{stat.st_size:x}-{stat.st_mtime_ns:x}")
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(stat.st_mtime),
        # Only the holder of the URL may keep it, and not beyond the URL's own expiry.
        "Cache-Control": f"private, max-age={remaining}",
    }
    response = get_conditional_response(request, etag=etag, last_modified=int(stat.st_mtime))
    if response is None:
        content_type = mimetypes.guess_type(full_path)[0] or "application/octet-stream"
        response = FileResponse(open(full_path, "rb"), content_type=content_type)  # noqa: SIM115 (FileResponse closes it)
    for header, value in headers.items():
        response[header] = value
    return response


# The API docs (Swagger UI, ReDoc) load everything from this server and run no inline script:
# Swagger UI's initialiser is a file of its own (drf-spectacular's split view), ReDoc's page
# has none. Inline styles stay allowed: ReDoc writes its styles into the page as it renders.
# ReDoc's search runs in a worker made from a blob: URL.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)


def with_docs_policy(view: Callable) -> Callable:
    """The docs page `view`, answered with `DOCS_CONTENT_SECURITY_POLICY`."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response

    return wrapped
