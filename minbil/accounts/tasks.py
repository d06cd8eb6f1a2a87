"""
The accounts' job: the password reset email, sent by a worker rather than by the request, so
an answer never waits on the mail server and SMTP trouble is retried.
"""

import logging

from celery import shared_task

from minbil.accounts.services import send_password_reset_email
from minbil.celery import Job
from minbil.mail import EmailNotSent

logger = logging.getLogger(__name__)

# A mail server in trouble gets three more tries, about a quarter of an hour in all (the link
# is made when the email is sent, so a late one is valid for its full time all the same).
RETRY_AFTER_SECONDS = (30, 120, 600)


@shared_task(
    bind=True,
    name="accounts.send_password_reset",
    base=Job,
    max_retries=len(RETRY_AFTER_SECONDS),
    soft_time_limit=60,
    time_limit=90,
)
def send_password_reset(self, user_id: int) -> str:
    try:
        sent = send_password_reset_email(user_id=user_id)
    except EmailNotSent as exc:
        if exc.transient and self.request.retries < len(RETRY_AFTER_SECONDS):
            raise self.retry(countdown=RETRY_AFTER_SECONDS[self.request.retries]) from exc
        logger.error("Password reset email for user %s not sent: %s", user_id, exc.reason)
        return "failed"
    outcome = "sent" if sent else "no active account any more"
    logger.info("Password reset email for user %s: %s", user_id, outcome)
    return outcome
