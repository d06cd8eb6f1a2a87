"""
Admin login lock-out with django-axes: `AXES_FAILURE_LIMIT` failed logins to the admin for
one account lock it for `AXES_COOLOFF_TIME`, even with the right password. Staff unlock an
account under *Axes > Access attempts* (the "Unlock" action).

Only the admin's login is counted and locked. The API's token endpoint calls the same
`authenticate()`, but it has its own throttles (per IP and per email), and guessing through
the API must neither lock staff out of the admin nor fill the attempt table: axes locks only
admin requests (`AXES_ONLY_ADMIN_SITE`), and an attempt without a username is not recorded
(`AXES_LOCKOUT_PARAMETERS` is the username alone).
"""

from minbil.accounts.models import UserManager


def login_email(request, credentials: dict | None) -> str | None:
    """
    The account an admin login attempt is for: the login form's `username` (an email),
    as stored (case and spaces ignored). The API authenticates with `email` in a JSON body,
    so its attempts have none.
    """
    username = (credentials or {}).get("username") or request.POST.get("username")
    return UserManager.normalize_email(username) if username else None
