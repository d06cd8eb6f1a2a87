"""
One notification to the channels the owner's preferences allow, each attempt recorded in the
delivery log (`Delivery`).

Every channel that can deliver has a sender in `SENDERS` (a context manager that opens what a
batch shares, such as one SMTP connection, and yields `send(notification) -> Sent`); a
notification gets a delivery row for each of them when it is created. Adding a channel is
one module and one line here.

A delivery is sent at most once: a worker claims it with a conditional update
(`queued`/`retrying` → `sending`) before sending, so two workers given the same notification
(a redelivered task, `retry_deliveries`) never both send it. A worker that dies while sending
leaves it `sending`; `retry_deliveries` marks it failed an hour later, never sends it again.
"""

import logging
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.db.models import F
from django.utils import timezone

from notifications.catalogue import Channel, default_for
from notifications.delivery import email
from notifications.delivery.errors import DeliveryFailed, Sent
from notifications.models import Delivery, DeliveryStatus, Notification, NotificationPreference

logger = logging.getLogger(__name__)

Sender = Callable[[], AbstractContextManager[Callable[[Notification], Sent]]]
SENDERS: dict[str, Sender] = {
    Channel.EMAIL: email.sender,
}
CHANNELS_DELIVERED: tuple[str, ...] = tuple(SENDERS)

PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.RETRYING)
# Notifications per delivery task: one email connection each.
CHUNK = 100
# A transient failure is tried again after 1, 2, 4, ... minutes (at most an hour, with
# jitter), 8 attempts in all: about two hours of an email server's outage.
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# Deliveries `retry_deliveries` queues again at most per run (every minute).
RETRIES_PER_SWEEP = 5000
# A queued delivery whose task has not run by then is queued again by `retry_deliveries`.
QUEUED_GRACE = timedelta(minutes=5)
# A delivery still `sending` this long after its claim was interrupted (its task's hard time
# limit is far shorter).
SENDING_GIVEN_UP_AFTER = timedelta(hours=1)


def enqueue(notification_ids: Iterable[int]) -> None:
    """Queues the delivery of these notifications on the job engine, `CHUNK` per task."""
    from notifications.tasks import deliver_notifications

    ids = list(notification_ids)
    for start in range(0, len(ids), CHUNK):
        deliver_notifications.delay(ids[start : start + CHUNK])


def deliver(*, notification_ids: Iterable[int]) -> Counter[str]:
    """
    Delivers what is pending of these notifications: skipped where the owner's preference
    is off, else sent through the channel's sender. Returns how many ended in each status.
    A few queries per batch and two per message sent.
    """
    now = timezone.now()
    deliveries = list(
        Delivery.objects.filter(notification_id__in=list(notification_ids), status__in=PENDING)
        .select_related("notification__user")
        .order_by("pk")
    )
    preferences = _stored_preferences({d.notification.user_id for d in deliveries})
    allowed, skipped = [], []
    for delivery in deliveries:
        key = (delivery.notification.user_id, delivery.notification.event, delivery.channel)
        enabled = preferences.get(key, default_for(*key[1:]))
        (allowed if enabled else skipped).append(delivery)

    outcomes: Counter[str] = Counter()
    outcomes[DeliveryStatus.SKIPPED_BY_PREFERENCE] = Delivery.objects.filter(
        pk__in=[d.pk for d in skipped], status__in=PENDING
    ).update(
        status=DeliveryStatus.SKIPPED_BY_PREFERENCE,
        reason="The owner turned this event off for this channel.",
        next_attempt_at=None,
        updated_at=now,
    )
    by_channel: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in allowed:
        by_channel[delivery.channel].append(delivery)
    for channel, group in by_channel.items():
        with SENDERS[channel]() as send:
            for delivery in _claimed(group):
                outcomes[_attempt(delivery, send)] += 1
    return +outcomes


def retry_deliveries() -> dict[str, int]:
    """
    Queues again what is due: deliveries waiting for a retry, and queued ones whose task has
    not run within `QUEUED_GRACE` (lost with a broker, or never sent to it). Each is given
    another grace period, so a busy queue is not flooded with copies. Deliveries left
    `sending` by a worker that died are marked failed: they may have gone out, so they are
    never sent again.
    """
    now = timezone.now()
    interrupted = Delivery.objects.filter(
        status=DeliveryStatus.SENDING, last_attempt_at__lt=now - SENDING_GIVEN_UP_AFTER
    ).update(
        status=DeliveryStatus.FAILED,
        reason="Interrupted while sending (the worker stopped); it may have been sent.",
        updated_at=now,
    )
    due = list(
        Delivery.objects.filter(status__in=PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", "notification_id")[:RETRIES_PER_SWEEP]
    )
    Delivery.objects.filter(pk__in=[pk for pk, _ in due]).update(next_attempt_at=now + QUEUED_GRACE)
    notification_ids = list(dict.fromkeys(notification_id for _, notification_id in due))
    enqueue(notification_ids)
    return {"queued_again": len(notification_ids), "interrupted": interrupted}


def _stored_preferences(user_ids: set[int]) -> dict[tuple[int, str, str], bool]:
    rows = NotificationPreference.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "event", "channel", "enabled"
    )
    return {(user_id, event, channel): enabled for user_id, event, channel, enabled in rows}


def _claimed(deliveries: list[Delivery]) -> Iterator[Delivery]:
    """Each delivery that this worker claimed (`sending`); one another worker holds is left."""
    for delivery in deliveries:
        now = timezone.now()
        claimed = Delivery.objects.filter(pk=delivery.pk, status__in=PENDING).update(
            status=DeliveryStatus.SENDING,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            updated_at=now,
        )
        if claimed:
            delivery.attempts += 1
            yield delivery


def _attempt(delivery: Delivery, send: Callable[[Notification], Sent]) -> str:
    """Sends one claimed delivery and records the outcome; returns its new status."""
    fields: dict
    try:
        sent = send(delivery.notification)
    except DeliveryFailed as exc:
        fields = _failure(delivery, exc.reason, transient=exc.transient)
    except SoftTimeLimitExceeded:
        # The job's time is up: this delivery stays `sending` (it may have gone out), the
        # rest of the batch stays queued for `retry_deliveries`.
        raise
    except Exception:
        # Deliberately broad: a bug in one message (a template error, say) must not stop the
        # batch or leave the delivery `sending`. Logged in full here, never retried.
        logger.exception("Delivery %s failed unexpectedly", delivery.pk)
        fields = _failure(delivery, "Unexpected error (see the worker's log).", transient=False)
    else:
        fields = {
            "status": DeliveryStatus.SENT,
            "address": sent.address[:254],
            "provider_message_id": sent.message_id[:255],
            "reason": "",
            "sent_at": timezone.now(),
            "next_attempt_at": None,
        }
    Delivery.objects.filter(pk=delivery.pk).update(**fields, updated_at=timezone.now())
    return fields["status"]


def _failure(delivery: Delivery, reason: str, *, transient: bool) -> dict:
    if transient and delivery.attempts < MAX_ATTEMPTS:
        delay = min(FIRST_RETRY * 2 ** (delivery.attempts - 1), LONGEST_RETRY)
        return {
            "status": DeliveryStatus.RETRYING,
            "reason": reason[:500],
            "next_attempt_at": timezone.now() + delay * random.uniform(0.75, 1.25),  # noqa: S311
        }
    if transient:
        reason = f"{reason} (gave up after {delivery.attempts} attempts)"
    return {"status": DeliveryStatus.FAILED, "reason": reason[:500], "next_attempt_at": None}
