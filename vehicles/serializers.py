"""Input validation and output shapes of `/api/co/vehicles`."""

from collections.abc import Mapping
from datetime import UTC

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from rest_framework import serializers

from vehicles import photos
from vehicles.plates import InvalidRegistrationNumber, normalize_registration_number

PLATE_KEYS = ("registration_number", "reg")
# The published excerpt renders `?registration_number=X&reg=X` as `?registration_number=X®=X`
# (a doc renderer turned `&reg` into `®`). Clients copy it verbatim, so it is read as meant.
_MANGLED_REG = "®="


def plate_from(data: Mapping, *, required: bool = True) -> str | None:
    """
    The canonical plate from `registration_number` or its alias `reg` (query string or
    body). Either alone is enough; both must name the same vehicle.
    """
    given = {key: data[key] for key in PLATE_KEYS if key in data}
    mangled = given.get("registration_number")
    if isinstance(mangled, str) and _MANGLED_REG in mangled:
        given["registration_number"], reg = mangled.split(_MANGLED_REG, 1)
        given.setdefault("reg", reg)
    if not given:
        if required:
            raise serializers.ValidationError({"registration_number": ["This field is required."]})
        return None
    plates = {normalize_registration_number(value, field=key) for key, value in given.items()}
    if len(plates) > 1:
        raise InvalidRegistrationNumber(
            "registration_number and reg name different vehicles.",
            details={"reg": ["Must be the same vehicle as registration_number."]},
        )
    return plates.pop()


class _PlateInputSerializer(serializers.Serializer):
    """Accepts `registration_number` or `reg` and validates it into `registration_number`."""

    def to_internal_value(self, data):
        attrs = super().to_internal_value(data)
        attrs["registration_number"] = plate_from(data)
        return attrs


class PhotoField(serializers.Field):
    """
    A photo: a multipart file, or a base64 string or `data:image/...;base64,` URI. Its size
    is refused (413) before anything is decoded; the pixels are checked by the services.
    """

    def to_internal_value(self, data):
        if isinstance(data, UploadedFile):
            photos.check_upload_size(data.size, field=self.field_name)
            return data
        if isinstance(data, str):
            return photos.decode_base64_image(data, field=self.field_name)
        raise photos.InvalidImage(
            details={self.field_name: ["Send a file, a base64 string or a data URI."]}
        )


class _LinkFieldsInputSerializer(serializers.Serializer):
    """The fields an owner sets on a link: nickname and a photo under `image` or `file`."""

    nickname = serializers.CharField(
        max_length=60, required=False, allow_blank=True, allow_null=True
    )
    image = PhotoField(required=False, allow_null=True)
    file = PhotoField(required=False)

    def validate(self, attrs):
        given = [key for key in ("image", "file") if key in attrs]
        if len(given) > 1:
            raise serializers.ValidationError(
                {"file": ["Send the photo as file or image, not both."]}
            )
        if given:  # `None` (JSON null) means "remove the photo"
            attrs["photo"] = attrs.pop(given[0])
        return attrs


class VehicleLinkCreateInputSerializer(_PlateInputSerializer, _LinkFieldsInputSerializer):
    pass


class VehicleLinkUpdateInputSerializer(_LinkFieldsInputSerializer):
    pass


class SetPrimaryInputSerializer(_PlateInputSerializer):
    pass


class UtcDateTimeField(serializers.DateTimeField):
    """ISO-8601 in UTC with a `Z`, whatever the server's time zone."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)


class VehicleLinkSummarySerializer(serializers.Serializer):
    """One entry of the owner's list. Missing register data is `null`, never absent."""

    registration_number = serializers.CharField(source="vehicle.registration_number")
    display = serializers.CharField(source="vehicle.display_registration_number")
    nickname = serializers.SerializerMethodField()
    is_primary = serializers.BooleanField()
    make = serializers.CharField(source="vehicle.make")
    model = serializers.CharField(source="vehicle.model")
    model_year = serializers.IntegerField(
        source="vehicle.model_year",
        help_text="Approximated by the year of first registration: the register has no model year.",
    )
    fuel_type = serializers.CharField(source="vehicle.fuel_type")
    color = serializers.CharField(source="vehicle.color")
    image_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    next_inspection_due = serializers.DateField(source="vehicle.next_inspection_due")
    inspection_status = serializers.SerializerMethodField()
    linked_at = UtcDateTimeField(source="created_at")
    updated_at = UtcDateTimeField()

    def get_nickname(self, link) -> str | None:
        return link.nickname or None

    def get_image_url(self, link) -> str | None:
        return photos.absolute_url(link.photo.name, self.context["request"])

    def get_thumbnail_url(self, link) -> str | None:
        return photos.absolute_url(link.photo_thumbnail.name, self.context["request"])

    def get_inspection_status(self, link) -> str:
        if "today" not in self.context:
            self.context["today"] = timezone.localdate()
        return link.vehicle.inspection_status(self.context["today"])


class VehicleLinkDetailSerializer(VehicleLinkSummarySerializer):
    """The full detail of one link and its vehicle."""

    vin = serializers.CharField(source="vehicle.vin")
    first_registered_at = serializers.DateField(source="vehicle.first_registered_at")
    first_registered_in_norway_at = serializers.DateField(
        source="vehicle.first_registered_in_norway_at"
    )
    registration_status = serializers.CharField(source="vehicle.registration_status")
    vehicle_group = serializers.CharField(source="vehicle.vehicle_group")
    body_type = serializers.CharField(source="vehicle.body_type")
    engine_power_kw = serializers.FloatField(source="vehicle.engine_power_kw")
    engine_displacement_cc = serializers.IntegerField(source="vehicle.engine_displacement_cc")
    transmission = serializers.CharField(source="vehicle.transmission")
    seats = serializers.IntegerField(source="vehicle.seats")
    doors = serializers.IntegerField(source="vehicle.doors")
    length_mm = serializers.IntegerField(source="vehicle.length_mm")
    width_mm = serializers.IntegerField(source="vehicle.width_mm")
    height_mm = serializers.IntegerField(source="vehicle.height_mm")
    curb_weight_kg = serializers.IntegerField(source="vehicle.curb_weight_kg")
    max_total_weight_kg = serializers.IntegerField(source="vehicle.max_total_weight_kg")
    max_trailer_weight_braked_kg = serializers.IntegerField(
        source="vehicle.max_trailer_weight_braked_kg"
    )
    max_trailer_weight_unbraked_kg = serializers.IntegerField(
        source="vehicle.max_trailer_weight_unbraked_kg"
    )
    co2_g_per_km = serializers.FloatField(source="vehicle.co2_g_per_km")
    tyres = serializers.ListField(source="vehicle.tyres", child=serializers.DictField())
    last_inspection_approved = serializers.DateField(source="vehicle.last_inspection_approved")
    data_fetched_at = UtcDateTimeField(source="vehicle.data_fetched_at")


class UnlinkOutputSerializer(serializers.Serializer):
    registration_number = serializers.CharField()
    new_primary = serializers.CharField(
        allow_null=True, help_text="The plate that became primary, if the unlinked one was."
    )
