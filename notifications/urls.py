"""
The notification routes, in three groups mounted by `minbil/urls.py`: the owner's API under
`/api/co/...` (settings, devices), the sender API under `/api/internal/...`, and the
unsubscribe page of notification emails.
"""

from django.urls import re_path

from notifications import pages
from notifications.serializers import DEVICE_PATH_TOKEN
from notifications.views import (
    DeviceViewSet,
    InternalNotificationViewSet,
    NotificationPreferenceViewSet,
)

preferences = NotificationPreferenceViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update"}
)

urlpatterns = [
    re_path(r"^settings/notifications/?$", preferences, name="notification-preferences"),
    re_path(
        r"^devices/?$",
        DeviceViewSet.as_view({"get": "list_devices", "post": "create"}),
        name="devices",
    ),
    re_path(
        rf"^devices/(?P<token>{DEVICE_PATH_TOKEN})/?$",
        DeviceViewSet.as_view({"delete": "destroy"}),
        name="device",
    ),
]

internal_urlpatterns = [
    re_path(
        r"^notifications/?$",
        InternalNotificationViewSet.as_view({"post": "create"}),
        name="internal-notifications",
    ),
    re_path(
        r"^notifications/(?P<notification_id>[0-9]{1,18})/?$",
        InternalNotificationViewSet.as_view({"get": "retrieve"}),
        name="internal-notification",
    ),
]

page_urlpatterns = [
    # Signed tokens are URL-safe base64 and colons; 300 characters hold any user id and event.
    re_path(
        r"^unsubscribe/(?P<token>[A-Za-z0-9_:.\-]{1,300})/?$", pages.unsubscribe, name="unsubscribe"
    ),
]
