"""
Budgets of register look-ups, counted in the cache so every process shares them.

- Per user (`REGISTER_LOOKUP_THROTTLE_RATE`, e.g. `30/hour`): the look-ups one owner's
  requests may cause, in fixed windows; beyond it `429 register_lookup_throttled` with the
  time left in the window as `Retry-After`.
- Per day (`REGISTER_DAILY_BUDGET`, below the register's own quota): every call to the
  register counts, per Oslo date. Over it, look-ups answer `503 register_quota_exhausted`
  until midnight in Oslo, when the register's quota resets too. Batch refreshes (the admin
  action, `refresh_vehicles`) stop earlier, once the day's calls reach
  `REGISTER_BATCH_SHARE` of the budget, so the rest stays for owners.
"""

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache

from minbil import ratelimit
from vehicles.register.errors import (
    BatchShareExhausted,
    RegisterLookupThrottled,
    RegisterQuotaExhausted,
)

OSLO = ZoneInfo("Europe/Oslo")


def spend_user_lookup(user_id: int) -> None:
    """Counts one look-up for the user, or raises `RegisterLookupThrottled` when it is spent."""
    wait = ratelimit.spend(
        f"register:user-budget:{user_id}", settings.REGISTER_LOOKUP_THROTTLE_RATE
    )
    if wait is not None:
        raise RegisterLookupThrottled(retry_after=wait)


def refuse_when_spent(calls: int, *, batch: bool) -> None:
    """
    Refuses at once when the day's `calls` (`today_key()`, read by the caller) have used the
    budget, or for a batch its share of it.
    """
    limit = _daily_limit(batch=batch)
    if limit is not None and calls >= limit:
        raise _spent(batch=batch)


def spend_daily_call(*, batch: bool) -> None:
    """Counts one call to the register, or raises when it would go over the day's budget."""
    key = today_key()
    count = ratelimit.increment(key, seconds_until_oslo_midnight() + 3600)
    limit = _daily_limit(batch=batch)
    if limit is not None and count > limit:
        cache.decr(key)  # not made: the count stays the number of calls
        raise _spent(batch=batch)


def calls_today() -> int:
    """Calls made to the register today (Oslo date), by every process."""
    return cache.get(today_key(), 0)


def seconds_until_oslo_midnight() -> int:
    """The register's quota resets at midnight Norwegian time (DST-aware)."""
    now = datetime.now(UTC)
    tomorrow = (now.astimezone(OSLO) + timedelta(days=1)).date()
    midnight = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=OSLO)
    return max(1, math.ceil((midnight.astimezone(UTC) - now).total_seconds()))


def _daily_limit(*, batch: bool) -> int | None:
    budget = settings.REGISTER_DAILY_BUDGET
    if not budget:
        return None
    return math.floor(budget * settings.REGISTER_BATCH_SHARE) if batch else budget


def _spent(*, batch: bool) -> RegisterQuotaExhausted:
    error = BatchShareExhausted if batch else RegisterQuotaExhausted
    return error(retry_after=seconds_until_oslo_midnight())


def today_key() -> str:
    """The cache key of today's count of calls (Oslo date)."""
    today: date = datetime.now(OSLO).date()
    return f"register:calls:{today.isoformat()}"
