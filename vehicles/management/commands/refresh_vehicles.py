"""
`python manage.py refresh_vehicles [--plate P ...] [--stale-after DAYS] [--limit N] [--dry-run]`:
re-fetches stored vehicles from the register, most urgent first.

Safe to re-run at any time (each refresh replaces the data and records what changed). A
failure on one vehicle is reported and the run goes on; a spent quota ends the run cleanly
with what was done and what is left, since every further call would be refused too.
Exit status: 0 when every vehicle taken was refreshed, 1 when some failed or the quota ran out.
"""

import argparse
import datetime
from collections import Counter
from contextlib import closing
from typing import Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.utils import timezone

from vehicles.models import ChangeSource, Vehicle
from vehicles.plates import InvalidRegistrationNumber, normalize_registration_number
from vehicles.register import (
    INSPECTION_DUE,
    NEVER_FETCHED,
    RefreshOutcome,
    RefreshStatus,
    fetched_recently,
    refresh_each,
    vehicles_due_for_refresh,
)


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, not {value!r}")
    return int(value)


def _days(value: str) -> float:
    try:
        days = float(value)
    except ValueError:
        days = -1.0
    if not 0 <= days < 100_000:
        raise argparse.ArgumentTypeError(f"must be a number of days (0 or more), not {value!r}")
    return days


class ProgressBar:
    """One line redrawn in place (carriage return): for terminals only."""

    width = 30

    def __init__(self, out: OutputWrapper, total: int) -> None:
        self.out = out
        self.total = total
        self.drawn = 0

    def show(self, done: int, label: str = "") -> None:
        filled = self.width * done // self.total if self.total else self.width
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} {label}"
        self.out.write("\r" + line.ljust(self.drawn), ending="")
        self.out.flush()
        self.drawn = len(line)

    def print_above(self, text: str, style_func=None) -> None:
        """A line of its own; the bar is redrawn under it by the next `show`."""
        self.out.write("\r" + " " * self.drawn + "\r", ending="")
        self.out.write(text, style_func=style_func)
        self.drawn = 0

    def finish(self) -> None:
        self.out.write("")


class Command(BaseCommand):
    help = (
        "Refresh stored vehicles from the register (live or sandbox, as configured), most "
        "urgent first: never fetched, then inspection deadline within 60 days, then oldest "
        "data. Stops cleanly when the register's daily quota is spent. Exit status 1 when a "
        "vehicle failed or the quota ended the run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--plate",
            action="append",
            dest="plates",
            metavar="PLATE",
            help="Only this plate (any spacing or case); repeat for more.",
        )
        parser.add_argument(
            "--stale-after",
            type=_days,
            metavar="DAYS",
            help="Only vehicles whose data is older than DAYS days (or never fetched).",
        )
        parser.add_argument(
            "--limit", type=_positive_int, metavar="N", help="Refresh at most N vehicles."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what would be fetched, in order, without calling the register.",
        )

    def handle(
        self,
        *args: Any,
        plates: list[str] | None = None,
        stale_after: float | None = None,
        limit: int | None = None,
        dry_run: bool = False,
        **options: Any,
    ) -> None:
        canonical = self._canonical_plates(plates)
        stale = datetime.timedelta(days=stale_after) if stale_after is not None else None
        skipped = self._report_unknown_plates(canonical)

        in_scope = vehicles_due_for_refresh(plates=canonical).count()
        due = vehicles_due_for_refresh(plates=canonical, stale_after=stale)
        due_count = due.count() if stale is not None else in_scope
        if due_count < in_scope:
            self.stdout.write(
                f"{in_scope - due_count} vehicle(s) fetched within the last {stale_after:g} "
                "day(s): skipped."
            )
        taken = min(due_count, limit) if limit is not None else due_count
        skipped += in_scope - taken
        if taken < due_count:
            self.stdout.write(
                f"--limit {limit}: {due_count - taken} due vehicle(s) left for later."
            )
        # Closed explicitly: a run that stops at the quota must not leave PostgreSQL's
        # server-side cursor open until garbage collection.
        with closing(due[:taken].iterator(chunk_size=200)) as vehicles:
            if dry_run:
                self._dry_run(vehicles, taken, skipped)
            else:
                self._refresh(vehicles, taken, skipped)

    def _canonical_plates(self, plates: list[str] | None) -> list[str] | None:
        if not plates:
            return None
        try:
            return list(dict.fromkeys(normalize_registration_number(p) for p in plates))
        except InvalidRegistrationNumber as exc:
            raise CommandError(f"Invalid plate. {exc.message}") from None

    def _report_unknown_plates(self, plates: list[str] | None) -> int:
        if not plates:
            return 0
        stored = set(
            Vehicle.objects.filter(registration_number__in=plates).values_list(
                "registration_number", flat=True
            )
        )
        unknown = [plate for plate in plates if plate not in stored]
        for plate in unknown:
            self.stdout.write(
                self.style.WARNING(f"{plate}: not stored (an owner has to link it first); skipped.")
            )
        return len(unknown)

    def _dry_run(self, vehicles, taken: int, skipped: int) -> None:
        self.stdout.write(f"Dry run: {taken} vehicle(s) would be fetched, in this order:")
        for vehicle in vehicles:
            self.stdout.write(f"  {vehicle.display_registration_number:<10} {_reason(vehicle)}")
        self.stdout.write(f"Dry run: nothing fetched; would refresh {taken}, skipped {skipped}.")

    def _refresh(self, vehicles, taken: int, skipped: int) -> None:
        counts: Counter[str] = Counter()
        bar = ProgressBar(self.stdout, taken) if self.stdout.isatty() else None
        stopped_by: RefreshOutcome | None = None
        done = 0
        if bar:
            bar.show(done)
        for outcome in refresh_each(vehicles, source=ChangeSource.COMMAND):
            if outcome.status == RefreshStatus.QUOTA_EXHAUSTED:
                stopped_by = outcome
                break
            done += 1
            counts[outcome.status] += 1
            self._report(outcome, bar)
            if bar:
                bar.show(done, outcome.vehicle.display_registration_number)
        if bar:
            bar.finish()

        left = taken - done
        if stopped_by is not None:
            self.stdout.write(
                self.style.ERROR(
                    f"Stopped at {stopped_by.vehicle.display_registration_number}: "
                    f"{stopped_by.summary} Done {done} of {taken}; {left} left, "
                    "run again after the reset."
                )
            )
        refreshed = counts[RefreshStatus.CHANGED] + counts[RefreshStatus.UNCHANGED]
        fresh = counts[RefreshStatus.FRESH]
        failed = done - refreshed - fresh
        self.stdout.write(
            f"refreshed {refreshed} (changed {counts[RefreshStatus.CHANGED]}, "
            f"unchanged {counts[RefreshStatus.UNCHANGED]}), failed {failed}, "
            f"skipped {skipped + fresh + left}"
        )
        if stopped_by is not None:
            raise CommandError(f"The register's quota ran out; {left} vehicle(s) not refreshed.")
        if failed:
            raise CommandError(f"{failed} of {taken} vehicle(s) could not be refreshed.")

    def _report(self, outcome: RefreshOutcome, bar: ProgressBar | None) -> None:
        plate = f"{outcome.vehicle.display_registration_number:<10}"
        if outcome.status == RefreshStatus.UNCHANGED:
            if not bar:  # a terminal shows the bar instead of a line per unchanged vehicle
                self.stdout.write(f"{plate} unchanged")
            return
        if outcome.status == RefreshStatus.CHANGED:
            text, style = f"{plate} changed: {outcome.summary}", self.style.SUCCESS
        elif outcome.status == RefreshStatus.FRESH:
            text, style = f"{plate} skipped: {outcome.summary}", None
        else:
            text, style = f"{plate} failed: {outcome.summary}", self.style.ERROR
        if bar:
            bar.print_above(text, style)
        else:
            self.stdout.write(text, style_func=style)


def _reason(vehicle: Vehicle) -> str:
    """Why a vehicle is where it is in the order (from the selector's `refresh_urgency`)."""
    if vehicle.refresh_urgency == NEVER_FETCHED:
        return "never fetched"
    fetched = timezone.localtime(vehicle.data_fetched_at).strftime("%Y-%m-%d %H:%M")
    if fetched_recently(vehicle):
        return f"data from {fetched}, within the refresh minimum age: will be skipped"
    if vehicle.refresh_urgency == INSPECTION_DUE:
        return f"inspection deadline {vehicle.next_inspection_due}; data from {fetched}"
    return f"data from {fetched}"
