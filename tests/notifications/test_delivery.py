"""
Notifications' public API and the delivery log: idempotency keys (also under concurrency),
preferences, the email channel, transient and permanent failures, the claim that keeps a
delivery from being sent twice, `retry_deliveries` and the log's cleanup.
"""

import datetime
import smtplib
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import tasks
from notifications.delivery import dispatch
from notifications.models import Delivery, Notification
from notifications.services import (
    NotificationRequest,
    delete_old_notifications,
    notify,
    notify_many,
    update_preferences,
)
from tests.factories import UserFactory
from tests.threads import run_at_once

pytestmark = pytest.mark.django_db


def request(user, key: str = "booking:1:accepted", **fields) -> NotificationRequest:
    return NotificationRequest(
        **{
            "user_id": user.pk,
            "event": "booking.accepted",
            "idempotency_key": key,
            "title": "Your booking is accepted",
            "body": "See you on Monday at 08:00.",
            "reference": "B-1001",
            **fields,
        }
    )


def test_the_same_key_twice_creates_and_sends_one_notification(
    user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first, created = notify(request(user))
    with django_capture_on_commit_callbacks(execute=True):
        again, created_again = notify(request(user, title="Something else"))

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.title == "Your booking is accepted"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Your booking is accepted"
    assert "See you on Monday at 08:00." in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_with_the_same_keys_create_each_notification_once():
    users = [UserFactory() for _ in range(5)]
    requests = [request(u, key=f"k-{u.pk}") for u in users]

    results = run_at_once([lambda: notify_many(requests) for _ in range(4)])

    created = [pk for ids in results for pk in ids]
    assert len(created) == len(set(created)) == 5
    assert Notification.objects.count() == 5
    assert Delivery.objects.count() == 5
    assert len(mail.outbox) == 5


def test_unknown_events_and_empty_messages_are_programming_errors(user):
    with pytest.raises(ValueError, match="Unknown event"):
        request(user, event="booking.exploded")
    with pytest.raises(ValueError, match="template or a title"):
        request(user, title="")


def test_a_delivery_is_queued_and_logged_before_any_worker_runs(user):
    notify(request(user))  # the test's transaction never commits: no task runs

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.channel, delivery.attempts) == ("queued", "email", 0)
    assert delivery.next_attempt_at > timezone.now()  # retry_deliveries' grace period


def test_a_sent_delivery_records_address_message_id_and_time(user):
    notify(request(user))

    outcomes = dispatch.deliver(notification_ids=Notification.objects.values_list("pk", flat=True))

    assert outcomes == {"sent": 1}
    delivery = Delivery.objects.get()
    assert delivery.status == "sent"
    assert delivery.address == user.email
    assert delivery.provider_message_id == mail.outbox[0].extra_headers["Message-ID"]
    assert delivery.attempts == 1 and delivery.sent_at is not None


def test_a_delivery_is_never_sent_twice(user):
    notify(request(user))
    ids = list(Notification.objects.values_list("pk", flat=True))

    dispatch.deliver(notification_ids=ids)
    second = dispatch.deliver(notification_ids=ids)  # a redelivered task, a retry sweep

    assert second == {}
    assert len(mail.outbox) == 1


def test_two_workers_given_the_same_notification_send_it_once(user, monkeypatch):
    """Another worker claims the delivery between this one's read and its claim."""
    notify(request(user))
    ids = list(Notification.objects.values_list("pk", flat=True))
    read_preferences = dispatch._stored_preferences

    def another_worker_meanwhile(user_ids):
        monkeypatch.setattr(dispatch, "_stored_preferences", read_preferences)
        assert dispatch.deliver(notification_ids=ids) == {"sent": 1}
        return read_preferences(user_ids)

    monkeypatch.setattr(dispatch, "_stored_preferences", another_worker_meanwhile)

    assert dispatch.deliver(notification_ids=ids) == {}
    assert len(mail.outbox) == 1
    assert Delivery.objects.get().attempts == 1


def test_a_preference_turned_off_after_queueing_still_skips_the_email(user):
    notify(request(user))
    update_preferences(user=user, changes={"booking.accepted": {"email": False}})

    outcomes = dispatch.deliver(notification_ids=Notification.objects.values_list("pk", flat=True))

    assert outcomes == {"skipped_by_preference": 1}
    assert not mail.outbox
    assert Delivery.objects.get().status == "skipped_by_preference"


def failing_smtp(exc: Exception):
    return mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=exc
    )


def test_a_transient_failure_is_retried_later_with_backoff(user):
    notify(request(user))
    ids = list(Notification.objects.values_list("pk", flat=True))

    with failing_smtp(smtplib.SMTPServerDisconnected("gone")):
        assert dispatch.deliver(notification_ids=ids) == {"retrying": 1}

    delivery = Delivery.objects.get()
    assert delivery.status == "retrying" and delivery.attempts == 1
    assert delivery.reason == "SMTPServerDisconnected"
    wait = delivery.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=40) < wait < datetime.timedelta(seconds=80)

    assert dispatch.deliver(notification_ids=ids) == {}  # not before its time
    Delivery.objects.update(next_attempt_at=timezone.now())
    dispatch.deliver(notification_ids=ids)  # the retry, once the server is back

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1


def test_a_transient_failure_gives_up_after_the_last_attempt(user):
    notify(request(user))
    Delivery.objects.update(
        attempts=dispatch.MAX_ATTEMPTS - 1, status="retrying", next_attempt_at=timezone.now()
    )

    with failing_smtp(smtplib.SMTPServerDisconnected("gone")):
        dispatch.deliver(notification_ids=Notification.objects.values_list("pk", flat=True))

    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert (
        delivery.reason
        == f"SMTPServerDisconnected (gave up after {dispatch.MAX_ATTEMPTS} attempts)"
    )


def test_a_permanent_refusal_fails_at_once(user):
    notify(request(user))
    refused = smtplib.SMTPRecipientsRefused({user.email: (550, b"No such user")})

    with failing_smtp(refused):
        dispatch.deliver(notification_ids=Notification.objects.values_list("pk", flat=True))

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.reason) == ("failed", "recipient refused (550)")
    assert delivery.next_attempt_at is None


def test_a_batch_shares_one_email_connection(django_capture_on_commit_callbacks):
    users = [UserFactory() for _ in range(5)]
    connections = mock.patch("minbil.mail.get_connection", wraps=mail.get_connection)
    with connections as connect, django_capture_on_commit_callbacks(execute=True):
        notify_many([request(u, key=f"k-{u.pk}") for u in users])

    assert connect.call_count == 1
    assert len(mail.outbox) == 5


def test_delivery_queries_do_not_grow_with_the_batch_beyond_two_per_message():
    def queries(count: int) -> int:
        users = [UserFactory() for _ in range(count)]
        created = notify_many([request(u, key=f"q{count}-{u.pk}") for u in users])
        with CaptureQueriesContext(connection) as run:
            dispatch.deliver(notification_ids=created)
        return len(run.captured_queries)

    assert queries(10) - queries(1) == 2 * 9  # a claim and a record per message, nothing more


def test_retry_deliveries_queues_what_is_due_and_gives_up_on_interrupted_sends(user):
    notify(request(user, key="a"))
    notify(request(user, key="b"))
    notify(request(user, key="c"))
    now = timezone.now()
    a, _, c = Delivery.objects.order_by("notification__idempotency_key")
    Delivery.objects.filter(pk=a.pk).update(next_attempt_at=now - datetime.timedelta(minutes=1))
    Delivery.objects.filter(pk=c.pk).update(
        status="sending", last_attempt_at=now - datetime.timedelta(hours=2)
    )

    summary = tasks.retry_deliveries.apply().get()  # eager: the queued task runs at once

    assert summary == {"queued_again": 1, "interrupted": 1}
    assert [d.status for d in Delivery.objects.order_by("notification__idempotency_key")] == [
        "sent",  # due: queued again and delivered
        "queued",  # within its grace period: its own task will come
        "failed",  # interrupted: it may have gone out, so never again
    ]
    assert len(mail.outbox) == 1


def test_the_cleanup_deletes_notifications_and_their_log_after_the_retention(user, settings):
    settings.DELIVERY_LOG_DAYS = 180
    notify(request(user, key="old"))
    notify(request(user, key="new"))
    Notification.objects.filter(idempotency_key="old").update(
        created_at=timezone.now() - datetime.timedelta(days=181)
    )

    summary = tasks.clean_delivery_log.apply().get()

    assert summary == {"deleted": 1}
    assert list(Notification.objects.values_list("idempotency_key", flat=True)) == ["new"]
    assert Delivery.objects.count() == 1
    assert delete_old_notifications(days=180, chunk=1) == 0


def test_a_job_out_of_time_leaves_the_rest_of_its_batch_queued():
    users = [UserFactory() for _ in range(3)]
    ids = notify_many([request(u, key=f"t-{u.pk}") for u in users])
    sends = []

    def slow_send(*args, **kwargs):
        sends.append(1)
        if len(sends) == 2:
            raise SoftTimeLimitExceeded()
        return 1

    backend = "django.core.mail.backends.locmem.EmailBackend.send_messages"
    with mock.patch(backend, slow_send), pytest.raises(SoftTimeLimitExceeded):
        dispatch.deliver(notification_ids=ids)

    statuses = list(Delivery.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["sent", "sending", "queued"]
