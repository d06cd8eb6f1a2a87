"""
The owner's notification settings (`/api/co/settings/notifications`) and push devices
(`/api/co/devices`), and the sender API other MinBil services call
(`/api/internal/notifications`).
"""

from rest_framework import status, viewsets
from rest_framework.response import Response

from minbil.api.conditional import conditional_response
from notifications.authentication import InternalTokenAuthentication, IsInternalService
from notifications.schema import (
    devices_list_schema,
    devices_schema,
    internal_notifications_schema,
    notification_preferences_schema,
)
from notifications.selectors import (
    devices_of,
    effective_preferences,
    notification_status,
    quiet_hours_of,
)
from notifications.serializers import (
    DeviceInputSerializer,
    DeviceOutputSerializer,
    NotificationCreatedSerializer,
    NotificationStatusSerializer,
    PreferencesInputSerializer,
    SendNotificationInputSerializer,
    settings_body,
)
from notifications.services import (
    NotificationNotFound,
    notify_from_service,
    register_device,
    remove_device,
    update_preferences,
)


@notification_preferences_schema
class NotificationPreferenceViewSet(viewsets.ViewSet):
    """GET the effective preferences; PUT or PATCH a partial change (same semantics)."""

    envelope = False  # the excerpt's body is `{"preferences": ...}`, not the data envelope

    def retrieve(self, request):
        return conditional_response(request, self._settings(request))

    def update(self, request):
        serializer = PreferencesInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        update_preferences(user=request.user, **serializer.validated_data)
        return self._respond(request)

    def partial_update(self, request):
        return self.update(request)

    def _respond(self, request) -> Response:
        return Response(self._settings(request), status=status.HTTP_200_OK)

    def _settings(self, request) -> dict:
        return settings_body(
            effective_preferences(user=request.user), quiet_hours_of(user=request.user)
        )


@devices_schema
class DeviceViewSet(viewsets.ViewSet):
    """The owner's app installations that receive push notifications."""

    # Not `list`: drf-spectacular would document a bare array, not the envelope.
    @devices_list_schema
    def list_devices(self, request):
        devices = devices_of(user=request.user)
        return Response(DeviceOutputSerializer(devices, many=True).data)

    def create(self, request):
        serializer = DeviceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device, created = register_device(user=request.user, **serializer.validated_data)
        return Response(
            DeviceOutputSerializer(device).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def destroy(self, request, token: str):
        device = remove_device(user=request.user, token=token)
        return Response(DeviceOutputSerializer(device).data)


@internal_notifications_schema
class InternalNotificationViewSet(viewsets.ViewSet):
    """Other MinBil services notify owners: store and queue (`202`), then ask how it went."""

    authentication_classes = [InternalTokenAuthentication]
    permission_classes = [IsInternalService]

    def create(self, request):
        serializer = SendNotificationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notification, created = notify_from_service(**serializer.validated_data)
        body = {
            "id": notification.pk,
            "idempotency_key": serializer.validated_data["idempotency_key"],
        }
        return Response(
            NotificationCreatedSerializer(body).data,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )

    def retrieve(self, request, notification_id: str):
        state = notification_status(notification_id=int(notification_id))
        if state is None:
            raise NotificationNotFound()
        return Response(NotificationStatusSerializer(state).data)
