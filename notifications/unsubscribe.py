"""
The one-click unsubscribe link of every notification email (RFC 8058): an address under
`PUBLIC_BASE_URL` carrying a token signed with Django's signing (under `SECRET_KEY`) that names
the user and the event. It does not expire: a link in an old email keeps working.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "notifications.unsubscribe"


class InvalidUnsubscribeToken(Exception):
    """The token was not signed here for an unsubscribe link, or was changed."""


def unsubscribe_url(*, user_id: int, event: str) -> str:
    token = signing.dumps([user_id, event], salt=SALT, compress=True)
    return settings.PUBLIC_BASE_URL + reverse("unsubscribe", args=[token])


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """The user id and event a token names; `InvalidUnsubscribeToken` for anything else."""
    try:
        user_id, event = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise InvalidUnsubscribeToken from exc
    if not isinstance(user_id, int) or not isinstance(event, str):
        raise InvalidUnsubscribeToken
    return user_id, event
