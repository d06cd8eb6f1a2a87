"""
The OpenAPI description of `/api/co/settings/notifications`, `/api/co/devices` and the
sender API (`/api/internal/notifications`, its own tag and security scheme).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from minbil.api.schema import CONDITIONAL_PARAMETERS, NOT_MODIFIED, envelope, errors
from notifications.catalogue import CHANNELS, EVENTS, FIRST_RELEASE_EVENTS, SENT_BY_SERVICES
from notifications.serializers import (
    DEVICE_TOKEN_PATTERN,
    DeviceInputSerializer,
    DeviceOutputSerializer,
    NotificationCreatedSerializer,
    NotificationStatusSerializer,
    PreferencesInputSerializer,
    PreferencesOutputSerializer,
    SendNotificationInputSerializer,
    preferences_schema,
)


class PreferencesInputSchema(OpenApiSerializerExtension):
    """The partial-update body as a named component: every event optional, nothing else."""

    target_class = PreferencesInputSerializer

    def map_serializer(self, auto_schema, direction):
        return preferences_schema(complete=False)


class SendNotificationInputSchema(OpenApiSerializerExtension):
    """The sender API's body names the owner by `user_id` or by `email`: exactly one."""

    target_class = SendNotificationInputSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        return {**schema, "oneOf": [{"required": ["user_id"]}, {"required": ["email"]}]}


class InternalTokenScheme(OpenApiAuthenticationExtension):
    """The sender API's bearer token: one of `INTERNAL_API_TOKENS`, never an owner's JWT."""

    target_class = "notifications.authentication.InternalTokenAuthentication"
    name = "internalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A service token of other MinBil services (`INTERNAL_API_TOKENS`). An owner's "
                "JWT is refused with `401`."
            ),
        }


TAGS = ["notification settings"]

# The excerpt's request example, verbatim (its seven events; the catalogue has grown since).
EXCERPT_EXAMPLE = {event: {channel: True for channel in CHANNELS} for event in FIRST_RELEASE_EVENTS}

_PARTIAL_UPDATE = {
    "summary": "Partially update notification preferences",
    "description": (
        "Only the events and channels given change; the answer is the whole effective set. "
        "`quiet_hours` (beside the events) replaces the quiet hours, `null` removes them. "
        'Unknown events or channels, values that are not JSON booleans (`"true"`, `1`, `null`), '
        "an event that is not an object, malformed quiet hours, or a body that is not an "
        "object answer `400` naming each offending key, and nothing changes. `{}` changes "
        "nothing. PUT and PATCH are the same."
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
        OpenApiExample(
            "Quiet hours",
            value={"quiet_hours": {"start": "22:00", "end": "07:00"}},
            request_only=True,
        ),
    ],
    "tags": TAGS,
}

notification_preferences_schema = extend_schema_view(
    retrieve=extend_schema(
        operation_id="notification_settings_retrieve",
        summary="Get notification preferences",
        description=(
            f"All {len(EVENTS)} events on both channels, defaults (on) filled in, and the "
            "quiet hours (`null` when none). The catalogue grows (`inspection.due` was added "
            "after the first release): a client must tolerate events it does not know."
        ),
        parameters=CONDITIONAL_PARAMETERS,
        responses={200: PreferencesOutputSerializer, **NOT_MODIFIED, **errors(401)},
        tags=TAGS,
    ),
    update=extend_schema(operation_id="notification_settings_update", **_PARTIAL_UPDATE),
    partial_update=extend_schema(
        operation_id="notification_settings_partial_update", **_PARTIAL_UPDATE
    ),
)


DEVICES = ["devices"]
DEVICE = envelope(DeviceOutputSerializer)

# Decorates the method itself: `extend_schema_view` knows only the standard actions.
devices_list_schema = extend_schema(
    operation_id="devices_list",
    summary="The owner's push devices",
    description="Most recently registered first; at most 20.",
    responses={200: envelope(DeviceOutputSerializer, many=True), **errors(401)},
    tags=DEVICES,
)

devices_schema = extend_schema_view(
    create=extend_schema(
        operation_id="devices_register",
        summary="Register this app installation for push notifications",
        description=(
            "Send the installation's FCM registration token at every start and whenever FCM "
            "gives a new one. `201` when the token is new to this owner, `200` when it was "
            "registered already (its platform, app version and time are updated). A token "
            "another account registered moves to this one: a shared phone never pushes to the "
            "account signed out of it. At most 20 devices per owner: registering one more "
            "drops the one registered longest ago. Signing out with the token (`device_token` "
            "in `POST /api/auth/logout`) removes it; signing out everywhere, a new password "
            "and deleting the account remove them all."
        ),
        request=DeviceInputSerializer,
        responses={
            200: OpenApiResponse(DEVICE, description="Already registered; updated."),
            201: OpenApiResponse(DEVICE, description="Registered."),
            **errors(400, 401, 415),
        },
        examples=[
            OpenApiExample(
                "Android",
                value={
                    "token": "dQw4w9WgXcQ:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx",
                    "platform": "android",
                    "app_version": "4.2.1 (512)",
                },
                request_only=True,
            )
        ],
        tags=DEVICES,
    ),
    destroy=extend_schema(
        operation_id="devices_remove",
        summary="Stop push notifications to a device",
        description=(
            "`404 device_not_found` for a token this owner has not registered (another "
            "owner's answers the same)."
        ),
        parameters=[
            OpenApiParameter(
                "token",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                pattern=DEVICE_TOKEN_PATTERN,
                description="The device's FCM registration token.",
            )
        ],
        responses={200: DEVICE, **errors(401, 404)},
        tags=DEVICES,
    ),
)

INTERNAL = ["internal notifications"]

internal_notifications_schema = extend_schema_view(
    create=extend_schema(
        operation_id="internal_notifications_send",
        summary="Notify an owner (for other MinBil services)",
        description=(
            "Stores the notification and queues it at once (`202` with its id); a worker then "
            "sends it on each channel the owner's preferences allow: an email in the owner's "
            "language (the title as subject, the body as given, with a one-click unsubscribe) "
            "and a push to each of their devices (the body shortened to 400 characters; "
            "`data` and the `event` go with it). Pushes inside the owner's quiet hours wait "
            "for their end, and reminders wait on every channel.\n\n"
            "Name the owner by `user_id` or by `email`, not both. Events: "
            + ", ".join(f"`{event}`" for event in SENT_BY_SERVICES)
            + ". The same `idempotency_key` again answers `200` with the first notification's "
            "id and sends nothing more, when it says the same (owner, event, title, body, "
            "data); with anything different it is refused with `409 idempotency_key_reused`, "
            "since that is a bug in the caller."
        ),
        request=SendNotificationInputSerializer,
        responses={
            202: OpenApiResponse(
                envelope(NotificationCreatedSerializer), description="Stored and queued."
            ),
            200: OpenApiResponse(
                envelope(NotificationCreatedSerializer),
                description="This idempotency key was sent before: the first notification.",
            ),
            **errors(
                400,
                401,
                404,
                409,
                415,
                descriptions={
                    401: "No service token, or not one of `INTERNAL_API_TOKENS` (an owner's "
                    "JWT included).",
                    404: "`user_not_found`: no active account with this id or email.",
                    409: "`idempotency_key_reused`: the key came with a different notification.",
                },
            ),
        },
        examples=[
            OpenApiExample(
                "Booking accepted",
                value={
                    "email": "kari@example.com",
                    "event": "booking.accepted",
                    "title": "Bestillingen er bekreftet",
                    "body": "Verkstedet venter deg mandag kl. 08:00.",
                    "data": {"booking_id": "8812"},
                    "idempotency_key": "booking:8812:accepted",
                },
                request_only=True,
            )
        ],
        tags=INTERNAL,
    ),
    retrieve=extend_schema(
        operation_id="internal_notifications_status",
        summary="How a notification was delivered",
        description=(
            "Each channel's deliveries from the delivery log: one email, one push per device "
            "(none when the owner had no device). Statuses: `queued`, `sending`, `sent`, "
            "`skipped_by_preference` (the owner turned the event off there), `delayed` (quiet "
            "hours), `retrying`, `cancelled` (the device was removed first), `failed`."
        ),
        parameters=[
            OpenApiParameter(
                "notification_id",
                OpenApiTypes.INT,
                OpenApiParameter.PATH,
                description="The id the send operation answered.",
            )
        ],
        responses={
            200: envelope(NotificationStatusSerializer),
            **errors(
                401,
                404,
                descriptions={
                    401: "No service token, or not one of `INTERNAL_API_TOKENS`.",
                    404: "`notification_not_found`.",
                },
            ),
        },
        tags=INTERNAL,
    ),
)
