"""
The circuit breaker, shared by every process through the cache.

Closed: calls go through, and timeouts, connection errors and 5xx answers are counted; any
answer from the register resets the count. After `REGISTER_BREAKER_FAILURES` failures in a row
it opens for `REGISTER_BREAKER_COOLDOWN_SECONDS`: every look-up answers
`503 register_unavailable` at once, with the time left as `Retry-After`, and nothing is sent.
Then it is half-open: the first call to claim the probe (an atomic `cache.add`, so one across
all processes) goes through, and its outcome closes the breaker or opens it again; the others
are refused meanwhile. `REGISTER_BREAKER_FAILURES=0` turns the breaker off.
"""

import logging
import math
import time
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache

from minbil.ratelimit import increment
from vehicles.register.errors import RegisterUnavailable

logger = logging.getLogger(__name__)

FAILURES_KEY = "register:breaker:failures"
OPEN_UNTIL_KEY = "register:breaker:open-until"
PROBE_KEY = "register:breaker:probe"
# Failures count as "in a row" within this window; a half-open breaker that nobody probes is
# forgotten (closed) after this long.
MEMORY_SECONDS = 3600


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


def state() -> BreakerState:
    """The breaker as every process sees it now."""
    open_until = cache.get(OPEN_UNTIL_KEY)
    if open_until is None:
        return BreakerState.CLOSED
    return BreakerState.OPEN if open_until > time.time() else BreakerState.HALF_OPEN


def refuse_while_open(open_until: float | None) -> None:
    """
    Refuses at once while the breaker is open (`OPEN_UNTIL_KEY`, read by the caller); a
    half-open one lets the caller on, to claim the probe.
    """
    if _enabled():
        _refuse_if_open(open_until)


def permit() -> bool:
    """
    Before each call: returns whether this call is the half-open probe, or raises
    `RegisterUnavailable` while the breaker is open or another call is probing.
    """
    if not _enabled():
        return False
    open_until = cache.get(OPEN_UNTIL_KEY)
    if open_until is None:
        return False
    _refuse_if_open(open_until)
    if cache.add(PROBE_KEY, True, timeout=math.ceil(settings.REGISTER_DEADLINE_SECONDS) + 5):
        logger.info("Vehicle register breaker half-open: probing")
        return True
    raise RegisterUnavailable(retry_after=math.ceil(settings.REGISTER_DEADLINE_SECONDS))


def record_success(*, probe: bool) -> None:
    """The register answered (whatever it said): the failures in a row start again from 0."""
    if not _enabled():
        return
    cache.delete_many([FAILURES_KEY, OPEN_UNTIL_KEY])
    if probe:
        logger.warning("Vehicle register breaker closed: the probe was answered")


def record_failure(*, probe: bool) -> None:
    """A timeout, connection error or 5xx: opens the breaker at the threshold, or re-opens it."""
    if not _enabled():
        return
    if probe or increment(FAILURES_KEY, MEMORY_SECONDS) >= settings.REGISTER_BREAKER_FAILURES:
        cooldown = settings.REGISTER_BREAKER_COOLDOWN_SECONDS
        cache.set(OPEN_UNTIL_KEY, time.time() + cooldown, timeout=cooldown + MEMORY_SECONDS)
        cache.delete(FAILURES_KEY)
        logger.error("Vehicle register breaker open for %d s", cooldown)


def end_probe() -> None:
    """Lets the next call probe (after the probe's outcome was recorded, or it never ran)."""
    cache.delete(PROBE_KEY)


def retry_after() -> int | None:
    """Seconds until the breaker lets a call through again, or None when it is closed."""
    open_until = cache.get(OPEN_UNTIL_KEY)
    return max(1, math.ceil(open_until - time.time())) if open_until is not None else None


def _refuse_if_open(open_until: float | None) -> None:
    if open_until is not None and open_until > time.time():
        raise RegisterUnavailable(retry_after=max(1, math.ceil(open_until - time.time())))


def _enabled() -> bool:
    return settings.REGISTER_BREAKER_FAILURES > 0
