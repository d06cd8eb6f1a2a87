"""Support staff's view of notification preferences (stored deviations from the defaults)."""

from django.contrib import admin

from notifications.models import NotificationPreference


class NotificationPreferenceInline(admin.TabularInline):
    """On the user's page: what this user changed from the defaults (everything else is on)."""

    model = NotificationPreference
    fields = ("event", "channel", "enabled", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "Notification preferences changed from the default (all others on)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


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
