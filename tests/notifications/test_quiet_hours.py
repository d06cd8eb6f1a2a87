"""
Quiet hours: when they end (over midnight, across daylight-saving changes, in Europe/Oslo),
and setting them through the preferences API with the same all-or-nothing validation.
"""

import datetime

import pytest

from notifications.models import NotificationPreference, QuietHours
from notifications.quiet_hours import OSLO, quiet_until

URL = "/api/co/settings/notifications"
UTC = datetime.UTC


def oslo(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=OSLO)


def t(text: str) -> datetime.time:
    return datetime.time.fromisoformat(text)


@pytest.mark.parametrize(
    "now, start, end, until",
    [
        (oslo(2026, 5, 4, 23, 30), "22:00", "07:00", oslo(2026, 5, 5, 7, 0)),
        (oslo(2026, 5, 4, 6, 59), "22:00", "07:00", oslo(2026, 5, 4, 7, 0)),
        (oslo(2026, 5, 4, 22, 0), "22:00", "07:00", oslo(2026, 5, 5, 7, 0)),
        (oslo(2026, 5, 4, 7, 0), "22:00", "07:00", None),  # the end itself is outside
        (oslo(2026, 5, 4, 12, 0), "22:00", "07:00", None),
        (oslo(2026, 5, 4, 13, 0), "12:00", "14:00", oslo(2026, 5, 4, 14, 0)),
        (oslo(2026, 5, 4, 15, 0), "12:00", "14:00", None),
    ],
)
def test_when_quiet_hours_end(now, start, end, until):
    assert quiet_until(now, t(start), t(end)) == until


def test_the_end_stays_at_7_when_the_clocks_go_forward():
    # 29 March 2026: 02:00 CET becomes 03:00 CEST; the night is an hour shorter.
    until = quiet_until(oslo(2026, 3, 28, 23, 0), t("22:00"), t("07:00"))

    assert until == datetime.datetime(2026, 3, 29, 5, 0, tzinfo=UTC)  # 07:00 CEST
    assert until.astimezone(OSLO).hour == 7


def test_the_end_stays_at_7_when_the_clocks_go_back():
    # 25 October 2026: 03:00 CEST becomes 02:00 CET; the night is an hour longer.
    until = quiet_until(oslo(2026, 10, 24, 23, 0), t("22:00"), t("07:00"))

    assert until == datetime.datetime(2026, 10, 25, 6, 0, tzinfo=UTC)  # 07:00 CET
    assert until.astimezone(OSLO).hour == 7


def test_an_end_in_the_skipped_hour_is_the_moment_after_it():
    until = quiet_until(oslo(2026, 3, 29, 1, 30), t("01:00"), t("02:30"))

    assert until == datetime.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST


def test_inside_is_decided_by_the_oslo_clock_whatever_the_instants_zone():
    now = datetime.datetime(2026, 1, 10, 21, 30, tzinfo=UTC)  # 22:30 in Oslo (CET)

    assert quiet_until(now, t("22:00"), t("07:00")) == datetime.datetime(
        2026, 1, 11, 6, 0, tzinfo=UTC
    )


@pytest.mark.django_db
def test_the_same_time_twice_is_no_quiet_hours(auth_client, user):
    auth_client.put(URL, {"quiet_hours": {"start": "22:00", "end": "07:00"}}, format="json")

    response = auth_client.put(
        URL, {"quiet_hours": {"start": "07:00", "end": "07:00"}}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["quiet_hours"] is None
    assert not QuietHours.objects.exists()


# --- Through the preferences API -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "patch"])
def test_quiet_hours_are_set_read_and_removed(auth_client, user, method):
    response = getattr(auth_client, method)(
        URL,
        {"quiet_hours": {"start": "22:00", "end": "07:00"}, "message.new": {"push": False}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert response.json()["preferences"]["message.new"] == {"email": True, "push": False}
    assert auth_client.get(URL).json()["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert (QuietHours.objects.get(user=user).start, QuietHours.objects.get().end) == (
        t("22:00"),
        t("07:00"),
    )

    unchanged = getattr(auth_client, method)(URL, {"message.new": {"push": True}}, format="json")
    assert unchanged.json()["quiet_hours"] == {"start": "22:00", "end": "07:00"}

    removed = getattr(auth_client, method)(URL, {"quiet_hours": None}, format="json")
    assert removed.json()["quiet_hours"] is None
    assert not QuietHours.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "quiet_hours",
    [
        {"start": "22:00"},
        {"start": "22:00", "end": "07:00", "zone": "UTC"},
        {"start": "24:00", "end": "07:00"},
        {"start": "22:00", "end": "7:00"},
        {"start": "22:00", "end": "07:00:00"},
        {"start": 22, "end": "07:00"},
        "22:00-07:00",
        [],
        True,
    ],
)
def test_malformed_quiet_hours_are_refused_and_nothing_changes(auth_client, user, quiet_hours):
    response = auth_client.put(
        URL, {"quiet_hours": quiet_hours, "message.new": {"push": False}}, format="json"
    )

    assert response.status_code == 400
    assert "quiet_hours" in response.json()["error"]["details"]
    assert not QuietHours.objects.exists()
    assert not NotificationPreference.objects.exists()  # all or nothing
