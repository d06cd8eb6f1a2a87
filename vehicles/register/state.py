"""
The package's state in Django's cache: shared by every process when `REDIS_URL` is set, per
process otherwise. Every key starts with `register:` and every entry has a bounded lifetime.
"""

from django.core.cache import cache


def increment(key: str, timeout: int) -> int:
    """Adds one to a counter, created at 0 with `timeout` seconds to live (atomic on Redis)."""
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # it expired between the two calls
        cache.add(key, 0, timeout)
        return cache.incr(key)
