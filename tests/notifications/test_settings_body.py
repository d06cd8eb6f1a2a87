"""The settings answer is built directly; `PreferencesOutputSerializer` documents the same."""

import datetime

import pytest

from notifications.models import NotificationPreference, QuietHours
from notifications.selectors import effective_preferences, quiet_hours_of
from notifications.serializers import PreferencesOutputSerializer, settings_body
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("quiet", [None, (datetime.time(22, 30), datetime.time(7, 0))])
def test_the_settings_body_is_what_the_serializer_documents(quiet):
    user = UserFactory()
    NotificationPreference.objects.create(
        user=user, event="message.new", channel="push", enabled=False
    )
    if quiet:
        QuietHours.objects.create(user=user, start=quiet[0], end=quiet[1])
    preferences, hours = effective_preferences(user=user), quiet_hours_of(user=user)

    body = settings_body(preferences, hours)

    assert (
        body == PreferencesOutputSerializer({"preferences": preferences, "quiet_hours": hours}).data
    )
    assert body["preferences"]["message.new"] == {"email": True, "push": False}
    assert body["quiet_hours"] == (quiet and {"start": "22:30", "end": "07:00"})
