"""Reads of vehicle links, always scoped to the requesting user."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from minbil.errors import DomainError
from vehicles.models import InspectionReminder, Vehicle, VehicleLink


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


def inspection_reminders_for(*, user) -> QuerySet[InspectionReminder]:
    """The EU-kontroll reminders issued to the user, newest first, with their vehicles."""
    return (
        InspectionReminder.objects.filter(user=user)
        .select_related("vehicle")
        .only("deadline", "step", "created_at", "vehicle__registration_number")
        .order_by("-created_at", "-pk")
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


@dataclass(frozen=True)
class LinkState:
    """What linking a plate depends on."""

    links: int  # the user's links
    linked: bool  # whether one of them is to this plate
    vehicle_id: int | None  # the plate's stored vehicle, if there is one


def link_state(*, user, registration_number: str) -> LinkState:
    """
    The user's links, whether one is to the canonical plate, and the plate's stored vehicle,
    in one query: a link of a new plate needs nothing else before the register is asked.
    """
    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            links=Count("vehicle_links"),
            linked=Exists(
                VehicleLink.objects.filter(
                    user=OuterRef("pk"), vehicle__registration_number=registration_number
                )
            ),
            stored_vehicle=Subquery(
                Vehicle.objects.filter(registration_number=registration_number).values("pk")[:1]
            ),
        )
        .values("links", "linked", "stored_vehicle")
        .get()
    )
    return LinkState(row["links"], row["linked"], row["stored_vehicle"])
