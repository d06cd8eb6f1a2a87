"""Serializer fields: JSON input that is exactly what the schema says, and UTC timestamps."""

from datetime import UTC

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class StrictTypeMixin:
    """
    Refuses numbers and booleans where text is expected, instead of turning them into text,
    and text longer than `max_length` as sent: the schema's `maxLength` counts what the client
    sends, before the white space around it is trimmed.
    """

    default_error_messages = {"not_a_string": _("Must be a string.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        max_length = getattr(self, "max_length", None)  # a choice field has none
        if max_length is not None and len(data) > max_length:
            self.fail("max_length", max_length=max_length, length=len(data))
        return super().to_internal_value(data)


class StrictCharField(StrictTypeMixin, serializers.CharField):
    pass


class StrictEmailField(StrictTypeMixin, serializers.EmailField):
    pass


class UtcDateTimeField(serializers.DateTimeField):
    """ISO-8601 in UTC with a `Z`, whatever the server's time zone."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only: `"12"`, `12.0` and `true` are refused, not converted."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)
