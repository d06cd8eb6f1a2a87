"""
The notification routes, in two groups mounted by `minbil/urls.py`: the settings API under
`/api/co/...`, and the unsubscribe page of notification emails.
"""

from django.urls import re_path

from notifications import pages
from notifications.views import NotificationPreferenceViewSet

preferences = NotificationPreferenceViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update"}
)

urlpatterns = [
    re_path(r"^settings/notifications/?$", preferences, name="notification-preferences"),
]

page_urlpatterns = [
    # Signed tokens are URL-safe base64 and colons; 300 characters hold any user id and event.
    re_path(
        r"^unsubscribe/(?P<token>[A-Za-z0-9_:.\-]{1,300})/?$", pages.unsubscribe, name="unsubscribe"
    ),
]
