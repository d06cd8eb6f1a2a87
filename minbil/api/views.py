"""Endpoints outside the versioned API: the health check, and local media for `make run`."""

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.http import require_safe
from django.views.static import serve

from vehicles.register import configured_mode


@require_safe
def healthz(request):
    """
    `200 {"status": "ok"}` when the database answers a query, `503` otherwise; both say which
    register answers (`register_mode`: `live` or `sandbox`, from the settings alone).
    """
    mode = configured_mode() or "unconfigured"
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "register_mode": mode}, status=503)
    return JsonResponse({"status": "ok", "register_mode": mode})


@require_safe
def serve_media(request, path: str):
    """Uploaded files from MEDIA_ROOT, for local runs only (`SERVE_MEDIA`)."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)
