"""Endpoints outside the versioned API: liveness and readiness probes, signed local media."""

import mimetypes
import os
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
