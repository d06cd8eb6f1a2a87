"""
Users in the admin: searchable by email and name, with the vehicles they have linked and
their notification preferences (as an events-by-channels grid) on their page.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from minbil.accounts.models import User
from notifications.admin import preference_grid
from vehicles.admin import UserVehicleLinkInline


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "name")
    readonly_fields = ("last_login", "date_joined", "notification_preferences")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name",)}),
        ("Notification preferences", {"fields": ("notification_preferences",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "name", "password1", "password2")}),
    )
    inlines = [UserVehicleLinkInline]

    def get_fieldsets(self, request, obj=None):
        """View-only staff get no password row: its "Reset password" button is not theirs."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "password"]})
            for name, options in fieldsets
        ]

    @admin.display(description="effective preferences")
    def notification_preferences(self, user: User) -> str:
        return preference_grid(user)
