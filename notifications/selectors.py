"""
Reads of notification preferences, for the API and for the booking service.

`allows` answers "does this user get this event on this channel?" in one indexed query;
`recipients` answers "who gets it?" as one queryset with the defaults included.
"""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet

from notifications.catalogue import DEFAULTS, default_for
from notifications.models import Delivery, NotificationPreference

User = get_user_model()


def effective_preferences(*, user) -> dict[str, dict[str, bool]]:
    """Every event and channel, the user's stored choices laid over the defaults."""
    preferences = {event: dict(channels) for event, channels in DEFAULTS.items()}
    stored = NotificationPreference.objects.filter(user=user).values_list(
        "event", "channel", "enabled"
    )
    for event, channel, enabled in stored:
        # A row for an event since removed from the catalogue is ignored, not served.
        if channel in preferences.get(event, {}):
            preferences[event][channel] = enabled
    return preferences


def exported_preferences(*, user) -> dict:
    """
    The owner's part of their data export (registered in `NotificationsConfig.ready`): the
    effective preferences, and each value they changed from the default, with when.
    """
    changed = NotificationPreference.objects.filter(user=user).order_by("event", "channel")
    return {
        "effective": effective_preferences(user=user),
        "changed": list(changed.values("event", "channel", "enabled", "updated_at")),
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
