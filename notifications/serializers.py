"""Validation of the notification-settings body: strict and all-or-nothing."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from minbil.api.exceptions import first_errors
from minbil.api.fields import UtcDateTimeField
from notifications.catalogue import CHANNELS, EVENTS

_KNOWN_EVENTS = {"events": ", ".join(EVENTS)}
_KNOWN_CHANNELS = {"channels": ", ".join(CHANNELS)}


class PreferencesInputSerializer(serializers.Serializer):
    """
    `{event: {channel: bool}}`, partial. Every offending key is reported at once, under its
    own name, and nothing is applied unless everything is valid. Only JSON `true`/`false`
    are booleans: `"true"`, `1` and `null` are refused.
    """

    def run_validation(self, data=empty):
        return self.to_internal_value(data)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [_("The body must be a JSON object of events.")]}
            )
        errors = first_errors(
            (event, problem)
            for event, channels in data.items()
            if (problem := self._event_problem(event, channels))
        )
        if errors:
            raise serializers.ValidationError(errors)
        return data

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
    a partial update. Derived from the catalogue, so the schema follows it."""
    schema = {
        "type": "object",
        "properties": {event: _channels_schema(complete=complete) for event in EVENTS},
        "additionalProperties": False,
    }
    if complete:
        schema["required"] = list(EVENTS)
    return schema


@extend_schema_field(preferences_schema(complete=True))
class PreferencesField(serializers.DictField):
    child = serializers.DictField(child=serializers.BooleanField())


class PreferencesOutputSerializer(serializers.Serializer):
    """The excerpt's body: `{"preferences": {event: {"email": bool, "push": bool}}}`."""

    preferences = PreferencesField()


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


class ExportedDeliverySerializer(serializers.Serializer):
    """One entry of the owner's delivery log in their data export."""

    event = serializers.CharField(source="notification.event")
    reference = serializers.CharField(source="notification.reference")
    channel = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()
    address = serializers.CharField()
    created_at = UtcDateTimeField()
    sent_at = UtcDateTimeField(allow_null=True)
