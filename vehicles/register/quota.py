"""
The register's own word that its quota is spent (`422` or `429`), remembered in the cache so
no process calls it again before it resets.

The pause is the register's `Retry-After` (delay-seconds or an HTTP date) when that makes
sense for a daily quota (1 s to 25 h); without one it lasts until midnight in Oslo, when the
quota resets. A value that makes no sense (not a number or a date, negative or past, or more
than a day away) pauses for one hour only, so an odd header can never lock look-ups out for
good, nor reach the cache as a lifetime it refuses.
"""

import logging
import math
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from django.core.cache import cache

from vehicles.register.budget import seconds_until_oslo_midnight
from vehicles.register.errors import RegisterQuotaExhausted

logger = logging.getLogger(__name__)

SPENT_UNTIL_KEY = "register:quota-spent-until"
LONGEST_PAUSE_SECONDS = 25 * 3600  # a day, DST included
ODD_RETRY_AFTER_PAUSE_SECONDS = 3600


def refuse_while_spent(spent_until: float | None) -> None:
    """Refuses at once while the register has said its quota is spent (`SPENT_UNTIL_KEY`)."""
    seconds = _seconds_left(spent_until)
    if seconds is not None:
        raise RegisterQuotaExhausted(retry_after=seconds)


def retry_after() -> int | None:
    """Seconds until the register may be called again, or None when it may be called now."""
    return _seconds_left(cache.get(SPENT_UNTIL_KEY))


def _seconds_left(until: float | None) -> int | None:
    remaining = until - time.time() if until is not None else 0
    return math.ceil(remaining) if remaining > 0 else None


def remember_spent(retry_after_header: str | None) -> int:
    """Pauses look-ups after a `422`/`429`; returns the pause in seconds."""
    if retry_after_header is None or not retry_after_header.strip():
        seconds = seconds_until_oslo_midnight()
    else:
        seconds = parse_retry_after(retry_after_header) or ODD_RETRY_AFTER_PAUSE_SECONDS
    cache.set(SPENT_UNTIL_KEY, time.time() + seconds, timeout=seconds)
    logger.error("Vehicle register quota exhausted; pausing look-ups for %d s", seconds)
    return seconds


def parse_retry_after(value: str) -> int | None:
    """`Retry-After` in seconds when it is 1 s to 25 h away, else None (odd, past or too far)."""
    value = value.strip()
    if value.isascii() and value.isdigit():
        seconds = int(value) if len(value) <= 9 else LONGEST_PAUSE_SECONDS + 1
    else:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = math.ceil((moment - datetime.now(UTC)).total_seconds())
    return seconds if 0 < seconds <= LONGEST_PAUSE_SECONDS else None
