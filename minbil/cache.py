"""
The Redis cache as an accelerator, not a single point of failure.

`FallbackRedisCache` is Django's `RedisCache` with short socket timeouts. When Redis cannot
be reached (or answers with an error), each cache operation is served from a per-process
local-memory cache instead, a WARNING is logged at most once a minute per process, and the
failure is remembered for a few seconds so that requests do not each wait for a connect
timeout. After that the next operation tries Redis again, and once it answers Redis is used
again.

What "fail open" means here: while Redis is down, throttle counters, the register's quota
and breaker state and anything else in the cache live in each process's memory, so counts
start from zero and are per process (a limit of 20 a minute allows up to 20 per process).
Nothing is refused because the cache is down. What was written locally during an outage is
not copied back; when Redis answers again, its values apply again.
"""

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# After a failure, Redis is left alone for this long before it is tried again.
RETRY_AFTER_SECONDS = 5.0
WARNING_INTERVAL_SECONDS = 60.0
# The local fallback holds at most this many keys per process (then it culls the oldest third).
FALLBACK_MAX_ENTRIES = 10_000


class _Outage:
    """Per process, per Redis location: since when Redis is failing, and what was logged."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.retry_at = 0.0  # monotonic time before which Redis is not tried
        self.down = False
        self.warned_at: float | None = None


_outages: dict[str, _Outage] = {}
_outages_lock = threading.Lock()


def _outage_for(location: str) -> _Outage:
    with _outages_lock:
        return _outages.setdefault(location, _Outage())


class FallbackRedisCache(RedisCache):
    """`RedisCache` that serves from per-process memory while Redis is unreachable."""

    def __init__(self, server, params):
        super().__init__(server, params)
        location = server if isinstance(server, str) else ",".join(server)
        self._outage = _outage_for(location)
        # Django makes one backend instance per thread; the fallback's store is shared by
        # every thread of the process because LocMemCache keys its store by name.
        self._fallback = LocMemCache(
            f"redis-fallback:{location}",
            {**params, "OPTIONS": {"MAX_ENTRIES": FALLBACK_MAX_ENTRIES}},
        )

    def ping(self) -> None:
        """Asks Redis itself (never the fallback); raises `RedisError` when it does not answer."""
        self._cache.get_client(write=True).ping()

    def _call(self, method: str, *args, **kwargs):
        outage = self._outage
        if outage.down and time.monotonic() < outage.retry_at:
            return getattr(self._fallback, method)(*args, **kwargs)
        try:
            result = getattr(super(), method)(*args, **kwargs)
        except RedisError as exc:
            self._record_failure(exc)
            return getattr(self._fallback, method)(*args, **kwargs)
        if outage.down:
            self._record_recovery()
        return result

    def _record_failure(self, exc: RedisError) -> None:
        outage = self._outage
        now = time.monotonic()
        with outage.lock:
            if not outage.down:
                # Each outage starts from an empty fallback, not from the last one's leftovers.
                self._fallback.clear()
            outage.down = True
            outage.retry_at = now + RETRY_AFTER_SECONDS
            warn = outage.warned_at is None or now - outage.warned_at >= WARNING_INTERVAL_SECONDS
            if warn:
                outage.warned_at = now
        if warn:
            logger.warning(
                "Cache unreachable (%s: %s); serving from per-process memory, throttles and "
                "register limits count per process until it answers again",
                type(exc).__name__,
                str(exc).splitlines()[0] if str(exc) else "",
            )

    def _record_recovery(self) -> None:
        with self._outage.lock:
            was_down, self._outage.down = self._outage.down, False
        if was_down:
            logger.info("Cache reachable again; using Redis")

    # Every operation of Django's cache API that RedisCache implements goes through `_call`;
    # the rest of BaseCache (get_or_set, decr, the async variants, ...) is built on these.

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def clear(self):
        return self._call("clear")
