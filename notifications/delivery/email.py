"""
The email channel: a notification as an email in the owner's language, through
`minbil.mail`, one connection per batch. Every message carries the one-click unsubscribe
headers (RFC 8058) for its event; the footer links the same page.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from minbil import mail
from minbil.accounts.models import Language
from notifications.delivery.errors import DeliveryFailed, Sent
from notifications.models import Delivery
from notifications.unsubscribe import unsubscribe_url

# Notifications given as a title and body (not a template of their own) use this one.
MESSAGE_TEMPLATE = "notifications/email/message"


@contextmanager
def sender() -> Iterator[Callable[[Delivery], Sent]]:
    """`send(delivery)` over one connection to the email backend, closed afterwards."""
    with mail.connection() as connection:

        def send(delivery: Delivery) -> Sent:
            notification = delivery.notification
            user = notification.user
            url = unsubscribe_url(user_id=user.pk, event=notification.event)
            context = {
                **notification.context,
                "title": notification.title,
                "body": notification.body,
                "name": user.name,
                "event": notification.get_event_display(),
                "unsubscribe_url": url,
            }
            try:
                message_id = mail.send_email(
                    to=user.email,
                    template=notification.template or MESSAGE_TEMPLATE,
                    context=context,
                    language=language_of(user),
                    headers={
                        "List-Unsubscribe": f"<{url}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    },
                    connection=connection,
                )
            except mail.EmailNotSent as exc:
                raise DeliveryFailed(exc.reason, transient=exc.transient) from exc
            return Sent(address=user.email, message_id=message_id)

        yield send


def language_of(user) -> str:
    """The account's language; Norwegian when it is not one the emails are written in."""
    return user.language if user.language in Language.values else Language.NB
