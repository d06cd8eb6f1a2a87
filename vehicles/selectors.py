"""Reads of vehicle links, always scoped to the requesting user."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from minbil import prepared
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


# What one entry of the owner's list shows, and nothing else (no register payload, no tyres).
SUMMARY_COLUMNS = (
    "vehicle__registration_number",
    "nickname",
    "is_primary",
    "vehicle__make",
    "vehicle__model",
    "vehicle__model_year",
    "vehicle__fuel_type",
    "vehicle__color",
    "photo",
    "photo_thumbnail",
    "vehicle__next_inspection_due",
    "vehicle__inspection_required",
    "created_at",
    "updated_at",
)
# The list is the app's most called request: its SQL is built once (minbil/prepared.py).
_SUMMARIES = prepared.PreparedQuery(
    lambda user_id: vehicle_links_for(user=user_id).values_list(*SUMMARY_COLUMNS),
    user_id=prepared.ID,
)


def vehicle_summaries_for(*, user) -> list[dict]:
    """
    The columns of the owner's list (`SUMMARY_COLUMNS`), one dict per link, in the order of
    `vehicle_links_for`: one query whose SQL is built once per process and thread.
    """
    return _SUMMARIES.dicts(user_id=user.pk)


def inspection_reminders_for(*, user) -> QuerySet[InspectionReminder]:
    """The EU-kontroll reminders issued to the user, newest first, with their vehicles."""
    return (
        InspectionReminder.objects.filter(user=user)
        .select_related("vehicle")
        .only("deadline", "step", "created_at", "vehicle__registration_number")
        .order_by("-created_at", "-pk")
    )


# One link with its vehicle, as `vehicle_links_for` loads them (the raw payload deferred).
_LINK_FIELDS = tuple(field.attname for field in VehicleLink._meta.concrete_fields)
_VEHICLE_FIELDS = tuple(
    field.attname for field in Vehicle._meta.concrete_fields if field.name != "register_payload"
)
_LINK_BY_PLATE = prepared.PreparedQuery(
    lambda user_id, plate: VehicleLink.objects.filter(
        user_id=user_id, vehicle__registration_number=plate
    ).values_list(*_LINK_FIELDS, *(f"vehicle__{name}" for name in _VEHICLE_FIELDS)),
    user_id=prepared.ID,
    plate=prepared.TEXT,
)


def find_vehicle_link(*, user, registration_number: str) -> VehicleLink | None:
    """
    The user's link to a canonical plate with its vehicle, or None: what the detail, link,
    set-primary and unlink of a plate read first, so its SQL is built once.
    """
    rows = _LINK_BY_PLATE.rows(user_id=user.pk, plate=registration_number)
    if not rows:
        return None
    # At most one row: a user links a vehicle once (a unique constraint).
    split = len(_LINK_FIELDS)
    link = VehicleLink.from_db(DEFAULT_DB_ALIAS, _LINK_FIELDS, rows[0][:split])
    link.vehicle = Vehicle.from_db(DEFAULT_DB_ALIAS, _VEHICLE_FIELDS, rows[0][split:])
    return link


def get_vehicle_link(*, user, registration_number: str) -> VehicleLink:
    """The user's link to a canonical plate, or `VehicleNotLinked` (404)."""
    link = find_vehicle_link(user=user, registration_number=registration_number)
    if link is None:
        raise VehicleNotLinked()
    return link


_LAST_UPDATED_LINK = prepared.PreparedQuery(
    lambda user_id: (
        VehicleLink.objects.filter(user_id=user_id)
        .order_by("-updated_at", "-pk")
        .values_list("pk", "vehicle__registration_number")[:1]
    ),
    user_id=prepared.ID,
)


def last_updated_link(*, user) -> tuple[int, str] | None:
    """The id and plate of the user's link updated most recently, if they have one."""
    rows = _LAST_UPDATED_LINK.rows(user_id=user.pk)
    return (rows[0][0], rows[0][1]) if rows else None


@dataclass(frozen=True)
class LinkState:
    """What linking a plate depends on."""

    links: int  # the user's links
    linked: bool  # whether one of them is to this plate
    vehicle_id: int | None  # the plate's stored vehicle, if there is one


_LINK_STATE = prepared.PreparedQuery(
    lambda user_id, plate: (
        get_user_model()
        .objects.filter(pk=user_id)
        .annotate(
            links=Count("vehicle_links"),
            linked=Exists(
                VehicleLink.objects.filter(user=OuterRef("pk"), vehicle__registration_number=plate)
            ),
            stored_vehicle=Subquery(
                Vehicle.objects.filter(registration_number=plate).values("pk")[:1]
            ),
        )
        .values_list("links", "linked", "stored_vehicle")
    ),
    user_id=prepared.ID,
    plate=prepared.TEXT,
)


def link_state(*, user, registration_number: str) -> LinkState:
    """
    The user's links, whether one is to the canonical plate, and the plate's stored vehicle,
    in one query: a link of a new plate needs nothing else before the register is asked.
    """
    (row,) = _LINK_STATE.rows(user_id=user.pk, plate=registration_number)
    return LinkState(*row)
