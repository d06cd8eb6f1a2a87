"""
The stored vehicles due for a refresh from the register, most urgent first: the order
`refresh_vehicles` takes them in, so a budget or quota that runs out leaves the least useful.
"""

import datetime
from collections.abc import Collection

from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from vehicles.models import INSPECTION_DUE_SOON_DAYS, Vehicle

# `refresh_urgency` of `vehicles_due_for_refresh`, most urgent first.
NEVER_FETCHED = 0
INSPECTION_DUE = 1
ROUTINE = 2


def vehicles_due_for_refresh(
    *,
    plates: Collection[str] | None = None,
    stale_after: datetime.timedelta | None = None,
    now: datetime.datetime | None = None,
) -> QuerySet[Vehicle]:
    """
    Stored vehicles in the order a refresh should take them, so a quota that runs out
    leaves the least useful ones: never fetched first, then those whose inspection
    deadline is within 60 days or past (owners ask about those), then the oldest data.
    `plates` limits the set to canonical plates; `stale_after` to vehicles fetched longer
    ago than that (or never). Rows carry `refresh_urgency`; the raw payload is deferred.
    """
    now = now or timezone.now()
    soon = timezone.localdate(now) + datetime.timedelta(days=INSPECTION_DUE_SOON_DAYS)
    vehicles = Vehicle.objects.defer("register_payload")
    if plates is not None:
        vehicles = vehicles.filter(registration_number__in=plates)
    if stale_after is not None:
        vehicles = vehicles.filter(
            Q(data_fetched_at__isnull=True) | Q(data_fetched_at__lt=now - stale_after)
        )
    return vehicles.annotate(
        refresh_urgency=Case(
            When(data_fetched_at__isnull=True, then=Value(NEVER_FETCHED)),
            When(next_inspection_due__lte=soon, then=Value(INSPECTION_DUE)),
            default=Value(ROUTINE),
        )
    ).order_by(
        "refresh_urgency",
        F("data_fetched_at").asc(nulls_first=True),
        "registration_number",
    )
