"""
Writes on notifications: preferences and quiet hours, the owners' push devices, the public
API other parts of MinBil send through (`notify`, `notify_many`), and the one-click
unsubscribe.

Sending is asynchronous: `notify_many` stores each notification with a `queued` delivery per
channel in the caller's transaction, and queues the work for the job engine once it commits
(`notifications.delivery`). The idempotency key is unique in the database, so a notification
asked for twice, also by two processes at once, is stored and sent once.
"""

import datetime
import operator
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial, reduce
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minbil.errors import Conflict, DomainError
from notifications.catalogue import EVENTS, Channel, default_for
from notifications.delivery.dispatch import enqueue, new_deliveries
from notifications.models import (
    SERVICE_KEY_PREFIX,
    Delivery,
    Device,
    Notification,
    NotificationPreference,
    QuietHours,
)
from notifications.selectors import stored_choices

# Rows per INSERT (and per IN list when reading them back).
CHUNK = 500
# Devices an owner may have; registering one more drops the one registered longest ago.
MAX_DEVICES_PER_USER = 20
UNSET: Any = object()


class DeviceNotFound(DomainError):
    status_code = 404
    code = "device_not_found"
    message = _("No device with this token is registered to your account.")


class UserNotFound(DomainError):
    status_code = 404
    code = "user_not_found"
    message = _("No active MinBil account has this user id or email.")


class NotificationNotFound(DomainError):
    status_code = 404
    code = "notification_not_found"
    message = _("There is no notification with this id.")


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message = _(
        "This idempotency key was used for a different notification; nothing was sent. "
        "Use a new key for a new notification."
    )


@transaction.atomic
def update_preferences(
    *,
    user,
    changes: dict[str, dict[str, bool]],
    quiet_hours: tuple[datetime.time, datetime.time] | None = UNSET,
) -> None:
    """
    Applies a partial, already validated `{event: {channel: bool}}` change, and the quiet
    hours when given (`(start, end)`, or `None` for none), all in one transaction.

    Values that differ from the default are upserted (one row per event and channel, so
    concurrent changes of other events are untouched); values equal to the default delete
    the row, keeping the table to real deviations. A value that is already so is not
    written (its row keeps the time it was last changed).
    """
    now = timezone.now()
    stored = stored_choices(user=user)
    deviations = []
    back_to_default = []
    for event, channels in changes.items():
        for channel, enabled in channels.items():
            default = default_for(event, channel)
            if enabled == stored.get((event, channel), default):
                continue
            if enabled == default:
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
    if quiet_hours is None:
        QuietHours.objects.filter(user=user).delete()
    elif quiet_hours is not UNSET:
        start, end = quiet_hours
        QuietHours.objects.update_or_create(user=user, defaults={"start": start, "end": end})


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
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in self.data.items()):
            raise ValueError("A notification's data maps strings to strings (as push needs).")


def notify(request: NotificationRequest) -> tuple[Notification, bool]:
    """One notification: `(notification, True)` when this call created it, else the first one."""
    created = notify_many([request])
    return Notification.objects.get(idempotency_key=request.idempotency_key), bool(created)


def notify_many(requests: Sequence[NotificationRequest]) -> list[int]:
    """
    Stores the notifications whose keys are new, each with a queued delivery per channel
    (for push, one per device of the owner), and queues their delivery once the transaction
    commits. Returns the ids this call created: with two calls at once, each key is created
    by exactly one of them (the unique key decides; the insert skips what exists). A few
    queries per 500 requests, whatever the number of devices.
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
            owners = dict(
                Notification.objects.filter(
                    idempotency_key__in=[request.idempotency_key for request in chunk],
                    batch=batch,
                ).values_list("pk", "user_id")
            )
            new_deliveries(owners, now=now)
            created.extend(owners)
        if created:
            transaction.on_commit(partial(enqueue, created), robust=True)
    return created


def notify_from_service(
    *,
    event: str,
    title: str,
    body: str,
    idempotency_key: str,
    data: dict[str, str],
    user_id: int | None = None,
    email: str | None = None,
) -> tuple[Notification, bool]:
    """
    The sender API: a notification from another MinBil service for the active owner with
    this id or email, `(notification, created)`. The same idempotency key again returns the
    first notification when it says the same (a retried call), and is refused with
    `IdempotencyKeyReused` when it does not: a caller's bug, which must not pass silently.
    """
    users = get_user_model().objects
    named = {"pk": user_id} if user_id is not None else {"email": users.normalize_email(email)}
    owner = users.filter(is_active=True, **named).values_list("pk", flat=True).first()
    if owner is None:
        raise UserNotFound()
    request = NotificationRequest(
        user_id=owner,
        event=event,
        idempotency_key=SERVICE_KEY_PREFIX + idempotency_key,
        title=title,
        body=body,
        data=data,
    )
    notification, created = notify(request)
    asked = (owner, event, title, body, data)
    if not created and asked != (
        notification.user_id,
        notification.event,
        notification.title,
        notification.body,
        notification.data,
    ):
        raise IdempotencyKeyReused(details={"idempotency_key": [IdempotencyKeyReused.message]})
    return notification, created


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
    cutoff = timezone.now() - datetime.timedelta(days=days)
    deleted = 0
    while ids := list(
        Notification.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:chunk]
    ):
        with transaction.atomic():
            Delivery.objects.filter(notification_id__in=ids).delete()
            deleted += Notification.objects.filter(pk__in=ids).delete()[0]
    return deleted


# --- Push devices ----------------------------------------------------------------------------


@transaction.atomic
def register_device(
    *, user, token: str, platform: str, app_version: str = ""
) -> tuple[Device, bool]:
    """
    Registers the app installation's FCM token for `user` (an upsert): `(device, True)` when
    it is new to this owner. A token another account registered moves here: that account's
    row is deleted (its pending pushes are cancelled) and a new one made, so a shared phone
    never pushes to the account signed out of it. Beyond `MAX_DEVICES_PER_USER` the devices
    registered longest ago are dropped.
    """
    now = timezone.now()
    Device.objects.filter(token=token).exclude(user=user).delete()
    updated = Device.objects.filter(token=token, user=user).update(
        platform=platform, app_version=app_version, last_registered_at=now
    )
    if not updated:
        Device.objects.bulk_create(
            [
                Device(
                    user=user,
                    token=token,
                    platform=platform,
                    app_version=app_version,
                    created_at=now,
                    last_registered_at=now,
                )
            ],
            update_conflicts=True,  # two registrations of one token at once: one row
            unique_fields=["token"],
            update_fields=["user", "platform", "app_version", "last_registered_at"],
        )
    kept = Device.objects.filter(user=user).order_by("-last_registered_at", "-pk")
    beyond = list(kept.values_list("pk", flat=True)[MAX_DEVICES_PER_USER:])
    if beyond:
        Device.objects.filter(pk__in=beyond).delete()
    return Device.objects.get(token=token), not updated


def remove_device(*, user, token: str) -> Device:
    """Removes one of the owner's devices; another owner's token is `DeviceNotFound` too."""
    device = Device.objects.filter(user=user, token=token).first()
    if device is None:
        raise DeviceNotFound()
    device.delete()
    return device


def forget_device(*, token: str) -> None:
    """
    Removes the device with this token, whoever registered it (signing out an app). The
    token is the installation's own secret: whoever holds it could move it to an account
    of theirs anyway.
    """
    Device.objects.filter(token=token).delete()


def forget_devices(*, user) -> None:
    """Removes every device of the owner (signed out everywhere, new password)."""
    Device.objects.filter(user=user).delete()
