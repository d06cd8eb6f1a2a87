"""
Reads of notification preferences and quiet hours, push devices and the delivery log, for
the APIs, the admin and the data export.

`allows` answers "does this user get this event on this channel?" in one indexed query;
`recipients` answers "who gets it?" as one queryset with the defaults included.
"""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet

from minbil import prepared
from notifications.catalogue import CHANNELS, DEFAULTS, Channel, default_for
from notifications.models import (
    SERVICE_KEY_PREFIX,
    Delivery,
    Device,
    Notification,
    NotificationPreference,
    QuietHours,
)

User = get_user_model()


# The settings screen reads these on every visit: their SQL is built once (minbil/prepared.py).
_STORED_CHOICES = prepared.PreparedQuery(
    lambda user_id: NotificationPreference.objects.filter(user_id=user_id).values_list(
        "event", "channel", "enabled"
    ),
    user_id=prepared.ID,
)
_QUIET_HOURS = prepared.PreparedQuery(
    lambda user_id: QuietHours.objects.filter(user_id=user_id).values_list(
        *(field.attname for field in QuietHours._meta.concrete_fields)
    ),
    user_id=prepared.ID,
)


def stored_choices(*, user) -> dict[tuple[str, str], bool]:
    """The user's stored choices (where they differ from the default), by event and channel."""
    return {
        (event, channel): enabled
        for event, channel, enabled in _STORED_CHOICES.rows(user_id=user.pk)
    }


def effective_preferences(*, user) -> dict[str, dict[str, bool]]:
    """Every event and channel, the user's stored choices laid over the defaults."""
    preferences = {event: dict(channels) for event, channels in DEFAULTS.items()}
    for (event, channel), enabled in stored_choices(user=user).items():
        # A row for an event since removed from the catalogue is ignored, not served.
        if channel in preferences.get(event, {}):
            preferences[event][channel] = enabled
    return preferences


def exported_preferences(*, user) -> dict:
    """
    The owner's part of their data export (registered in `NotificationsConfig.ready`): the
    effective preferences, each value they changed from the default, with when, and the
    quiet hours.
    """
    changed = NotificationPreference.objects.filter(user=user).order_by("event", "channel")
    return {
        "effective": effective_preferences(user=user),
        "changed": list(changed.values("event", "channel", "enabled", "updated_at")),
        "quiet_hours": quiet_hours_of(user=user),
    }


def exported_deliveries(*, user) -> QuerySet[Delivery]:
    """The owner's delivery log, newest first, for their data export."""
    return (
        Delivery.objects.filter(notification__user=user)
        .select_related("notification")
        .order_by("-created_at", "-pk")
    )


def allows(user, event: str, channel: str) -> bool:
    """Whether `user` receives `event` on `channel`. Unknown pairs raise `KeyError`."""
    default = default_for(event, channel)
    stored = (
        NotificationPreference.objects.filter(user=user, event=event, channel=channel)
        .values_list("enabled", flat=True)
        .first()
    )
    return default if stored is None else stored


def recipients(event: str, channel: str) -> QuerySet:
    """Active users who receive `event` on `channel`, defaults included."""
    default = default_for(event, channel)
    deviates = Exists(
        NotificationPreference.objects.filter(
            user=OuterRef("pk"), event=event, channel=channel, enabled=not default
        )
    )
    users = User.objects.filter(is_active=True)
    return users.exclude(deviates) if default else users.filter(deviates)


def quiet_hours_of(*, user) -> QuietHours | None:
    """The owner's quiet hours (one row at most), or None."""
    rows = _QUIET_HOURS.instances(QuietHours, user_id=user.pk)
    return rows[0] if rows else None


def devices_of(*, user) -> QuerySet[Device]:
    """The owner's push devices, most recently registered first."""
    return Device.objects.filter(user=user).order_by("-last_registered_at", "-pk")


def notification_status(*, notification_id: int) -> dict | None:
    """
    A notification and its delivery log per channel (for the sender API), or `None`; two
    queries whatever the number of devices.
    """
    notification = (
        Notification.objects.filter(pk=notification_id)
        .only("pk", "user_id", "event", "idempotency_key", "created_at")
        .first()
    )
    if notification is None:
        return None
    channels: dict[str, list[dict]] = {channel: [] for channel in CHANNELS}
    deliveries = Delivery.objects.filter(notification=notification).order_by("pk")
    for delivery in deliveries:
        channels[delivery.channel].append(
            {
                "status": delivery.status,
                "reason": delivery.reason,
                "device": delivery.address if delivery.channel == Channel.PUSH else None,
                "attempts": delivery.attempts,
                "updated_at": delivery.updated_at,
                "sent_at": delivery.sent_at,
                "next_attempt_at": delivery.next_attempt_at,
            }
        )
    return {
        "id": notification.pk,
        "user_id": notification.user_id,
        "event": notification.event,
        "idempotency_key": notification.idempotency_key.removeprefix(SERVICE_KEY_PREFIX),
        "created_at": notification.created_at,
        "channels": channels,
    }
