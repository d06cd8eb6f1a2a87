"""
A per-process cap on register calls in flight (`REGISTER_MAX_CONCURRENT_CALLS`).

A register that hangs holds every thread that calls it until the deadline. With the cap, it
can hold only that many of a worker's threads; the others stay free for requests that need no
register call (stored vehicles, lists, health checks). A request that finds every slot taken
waits briefly (one waiter per slot, at most `WAIT_SECONDS`), then answers
`503 register_unavailable`: a burst of look-ups never queues up behind a hanging register.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from vehicles.register.deadline import Deadline
from vehicles.register.errors import RETRY_SOON_SECONDS, RegisterUnavailable

# Long enough for a healthy call (a few hundred milliseconds) to hand its slot over.
WAIT_SECONDS = 0.5

_condition = threading.Condition()
_in_flight = 0
_waiting = 0


@contextmanager
def slot(deadline: Deadline) -> Iterator[None]:
    """Holds one of this process's register call slots, or raises `RegisterUnavailable`."""
    global _in_flight, _waiting
    limit = settings.REGISTER_MAX_CONCURRENT_CALLS
    with _condition:
        if _in_flight >= limit:
            if _waiting >= limit:
                raise _busy()
            _waiting += 1
            try:
                free = _condition.wait_for(
                    lambda: _in_flight < limit, timeout=min(WAIT_SECONDS, deadline.remaining())
                )
            finally:
                _waiting -= 1
            if not free:
                raise _busy()
        _in_flight += 1
    try:
        yield
    finally:
        with _condition:
            _in_flight -= 1
            _condition.notify()


def in_flight() -> int:
    """Register calls this process is making now."""
    return _in_flight


def _busy() -> RegisterUnavailable:
    return RegisterUnavailable(retry_after=RETRY_SOON_SECONDS)
