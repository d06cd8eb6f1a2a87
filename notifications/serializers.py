"""Validation of the notification-settings body: strict and all-or-nothing."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from minbil.api.exceptions import first_errors
from notifications.catalogue import CHANNELS, EVENTS

_KNOWN_EVENTS = ", ".join(EVENTS)
_KNOWN_CHANNELS = ", ".join(CHANNELS)


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
                {"non_field_errors": ["The body must be a JSON object of events."]}
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
            return [f"Unknown event. Known events: {_KNOWN_EVENTS}."]
        if not isinstance(channels, dict):
            return ["Must be an object of channels to true or false."]
        return (
            first_errors(
                (
                    channel,
                    [f"Unknown channel. Known channels: {_KNOWN_CHANNELS}."]
                    if channel not in CHANNELS
                    else ["Must be true or false."],
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
