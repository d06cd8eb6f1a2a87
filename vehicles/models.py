"""
Vehicles (one per plate, shared), the links that make them a user's car, and the record of
what each refresh from the register changed.
"""

import datetime
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils import timezone

from vehicles.plates import display_registration_number

INSPECTION_DUE_SOON_DAYS = 60


class InspectionStatus(models.TextChoices):
    OK = "ok", "OK"
    DUE_SOON = "due_soon", f"Due within {INSPECTION_DUE_SOON_DAYS} days"
    OVERDUE = "overdue", "Overdue"
    NOT_REQUIRED = "not_required", "Not required"
    UNKNOWN = "unknown", "Unknown"


def inspection_status(
    required: bool | None, deadline: datetime.date | None, today: datetime.date
) -> str:
    """`Vehicle.inspection_status`, from the two columns it reads (for rows, not instances)."""
    if required is False:
        return InspectionStatus.NOT_REQUIRED
    if deadline is None:
        return InspectionStatus.UNKNOWN
    if deadline < today:
        return InspectionStatus.OVERDUE
    if deadline <= today + datetime.timedelta(days=INSPECTION_DUE_SOON_DAYS):
        return InspectionStatus.DUE_SOON
    return InspectionStatus.OK


class Vehicle(models.Model):
    """
    One vehicle from Statens vegvesen's register, shared by every user who links its plate.

    The parsed fields keep the register's Norwegian text; `null` means the register did not
    say (text fields are nullable on purpose: "absent" is not "empty"). `register_payload`
    is the raw answer, kept for support and for re-parsing when the parser learns more.
    """

    registration_number = models.CharField(max_length=7, unique=True)
    vin = models.CharField("VIN", max_length=32, null=True, blank=True, db_index=True)
    make = models.CharField(max_length=100, null=True, blank=True)
    model = models.CharField(max_length=200, null=True, blank=True)
    model_year = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Year of first registration (the register has no model year).",
    )
    fuel_type = models.CharField(max_length=100, null=True, blank=True)
    color = models.CharField(max_length=100, null=True, blank=True)
    first_registered_at = models.DateField(null=True, blank=True)
    first_registered_in_norway_at = models.DateField(null=True, blank=True)
    registration_status = models.CharField(max_length=100, null=True, blank=True)
    registration_status_code = models.CharField(max_length=32, null=True, blank=True)
    vehicle_group = models.CharField(max_length=200, null=True, blank=True)
    vehicle_group_code = models.CharField(max_length=16, null=True, blank=True)
    body_type = models.CharField(max_length=200, null=True, blank=True)
    engine_power_kw = models.FloatField(null=True, blank=True)
    engine_displacement_cc = models.PositiveIntegerField(null=True, blank=True)
    transmission = models.CharField(max_length=100, null=True, blank=True)
    seats = models.PositiveIntegerField(null=True, blank=True)
    doors = models.PositiveIntegerField(null=True, blank=True)
    length_mm = models.PositiveIntegerField(null=True, blank=True)
    width_mm = models.PositiveIntegerField(null=True, blank=True)
    height_mm = models.PositiveIntegerField(null=True, blank=True)
    curb_weight_kg = models.PositiveIntegerField(null=True, blank=True)
    max_total_weight_kg = models.PositiveIntegerField(null=True, blank=True)
    max_trailer_weight_braked_kg = models.PositiveIntegerField(null=True, blank=True)
    max_trailer_weight_unbraked_kg = models.PositiveIntegerField(null=True, blank=True)
    co2_g_per_km = models.FloatField("CO₂ g/km", null=True, blank=True)
    tyres = models.JSONField(default=list, blank=True)
    inspection_required = models.BooleanField(
        null=True,
        blank=True,
        help_text="Whether the register lists a periodic inspection (EU-kontroll).",
    )
    next_inspection_due = models.DateField(null=True, blank=True, db_index=True)
    last_inspection_approved = models.DateField(null=True, blank=True)
    register_payload = models.JSONField(default=dict, blank=True)
    data_fetched_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["registration_number"]
        permissions = [
            # Lets view-only support staff run the admin's "Refresh from register" action.
            ("refresh_vehicle", "Can refresh vehicle data from the register"),
        ]

    def __str__(self) -> str:
        return self.display_registration_number

    @property
    def display_registration_number(self) -> str:
        return display_registration_number(self.registration_number)

    def inspection_status(self, today: datetime.date | None = None) -> str:
        """
        From the register's deadline only (never a guessed interval): `overdue` once the
        deadline has passed, `due_soon` within 60 days of it, `not_required` without an
        inspection block, `unknown` when the register gave no deadline.
        """
        return inspection_status(
            self.inspection_required, self.next_inspection_due, today or timezone.localdate()
        )


class VehicleLink(models.Model):
    """
    A user's own link to a vehicle: their nickname, photo and primary flag. Unique per
    user and vehicle; the database allows at most one primary link per user.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vehicle_links"
    )
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="links")
    nickname = models.CharField(max_length=60, blank=True)
    photo = models.FileField(max_length=255, blank=True)
    photo_thumbnail = models.FileField(max_length=255, blank=True)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField("linked at", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "vehicle"], name="vehicle_link_unique_per_user"
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_primary=True),
                name="vehicle_link_one_primary_per_user",
            ),
        ]
        indexes = [
            # The owner's list: primary first, then most recently updated.
            models.Index(
                fields=["user", "-is_primary", "-updated_at"], name="vehicle_link_owner_list"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.vehicle}"


class ChangeSource(models.TextChoices):
    """
    Who asked for a refresh: an owner through the API, staff in the admin, a command, or a
    scheduled job (the nightly refresh, the reminders' refresh of old data).
    """

    API = "api", "API"
    ADMIN = "admin", "Admin"
    COMMAND = "command", "Command"
    JOB = "job", "Scheduled job"


class VehicleDataChange(models.Model):
    """
    What one refresh from the register changed on a vehicle, kept so support can answer
    "why does my car show that date?" from the admin.

    A row is written only for a refresh that changed something: an unchanged refresh is
    already visible as `Vehicle.data_fetched_at`, and a row per fetch would grow the table
    by the whole fleet on every scheduled run while saying nothing new.
    `changes` is `{field: {"old": ..., "new": ...}}`, JSON-ready (dates as ISO strings).
    """

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="data_changes")
    fetched_at = models.DateTimeField(db_index=True)
    changes = models.JSONField(default=dict)
    source = models.CharField(max_length=16, choices=ChangeSource.choices)

    class Meta:
        ordering = ["-fetched_at", "-pk"]
        get_latest_by = "fetched_at"

    def __str__(self) -> str:
        return f"{self.vehicle} refreshed {self.fetched_at:%Y-%m-%d %H:%M}"

    @property
    def summary(self) -> str:
        return describe_changes(self.changes)


def describe_changes(changes: Mapping[str, Mapping[str, Any]]) -> str:
    """
    One line for people: `next inspection due 2026-05-31 → 2028-05-31; colour …`.
    Lists and objects (the tyre table) are named, not dumped.
    """
    parts = []
    for name, values in changes.items():
        try:
            label = str(Vehicle._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:  # a field since removed from the model
            label = name
        old, new = values.get("old"), values.get("new")
        if isinstance(old, list | dict) or isinstance(new, list | dict):
            parts.append(f"{label} changed")
        else:
            parts.append(f"{label} {_short(old)} → {_short(new)}")
    return "; ".join(parts) or "no changes"


def describe_tyres(tyres: list[dict[str, Any]]) -> str:
    """
    The register's tyre and rim combinations in one line, as a workshop writes them:
    `215/55R17 94V on 7JX17; 235/45R18 98W on 8JX18` (axles with the same set-up once).
    """
    combinations = []
    for combination in tyres or []:
        specs = []
        for axle in combination.get("axles", []) if isinstance(combination, dict) else []:
            spec = f"{axle.get('tyre_size') or '?'} "
            spec += f"{axle.get('load_index') or ''}{axle.get('speed_rating') or ''}"
            if axle.get("rim_size"):
                spec += f" on {axle['rim_size']}"
            specs.append(spec.strip())
        if specs:
            combinations.append(" + ".join(dict.fromkeys(specs)))
    return "; ".join(combinations) or "—"


def _short(value: Any, limit: int = 60) -> str:
    text = "—" if value is None or value == "" else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ReminderStep(models.TextChoices):
    """The EU-kontroll reminders of one deadline, in the order they come."""

    DAYS_30 = "30_days", "30 days before"
    DAYS_7 = "7_days", "7 days before"
    OVERDUE = "overdue", "Overdue"


class InspectionReminder(models.Model):
    """
    An EU-kontroll reminder issued to one owner for one vehicle, deadline and step: the
    record that makes each of them go out exactly once. The unique constraint decides
    between concurrent runs, and the row outlives the delivery log (which is deleted after
    `DELIVERY_LOG_DAYS`), so an old overdue deadline is never reminded of again.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inspection_reminders"
    )
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.CASCADE, related_name="inspection_reminders"
    )
    deadline = models.DateField()
    step = models.CharField(max_length=16, choices=ReminderStep.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "vehicle", "deadline", "step"],
                name="inspection_reminder_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle} {self.deadline} {self.step} for {self.user}"
