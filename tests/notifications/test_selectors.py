"""`allows` and `recipients`: what the booking service asks before it notifies anyone."""

import pytest

from notifications.selectors import allows, recipients
from notifications.services import update_preferences
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_allows_defaults_to_on_without_stored_changes():
    user = UserFactory()

    assert allows(user, "booking.accepted", "email") is True
    assert allows(user, "rating.reminder", "push") is True


def test_allows_follows_stored_changes_for_that_pair_only():
    user = UserFactory()
    update_preferences(user=user, changes={"booking.accepted": {"push": False}})

    assert allows(user, "booking.accepted", "push") is False
    assert allows(user, "booking.accepted", "email") is True
    assert allows(user, "booking.declined", "push") is True


def test_allows_rejects_unknown_event_or_channel():
    user = UserFactory()

    with pytest.raises(KeyError):
        allows(user, "booking.unknown", "email")
    with pytest.raises(KeyError):
        allows(user, "booking.accepted", "sms")


def test_recipients_include_users_on_defaults_and_exclude_opt_outs():
    on_defaults = UserFactory()
    opted_out = UserFactory()
    opted_out_elsewhere = UserFactory()
    update_preferences(user=opted_out, changes={"message.new": {"push": False}})
    update_preferences(user=opted_out_elsewhere, changes={"message.new": {"email": False}})

    assert set(recipients("message.new", "push")) == {on_defaults, opted_out_elsewhere}
    assert set(recipients("message.new", "email")) == {on_defaults, opted_out}


def test_recipients_exclude_inactive_users():
    active = UserFactory()
    UserFactory(is_active=False)

    assert list(recipients("booking.completed", "email")) == [active]


def test_recipients_is_one_query(django_assert_num_queries):
    for _ in range(5):
        update_preferences(user=UserFactory(), changes={"booking.updated": {"push": False}})
    UserFactory()

    with django_assert_num_queries(1):
        assert len(list(recipients("booking.updated", "push"))) == 1


def test_allows_is_one_query(django_assert_num_queries):
    user = UserFactory()

    with django_assert_num_queries(1):
        allows(user, "booking.requested", "push")
