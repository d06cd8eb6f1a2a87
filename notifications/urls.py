from django.urls import re_path

from notifications.views import NotificationPreferenceViewSet

preferences = NotificationPreferenceViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update"}
)

urlpatterns = [
    re_path(r"^settings/notifications/?$", preferences, name="notification-preferences"),
]
