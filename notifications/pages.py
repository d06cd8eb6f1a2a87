"""
The unsubscribe link of notification emails (`/unsubscribe/<token>`, RFC 8058).

`POST` with the body `List-Unsubscribe=One-Click` (what mail clients send for the
`List-Unsubscribe-Post` header, and what the page's button sends) turns the event's email off
for the user the token names, without a login, and answers `200`. `GET` only shows the
question and the button: mail scanners follow links, and must not unsubscribe anyone. Like
the password reset page: self-contained (no script, no external asset; the one style block is
allowed by a per-response nonce) and in the user's language.
"""

import secrets

from django.contrib.auth import get_user_model
from django.template.response import TemplateResponse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifications.catalogue import EVENTS, Event
from notifications.delivery.email import language_of
from notifications.services import unsubscribe_from_email
from notifications.unsubscribe import InvalidUnsubscribeToken, read_unsubscribe_token

User = get_user_model()


@csrf_exempt  # the signed token is the authority: mail clients post without a session
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    user, event = _read(token)
    if user is None:
        state, status = "invalid", 400
    else:
        translation.activate(language_of(user))
        request.LANGUAGE_CODE = translation.get_language()
        state, status = "form", 200
        if request.method == "POST":
            if request.POST.get("List-Unsubscribe") == "One-Click":
                unsubscribe_from_email(user=user, event=event)
                state = "done"
            else:
                status = 400
    nonce = secrets.token_urlsafe(16)
    context = {
        "state": state,
        "email": user.email if user else "",
        "event": Event(event).label if user else "",
        "nonce": nonce,
    }
    response = TemplateResponse(request, "notifications/unsubscribe.html", context, status=status)
    response["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    response["Referrer-Policy"] = "no-referrer"  # the address holds the token
    return response


def _read(token: str):
    """The user and event a valid token names, or `(None, "")`."""
    try:
        user_id, event = read_unsubscribe_token(token)
    except InvalidUnsubscribeToken:
        return None, ""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or event not in EVENTS:
        return None, ""
    return user, event
