"""
One notification to the channels the owner's preferences allow, each attempt recorded in the
delivery log (`Delivery`).

Every channel that can deliver has a sender in `SENDERS` (a context manager that opens what a
batch shares, such as one SMTP connection or FCM's access token, and yields
`send(delivery) -> Sent`); a notification gets a delivery row for each of them when it is
created, for push one per device of the owner. Adding a channel is one module and one line
here.

A delivery is sent at most once: a worker claims a notification's deliveries on a channel
with one conditional update (`queued`/`retrying`/`delayed` → `sending`) before sending, so
two workers given the same notification (a redelivered task, `retry_deliveries`) never both
send one. A worker that dies while sending leaves it `sending`; `retry_deliveries` marks it
failed an hour later, never sends it again.

Quiet hours: a push (and a reminder on any channel) due inside the owner's quiet hours is
`delayed` until they end; `retry_deliveries` queues it again then. A delivery waiting for a
retry or for the end of quiet hours is not sent before its time, also when another delivery
of its notification brings the notification back to a worker earlier.

Queries: a few per batch, and per notification a claim and a record on each channel (plus
one for the devices reached or gone), whatever the number of the owner's devices.
"""

import logging
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.db.models import F, Q
from django.utils import timezone

from notifications.catalogue import REMINDERS, Channel, default_for
from notifications.delivery import email, push
from notifications.delivery.errors import DeliveryFailed, Sent
from notifications.models import (
    Delivery,
    DeliveryStatus,
    Device,
    NotificationPreference,
    QuietHours,
    device_label,
)
from notifications.quiet_hours import OSLO, quiet_until

logger = logging.getLogger(__name__)

Sender = Callable[[], AbstractContextManager[Callable[[Delivery], Sent]]]
SENDERS: dict[str, Sender] = {
    Channel.EMAIL: email.sender,
    Channel.PUSH: push.sender,
}
CHANNELS_DELIVERED: tuple[str, ...] = tuple(SENDERS)
# Channels that go to each of the owner's devices, and those that wait for quiet hours.
PER_DEVICE = frozenset({Channel.PUSH})
QUIET = frozenset({Channel.PUSH})

PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.RETRYING, DeliveryStatus.DELAYED)
# Notifications per delivery task: one email connection each.
CHUNK = 100
# A transient failure is tried again after 1, 2, 4, ... minutes (at most an hour, with
# jitter, and never before the provider's Retry-After), 8 attempts in all: about two hours
# of a provider's outage.
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


def new_deliveries(owners: dict[int, int], *, now: datetime) -> None:
    """
    The queued deliveries of new notifications (`{notification id: owner id}`): one per
    channel, and on a per-device channel one per device the owner has (none without one).
    """
    devices: dict[int, list[tuple[int, str]]] = defaultdict(list)
    rows = Device.objects.filter(user_id__in=set(owners.values())).order_by("pk")
    for pk, user_id, platform, token in rows.values_list("pk", "user_id", "platform", "token"):
        devices[user_id].append((pk, device_label(platform, token)))
    Delivery.objects.bulk_create(
        Delivery(
            notification_id=notification_id,
            channel=channel,
            target=str(device_id or ""),
            device_id=device_id,
            address=address,
            created_at=now,
            updated_at=now,
            next_attempt_at=now + QUEUED_GRACE,
        )
        for notification_id, user_id in owners.items()
        for channel in CHANNELS_DELIVERED
        for device_id, address in (devices[user_id] if channel in PER_DEVICE else [(None, "")])
    )


def enqueue(notification_ids: Iterable[int]) -> None:
    """Queues the delivery of these notifications on the job engine, `CHUNK` per task."""
    from notifications.tasks import deliver_notifications

    ids = list(notification_ids)
    for start in range(0, len(ids), CHUNK):
        deliver_notifications.delay(ids[start : start + CHUNK])


def deliver(*, notification_ids: Iterable[int]) -> Counter[str]:
    """
    Delivers what is due of these notifications: skipped where the owner's preference is
    off, cancelled where the device is gone, delayed inside quiet hours, else sent through
    the channel's sender. Returns how many ended in each status.
    """
    now = timezone.now()
    due = Q(status=DeliveryStatus.QUEUED) | Q(status__in=PENDING, next_attempt_at__lte=now)
    deliveries = list(
        Delivery.objects.filter(due, notification_id__in=list(notification_ids))
        .select_related("notification__user", "device")
        .order_by("pk")
    )
    owners = {d.notification.user_id for d in deliveries}
    preferences = _stored_preferences(owners)
    quiet_hours = _quiet_hours(owners)
    skipped, cancelled, delayed = [], [], defaultdict(list)
    to_send: dict[str, dict[int, list[Delivery]]] = defaultdict(lambda: defaultdict(list))
    for delivery in deliveries:
        notification = delivery.notification
        key = (notification.user_id, notification.event, delivery.channel)
        if not preferences.get(key, default_for(*key[1:])):
            skipped.append(delivery)
        elif delivery.channel in PER_DEVICE and (
            delivery.device is None or delivery.device.user_id != notification.user_id
        ):
            cancelled.append(delivery)  # signed out, unregistered, or moved to another owner
        elif until := _held_until(delivery, quiet_hours.get(notification.user_id), now):
            delayed[until].append(delivery)
        else:
            to_send[delivery.channel][notification.pk].append(delivery)

    outcomes: Counter[str] = Counter()
    outcomes[DeliveryStatus.SKIPPED_BY_PREFERENCE] = _set_aside(
        skipped,
        status=DeliveryStatus.SKIPPED_BY_PREFERENCE,
        reason="The owner turned this event off for this channel.",
    )
    outcomes[DeliveryStatus.CANCELLED] = _set_aside(
        cancelled,
        status=DeliveryStatus.CANCELLED,
        reason="The device was removed before sending (signed out or unregistered).",
    )
    for until, waiting in delayed.items():
        outcomes[DeliveryStatus.DELAYED] += _set_aside(
            waiting,
            status=DeliveryStatus.DELAYED,
            reason=f"Quiet hours until {until.astimezone(OSLO):%H:%M} (Europe/Oslo).",
            next_attempt_at=until,
        )
    for channel, by_notification in to_send.items():
        with SENDERS[channel]() as send:
            for group in by_notification.values():
                outcomes.update(_send(_claimed(group), send))
    return +outcomes


def retry_deliveries() -> dict[str, int]:
    """
    Queues again what is due: deliveries waiting for a retry or for the end of quiet hours,
    and queued ones whose task has not run within `QUEUED_GRACE` (lost with a broker, or never
    sent to it). Each is `queued` with another grace period, so a busy queue is not flooded
    with copies. Deliveries left `sending` by a worker that died are marked failed: they may have
    gone out, so they are never sent again.
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
    Delivery.objects.filter(pk__in=[pk for pk, _ in due], status__in=PENDING).update(
        status=DeliveryStatus.QUEUED, next_attempt_at=now + QUEUED_GRACE
    )
    notification_ids = list(dict.fromkeys(notification_id for _, notification_id in due))
    enqueue(notification_ids)
    return {"queued_again": len(notification_ids), "interrupted": interrupted}


def _stored_preferences(user_ids: set[int]) -> dict[tuple[int, str, str], bool]:
    rows = NotificationPreference.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "event", "channel", "enabled"
    )
    return {(user_id, event, channel): enabled for user_id, event, channel, enabled in rows}


def _quiet_hours(user_ids: set[int]) -> dict[int, tuple]:
    rows = QuietHours.objects.filter(user_id__in=user_ids).values_list("user_id", "start", "end")
    return {user_id: (start, end) for user_id, start, end in rows}


def _held_until(delivery: Delivery, quiet_hours: tuple | None, now: datetime) -> datetime | None:
    """When the owner's quiet hours end, if they hold this delivery back now."""
    if quiet_hours is None or not (
        delivery.channel in QUIET or delivery.notification.event in REMINDERS
    ):
        return None
    return quiet_until(now, *quiet_hours)


def _set_aside(deliveries: list[Delivery], *, status: str, reason: str, **fields) -> int:
    """Gives deliveries still pending a status without sending them; returns how many."""
    if not deliveries:
        return 0
    return Delivery.objects.filter(pk__in=[d.pk for d in deliveries], status__in=PENDING).update(
        status=status,
        reason=reason,
        updated_at=timezone.now(),
        **{"next_attempt_at": None, **fields},
    )


def _claimed(deliveries: list[Delivery]) -> list[Delivery]:
    """
    The deliveries (of one notification on one channel) this worker claimed (`sending`),
    in one update; those another worker holds are left out.
    """
    now = timezone.now()
    claim = uuid.uuid4()
    pks = [d.pk for d in deliveries]
    claimed = Delivery.objects.filter(pk__in=pks, status__in=PENDING).update(
        status=DeliveryStatus.SENDING,
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        updated_at=now,
        claim=claim,
    )
    if claimed < len(pks):
        held = set(Delivery.objects.filter(pk__in=pks, claim=claim).values_list("pk", flat=True))
        deliveries = [d for d in deliveries if d.pk in held]
    for delivery in deliveries:
        delivery.attempts += 1
    return deliveries


RECORDED = ["status", "address", "provider_message_id", "reason", "sent_at", "next_attempt_at"]


def _send(deliveries: list[Delivery], send: Callable[[Delivery], Sent]) -> Counter[str]:
    """
    Sends claimed deliveries and records their outcomes in one update (also when the job's
    time runs out midway: what was sent is recorded, the one in flight stays `sending`).
    Devices reached get `last_pushed_at`; those the provider no longer knows are removed.
    """
    done: list[Delivery] = []
    reached, gone = [], []
    try:
        for delivery in deliveries:
            try:
                sent = send(delivery)
            except DeliveryFailed as exc:
                _failed(delivery, exc)
                if exc.target_gone:
                    gone.append(delivery.device_id)
            except SoftTimeLimitExceeded:
                # The job's time is up: this delivery stays `sending` (it may have gone out),
                # the rest of the batch stays queued for `retry_deliveries`.
                raise
            except Exception:
                # Deliberately broad: a bug in one message (a template error, say) must not
                # stop the batch or leave the delivery `sending`. Logged in full, not retried.
                logger.exception("Delivery %s failed unexpectedly", delivery.pk)
                _failed(
                    delivery,
                    DeliveryFailed("Unexpected error (see the worker's log).", transient=False),
                )
            else:
                delivery.status = DeliveryStatus.SENT
                delivery.address = sent.address[:254]
                delivery.provider_message_id = sent.message_id[:255]
                delivery.reason = ""
                delivery.sent_at = timezone.now()
                delivery.next_attempt_at = None
                if delivery.device_id:
                    reached.append(delivery.device_id)
            done.append(delivery)
    finally:
        _record(done)
        if reached:
            Device.objects.filter(pk__in=reached).update(last_pushed_at=timezone.now())
        if gone:
            Device.objects.filter(pk__in=gone).delete()
    return Counter(d.status for d in done)


def _record(deliveries: list[Delivery]) -> None:
    now = timezone.now()
    for delivery in deliveries:
        delivery.updated_at = now
    if len(deliveries) == 1:
        (delivery,) = deliveries
        values = {name: getattr(delivery, name) for name in [*RECORDED, "updated_at"]}
        Delivery.objects.filter(pk=delivery.pk).update(**values)
    elif deliveries:
        Delivery.objects.bulk_update(deliveries, [*RECORDED, "updated_at"])


def _failed(delivery: Delivery, exc: DeliveryFailed) -> None:
    delivery.reason = exc.reason[:500]
    delivery.next_attempt_at = None
    if exc.transient and delivery.attempts < MAX_ATTEMPTS:
        backoff = min(FIRST_RETRY * 2 ** (delivery.attempts - 1), LONGEST_RETRY)
        backoff *= random.uniform(0.75, 1.25)  # noqa: S311 (jitter, not security)
        wait = max(backoff, min(exc.retry_after or timedelta(0), LONGEST_RETRY))
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = timezone.now() + wait
        return
    delivery.status = DeliveryStatus.FAILED
    if exc.transient:
        delivery.reason = f"{exc.reason} (gave up after {delivery.attempts} attempts)"[:500]
