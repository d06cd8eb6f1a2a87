"""
Reads of vehicle links, always scoped to the requesting user, and of the stored vehicles
due for a refresh from the register (for operators).
"""

import datetime
from collections.abc import Collection

from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minbil.errors import DomainError
from vehicles.models import INSPECTION_DUE_SOON_DAYS, Vehicle, VehicleLink

# `refresh_urgency` of `vehicles_due_for_refresh`, most urgent first.
NEVER_FETCHED = 0
INSPECTION_DUE = 1
ROUTINE = 2


class VehicleNotLinked(DomainError):
    """Also the answer for another user's link: it must be indistinguishable from none."""

    status_code = 404
    code = "vehicle_not_linked"
    message = _("You have no linked vehicle with this registration number.")


def vehicle_links_for(*, user) -> QuerySet[VehicleLink]:
    """The user's links with their vehicles in one query: primary first, then most recent."""
    return (
        VehicleLink.objects.filter(user=user)
        .select_related("vehicle")
        .defer("vehicle__register_payload")
        .order_by("-is_primary", "-updated_at", "-pk")
    )


def find_vehicle_link(*, user, registration_number: str) -> VehicleLink | None:
    """The user's link to a canonical plate, or None."""
    return (
        vehicle_links_for(user=user)
        .filter(vehicle__registration_number=registration_number)
        .first()
    )


def get_vehicle_link(*, user, registration_number: str) -> VehicleLink:
    """The user's link to a canonical plate, or `VehicleNotLinked` (404)."""
    link = find_vehicle_link(user=user, registration_number=registration_number)
    if link is None:
        raise VehicleNotLinked()
    return link


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
