"""
The owner's data export (GDPR articles 15 and 20): one JSON document with everything stored
about them, and nothing of anyone else's.

Accounts renders the account itself. Every other app that stores something about a user adds
its part by registering a section from its `AppConfig.ready()`, so accounts never imports it:

    register_export_section(
        "vehicles", source=vehicle_links_for, serializer=ExportedVehicleLinkSerializer, many=True
    )

`source(user=...)` returns what the section's serializer renders (with the request in its
context, for absolute URLs). Sections appear after `account`, by name; the OpenAPI schema of
the document is built from the same serializers.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers

from minbil.accounts.models import Language
from minbil.api.fields import UtcDateTimeField


@dataclass(frozen=True)
class ExportSection:
    source: Callable[..., Any]
    serializer: type[serializers.Serializer]
    many: bool = False


_sections: dict[str, ExportSection] = {}


def register_export_section(
    name: str,
    *,
    source: Callable[..., Any],
    serializer: type[serializers.Serializer],
    many: bool = False,
) -> None:
    """Adds an app's part of the export under `name` (registering the same again is a no-op)."""
    section = ExportSection(source=source, serializer=serializer, many=many)
    if name == "account" or _sections.get(name, section) != section:
        raise ImproperlyConfigured(f"The export section {name!r} is already registered.")
    _sections[name] = section


def export_account(*, user) -> dict[str, Any]:
    """What `AccountExportSerializer` renders: the user, then each section's source."""
    return {
        "account": user,
        **{name: section.source(user=user) for name, section in _sections.items()},
    }


class ExportedAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    language = serializers.ChoiceField(choices=Language.choices)
    date_joined = UtcDateTimeField()
    last_login = UtcDateTimeField(allow_null=True)


class AccountExportSerializer(serializers.Serializer):
    """The whole document; the registered sections are added when the fields are built."""

    account = ExportedAccountSerializer()

    def get_fields(self):
        fields = super().get_fields()
        for name in sorted(_sections):
            section = _sections[name]
            fields[name] = section.serializer(many=section.many)
        return fields
