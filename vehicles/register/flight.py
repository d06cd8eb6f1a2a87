"""
Single flight: concurrent look-ups of one plate, in any process, make one register call.

The first request claims the plate (an atomic `cache.add` of its own token) and calls; the
others wait for its outcome (the payload, or the error it ended with) under that token,
polling the cache, for no longer than their deadline. Only requests that overlap the call
share it: one that comes after the outcome was published calls again. A leader that dies
without an outcome releases the claim when its entry expires, and a waiter takes over.
"""

import math
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

from vehicles.register.deadline import Deadline
from vehicles.register.errors import (
    RETRY_SOON_SECONDS,
    BatchShareExhausted,
    RegisterError,
    RegisterQuotaExhausted,
    RegisterUnavailable,
    VehicleNotFound,
)

POLL_SECONDS = 0.05
OUTCOME_TTL_SECONDS = 10  # waiters poll every 50 ms: this is only for a slow cache
# Outcomes a waiter takes over as its own; anything else ends the flight without one.
SHARED_ERRORS = {
    error.__name__: error
    for error in (
        VehicleNotFound,
        RegisterUnavailable,
        RegisterQuotaExhausted,
        BatchShareExhausted,
        RegisterError,
    )
}


def shared_call(key: str, deadline: Deadline, call: Callable[[], Any]) -> Any:
    """`call()`, made once for every concurrent request with the same `key`."""
    claim_key = f"register:flight:{key}"
    while not deadline.expired:
        token = uuid.uuid4().hex
        if cache.add(claim_key, token, timeout=math.ceil(deadline.remaining()) + 2):
            return _lead(claim_key, token, call)
        leader = cache.get(claim_key)
        if leader is not None:
            outcome = _wait_for(claim_key, leader, deadline)
            if outcome is not None:
                return _unpack(outcome)
    raise RegisterUnavailable(retry_after=RETRY_SOON_SECONDS)


def _lead(claim_key: str, token: str, call: Callable[[], Any]) -> Any:
    outcome_key = f"{claim_key}:{token}"
    try:
        value = call()
    except tuple(SHARED_ERRORS.values()) as error:
        cache.set(
            outcome_key, ("error", type(error).__name__, error.retry_after), OUTCOME_TTL_SECONDS
        )
        raise
    else:
        cache.set(outcome_key, ("ok", value), OUTCOME_TTL_SECONDS)
        return value
    finally:
        cache.delete(claim_key)


def _wait_for(claim_key: str, leader: str, deadline: Deadline) -> tuple | None:
    """The leader's outcome; None when the deadline passes or the leader left without one."""
    outcome_key = f"{claim_key}:{leader}"
    while True:
        found = cache.get_many([outcome_key, claim_key])
        if outcome_key in found:
            return found[outcome_key]
        if found.get(claim_key) != leader or deadline.expired:
            return None
        time.sleep(min(POLL_SECONDS, deadline.remaining()))


def _unpack(outcome: tuple) -> Any:
    if outcome[0] == "ok":
        return outcome[1]
    _, name, retry_after = outcome
    error = SHARED_ERRORS[name]()
    error.retry_after = retry_after
    raise error
