"""
Support staff's view of notification preferences (stored deviations from the defaults, and
the quiet hours), of an owner's push devices, and of the delivery log: what was sent to
whom, on which channel and device, and why not.
"""

import re

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from minbil.accounts.admin import UserAdmin
from notifications.catalogue import CHANNELS, DEFAULTS, Channel, Event
from notifications.models import Delivery, NotificationPreference
from notifications.selectors import devices_of, effective_preferences, quiet_hours_of

EMPTY = "—"


def preference_grid(user) -> SafeString:
    """
    The user's effective preferences as a small events-by-channels table for the user's
    admin page; values that differ from the default are in bold and marked "changed".
    """
    preferences = effective_preferences(user=user)

    def cell(event: str, channel: str) -> SafeString:
        value = preferences[event][channel]
        text = "on" if value else "off"
        if value == DEFAULTS[event][channel]:
            return format_html("<td>{}</td>", text)
        return format_html('<td class="changed"><strong>{}</strong> (changed)</td>', text)

    header = format_html_join("", "<th>{}</th>", ((Channel(c).label,) for c in CHANNELS))
    rows = format_html_join(
        "",
        "<tr><td>{} <code>{}</code></td>{}</tr>",
        (
            (
                Event(event).label,
                event,
                format_html_join("", "{}", ((cell(event, c),) for c in CHANNELS)),
            )
            for event in preferences
        ),
    )
    quiet_hours = quiet_hours_of(user=user)
    quiet = (
        format_html(
            "{} to {} (Europe/Oslo)", f"{quiet_hours.start:%H:%M}", f"{quiet_hours.end:%H:%M}"
        )
        if quiet_hours
        else "none"
    )
    return format_html(
        '<table class="notification-grid"><thead><tr><th>event</th>{}</tr></thead>'
        "<tbody>{}</tbody></table>"
        '<p class="help">By default every event is on for every channel.</p>'
        '<p class="quiet-hours">Quiet hours: {}</p>',
        header,
        rows,
        quiet,
    )


@admin.display(description="effective preferences")
def notification_preferences(user) -> SafeString:
    return preference_grid(user)


# A user's page shows their preferences as the grid.
UserAdmin.add_section("Notification preferences", notification_preferences)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "event", "channel", "enabled", "updated_at")
    list_filter = ("event", "channel", "enabled")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    readonly_fields = ("user", "event", "channel", "enabled", "updated_at")
    ordering = ("user__email", "event", "channel")

    def has_add_permission(self, request) -> bool:
        return False


@admin.display(description="push devices")
def push_devices(user) -> SafeString:
    """The owner's devices, without their tokens (only the end, to tell them apart)."""
    devices = list(devices_of(user=user))
    if not devices:
        return format_html("<p>{}</p>", "No device is registered for push notifications.")

    def when(moment) -> str:
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else EMPTY

    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                d.get_platform_display(),
                f"…{d.token[-8:]}",
                d.app_version or EMPTY,
                when(d.created_at),
                when(d.last_registered_at),
                when(d.last_pushed_at),
            )
            for d in devices
        ),
    )
    return format_html(
        '<table class="push-devices"><thead><tr><th>platform</th><th>token ends</th>'
        "<th>app version</th><th>registered</th><th>last seen</th><th>last push</th>"
        "</tr></thead><tbody>{}</tbody></table>",
        rows,
    )


# A user's page lists their push devices ("why did my phone get nothing?").
UserAdmin.add_section("Push devices", push_devices)


LATEST_DELIVERIES_SHOWN = 10


@admin.display(description="latest deliveries")
def latest_deliveries(user) -> SafeString:
    """The user's latest deliveries, newest first, and a link to all of them in the log."""
    deliveries = list(
        Delivery.objects.filter(notification__user=user)
        .select_related("notification")
        .order_by("-created_at", "-pk")[:LATEST_DELIVERIES_SHOWN]
    )
    log = reverse("admin:notifications_delivery_changelist")
    all_link = format_html(
        '<p><a href="{}?notification__user__id__exact={}">All deliveries to this user</a></p>',
        log,
        user.pk,
    )
    if not deliveries:
        return format_html("<p>No notification has been sent to this user.</p>{}", all_link)
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                timezone.localtime(d.created_at).strftime("%Y-%m-%d %H:%M"),
                d.notification.event,
                d.channel,
                d.address or EMPTY,
                d.get_status_display(),
                d.notification.reference or EMPTY,
                d.reason or EMPTY,
            )
            for d in deliveries
        ),
    )
    return format_html(
        '<table class="delivery-log"><thead><tr><th>created</th><th>event</th><th>channel</th>'
        "<th>to</th><th>status</th><th>reference</th><th>reason</th></tr></thead><tbody>{}</tbody></table>{}",
        rows,
        all_link,
    )


# A user's page shows the latest deliveries ("why did I not get a reminder?").
UserAdmin.add_section("Notifications sent", latest_deliveries)


class EventFilter(admin.SimpleListFilter):
    title = "event"
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return Event.choices

    def queryset(self, request, queryset):
        return queryset.filter(notification__event=self.value()) if self.value() else queryset


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """
    The delivery log, read-only for everyone: search by the owner's email (or the address
    it went to) and by reference, such as a plate written `bt 57225`, `BT-57225` or `BT57225`.
    """

    list_display = (
        "created_at",
        "owner",
        "event",
        "channel",
        "address",
        "status",
        "reference",
        "attempts",
        "reason",
    )
    list_filter = ("status", "channel", EventFilter, "created_at")
    list_select_related = ("notification__user",)
    search_fields = ("notification__user__email", "address", "notification__reference")
    ordering = ("-created_at", "-pk")
    fields = (
        "owner",
        "event",
        "reference",
        "channel",
        "status",
        "reason",
        "address",
        "provider_message_id",
        "attempts",
        "created_at",
        "last_attempt_at",
        "sent_at",
        "next_attempt_at",
        "idempotency_key",
    )
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        """A reference also matches without its spaces, dashes and dots (plates as typed)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        compact = re.sub(r"[\s\-.]+", "", search_term)
        if compact:
            results |= queryset.filter(notification__reference__iexact=compact)
        return results, may_have_duplicates

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the cleanup job deletes the log after DELIVERY_LOG_DAYS

    @admin.display(description="owner", ordering="notification__user__email")
    def owner(self, delivery: Delivery) -> str:
        user = delivery.notification.user
        url = reverse("admin:accounts_user_change", args=[user.pk])
        return format_html('<a href="{}">{}</a>', url, user.email)

    @admin.display(description="event", ordering="notification__event")
    def event(self, delivery: Delivery) -> str:
        return delivery.notification.event

    @admin.display(description="reference", ordering="notification__reference")
    def reference(self, delivery: Delivery) -> str:
        return delivery.notification.reference or EMPTY

    @admin.display(description="idempotency key")
    def idempotency_key(self, delivery: Delivery) -> str:
        return delivery.notification.idempotency_key
