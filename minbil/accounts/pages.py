"""
The page behind a password reset link (`/reset?uid=...&token=...`), for when no app handles
the link, as with `make run`: a plain form that sets the new password through the same
service as `POST /api/auth/password-reset/confirm`. Self-contained (no script, no external
asset; its one style block is allowed by a per-response nonce) and in the account's language.
"""

import secrets

from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from minbil.accounts import services


@never_cache
@require_http_methods(["GET", "POST"])
def reset_password(request):
    data = request.POST if request.method == "POST" else request.GET
    uid, token = data.get("uid", ""), data.get("token", "")
    state, errors = "form", []
    try:
        user = services.user_for_reset(uid=uid, token=token)
    except services.InvalidResetToken:
        state = "invalid"
    else:
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language
        if request.method == "POST":
            state, errors = _submit(uid, token, request.POST)

    nonce = secrets.token_urlsafe(16)
    context = {"state": state, "errors": errors, "uid": uid, "token": token, "nonce": nonce}
    status = 400 if state == "invalid" or errors else 200
    response = TemplateResponse(request, "accounts/reset_password.html", context, status=status)
    response["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    response["Referrer-Policy"] = "no-referrer"  # the address holds the reset token
    return response


def _submit(uid: str, token: str, form) -> tuple[str, list[str]]:
    """Sets the password typed twice; the state to show and the errors."""
    password = form.get("new_password", "")
    if password != form.get("new_password_again", ""):
        return "form", [_("The two passwords are not the same.")]
    try:
        services.confirm_password_reset(uid=uid, token=token, new_password=password)
    except services.InvalidResetToken:
        return "invalid", []
    except services.InvalidPassword as exc:
        return "form", [str(message) for message in exc.details["new_password"]]
    return "done", []
