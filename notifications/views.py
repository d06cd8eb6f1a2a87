"""`/api/co/settings/notifications`: the owner's notification preferences."""

from rest_framework import status, viewsets
from rest_framework.response import Response

from notifications.schema import notification_preferences_schema
from notifications.selectors import effective_preferences
from notifications.serializers import PreferencesInputSerializer, PreferencesOutputSerializer
from notifications.services import update_preferences


@notification_preferences_schema
class NotificationPreferenceViewSet(viewsets.ViewSet):
    """GET the effective preferences; PUT or PATCH a partial change (same semantics)."""

    envelope = False  # the excerpt's body is `{"preferences": ...}`, not the data envelope

    def retrieve(self, request):
        return self._respond(request)

    def update(self, request):
        serializer = PreferencesInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        update_preferences(user=request.user, changes=serializer.validated_data)
        return self._respond(request)

    def partial_update(self, request):
        return self.update(request)

    def _respond(self, request) -> Response:
        body = {"preferences": effective_preferences(user=request.user)}
        return Response(PreferencesOutputSerializer(body).data, status=status.HTTP_200_OK)
