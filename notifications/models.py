"""
Per-user notification choices (stored as deviations from the catalogue's defaults, and the
quiet hours), the owners' push devices, the notifications other parts of MinBil send, and
their delivery log.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from notifications.catalogue import Channel, Event

# FCM registration tokens are about 160 characters today; Google does not fix their length.
TOKEN_MAX_LENGTH = 512
# The idempotency keys of the sender API live apart from those MinBil's own code chooses.
SERVICE_KEY_PREFIX = "service:"


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


class QuietHours(models.Model):
    """
    An owner's quiet hours, Europe/Oslo wall-clock times (`start` to `end`, over midnight when
    `end` is earlier): a push that falls inside waits for the end (`notifications.quiet_hours`).
    No row: none.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiet_hours"
    )
    start = models.TimeField()
    end = models.TimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "quiet hours"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(start=models.F("end")), name="quiet_hours_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


class Platform(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"


class Device(models.Model):
    """
    One installation of the app that receives push notifications: its Firebase Cloud
    Messaging registration token, for one owner. A token belongs to one owner at a time
    (unique): registered by another account, it moves there, so a shared phone never pushes
    to the account signed out of it. `last_registered_at` is when the app last registered it
    (apps do at every start), `last_pushed_at` when a push last reached FCM for it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices"
    )
    token = models.CharField(max_length=TOKEN_MAX_LENGTH, unique=True)
    platform = models.CharField(max_length=16, choices=Platform.choices)
    app_version = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_registered_at = models.DateTimeField(default=timezone.now)
    last_pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_registered_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "last_registered_at"], name="device_by_owner"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """`android …9f3a1c2b`: enough for support to tell devices apart, never the token."""
        return device_label(self.platform, self.token)


def device_label(platform: str, token: str) -> str:
    return f"{platform} …{token[-8:]}"


class Notification(models.Model):
    """
    One event for one user, as a part of MinBil asked for it (`notifications.services.notify`):
    what to say, and the idempotency key that makes asking twice harmless (unique: the
    database, not a check before the insert, decides which of two concurrent calls creates
    it). Its `Delivery` rows record each channel.

    What to say is either an email `template` rendered with `context` in the owner's
    language at delivery time, or a `title` and `body` given as they are. `reference` is free
    text for support to search (a plate, a booking number); notifications never interpret it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(max_length=64, choices=Event.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    template = models.CharField(max_length=200, blank=True)
    context = models.JSONField(default=dict, blank=True)
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True, help_text="Key-value data for the apps.")
    reference = models.CharField(max_length=64, blank=True, db_index=True)
    # The `notify` call that created the row: tells a call which of its rows it inserted
    # when an insert-or-ignore skipped the others.
    batch = models.UUIDField(editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.event} for {self.user}"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    SKIPPED_BY_PREFERENCE = "skipped_by_preference", "Skipped by preference"
    DELAYED = "delayed", "Delayed for quiet hours"
    RETRYING = "retrying", "Retrying"
    CANCELLED = "cancelled", "Cancelled (device removed)"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """
    The delivery log: one notification on one channel, and for push on one device (`target`
    is the device's id then, `address` its label, kept when the device is gone). Created
    `queued` with the notification (an outbox: `retry_deliveries` sends what a lost task left
    behind); a worker claims it (`sending`, under its `claim`), then records what happened:
    `sent` with the provider's message id, `skipped_by_preference`, `delayed` until the
    owner's quiet hours end, `retrying` after a transient failure (both at `next_attempt_at`),
    `cancelled` when its device was removed first, or `failed` with the reason.
    """

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    target = models.CharField(max_length=32, blank=True, help_text="The device's id for push.")
    device = models.ForeignKey(
        Device, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    status = models.CharField(
        max_length=32, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    reason = models.CharField(max_length=500, blank=True)
    address = models.CharField(
        max_length=254, blank=True, help_text="Where it went, e.g. the email address then."
    )
    provider_message_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The worker's claim: tells it which of the rows it asked for it holds.
    claim = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel", "target"], name="delivery_unique_per_target"
            ),
        ]
        indexes = [
            # retry_deliveries: what is waiting, by when it is due.
            models.Index(fields=["status", "next_attempt_at"], name="delivery_waiting"),
        ]

    def __str__(self) -> str:
        return f"{self.notification} by {self.channel}: {self.status}"
