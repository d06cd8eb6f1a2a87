"""
Users in the admin: searchable by email and name, deletable through the same service as the
app's own account deletion, and extended by the other apps.

Other apps add their parts of a user's page from their own `admin.py` (the arrows point from
them to accounts, never back): `UserAdmin.add_inline(...)` for an inline of their rows,
`UserAdmin.add_section(title, render)` for a read-only section rendered from the user.
"""

from collections.abc import Callable

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from minbil.accounts.models import User
from minbil.accounts.services import delete_account

DELETE_ACCOUNT_PERMISSION = "accounts.delete_account"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "name")
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("name", "language")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "name", "password1", "password2")}),
    )
    change_form_template = "admin/accounts/user/change_form.html"
    # Filled by the other apps' admin modules (see the module docstring).
    inlines: list = []
    sections: list[tuple[str, Callable[[User], str]]] = []

    @classmethod
    def add_inline(cls, inline) -> None:
        cls.inlines = [*cls.inlines, inline]

    @classmethod
    def add_section(cls, title: str, render: Callable[[User], str]) -> None:
        """A read-only section after the profile: `render(user)` returns its (safe) HTML."""
        cls.sections = [*cls.sections, (title, render)]

    def get_fieldsets(self, request, obj=None):
        """
        The other apps' sections after the profile. View-only staff get no password row:
        its "Reset password" button is not theirs.
        """
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None:
            return fieldsets
        sections = [(title, {"fields": (render,)}) for title, render in self.sections]
        fieldsets[2:2] = sections
        if self.has_change_permission(request, obj):
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "password"]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return (*readonly, *(render for _title, render in self.sections))

    # --- Account deletion: one path, the service the app's own deletion uses ---------------

    def has_delete_permission(self, request, obj=None) -> bool:
        # Django's generic delete would skip the service (tokens, photo files): use the
        # "Delete account" page instead.
        return False

    def has_delete_account_permission(self, request) -> bool:
        return request.user.has_perm(DELETE_ACCOUNT_PERMISSION)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/delete-account/",
                self.admin_site.admin_view(self.delete_account_view),
                name="accounts_user_delete_account",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_delete_account_permission": self.has_delete_account_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_account_view(self, request, object_id):
        """A confirmation page; on POST the account is deleted and the deletion logged."""
        if not self.has_delete_account_permission(request):
            raise PermissionDenied
        user = self.get_object(request, unquote(object_id))
        if user is None:
            raise Http404
        if request.method == "POST":
            with transaction.atomic():
                LogEntry.objects.log_actions(
                    user_id=request.user.pk,
                    queryset=[user],
                    action_flag=DELETION,
                    change_message=str(_("Deleted the account and all its data.")),
                    single_object=True,
                )
                email = user.email
                delete_account(user=user)
            self.message_user(
                request,
                _("The account %(email)s and all its data were deleted.") % {"email": email},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:accounts_user_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Delete this account?"),
            "subtitle": user.email,
            "opts": self.opts,
            "original": user,
        }
        return TemplateResponse(request, "admin/accounts/user/delete_account.html", context)


class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    """Axes' failed admin logins, with an explicit "Unlock" (deleting the attempts)."""

    actions = [*AxesAccessAttemptAdmin.actions, "unlock"]

    @admin.action(description=_("Unlock the selected accounts"), permissions=["delete"])
    def unlock(self, request, queryset) -> None:
        usernames = sorted({u for u in queryset.values_list("username", flat=True) if u})
        AccessAttempt.objects.filter(username__in=usernames).delete()
        self.message_user(
            request,
            _("Unlocked: %(accounts)s.") % {"accounts": ", ".join(usernames)},
            messages.SUCCESS,
        )


admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AccessAttemptAdmin)
