"""
Where a request goes: `/api/auth/...` and `/api/co/me...` (accounts), `/api/co/...` (car-owner
API: vehicles and notification settings), `/admin/` (support staff), `/healthz` (load
balancers), `/reset` (the password reset link's page).
"""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from minbil.accounts.urls import account_urlpatterns, auth_urlpatterns, page_urlpatterns
from minbil.api.views import healthz, serve_media

urlpatterns = [
    re_path(r"^healthz/?$", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/auth/", include(auth_urlpatterns)),
    path("api/co/", include(account_urlpatterns)),
    path("api/co/", include("notifications.urls")),
    path("api/co/", include("vehicles.urls")),
    # The OpenAPI schema (YAML, or JSON with ?format=json) and its offline docs.
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    re_path(r"^api/redoc/?$", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    # The password reset link's page, for when no app handles the link (`make run`).
    *page_urlpatterns,
]

if settings.SERVE_MEDIA:
    # Local development: uploaded photos straight from MEDIA_ROOT (S3 serves them otherwise).
    urlpatterns += [
        re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", serve_media, name="media"),
    ]
