"""Per-user notification choices, stored as deviations from the catalogue's defaults."""

from django.conf import settings
from django.db import models

from notifications.catalogue import Channel, Event


class NotificationPreference(models.Model):
    """
    One user's choice for one event on one channel, stored only where it differs from the
    default. No row means "default", so a new user costs nothing and `recipients()` is a
    single anti-join. One row per (user, event, channel): concurrent updates of different
    events touch different rows and cannot overwrite each other.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    event = models.CharField(max_length=64, choices=Event.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    enabled = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event", "channel"], name="notification_pref_unique"
            ),
        ]
        indexes = [
            # recipients(event, channel): the rows of one event and channel
            models.Index(fields=["event", "channel", "enabled"], name="notification_pref_lookup"),
        ]

    def __str__(self) -> str:
        state = "on" if self.enabled else "off"
        return f"{self.user} {self.event}/{self.channel}: {state}"
