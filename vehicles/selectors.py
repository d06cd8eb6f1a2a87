"""Reads of vehicle links, always scoped to the requesting user."""

from django.db.models import QuerySet

from minbil.errors import DomainError
from vehicles.models import VehicleLink


class VehicleNotLinked(DomainError):
    """Also the answer for another user's link: it must be indistinguishable from none."""

    status_code = 404
    code = "vehicle_not_linked"
    message = "You have no linked vehicle with this registration number."


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
