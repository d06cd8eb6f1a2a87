"""
Where a request goes: `/api/auth/...` and `/api/co/me...` (accounts), `/api/co/...` (car-owner
API: vehicles, notification settings and push devices), `/api/internal/...` (the sender API
for other MinBil services), `/admin/` (support staff), `/healthz` and `/readyz`
(liveness and readiness probes), `/media/...` (local photos behind signed URLs), `/reset` (the
password reset link's page), `/unsubscribe/...` (notification emails' unsubscribe link).
"""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from minbil.accounts.urls import account_urlpatterns, auth_urlpatterns, page_urlpatterns
from minbil.api.views import healthz, media, readyz, with_docs_policy
from notifications.urls import internal_urlpatterns
from notifications.urls import page_urlpatterns as notification_page_urlpatterns

urlpatterns = [
    re_path(r"^healthz/?$", healthz, name="healthz"),
    re_path(r"^readyz/?$", readyz, name="readyz"),
    # Local photo storage's signed URLs (S3 serves its own).
    re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", media, name="media"),
    path("admin/", admin.site.urls),
    path("api/auth/", include(auth_urlpatterns)),
    path("api/co/", include(account_urlpatterns)),
    path("api/co/", include("notifications.urls")),
    path("api/co/", include("vehicles.urls")),
    # Other MinBil services: the sender API (its own tokens, INTERNAL_API_TOKENS).
    path("api/internal/", include(internal_urlpatterns)),
    # The OpenAPI schema (YAML, or JSON with ?format=json) and its offline docs, which run
    # under a strict content-security policy (Swagger UI's initialiser served as a file).
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(
        r"^api/docs/?$",
        with_docs_policy(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="docs",
    ),
    re_path(
        r"^api/redoc/?$",
        with_docs_policy(SpectacularRedocView.as_view(url_name="schema")),
        name="redoc",
    ),
    # The password reset link's page, for when no app handles the link (`make run`).
    *page_urlpatterns,
    # The one-click unsubscribe link of notification emails.
    *notification_page_urlpatterns,
]
