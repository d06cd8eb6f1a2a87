"""
The notifications' jobs: delivering notifications, queueing again what is due for a retry
(every minute) and deleting the delivery log after `DELIVERY_LOG_DAYS` (daily).
"""

import logging

from celery import shared_task
from django.conf import settings

from minbil.celery import Job

logger = logging.getLogger(__name__)


# Safe to run again (acks_late): a delivery is claimed before it is sent, so a redelivered
# task sends only what was never claimed.
@shared_task(
    name="notifications.deliver", base=Job, acks_late=True, soft_time_limit=240, time_limit=300
)
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    from notifications.delivery.dispatch import deliver

    outcomes = deliver(notification_ids=notification_ids)
    logger.info(
        "Delivered %d notification(s): %s",
        len(notification_ids),
        ", ".join(f"{status} {count}" for status, count in sorted(outcomes.items()))
        or "nothing due",
    )
    return dict(outcomes)


@shared_task(
    name="notifications.retry_deliveries",
    base=Job,
    acks_late=True,
    soft_time_limit=50,
    time_limit=60,
)
def retry_deliveries() -> dict[str, int]:
    from notifications.delivery.dispatch import retry_deliveries

    summary = retry_deliveries()
    if any(summary.values()):
        logger.info(
            "Deliveries queued again: %(queued_again)d notification(s); "
            "marked interrupted: %(interrupted)d",
            summary,
        )
    return summary


@shared_task(
    name="notifications.clean_delivery_log",
    base=Job,
    acks_late=True,
    soft_time_limit=540,
    time_limit=600,
)
def clean_delivery_log() -> dict[str, int]:
    from notifications.services import delete_old_notifications

    deleted = delete_old_notifications(days=settings.DELIVERY_LOG_DAYS)
    logger.info(
        "Delivery log: deleted %d notification(s) older than %d days",
        deleted,
        settings.DELIVERY_LOG_DAYS,
    )
    return {"deleted": deleted}
