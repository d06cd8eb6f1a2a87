"""
Counters in Django's cache for what a service alone knows it is about to do (a register
look-up, a photo decode): atomic increments, and per-key rate limits in fixed windows. Shared
by every process when `REDIS_URL` is set, per process otherwise. (Views throttle whole
requests with Django REST framework's throttles instead.)
"""

import math
import time

from django.core.cache import cache

# As Django REST framework reads a rate: `30/hour`, `5/min`, `10/s` (by the first letter).
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """`30/hour` → `(30, 3600)`."""
    count, period = rate.split("/")
    return int(count), PERIODS[period[0]]


def increment(key: str, timeout: int) -> int:
    """Adds one to a counter, created at 0 with `timeout` seconds to live (atomic on Redis)."""
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # it expired between the two calls
        cache.add(key, 0, timeout)
        return cache.incr(key)


def spend(key: str, rate: str) -> int | None:
    """
    Counts one event under `key` against `rate`: None while within it, else the seconds until
    the current window ends (for `Retry-After`). A fixed window: up to twice the rate can pass
    across a window's edge, which is fine for budgets meant to stop abuse, not to meter.
    """
    allowed, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    if increment(f"{key}:{window}", period) <= allowed:
        return None
    return max(1, math.ceil((window + 1) * period - now))
