"""Writes on notification preferences."""

import operator
from functools import reduce

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.catalogue import default_for
from notifications.models import NotificationPreference


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
