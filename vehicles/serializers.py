"""Input validation and output shapes of `/api/co/vehicles`."""

import datetime
from collections.abc import Mapping

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from minbil.api.fields import StrictCharField, UtcDateTimeField
from vehicles import photos
from vehicles.models import InspectionStatus, inspection_status
from vehicles.plates import (
    InvalidRegistrationNumber,
    display_registration_number,
    normalize_registration_number,
)

PLATE_KEYS = ("registration_number", "reg")
PHOTO_KEYS = ("file", "image")  # multipart: either name
# The published excerpt renders `?registration_number=X&reg=X` as `?registration_number=X®=X`
# (a doc renderer turned `&reg` into `®`). Clients copy it verbatim, so it is read as meant.
_MANGLED_REG = "®="


def plate_from(query: Mapping, *, required: bool = True) -> str | None:
    """
    The canonical plate from the query parameter `registration_number` or its alias `reg`.
    Either alone is enough; both must name the same vehicle.
    """
    given = {key: query[key] for key in PLATE_KEYS if key in query}
    mangled = given.get("registration_number")
    if isinstance(mangled, str) and _MANGLED_REG in mangled:
        given["registration_number"], reg = mangled.split(_MANGLED_REG, 1)
        given.setdefault("reg", reg)
    plates = {normalize_registration_number(value, field=key) for key, value in given.items()}
    return _single_plate(plates, required=required)


def _single_plate(plates: set[str], *, required: bool) -> str | None:
    """The one plate the aliases name; 400 for none (when required) or two."""
    if not plates:
        if required:
            raise serializers.ValidationError(
                {"registration_number": [_("This field is required.")]}
            )
        return None
    if len(plates) > 1:
        raise InvalidRegistrationNumber(
            "registration_number and reg name different vehicles.",
            details={"reg": [_("Must be the same vehicle as registration_number.")]},
        )
    return plates.pop()


# --- Input: every field documents itself (vehicles/schema.py maps these fields) ---------------


class PlateField(serializers.Field):
    """A registration number in any spacing or case, read into its canonical form."""

    def get_value(self, dictionary):
        # An empty form field is an empty plate (400), not an absent one as DRF takes it.
        return dictionary.get(self.field_name, empty)

    def to_internal_value(self, data):
        return normalize_registration_number(data, field=self.field_name)


class Base64PhotoField(serializers.Field):
    """
    A photo in JSON: base64, or a `data:image/...;base64,` URI. Its size is refused (413)
    from the text's length before anything is decoded; the pixels are checked by the services.
    """

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise photos.InvalidImage(
                details={self.field_name: [_("Send the photo as a base64 string or a data URI.")]}
            )
        return photos.decode_base64_image(data, field=self.field_name)


class UploadedPhotoField(serializers.Field):
    """A photo as a multipart file; its declared size is refused (413) before it is read."""

    def to_internal_value(self, data):
        if not isinstance(data, UploadedFile):
            raise photos.InvalidImage(details={self.field_name: [_("Send the photo as a file.")]})
        photos.check_upload_size(data.size, field=self.field_name)
        return data


class _PlateInputSerializer(serializers.Serializer):
    """The vehicle, as `registration_number` or its alias `reg` (both: the same vehicle)."""

    registration_number = PlateField(required=False)
    reg = PlateField(required=False, help_text="Alias of `registration_number`.")

    def validate(self, attrs):
        plate = _single_plate({attrs.pop(key) for key in PLATE_KEYS if key in attrs}, required=True)
        return super().validate({**attrs, "registration_number": plate})


def nickname_field(**kwargs) -> StrictCharField:
    return StrictCharField(max_length=60, required=False, allow_blank=True, **kwargs)


class _NicknameInputSerializer(serializers.Serializer):
    nickname = nickname_field(allow_null=True, help_text='`null` or `""` clears it.')


class _JsonPhotoInputSerializer(_NicknameInputSerializer):
    """The nickname and a base64 photo under `image`, read into `photo`."""

    image = Base64PhotoField(required=False, allow_null=True)

    def validate(self, attrs):
        if "image" in attrs:  # `None` (JSON null) means "remove the photo"
            attrs["photo"] = attrs.pop("image")
        return super().validate(attrs)


class _MultipartPhotoInputSerializer(_NicknameInputSerializer):
    """The nickname and a photo file under `file` (or `image`, not both), read into `photo`."""

    nickname = nickname_field(help_text='`""` clears it (a form has no `null`).')
    file = UploadedPhotoField(required=False)
    # The contract's other name for `file`. Left out of the schema, which describes it in
    # words: OpenAPI 3.0 cannot say "one of these two files, not both".
    image = UploadedPhotoField(required=False)

    def validate(self, attrs):
        given = [key for key in PHOTO_KEYS if key in attrs]
        if len(given) > 1:
            raise serializers.ValidationError(
                {"file": [_("Send the photo as file or image, not both.")]}
            )
        if given:
            attrs["photo"] = attrs.pop(given[0])
        return super().validate(attrs)


class VehicleLinkJsonInputSerializer(_PlateInputSerializer, _JsonPhotoInputSerializer):
    """
    The vehicle to link (`registration_number` or its alias `reg`; both: the same vehicle),
    with a nickname and a base64 photo under `image` if wanted.
    """


class VehicleLinkMultipartInputSerializer(_PlateInputSerializer, _MultipartPhotoInputSerializer):
    """
    The vehicle to link (`registration_number` or its alias `reg`; both: the same vehicle),
    with a nickname and a photo file under `file` (or `image`, not both) if wanted.
    """


class VehicleUpdateJsonInputSerializer(_JsonPhotoInputSerializer):
    """What changes: the nickname, the photo (base64, under `image`), or both."""


class VehicleUpdateMultipartInputSerializer(_MultipartPhotoInputSerializer):
    """What changes: the nickname, the photo (a file under `file` or `image`), or both."""


class SetPrimaryInputSerializer(_PlateInputSerializer):
    """The vehicle to make primary: `registration_number` or its alias `reg`."""


# Per operation, the media types it accepts and the serializer that reads each: the view
# parses and validates with these, and the schema documents exactly these.
LINK_INPUT = {
    "application/json": VehicleLinkJsonInputSerializer,
    "multipart/form-data": VehicleLinkMultipartInputSerializer,
}
UPDATE_INPUT = {
    "application/json": VehicleUpdateJsonInputSerializer,
    "multipart/form-data": VehicleUpdateMultipartInputSerializer,
}
SET_PRIMARY_INPUT = {"application/json": SetPrimaryInputSerializer}


def _vehicle_field(field_class: type[serializers.Field], name: str, **kwargs):
    """A field of the shared vehicle's register data: `null` when the register did not say."""
    return field_class(source=f"vehicle.{name}", allow_null=True, read_only=True, **kwargs)


class TyreAxleSerializer(serializers.Serializer):
    axle = serializers.IntegerField(allow_null=True)
    tyre_size = serializers.CharField(allow_null=True, help_text="e.g. `215/55R17`")
    load_index = serializers.CharField(allow_null=True)
    speed_rating = serializers.CharField(allow_null=True)
    rim_size = serializers.CharField(allow_null=True, help_text="e.g. `7JX17`")
    rim_offset = serializers.CharField(allow_null=True, help_text="ET, in mm")
    twin = serializers.BooleanField(allow_null=True)


_AXLE_KEYS = tuple(TyreAxleSerializer().fields)


class TyreCombinationSerializer(serializers.Serializer):
    """One approved tyre and rim combination, with an entry per axle."""

    axles = TyreAxleSerializer(many=True)


class VehicleLinkSummarySerializer(serializers.Serializer):
    """One entry of the owner's list. Missing register data is `null`, never absent."""

    registration_number = serializers.CharField(source="vehicle.registration_number")
    display = serializers.CharField(
        source="vehicle.display_registration_number", help_text="With the register's space."
    )
    nickname = serializers.SerializerMethodField()
    is_primary = serializers.BooleanField()
    make = _vehicle_field(serializers.CharField, "make")
    model = _vehicle_field(serializers.CharField, "model")
    model_year = _vehicle_field(
        serializers.IntegerField,
        "model_year",
        help_text="Approximated by the year of first registration: the register has no model year.",
    )
    fuel_type = _vehicle_field(
        serializers.CharField,
        "fuel_type",
        help_text="The register's text, e.g. `Bensin/Elektrisk`.",
    )
    color = _vehicle_field(serializers.CharField, "color")
    image_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    next_inspection_due = _vehicle_field(
        serializers.DateField, "next_inspection_due", help_text="EU-kontroll deadline."
    )
    inspection_status = serializers.SerializerMethodField(
        help_text=(
            "From the register's deadline: `overdue` once passed, `due_soon` within "
            "60 days, `not_required` without periodic inspection, `unknown` without a deadline."
        )
    )
    linked_at = UtcDateTimeField(source="created_at")
    updated_at = UtcDateTimeField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_nickname(self, link) -> str | None:
        return link.nickname or None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_image_url(self, link) -> str | None:
        return photos.absolute_url(link.photo.name, self.context["request"])

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail_url(self, link) -> str | None:
        return photos.absolute_url(link.photo_thumbnail.name, self.context["request"])

    @extend_schema_field(serializers.ChoiceField(choices=InspectionStatus.choices))
    def get_inspection_status(self, link) -> str:
        if "today" not in self.context:
            self.context["today"] = timezone.localdate()
        return link.vehicle.inspection_status(self.context["today"])


def summaries(rows: list[dict], request) -> list[dict]:
    """
    The owner's list from `selectors.vehicle_summaries_for` rows: exactly what
    `VehicleLinkSummarySerializer` makes of the links (which documents it, and which
    tests/vehicles/test_list_rows.py compares it with), without building a model instance
    and a field object per value: the list is the app's most called request.
    """
    today = timezone.localdate()
    return [_summary(row, request, today) for row in rows]


def _summary(row: dict, request, today: datetime.date) -> dict:
    url = photos.absolute_url
    return {
        "registration_number": row["vehicle__registration_number"],
        "display": display_registration_number(row["vehicle__registration_number"]),
        "nickname": row["nickname"] or None,
        "is_primary": row["is_primary"],
        "make": row["vehicle__make"],
        "model": row["vehicle__model"],
        "model_year": row["vehicle__model_year"],
        "fuel_type": row["vehicle__fuel_type"],
        "color": row["vehicle__color"],
        "image_url": url(row["photo"], request),
        "thumbnail_url": url(row["photo_thumbnail"], request),
        "next_inspection_due": _date(row["vehicle__next_inspection_due"]),
        "inspection_status": inspection_status(
            row["vehicle__inspection_required"], row["vehicle__next_inspection_due"], today
        ),
        "linked_at": _utc(row["created_at"]),
        "updated_at": _utc(row["updated_at"]),
    }


def detail(link, request) -> dict:
    """
    One link's detail: exactly what `VehicleLinkDetailSerializer` makes of it (which documents
    it, and which tests/test_representation.py compares it with), built as the list's entries
    are: the app asks for it whenever an owner opens a car, and linking, updating, refreshing
    and making primary answer with it.
    """
    vehicle = link.vehicle
    row = {
        "vehicle__registration_number": vehicle.registration_number,
        "nickname": link.nickname,
        "is_primary": link.is_primary,
        "vehicle__make": vehicle.make,
        "vehicle__model": vehicle.model,
        "vehicle__model_year": vehicle.model_year,
        "vehicle__fuel_type": vehicle.fuel_type,
        "vehicle__color": vehicle.color,
        "photo": link.photo.name,
        "photo_thumbnail": link.photo_thumbnail.name,
        "vehicle__next_inspection_due": vehicle.next_inspection_due,
        "vehicle__inspection_required": vehicle.inspection_required,
        "created_at": link.created_at,
        "updated_at": link.updated_at,
    }
    return _summary(row, request, timezone.localdate()) | {
        "vin": vehicle.vin,
        "first_registered_at": _date(vehicle.first_registered_at),
        "first_registered_in_norway_at": _date(vehicle.first_registered_in_norway_at),
        "registration_status": vehicle.registration_status,
        "vehicle_group": vehicle.vehicle_group,
        "body_type": vehicle.body_type,
        "engine_power_kw": vehicle.engine_power_kw,
        "engine_displacement_cc": vehicle.engine_displacement_cc,
        "transmission": vehicle.transmission,
        "seats": vehicle.seats,
        "doors": vehicle.doors,
        "length_mm": vehicle.length_mm,
        "width_mm": vehicle.width_mm,
        "height_mm": vehicle.height_mm,
        "curb_weight_kg": vehicle.curb_weight_kg,
        "max_total_weight_kg": vehicle.max_total_weight_kg,
        "max_trailer_weight_braked_kg": vehicle.max_trailer_weight_braked_kg,
        "max_trailer_weight_unbraked_kg": vehicle.max_trailer_weight_unbraked_kg,
        "co2_g_per_km": vehicle.co2_g_per_km,
        "tyres": [
            {"axles": [{key: axle.get(key) for key in _AXLE_KEYS} for axle in tyre["axles"]]}
            for tyre in vehicle.tyres
        ],
        "last_inspection_approved": _date(vehicle.last_inspection_approved),
        "data_fetched_at": _date_time(vehicle.data_fetched_at),
    }


def _date(value):
    return None if value is None else value.isoformat()


def _date_time(value):
    return None if value is None else _utc(value)


def _utc(value: datetime.datetime) -> str:
    """As `UtcDateTimeField` renders an aware time (the database's are)."""
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


class VehicleLinkDetailSerializer(VehicleLinkSummarySerializer):
    """The full detail of one link and its vehicle."""

    vin = _vehicle_field(serializers.CharField, "vin")
    first_registered_at = _vehicle_field(
        serializers.DateField, "first_registered_at", help_text="First registration anywhere."
    )
    first_registered_in_norway_at = _vehicle_field(
        serializers.DateField, "first_registered_in_norway_at"
    )
    registration_status = _vehicle_field(serializers.CharField, "registration_status")
    vehicle_group = _vehicle_field(serializers.CharField, "vehicle_group")
    body_type = _vehicle_field(serializers.CharField, "body_type")
    engine_power_kw = _vehicle_field(
        serializers.FloatField,
        "engine_power_kw",
        help_text="The first motor's power; a plug-in hybrid's motors are not added up.",
    )
    engine_displacement_cc = _vehicle_field(serializers.IntegerField, "engine_displacement_cc")
    transmission = _vehicle_field(serializers.CharField, "transmission")
    seats = _vehicle_field(serializers.IntegerField, "seats")
    doors = _vehicle_field(serializers.IntegerField, "doors")
    length_mm = _vehicle_field(serializers.IntegerField, "length_mm")
    width_mm = _vehicle_field(serializers.IntegerField, "width_mm")
    height_mm = _vehicle_field(serializers.IntegerField, "height_mm")
    curb_weight_kg = _vehicle_field(serializers.IntegerField, "curb_weight_kg")
    max_total_weight_kg = _vehicle_field(serializers.IntegerField, "max_total_weight_kg")
    max_trailer_weight_braked_kg = _vehicle_field(
        serializers.IntegerField, "max_trailer_weight_braked_kg"
    )
    max_trailer_weight_unbraked_kg = _vehicle_field(
        serializers.IntegerField, "max_trailer_weight_unbraked_kg"
    )
    co2_g_per_km = _vehicle_field(serializers.FloatField, "co2_g_per_km")
    tyres = TyreCombinationSerializer(source="vehicle.tyres", many=True, read_only=True)
    last_inspection_approved = _vehicle_field(serializers.DateField, "last_inspection_approved")
    data_fetched_at = UtcDateTimeField(source="vehicle.data_fetched_at", allow_null=True)


class UnlinkOutputSerializer(serializers.Serializer):
    registration_number = serializers.CharField()
    new_primary = serializers.CharField(
        allow_null=True, help_text="The plate that became primary, if the unlinked one was."
    )


class ExportedVehicleLinkSerializer(serializers.Serializer):
    """
    One linked vehicle in the owner's data export: what they stored about it (the
    register's data about the vehicle is not about them).
    """

    registration_number = serializers.CharField(source="vehicle.registration_number")
    nickname = serializers.SerializerMethodField()
    is_primary = serializers.BooleanField()
    linked_at = UtcDateTimeField(source="created_at")
    updated_at = UtcDateTimeField()
    image_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    # Rendered as in the owner's list.
    get_nickname = VehicleLinkSummarySerializer.get_nickname
    get_image_url = VehicleLinkSummarySerializer.get_image_url
    get_thumbnail_url = VehicleLinkSummarySerializer.get_thumbnail_url


class ExportedInspectionReminderSerializer(serializers.Serializer):
    """One EU-kontroll reminder issued to the owner, in their data export."""

    registration_number = serializers.CharField(source="vehicle.registration_number")
    deadline = serializers.DateField()
    step = serializers.CharField()
    created_at = UtcDateTimeField()
