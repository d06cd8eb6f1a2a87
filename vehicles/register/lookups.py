"""
A look-up of one plate in the configured register, under every rule that keeps the register
cheap and the API fast when it misbehaves. In order, each refusing at once:

1. the negative cache: "no data" for the plate was seen in the last
   `REGISTER_NOT_FOUND_TTL_SECONDS` (`404 vehicle_not_found`);
2. the register's spent quota, then the breaker (`503`);
3. the day's budget, then the owner's own budget (`503`, `429`);
4. single flight: one call for all concurrent look-ups of the plate, the others share it;
5. the call: one of this process's call slots, then at most three attempts with jittered
   backoff on timeouts, connection errors and 5xx, each bounded from connect to last byte,
   each passing the breaker and counted by the day's budget.

All of it within `REGISTER_DEADLINE_SECONDS`: no request waits on the register longer.
"""

import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

from vehicles.register import breaker, budget, bulkhead, client, flight, quota, sandbox
from vehicles.register.deadline import Deadline
from vehicles.register.errors import (
    QuotaSpent,
    RegisterError,
    RegisterQuotaExhausted,
    RegisterUnavailable,
    TransientFailure,
    VehicleNotFound,
)
from vehicles.register.mode import LIVE, SANDBOX, configured_mode
from vehicles.register.parser import VehicleData, parse_payload

logger = logging.getLogger(__name__)

ATTEMPTS = 3
BACKOFF_SECONDS = 0.2
# A retry is made only when at least this much of the deadline is left for it.
MIN_ATTEMPT_SECONDS = 1.0


@dataclass(frozen=True)
class LookupResult:
    """A register answer: the raw payload (stored for support and re-parsing) and its parse."""

    registration_number: str
    payload: dict[str, Any]
    data: VehicleData


def lookup(registration_number: str, *, user=None, batch: bool = False) -> LookupResult:
    """
    What the register says about a canonical plate. `user` is the owner whose request needs
    it (their budget applies); `batch` marks refreshes of many vehicles (admin, command),
    which yield the last part of the day's budget to owners.

    Raises `VehicleNotFound`, `RegisterUnavailable`, `RegisterQuotaExhausted`,
    `RegisterLookupThrottled` or `RegisterError`; never anything carrying the API key.
    """
    plate = registration_number
    deadline = Deadline(settings.REGISTER_DEADLINE_SECONDS)
    # Everything that refuses a look-up at once, read in one round trip to the cache.
    not_found_key, calls_key = _not_found_key(plate), budget.today_key()
    known = cache.get_many(
        [not_found_key, quota.SPENT_UNTIL_KEY, breaker.OPEN_UNTIL_KEY, calls_key]
    )
    if known.get(not_found_key):
        raise VehicleNotFound()
    quota.refuse_while_spent(known.get(quota.SPENT_UNTIL_KEY))
    breaker.refuse_while_open(known.get(breaker.OPEN_UNTIL_KEY))
    budget.refuse_when_spent(known.get(calls_key, 0), batch=batch)
    if user is not None:
        budget.spend_user_lookup(user.pk)
    payload = flight.shared_call(plate, deadline, lambda: _fetch(plate, deadline, batch))
    return LookupResult(plate, payload, parse_payload(payload))


def _fetch(plate: str, deadline: Deadline, batch: bool) -> Any:
    """The single flight's call: a payload that parses and fits what is stored."""
    try:
        with bulkhead.slot(deadline):
            payload = _call_with_retries(plate, deadline, batch)
        parse_payload(payload)
    except QuotaSpent as spent:
        pause = quota.remember_spent(spent.retry_after)
        raise RegisterQuotaExhausted(retry_after=pause) from None
    except VehicleNotFound:
        if settings.REGISTER_NOT_FOUND_TTL_SECONDS:
            cache.set(_not_found_key(plate), True, settings.REGISTER_NOT_FOUND_TTL_SECONDS)
        raise
    except RegisterError as error:
        logger.error("Vehicle register answer for %s refused: %s", plate, error.reason)
        raise
    return payload


def _call_with_retries(plate: str, deadline: Deadline, batch: bool) -> Any:
    for attempt in range(1, ATTEMPTS + 1):
        if attempt > 1:
            # Exponential backoff with jitter: about 0.2 s, then 0.4 s.
            pause = BACKOFF_SECONDS * 2 ** (attempt - 2) * random.uniform(0.5, 1.5)  # noqa: S311
            if deadline.remaining() < pause + MIN_ATTEMPT_SECONDS:
                break
            time.sleep(pause)
        probe = breaker.permit()
        try:
            budget.spend_daily_call(batch=batch)
            payload = _call(
                plate, timeout=min(settings.VEGVESEN_TIMEOUT_SECONDS, deadline.remaining())
            )
        except TransientFailure as failure:
            breaker.record_failure(probe=probe)
            logger.warning(
                "Vehicle register attempt %d/%d for %s failed: %s",
                attempt,
                ATTEMPTS,
                plate,
                failure.reason,
            )
            continue
        except (QuotaSpent, VehicleNotFound, RegisterError):
            breaker.record_success(probe=probe)  # the register answered, whatever it said
            raise
        else:
            breaker.record_success(probe=probe)
            return payload
        finally:
            if probe:
                breaker.end_probe()
    logger.error("Vehicle register unavailable for %s", plate)
    retry_after = breaker.retry_after() or settings.REGISTER_BREAKER_COOLDOWN_SECONDS
    raise RegisterUnavailable(retry_after=retry_after)


def _call(plate: str, *, timeout: float) -> Any:
    mode = configured_mode()
    if mode == LIVE:
        return client.get_payload(plate, timeout=timeout)
    if mode == SANDBOX:
        return sandbox.get_payload(plate)
    raise RegisterError("no register mode is configured")


def _not_found_key(plate: str) -> str:
    return f"register:not-found:{plate}"
