"""
Register data into `Vehicle` rows: a new vehicle from its first look-up, and refreshes that
record what they changed (`VehicleDataChange`), one vehicle at a time or many with an outcome
per vehicle (the admin action, `refresh_vehicles`).

Look-ups happen outside database transactions: a slow register never holds a lock.
"""

import datetime
import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vehicles.models import ChangeSource, Vehicle, VehicleDataChange, describe_changes
from vehicles.register.due import vehicles_due_for_refresh
from vehicles.register.errors import (
    BatchShareExhausted,
    RegisterError,
    RegisterQuotaExhausted,
    RegisterUnavailable,
    VehicleNotFound,
)
from vehicles.register.lookups import lookup

logger = logging.getLogger(__name__)


def store_new_vehicle(*, registration_number: str, user=None) -> Vehicle:
    """
    The vehicle of a canonical plate, looked up in the register and stored, for `user`'s
    request (their look-up budget applies). Two users linking the same new plate at once
    share one look-up, and the unique plate decides which row is kept.
    """
    result = lookup(registration_number, user=user)
    vehicle, _ = Vehicle.objects.get_or_create(
        registration_number=registration_number,
        defaults={
            **asdict(result.data),
            "register_payload": result.payload,
            "data_fetched_at": timezone.now(),
        },
    )
    return vehicle


def fetched_recently(vehicle: Vehicle) -> bool:
    """
    Whether the vehicle's data is younger than `REGISTER_REFRESH_MIN_AGE_SECONDS`: a refresh
    then answers the stored data without a look-up (its `data_fetched_at` shows how fresh).
    """
    min_age = settings.REGISTER_REFRESH_MIN_AGE_SECONDS
    return bool(
        min_age
        and vehicle.data_fetched_at is not None
        and timezone.now() - vehicle.data_fetched_at < datetime.timedelta(seconds=min_age)
    )


def refresh_vehicle(
    *, vehicle: Vehicle, source: str = ChangeSource.API, user=None
) -> dict[str, tuple[Any, Any]]:
    """
    Replaces a vehicle's register data with a fresh look-up and returns what changed as
    `{field: (old, new)}`. A change is also recorded as a `VehicleDataChange` marked with
    `source` (`api`, `admin`, `command`), in the same transaction as the update. If the
    register fails, the exception propagates and the stored data stays exactly as it was.
    Refreshes from the admin and commands are batch look-ups (see `budget.py`).
    """
    batch = source != ChangeSource.API
    result = lookup(vehicle.registration_number, user=user, batch=batch)
    fields = asdict(result.data)
    now = timezone.now()
    with transaction.atomic():
        # Compared with the row as stored now, not as the caller loaded it: a long batch or
        # two concurrent refreshes must not record a change against stale values.
        current = Vehicle.objects.select_for_update().only(*fields).get(pk=vehicle.pk)
        changes = {
            name: (getattr(current, name), value)
            for name, value in fields.items()
            if getattr(current, name) != value
        }
        Vehicle.objects.filter(pk=vehicle.pk).update(
            **fields, register_payload=result.payload, data_fetched_at=now, updated_at=now
        )
        if changes:
            VehicleDataChange.objects.create(
                vehicle_id=vehicle.pk,
                fetched_at=now,
                changes=change_record(changes),
                source=source,
            )
    return changes


def change_record(changes: dict[str, tuple[Any, Any]]) -> dict[str, dict[str, Any]]:
    """`{field: (old, new)}` as stored in `VehicleDataChange.changes`: JSON, dates in ISO."""
    return {
        name: {"old": _json_value(old), "new": _json_value(new)}
        for name, (old, new) in changes.items()
    }


class RefreshStatus(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    FRESH = "fresh"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"
    QUOTA_EXHAUSTED = "quota_exhausted"
    FAILED = "failed"


@dataclass(frozen=True)
class RefreshOutcome:
    """How one vehicle's refresh went, for callers that refresh many and report on each."""

    vehicle: Vehicle
    status: RefreshStatus
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    message: str = ""
    retry_after: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.status in (RefreshStatus.CHANGED, RefreshStatus.UNCHANGED)

    @property
    def summary(self) -> str:
        """What changed, or why it failed or was skipped, in one line (the plate not included)."""
        if self.succeeded:
            return describe_changes(change_record(self.changes))
        if self.status == RefreshStatus.FRESH:
            age = timezone.now() - self.vehicle.data_fetched_at
            return (
                f"Fetched {describe_wait(int(age.total_seconds()))} ago; not fetched again "
                f"within {describe_wait(settings.REGISTER_REFRESH_MIN_AGE_SECONDS)}."
            )
        if self.status == RefreshStatus.QUOTA_EXHAUSTED and self.retry_after:
            return f"{self.message}; it resets in {describe_wait(self.retry_after)}."
        return self.message


def attempt_vehicle_refresh(*, vehicle: Vehicle, source: str) -> RefreshOutcome:
    """
    `refresh_vehicle`, with every failure turned into an outcome instead of an exception,
    so one vehicle's failure never ends a batch (the admin action, `refresh_vehicles`).
    A vehicle fetched within the refresh minimum age is left alone (`FRESH`). A spent quota
    or budget comes back as `QUOTA_EXHAUSTED` with `retry_after`: it is shared, so the
    caller should stop there.
    """
    if fetched_recently(vehicle):
        return RefreshOutcome(vehicle, RefreshStatus.FRESH)
    try:
        changes = refresh_vehicle(vehicle=vehicle, source=source)
    except VehicleNotFound as exc:
        return RefreshOutcome(vehicle, RefreshStatus.NOT_FOUND, message=str(exc.message))
    except RegisterQuotaExhausted as exc:
        message = (
            "Batch refreshes have used their share of today's register look-ups"
            if isinstance(exc, BatchShareExhausted)
            else "The register's daily look-up quota is used up"
        )
        return RefreshOutcome(
            vehicle, RefreshStatus.QUOTA_EXHAUSTED, message=message, retry_after=exc.retry_after
        )
    except RegisterUnavailable as exc:
        return RefreshOutcome(vehicle, RefreshStatus.UNAVAILABLE, message=str(exc.message))
    except RegisterError as exc:
        return RefreshOutcome(vehicle, RefreshStatus.FAILED, message=str(exc.message))
    except Exception:
        # Deliberately broad: a batch reports a bug on one vehicle and goes on (logged in
        # full here; the message shown to staff carries no internals).
        logger.exception("Refreshing vehicle %s failed unexpectedly", vehicle.pk)
        return RefreshOutcome(
            vehicle, RefreshStatus.FAILED, message="Unexpected error (see the server log)."
        )
    status = RefreshStatus.CHANGED if changes else RefreshStatus.UNCHANGED
    return RefreshOutcome(vehicle, status, changes=changes)


def refresh_each(
    vehicles: Iterable[Vehicle], *, source: str, until: float | None = None
) -> Iterator[RefreshOutcome]:
    """
    `attempt_vehicle_refresh` for each vehicle in turn (a batch: its share of the day's
    budget applies). Ends after the first outcome that finds the quota or the batch share
    spent (yielded too: every later call would be refused), or once `time.monotonic()`
    passes `until`, so the rest is left for the next run.
    """
    for vehicle in vehicles:
        if until is not None and time.monotonic() >= until:
            return
        outcome = attempt_vehicle_refresh(vehicle=vehicle, source=source)
        yield outcome
        if outcome.status == RefreshStatus.QUOTA_EXHAUSTED:
            return


@dataclass
class ScheduledRefresh:
    """What the nightly refresh did: outcomes by status, and why it stopped early, if it did."""

    outcomes: Counter = field(default_factory=Counter)
    left: int = 0
    stopped: str = ""

    def describe(self) -> str:
        counts = ", ".join(f"{status} {n}" for status, n in sorted(self.outcomes.items()))
        line = f"Register refresh: {counts or 'nothing due'}"
        if self.stopped:
            line += f"; stopped ({self.stopped}), {self.left} left for the next run"
        return line


def refresh_stored_vehicles(
    *, stale_after: datetime.timedelta, time_budget: datetime.timedelta
) -> ScheduledRefresh:
    """
    The nightly refresh: stored vehicles whose data is older than `stale_after`, most
    urgent first (`vehicles_due_for_refresh`), within the batch share of the day's budget and
    `time_budget`. Changes are recorded as from a scheduled job.
    """
    due = vehicles_due_for_refresh(stale_after=stale_after)
    total = due.count()
    until = time.monotonic() + time_budget.total_seconds()
    run = ScheduledRefresh()
    done = 0
    # Closed explicitly: a run that stops early must not leave PostgreSQL's server-side
    # cursor open until garbage collection.
    with closing(due.iterator(chunk_size=200)) as vehicles:
        for outcome in refresh_each(vehicles, source=ChangeSource.JOB, until=until):
            if outcome.status == RefreshStatus.QUOTA_EXHAUSTED:
                run.stopped = outcome.summary
                break
            done += 1
            run.outcomes[outcome.status] += 1
    run.left = total - done
    if run.left and not run.stopped:
        run.stopped = "time budget spent"
    return run


def describe_wait(seconds: int) -> str:
    """`Retry-After` seconds for people: `3 h 12 min`, `5 min`, `40 s`."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.date) else value
