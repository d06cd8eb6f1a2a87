"""
Admin login lock-out with django-axes: `AXES_FAILURE_LIMIT` failed logins to the admin for
one account lock it for `AXES_COOLOFF_TIME`, even with the right password. Staff unlock an
account under *Axes > Access attempts* (the "Unlock" action).

Only the admin's login is counted and locked. The API's token endpoint calls the same
`authenticate()`, but it has its own throttles (per IP and per email), and an attacker
guessing through the API must not lock staff out of the admin, nor fill the attempt table.
"""

from axes.handlers.database import AxesDatabaseHandler

from minbil.accounts.models import UserManager


def login_email(request, credentials: dict | None) -> str | None:
    """The account a login attempt is for: its email as stored (case and spaces ignored)."""
    username = (credentials or {}).get("username") or request.POST.get("username")
    return UserManager.normalize_email(username) if username else None


class AdminLoginHandler(AxesDatabaseHandler):
    """Axes' database handler, recording only logins to the admin site."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is not None and self.is_admin_request(request):
            super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        if request is not None and self.is_admin_request(request):
            super().user_logged_in(sender, request, user, **kwargs)
