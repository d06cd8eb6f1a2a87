"""
Writes on notifications: preferences, the public API other parts of MinBil send through
(`notify`, `notify_many`), and the one-click unsubscribe.

Sending is asynchronous: `notify_many` stores each notification with a `queued` delivery per
channel in the caller's transaction, and queues the work for the job engine once it commits
(`notifications.delivery`). The idempotency key is unique in the database, so a notification
asked for twice, also by two processes at once, is stored and sent once.
"""

import operator
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial, reduce

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.catalogue import EVENTS, Channel, default_for
from notifications.delivery.dispatch import CHANNELS_DELIVERED, QUEUED_GRACE, enqueue
from notifications.models import Delivery, Notification, NotificationPreference

# Rows per INSERT (and per IN list when reading them back).
CHUNK = 500


@transaction.atomic
def update_preferences(*, user, changes: dict[str, dict[str, bool]]) -> None:
    """
    Applies a partial, already validated `{event: {channel: bool}}` change.

    Values that differ from the default are upserted (one row per event and channel, so
    concurrent changes of other events are untouched); values equal to the default delete
    the row, keeping the table to real deviations.
    """
    now = timezone.now()
    deviations = []
    back_to_default = []
    for event, channels in changes.items():
        for channel, enabled in channels.items():
            if enabled == default_for(event, channel):
                back_to_default.append(Q(event=event, channel=channel))
            else:
                deviations.append(
                    NotificationPreference(
                        user=user, event=event, channel=channel, enabled=enabled, updated_at=now
                    )
                )
    if deviations:
        NotificationPreference.objects.bulk_create(
            deviations,
            update_conflicts=True,
            unique_fields=["user", "event", "channel"],
            update_fields=["enabled", "updated_at"],
        )
    if back_to_default:
        NotificationPreference.objects.filter(
            reduce(operator.or_, back_to_default), user=user
        ).delete()


def unsubscribe_from_email(*, user, event: str) -> None:
    """Turns `event`'s email off for `user` (the one-click unsubscribe of every email)."""
    update_preferences(user=user, changes={event: {Channel.EMAIL: False}})


@dataclass(frozen=True)
class NotificationRequest:
    """
    What a part of MinBil asks to tell one user: an email `template` (rendered with
    `context` in the user's language when delivered) or a `title` and `body` as they are,
    `data` for the apps, and a `reference` for support to search. Asking again with the same
    `idempotency_key` does nothing.
    """

    user_id: int
    event: str
    idempotency_key: str
    template: str = ""
    context: dict = field(default_factory=dict)
    title: str = ""
    body: str = ""
    data: dict[str, str] = field(default_factory=dict)
    reference: str = ""

    def __post_init__(self) -> None:
        if self.event not in EVENTS:
            raise ValueError(f"Unknown event {self.event!r}.")
        if not (self.template or self.title):
            raise ValueError("A notification needs a template or a title.")


def notify(request: NotificationRequest) -> tuple[Notification, bool]:
    """One notification: `(notification, True)` when this call created it, else the first one."""
    created = notify_many([request])
    return Notification.objects.get(idempotency_key=request.idempotency_key), bool(created)


def notify_many(requests: Sequence[NotificationRequest]) -> list[int]:
    """
    Stores the notifications whose keys are new, each with a queued delivery per channel,
    and queues their delivery once the transaction commits. Returns the ids this call
    created: with two calls at once, each key is created by exactly one of them (the unique
    key decides; the insert skips what exists). A few queries per 500 requests.
    """
    batch = uuid.uuid4()
    now = timezone.now()
    created: list[int] = []
    with transaction.atomic():
        for start in range(0, len(requests), CHUNK):
            chunk = requests[start : start + CHUNK]
            Notification.objects.bulk_create(
                [_notification(request, batch=batch, now=now) for request in chunk],
                ignore_conflicts=True,
            )
            ids = list(
                Notification.objects.filter(
                    idempotency_key__in=[request.idempotency_key for request in chunk],
                    batch=batch,
                ).values_list("pk", flat=True)
            )
            Delivery.objects.bulk_create(
                Delivery(
                    notification_id=pk,
                    channel=channel,
                    created_at=now,
                    updated_at=now,
                    next_attempt_at=now + QUEUED_GRACE,
                )
                for pk in ids
                for channel in CHANNELS_DELIVERED
            )
            created.extend(ids)
        if created:
            transaction.on_commit(partial(enqueue, created), robust=True)
    return created


def _notification(request: NotificationRequest, *, batch: uuid.UUID, now) -> Notification:
    return Notification(
        user_id=request.user_id,
        event=request.event,
        idempotency_key=request.idempotency_key,
        template=request.template,
        context=request.context,
        title=request.title,
        body=request.body,
        data=request.data,
        reference=request.reference,
        batch=batch,
        created_at=now,
    )


def delete_old_notifications(*, days: int, chunk: int = 5000) -> int:
    """
    Deletes notifications created more than `days` days ago with their delivery log, a
    chunk at a time (short transactions, bounded memory). Returns how many.
    """
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    while ids := list(
        Notification.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:chunk]
    ):
        with transaction.atomic():
            Delivery.objects.filter(notification_id__in=ids).delete()
            deleted += Notification.objects.filter(pk__in=ids).delete()[0]
    return deleted
