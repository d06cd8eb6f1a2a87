"""
Email: the one module that sends mail (through Django's email backend, configured by
`EMAIL_URL`, with `EMAIL_TIMEOUT` on every SMTP operation), and the rendering of a message
from templates in the recipient's language.

A message is three templates side by side: `<name>_subject.txt`, `<name>.txt` (plain text)
and `<name>.html` (which may extend `email/base.html`, the shared layout). Any app sends its
own messages with `send_email(to=..., template=..., context=..., language=...)`.
"""

import logging
import smtplib
from dataclasses import dataclass

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


class EmailNotSent(Exception):
    """The email backend failed (SMTP refused, timed out or unreachable); already logged."""


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


def send_email(*, to: str, template: str, context: dict, language: str) -> None:
    """
    Renders and sends one message from `DEFAULT_FROM_EMAIL`. Raises `EmailNotSent` when the
    backend fails; the log line names the template and the failure, never the content
    (which may hold a secret such as a reset link).
    """
    rendered = render_email(template, context, language=language)
    message = EmailMultiAlternatives(rendered.subject, rendered.text, to=[to])
    message.attach_alternative(rendered.html, "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        logger.error("Email %r could not be sent: %s", template, type(exc).__name__)
        raise EmailNotSent(template) from exc
