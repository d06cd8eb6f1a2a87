"""
Input and output shapes of the notification APIs: the settings body (strict and
all-or-nothing, with the quiet hours), push devices, and the sender API for other services.
"""

import datetime
import re

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from minbil.api.exceptions import first_errors
from minbil.api.fields import (
    StrictCharField,
    StrictEmailField,
    StrictIntegerField,
    StrictTypeMixin,
    UtcDateTimeField,
)
from notifications.catalogue import CHANNELS, EVENTS, SENT_BY_SERVICES
from notifications.models import TOKEN_MAX_LENGTH, DeliveryStatus, Platform

QUIET_HOURS = "quiet_hours"
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
# An FCM registration token: URL-safe base64 with colons (about 160 characters today).
DEVICE_PATH_TOKEN = rf"[A-Za-z0-9_:.\-]{{20,{TOKEN_MAX_LENGTH}}}"
DEVICE_TOKEN_PATTERN = f"^{DEVICE_PATH_TOKEN}$"
APP_VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._+()\-]{0,31}$"
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,190}$"  # printable ASCII, no spaces
# The sender API's `data`: what a push carries besides its title and body (FCM's limit is
# 4 KB in all). FCM reserves `from`, `message_type` and keys starting with `google` or `gcm`.
DATA_MAX_ENTRIES = 10
DATA_KEY_MAX_LENGTH = 64
DATA_VALUE_MAX_LENGTH = 200
RESERVED_DATA_KEY = re.compile(r"^(from|message_type|notification|event|google.*|gcm.*)$", re.I)

_KNOWN_EVENTS = {"events": ", ".join(EVENTS)}
_KNOWN_CHANNELS = {"channels": ", ".join(CHANNELS)}


def parse_quiet_hours(value) -> tuple[datetime.time, datetime.time] | None:
    """
    `{"start": "22:00", "end": "07:00"}` or `null`; `ValidationError` for anything else. A
    window from a time to the same time is empty: no quiet hours, like `null`.
    """
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"start", "end"}:
        raise serializers.ValidationError(
            [_('Must be null or {"start": "HH:MM", "end": "HH:MM"}.')]
        )
    times = []
    for key in ("start", "end"):
        if not isinstance(value[key], str) or not re.fullmatch(CLOCK_PATTERN, value[key]):
            raise serializers.ValidationError({key: [_("Must be a time as HH:MM (00:00-23:59).")]})
        times.append(datetime.time.fromisoformat(value[key]))
    return None if times[0] == times[1] else (times[0], times[1])


class PreferencesInputSerializer(serializers.Serializer):
    """
    `{event: {channel: bool}, "quiet_hours"?: {...} | null}`, partial. Every offending key is
    reported at once, under its own name, and nothing is applied unless everything is valid.
    Only JSON `true`/`false` are booleans: `"true"`, `1` and `null` are refused. Validated
    data: `{"changes": {event: {channel: bool}}}`, and `"quiet_hours"` when given.
    """

    def run_validation(self, data=empty):
        return self.to_internal_value(data)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [_("The body must be a JSON object of events.")]}
            )
        validated: dict = {"changes": {}}
        errors = first_errors(
            (key, problem)
            for key, value in data.items()
            if (problem := self._problem(key, value, validated))
        )
        if errors:
            raise serializers.ValidationError(errors)
        return validated

    @classmethod
    def _problem(cls, key: str, value, validated: dict) -> list[str] | dict | None:
        """What is wrong with one key of the body (None: it is valid, and now in `validated`)."""
        if key == QUIET_HOURS:
            try:
                validated[QUIET_HOURS] = parse_quiet_hours(value)
            except serializers.ValidationError as exc:
                return exc.detail
            return None
        problem = cls._event_problem(key, value)
        if problem is None:
            validated["changes"][key] = value
        return problem

    @staticmethod
    def _event_problem(event: str, channels) -> list[str] | dict | None:
        if event not in EVENTS:
            return [_("Unknown event. Known events: %(events)s.") % _KNOWN_EVENTS]
        if not isinstance(channels, dict):
            return [_("Must be an object of channels to true or false.")]
        return (
            first_errors(
                (
                    channel,
                    [_("Unknown channel. Known channels: %(channels)s.") % _KNOWN_CHANNELS]
                    if channel not in CHANNELS
                    else [_("Must be true or false.")],
                )
                for channel, value in channels.items()
                if channel not in CHANNELS or not isinstance(value, bool)
            )
            or None
        )


def _channels_schema(*, complete: bool) -> dict:
    schema = {
        "type": "object",
        "properties": {channel: {"type": "boolean"} for channel in CHANNELS},
        "additionalProperties": False,
    }
    if complete:
        schema["required"] = list(CHANNELS)
    return schema


def preferences_schema(*, complete: bool) -> dict:
    """Every event of the catalogue with its channels: all required in answers, optional in
    a partial update (which also takes `quiet_hours`). Derived from the catalogue, so the
    schema follows it."""
    properties = {event: _channels_schema(complete=complete) for event in EVENTS}
    if not complete:
        properties[QUIET_HOURS] = {
            **QUIET_HOURS_SCHEMA,
            "description": "Replaces the quiet hours (`null`: none). Absent: unchanged.",
        }
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if complete:
        schema["required"] = list(EVENTS)
    return schema


QUIET_HOURS_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": (
        "Europe/Oslo wall-clock times: a push that falls inside waits until `end` (over "
        "midnight when `end` is earlier than `start`); reminders wait on every channel, other "
        "emails are not delayed. `null` (or the same time twice): no quiet hours."
    ),
    "properties": {
        "start": {"type": "string", "pattern": CLOCK_PATTERN, "example": "22:00"},
        "end": {"type": "string", "pattern": CLOCK_PATTERN, "example": "07:00"},
    },
    "required": ["start", "end"],
    "additionalProperties": False,
}


@extend_schema_field(QUIET_HOURS_SCHEMA)
class QuietHoursField(serializers.Field):
    """`{"start": "HH:MM", "end": "HH:MM"}` from a `QuietHours` row, or `null`."""

    def to_representation(self, value):
        return {"start": f"{value.start:%H:%M}", "end": f"{value.end:%H:%M}"}


@extend_schema_field(preferences_schema(complete=True))
class PreferencesField(serializers.DictField):
    child = serializers.DictField(child=serializers.BooleanField())


class PreferencesOutputSerializer(serializers.Serializer):
    """
    The excerpt's body, `{"preferences": {event: {"email": bool, "push": bool}}}`, and the
    quiet hours beside it.
    """

    preferences = PreferencesField()
    quiet_hours = QuietHoursField(allow_null=True)


def settings_body(preferences: dict[str, dict[str, bool]], quiet_hours) -> dict:
    """
    What `PreferencesOutputSerializer` (which documents it) makes of the effective preferences
    and the quiet hours, built directly: the settings screen asks for it on every visit.
    """
    return {
        "preferences": preferences,
        "quiet_hours": None
        if quiet_hours is None
        else QuietHoursField().to_representation(quiet_hours),
    }


class ChangedPreferenceSerializer(serializers.Serializer):
    event = serializers.CharField()
    channel = serializers.CharField()
    enabled = serializers.BooleanField()
    updated_at = UtcDateTimeField()


class ExportedPreferencesSerializer(serializers.Serializer):
    """The owner's preferences in their data export (see `exported_preferences`)."""

    effective = PreferencesField(help_text="Every event and channel, defaults filled in.")
    changed = ChangedPreferenceSerializer(
        many=True, help_text="The values the owner changed from the default, and when."
    )
    quiet_hours = QuietHoursField(allow_null=True)


class ExportedDeliverySerializer(serializers.Serializer):
    """One entry of the owner's delivery log in their data export."""

    event = serializers.CharField(source="notification.event")
    reference = serializers.CharField(source="notification.reference")
    channel = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()
    address = serializers.CharField(help_text="The email address, or the device for push.")
    created_at = UtcDateTimeField()
    sent_at = UtcDateTimeField(allow_null=True)


# --- Push devices ------------------------------------------------------------------------------


class StrictChoiceField(StrictTypeMixin, serializers.ChoiceField):
    pass


class DeviceInputSerializer(serializers.Serializer):
    token = StrictCharField(
        min_length=20,
        max_length=TOKEN_MAX_LENGTH,
        validators=[
            RegexValidator(
                DEVICE_TOKEN_PATTERN,
                _("Must be an FCM registration token: 20 or more of A-Z, a-z, 0-9, _ : . -"),
            )
        ],
        help_text="The app installation's FCM registration token.",
    )
    platform = StrictChoiceField(choices=Platform.choices)
    app_version = StrictCharField(
        max_length=32,
        required=False,
        default="",
        validators=[
            RegexValidator(
                APP_VERSION_PATTERN,
                _("Letters, digits, spaces and . _ + ( ) -, starting with a letter or digit."),
            )
        ],
        help_text="e.g. `4.2.1 (512)`.",
    )


class DeviceOutputSerializer(serializers.Serializer):
    token = serializers.CharField()
    platform = serializers.ChoiceField(choices=Platform.choices)
    app_version = serializers.CharField()
    registered_at = UtcDateTimeField(source="created_at", help_text="First registered.")
    last_registered_at = UtcDateTimeField(help_text="Last registered by the app.")
    last_pushed_at = UtcDateTimeField(allow_null=True, help_text="Last push sent to it.")


# --- The sender API (other MinBil services) -------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "maxProperties": DATA_MAX_ENTRIES,
        "additionalProperties": {"type": "string", "maxLength": DATA_VALUE_MAX_LENGTH},
        "description": (
            f"Strings for the app, at most {DATA_MAX_ENTRIES}, sent with the push. Keys are "
            f"1 to {DATA_KEY_MAX_LENGTH} characters and not FCM's reserved `from`, "
            "`message_type`, `notification`, or starting with `google` or `gcm`; `event` is "
            "added by MinBil (the notification's event)."
        ),
        "example": {"booking_id": "8812"},
    }
)
class DataField(serializers.DictField):
    child = StrictCharField(
        max_length=DATA_VALUE_MAX_LENGTH, allow_blank=True, trim_whitespace=False
    )

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        if len(data) > DATA_MAX_ENTRIES:
            raise serializers.ValidationError(
                _("At most %(count)d entries.") % {"count": DATA_MAX_ENTRIES}
            )
        bad = [
            key
            for key in data
            if not 1 <= len(key) <= DATA_KEY_MAX_LENGTH or RESERVED_DATA_KEY.match(key)
        ]
        if bad:
            raise serializers.ValidationError(
                {key[:DATA_KEY_MAX_LENGTH]: [_("Not a key the push may carry.")] for key in bad[:5]}
            )
        return data


class SendNotificationInputSerializer(serializers.Serializer):
    user_id = StrictIntegerField(min_value=1, max_value=2**63 - 1, required=False)
    email = StrictEmailField(max_length=254, required=False)
    event = StrictChoiceField(choices=SENT_BY_SERVICES)
    title = StrictCharField(max_length=200)
    body = StrictCharField(max_length=2000)
    data = DataField(required=False, default=dict)
    idempotency_key = StrictCharField(
        max_length=190,
        trim_whitespace=False,
        validators=[
            RegexValidator(
                IDEMPOTENCY_KEY_PATTERN,
                _("Must be 1 to 190 printable ASCII characters without spaces."),
            )
        ],
        help_text=(
            "Unique per notification, e.g. `booking:8812:accepted`: sending it again "
            "answers `200` with the first notification and sends nothing."
        ),
    )

    def validate(self, attrs: dict) -> dict:
        if ("user_id" in attrs) == ("email" in attrs):
            message = _("Give either user_id or email, not both.")
            raise serializers.ValidationError({"user_id": [message], "email": [message]})
        return attrs


class NotificationCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The notification's id, for its status.")
    idempotency_key = serializers.CharField()


class DeliveryStateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.values)
    reason = serializers.CharField()
    device = serializers.CharField(
        allow_null=True, help_text="Push: the device (platform and the token's end)."
    )
    attempts = serializers.IntegerField()
    updated_at = UtcDateTimeField()
    sent_at = UtcDateTimeField(allow_null=True)
    next_attempt_at = UtcDateTimeField(
        allow_null=True, help_text="When a `retrying` or `delayed` delivery is tried again."
    )


class ChannelStatesSerializer(serializers.Serializer):
    email = DeliveryStateSerializer(many=True, help_text="One delivery.")
    push = DeliveryStateSerializer(
        many=True, help_text="One delivery per device of the owner (none without a device)."
    )


class NotificationStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    event = serializers.CharField()
    idempotency_key = serializers.CharField()
    created_at = UtcDateTimeField()
    channels = ChannelStatesSerializer(help_text="The delivery log, per channel.")
