"""`/api/co/settings/notifications`: the contract's table, every rejection, all or nothing."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from notifications.catalogue import CHANNELS, EVENTS
from notifications.models import NotificationPreference
from tests.factories import UserFactory

URL = "/api/co/settings/notifications"
ALL_ON = {event: {"email": True, "push": True} for event in EVENTS}

# The excerpt's request example, verbatim.
SEED_EXAMPLE = {
    "booking.requested": {"email": True, "push": True},
    "booking.accepted": {"email": True, "push": True},
    "booking.declined": {"email": True, "push": True},
    "booking.updated": {"email": True, "push": True},
    "booking.completed": {"email": True, "push": True},
    "message.new": {"email": True, "push": True},
    "rating.reminder": {"email": True, "push": True},
}

pytestmark = pytest.mark.django_db


def test_get_returns_every_event_and_channel_with_defaults_on(auth_client):
    response = auth_client.get(URL)

    assert response.status_code == 200
    assert response.json() == {"preferences": ALL_ON, "quiet_hours": None}
    assert list(response.json()["preferences"]) == list(EVENTS)


def test_the_excerpts_seven_events_stay_and_inspection_due_joins_them(auth_client):
    preferences = auth_client.get(URL).json()["preferences"]

    assert set(SEED_EXAMPLE) < set(preferences)
    assert preferences["inspection.due"] == {"email": True, "push": True}
    assert len(preferences) == 8


@pytest.mark.parametrize("method", ["put", "patch"])
def test_inspection_due_can_be_turned_off_like_any_event(auth_client, user, method):
    body = {"inspection.due": {"email": False}}

    response = getattr(auth_client, method)(URL, body, format="json")

    assert response.status_code == 200
    assert response.json()["preferences"]["inspection.due"] == {"email": False, "push": True}
    assert auth_client.get(URL).json()["preferences"]["inspection.due"]["email"] is False
    assert NotificationPreference.objects.filter(
        user=user, event="inspection.due", channel="email", enabled=False
    ).exists()


def test_anonymous_is_401(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.put(URL, {}, format="json").status_code == 401


@pytest.mark.parametrize("method", ["put", "patch"])
def test_partial_update_changes_only_what_is_given(auth_client, user, method):
    body = {"booking.accepted": {"email": True, "push": False}, "message.new": {"email": False}}

    response = getattr(auth_client, method)(URL, body, format="json")

    assert response.status_code == 200
    expected = {event: dict(channels) for event, channels in ALL_ON.items()}
    expected["booking.accepted"]["push"] = False
    expected["message.new"]["email"] = False
    assert response.json() == {"preferences": expected, "quiet_hours": None}
    assert auth_client.get(URL).json() == {"preferences": expected, "quiet_hours": None}
    stored = set(
        NotificationPreference.objects.filter(user=user).values_list("event", "channel", "enabled")
    )
    assert stored == {("booking.accepted", "push", False), ("message.new", "email", False)}


def test_a_later_partial_update_keeps_earlier_changes(auth_client):
    auth_client.put(URL, {"booking.declined": {"push": False}}, format="json")

    response = auth_client.patch(URL, {"rating.reminder": {"email": False}}, format="json")

    preferences = response.json()["preferences"]
    assert preferences["booking.declined"] == {"email": True, "push": False}
    assert preferences["rating.reminder"] == {"email": False, "push": True}


def test_setting_a_value_back_to_default_removes_the_stored_deviation(auth_client, user):
    auth_client.put(URL, {"message.new": {"push": False}}, format="json")

    response = auth_client.put(URL, {"message.new": {"push": True}}, format="json")

    assert response.json() == {"preferences": ALL_ON, "quiet_hours": None}
    assert not NotificationPreference.objects.filter(user=user).exists()


def test_a_value_that_is_already_so_is_not_written_again(auth_client, user):
    auth_client.put(URL, {"message.new": {"push": False}}, format="json")
    first = NotificationPreference.objects.get(user=user)

    with CaptureQueriesContext(connection) as queries:
        response = auth_client.put(URL, {"message.new": {"push": False}}, format="json")

    assert response.status_code == 200
    assert response.json()["preferences"]["message.new"] == {"email": True, "push": False}
    assert NotificationPreference.objects.get(user=user).updated_at == first.updated_at
    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")]
    assert not [sql for sql in writes if "notificationpreference" in sql.lower()]


def test_the_seed_request_example_succeeds(auth_client, user):
    auth_client.put(URL, {"message.new": {"push": False}}, format="json")

    response = auth_client.put(URL, SEED_EXAMPLE, format="json")

    assert response.status_code == 200
    assert response.json() == {"preferences": ALL_ON, "quiet_hours": None}
    assert not NotificationPreference.objects.filter(user=user).exists()


def test_empty_object_changes_nothing_and_answers_200(auth_client, user):
    auth_client.put(URL, {"message.new": {"push": False}}, format="json")

    response = auth_client.put(URL, {}, format="json")

    assert response.status_code == 200
    assert response.json()["preferences"]["message.new"]["push"] is False


@pytest.mark.parametrize(
    "body, details",
    [
        ({"booking.unknown": {"email": True}}, {"booking.unknown"}),
        ({"message.new": {"sms": True}}, {"message.new"}),
        ({"message.new": {"email": "true"}}, {"message.new"}),
        ({"message.new": {"email": 1}}, {"message.new"}),
        ({"message.new": {"email": None}}, {"message.new"}),
        ({"message.new": {"email": 0}}, {"message.new"}),
        ({"message.new": True}, {"message.new"}),
        ({"message.new": ["email"]}, {"message.new"}),
        ({"message.new": None}, {"message.new"}),
    ],
)
def test_invalid_entries_are_400_naming_the_key(auth_client, body, details):
    response = auth_client.put(URL, body, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) == details


def test_channel_errors_name_the_channel_inside_the_event(auth_client):
    response = auth_client.put(
        URL, {"message.new": {"sms": True, "push": "yes", "email": False}}, format="json"
    )

    details = response.json()["error"]["details"]
    assert set(details["message.new"]) == {"sms", "push"}
    assert "Unknown channel" in details["message.new"]["sms"][0]


@pytest.mark.parametrize("raw", ["[]", '"everything"', "null", "42", "true"])
def test_a_body_that_is_not_an_object_is_400(auth_client, raw):
    response = auth_client.put(URL, data=raw, content_type="application/json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()["error"]["details"]


def test_rejection_is_all_or_nothing_and_reports_every_offender(auth_client, user):
    body = {
        "booking.accepted": {"push": False},  # valid on its own
        "nope.event": {"email": False},
        "message.new": {"push": "false", "fax": True},
    }

    response = auth_client.put(URL, body, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"nope.event", "message.new"}
    assert not NotificationPreference.objects.filter(user=user).exists()
    assert auth_client.get(URL).json() == {"preferences": ALL_ON, "quiet_hours": None}


def test_users_only_see_and_change_their_own_preferences(auth_client):
    other = UserFactory()
    other_client = APIClient()
    other_client.force_authenticate(other)
    other_client.put(URL, {"booking.updated": {"email": False}}, format="json")

    assert auth_client.get(URL).json() == {"preferences": ALL_ON, "quiet_hours": None}


def test_multipart_body_is_415(auth_client):
    response = auth_client.put(URL, {"message.new": "x"}, format="multipart")

    assert response.status_code == 415


@pytest.mark.django_db(transaction=True)
def test_concurrent_updates_of_different_events_by_one_user_lose_nothing():
    user = UserFactory()
    changes = [{event: {channel: False}} for event in EVENTS for channel in CHANNELS]
    barrier = threading.Barrier(len(changes))
    statuses: list[int] = []

    def send(change):
        client = APIClient()
        client.force_authenticate(user)
        barrier.wait()
        try:
            statuses.append(client.patch(URL, change, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(change,)) for change in changes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * len(changes)
    client = APIClient()
    client.force_authenticate(user)
    preferences = client.get(URL).json()["preferences"]
    assert preferences == {event: {"email": False, "push": False} for event in EVENTS}
