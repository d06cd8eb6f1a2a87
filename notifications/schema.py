"""The OpenAPI description of `/api/co/settings/notifications`."""

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view

from minbil.api.schema import errors
from notifications.catalogue import CHANNELS, EVENTS, FIRST_RELEASE_EVENTS
from notifications.serializers import (
    PreferencesInputSerializer,
    PreferencesOutputSerializer,
    preferences_schema,
)


class PreferencesInputSchema(OpenApiSerializerExtension):
    """The partial-update body as a named component: every event optional, nothing else."""

    target_class = PreferencesInputSerializer

    def map_serializer(self, auto_schema, direction):
        return preferences_schema(complete=False)


TAGS = ["notification settings"]

# The excerpt's request example, verbatim (its seven events; the catalogue has grown since).
EXCERPT_EXAMPLE = {event: {channel: True for channel in CHANNELS} for event in FIRST_RELEASE_EVENTS}

_PARTIAL_UPDATE = {
    "summary": "Partially update notification preferences",
    "description": (
        "Only the events and channels given change; the answer is the whole effective set. "
        'Unknown events or channels, values that are not JSON booleans (`"true"`, `1`, `null`), '
        "an event that is not an object, or a body that is not an object answer `400` naming "
        "each offending key, and nothing changes. `{}` changes nothing. PUT and PATCH are the same."
    ),
    "request": PreferencesInputSerializer,
    "responses": {200: PreferencesOutputSerializer, **errors(400, 401, 415)},
    "examples": [
        OpenApiExample(
            "Change two events",
            value={
                "booking.accepted": {"email": True, "push": False},
                "message.new": {"push": True},
            },
            request_only=True,
        ),
        OpenApiExample("Excerpt example", value=EXCERPT_EXAMPLE, request_only=True),
    ],
    "tags": TAGS,
}

notification_preferences_schema = extend_schema_view(
    retrieve=extend_schema(
        operation_id="notification_settings_retrieve",
        summary="Get notification preferences",
        description=(
            f"All {len(EVENTS)} events on both channels, defaults (on) filled in. The catalogue "
            "grows (`inspection.due` was added after the first release): a client must "
            "tolerate events it does not know."
        ),
        responses={200: PreferencesOutputSerializer, **errors(401)},
        tags=TAGS,
    ),
    update=extend_schema(operation_id="notification_settings_update", **_PARTIAL_UPDATE),
    partial_update=extend_schema(
        operation_id="notification_settings_partial_update", **_PARTIAL_UPDATE
    ),
)
