"""
Email: the one module that sends mail (through Django's email backend, configured by
`EMAIL_URL`, with `EMAIL_TIMEOUT` on every SMTP operation), and the rendering of a message
from templates in the recipient's language.

A message is three templates side by side: `<name>_subject.txt`, `<name>.txt` (plain text)
and `<name>.html` (which may extend `email/base.html`, the shared layout). Any app sends its
own messages with `send_email(to=..., template=..., context=..., language=...)`; a batch
shares one connection (`with connection() as conn: send_email(..., connection=conn)`).
"""

import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import make_msgid

from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.utils import DNS_NAME
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


class EmailNotSent(Exception):
    """
    The email backend failed (SMTP refused, timed out or unreachable); already logged.
    `transient` is false only for a permanent refusal (an SMTP 5xx reply, such as an
    address the server does not accept): sending the same message again would not help.
    """

    def __init__(self, template: str, *, reason: str = "", transient: bool = True) -> None:
        super().__init__(template)
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(template: str, context: dict, *, language: str) -> RenderedEmail:
    """The subject (one line), plain-text and HTML bodies of `template`, in `language`."""
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context)
        return RenderedEmail(
            subject=" ".join(subject.split()),
            text=render_to_string(f"{template}.txt", context),
            html=render_to_string(f"{template}.html", context),
        )


@contextmanager
def connection() -> Iterator[BaseEmailBackend]:
    """One connection to the email backend for a batch of messages, closed afterwards."""
    conn = get_connection()
    try:
        yield conn
    finally:
        conn.close()


def send_email(
    *,
    to: str,
    template: str,
    context: dict,
    language: str,
    headers: dict[str, str] | None = None,
    connection: BaseEmailBackend | None = None,
) -> str:
    """
    Renders and sends one message from `DEFAULT_FROM_EMAIL` and returns its Message-ID.
    Raises `EmailNotSent` when the backend fails; the log line names the template and the
    failure, never the content (which may hold a secret such as a reset link).
    """
    rendered = render_email(template, context, language=language)
    message_id = make_msgid(domain=DNS_NAME)
    message = EmailMultiAlternatives(
        rendered.subject,
        rendered.text,
        to=[to],
        headers={**(headers or {}), "Message-ID": message_id},
        connection=connection,
    )
    message.attach_alternative(rendered.html, "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        reason, transient = _describe_failure(exc)
        logger.error("Email %r could not be sent: %s", template, reason)
        raise EmailNotSent(template, reason=reason, transient=transient) from exc
    return message_id


def _describe_failure(exc: Exception) -> tuple[str, bool]:
    """A short reason (no message content) and whether trying again later may succeed."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()]
        return f"recipient refused ({', '.join(map(str, codes))})", any(c < 500 for c in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} {exc.smtp_code}", exc.smtp_code < 500
    return type(exc).__name__, True
