"""
Where a request goes: `/api/auth/...` (accounts), `/api/co/...` (car-owner API: vehicles and
notification settings), `/admin/` (support staff), `/healthz` (load balancers).
"""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from minbil.api.views import healthz, serve_media

urlpatterns = [
    re_path(r"^healthz/?$", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/auth/", include("minbil.accounts.urls")),
    path("api/co/", include("notifications.urls")),
    path("api/co/", include("vehicles.urls")),
    # The OpenAPI schema (YAML, or JSON with ?format=json) and its offline docs.
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    re_path(r"^api/redoc/?$", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

if settings.SERVE_MEDIA:
    # Local development: uploaded photos straight from MEDIA_ROOT (S3 serves them otherwise).
    urlpatterns += [
        re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", serve_media, name="media"),
    ]
