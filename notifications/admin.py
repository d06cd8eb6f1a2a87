"""Support staff's view of notification preferences (stored deviations from the defaults)."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from minbil.accounts.admin import UserAdmin
from notifications.catalogue import CHANNELS, DEFAULTS, Channel, Event
from notifications.models import NotificationPreference
from notifications.selectors import effective_preferences


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
    return format_html(
        '<table class="notification-grid"><thead><tr><th>event</th>{}</tr></thead>'
        "<tbody>{}</tbody></table>"
        '<p class="help">By default every event is on for every channel.</p>',
        header,
        rows,
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
