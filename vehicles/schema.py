"""
The OpenAPI description of `/api/co/vehicles`: operation ids, query and path parameters, the
JSON and multipart request shapes, responses per status and the excerpt's examples. Applied to
`VehicleViewSet` with `extend_schema_view`, so the view itself stays about behaviour.
"""

import math

from django.conf import settings
from drf_spectacular.extensions import (
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)

from minbil.api.schema import CONDITIONAL_PARAMETERS, NOT_MODIFIED, envelope, errors
from vehicles.plates import INPUT_PATTERN, MAX_INPUT_LENGTH
from vehicles.serializers import (
    LINK_INPUT,
    PLATE_KEYS,
    SET_PRIMARY_INPUT,
    UPDATE_INPUT,
    SetPrimaryInputSerializer,
    UnlinkOutputSerializer,
    VehicleLinkDetailSerializer,
    VehicleLinkJsonInputSerializer,
    VehicleLinkMultipartInputSerializer,
    VehicleLinkSummarySerializer,
    VehicleUpdateJsonInputSerializer,
    VehicleUpdateMultipartInputSerializer,
    _PlateInputSerializer,
)

TAGS = ["vehicles"]
PLATE_HELP = (
    "A Norwegian registration number in any spacing or case (`BT57225`, `bt 57 225`): "
    "2 to 7 of A-Z, Æ, Ø, Å and 0-9 once spaces, dashes and dots are removed."
)
PLATE_SCHEMA = {
    "type": "string",
    "pattern": INPUT_PATTERN,
    "maxLength": MAX_INPUT_LENGTH,
    "example": "BT57225",
}


def photo_help() -> str:
    """The photo limits, as configured when the schema is made."""
    return (
        f"A JPEG (multi-picture MPO files too: their first picture), PNG, WebP or HEIC photo "
        f"of at most {settings.MAX_IMAGE_BYTES} bytes and {settings.MAX_IMAGE_PIXELS} pixels "
        f"that takes at most {settings.MAX_DECODE_BYTES} bytes of memory to decode (`413` "
        f"beyond, naming the limit). It is stored without metadata, at most "
        f"{settings.PHOTO_MAX_SIDE} px on its long side, with a {settings.PHOTO_THUMBNAIL_SIDE} "
        f"px thumbnail. At most {settings.PHOTO_UPLOAD_THROTTLE_RATE} per owner (`429`)."
    )


# --- Request fields, mapped from the input serializers themselves -----------------------------


class PlateFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "vehicles.serializers.PlateField"

    def map_serializer_field(self, auto_schema, direction):
        return {**PLATE_SCHEMA, "description": PLATE_HELP}


class Base64PhotoFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "vehicles.serializers.Base64PhotoField"

    def map_serializer_field(self, auto_schema, direction):
        removal = " `null` removes the photo." if self.target.allow_null else ""
        return {
            "type": "string",
            "format": "byte",
            "maxLength": 4 * math.ceil(settings.MAX_IMAGE_BYTES / 3),
            "description": (
                f"Base64 (a `data:image/...;base64,` prefix is accepted too, and not counted "
                f"in `maxLength`). {photo_help()}{removal}"
            ),
        }


class UploadedPhotoFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "vehicles.serializers.UploadedPhotoField"

    def map_serializer_field(self, auto_schema, direction):
        alias = "The photo file; `image` is accepted as its other name (not both)."
        return {"type": "string", "format": "binary", "description": f"{alias} {photo_help()}"}


class MultipartPhotoInputSchema(OpenApiSerializerExtension):
    """
    A multipart body documents the photo as `file` alone: OpenAPI 3.0 cannot say "one of two
    files, not both", so `image`, its other name, is described in words (see above). It has at
    least one part (RFC 2046; the parser refuses a body without).
    """

    target_class = "vehicles.serializers._MultipartPhotoInputSerializer"
    match_subclasses = True
    priority = 1  # before PlateInputSchema, for a body that has a plate too

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        del schema["properties"]["image"]
        schema["minProperties"] = 1
        return _with_plate_choice(schema, self.target)


# The request components keep the names they were published under (client SDKs use them).
for _serializer, _name in (
    (VehicleLinkJsonInputSerializer, "VehicleLinkJson"),
    (VehicleLinkMultipartInputSerializer, "VehicleLinkMultipart"),
    (VehicleUpdateJsonInputSerializer, "VehicleUpdateJson"),
    (VehicleUpdateMultipartInputSerializer, "VehicleUpdateMultipart"),
    (SetPrimaryInputSerializer, "Plate"),
):
    extend_schema_serializer(component_name=_name)(_serializer)


class PlateInputSchema(OpenApiSerializerExtension):
    """A body naming a vehicle: `registration_number` or `reg`, at least one (when both, they
    must name the same vehicle, which OpenAPI cannot say: `400 invalid_registration_number`)."""

    target_class = "vehicles.serializers._PlateInputSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return _with_plate_choice(schema, self.target)


def _with_plate_choice(schema: dict, serializer) -> dict:
    serializer_class = serializer if isinstance(serializer, type) else type(serializer)
    if issubclass(serializer_class, _PlateInputSerializer):
        schema["anyOf"] = [{"required": [key]} for key in PLATE_KEYS]
    return schema


_PLATE_EXAMPLES = [OpenApiExample("BT57225", value="BT57225")]


def query_plates(*, required: bool) -> list[OpenApiParameter]:
    """`registration_number` and its alias `reg`. Where a plate is required, the schema says
    `registration_number` is (OpenAPI cannot require one of two); `reg` alone does as well."""
    alias = "Alias of `registration_number`; when both are given, the same vehicle."
    if required:
        alias += " Sent alone, it stands for `registration_number`."
    return [
        OpenApiParameter(
            "registration_number",
            PLATE_SCHEMA,
            OpenApiParameter.QUERY,
            required=required,
            description=PLATE_HELP,
            examples=_PLATE_EXAMPLES,
        ),
        OpenApiParameter(
            "reg",
            PLATE_SCHEMA,
            OpenApiParameter.QUERY,
            description=alias,
            examples=_PLATE_EXAMPLES,
        ),
    ]


PATH_PLATE = OpenApiParameter(
    "reg", PLATE_SCHEMA, OpenApiParameter.PATH, description=PLATE_HELP, examples=_PLATE_EXAMPLES
)


# --- Responses ---------------------------------------------------------------------------------

DETAIL = envelope(VehicleLinkDetailSerializer)
LIST = envelope(VehicleLinkSummarySerializer, many=True)
REGISTER_ERRORS = (502, 503)
REGISTER_UNAVAILABLE = (
    "`register_unavailable`: the vehicle register is not answering, or is given a rest after "
    "repeated failures, or too many look-ups are in progress; `register_quota_exhausted`: "
    "today's register look-ups are used up until midnight in Oslo. See `Retry-After`."
)

# An 8 x 8 PNG, so the examples are requests the API accepts (the excerpt has a placeholder).
EXAMPLE_PHOTO = (
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAFUlEQVR42mM8oaHBgA0wMeAAg1MCAOA4"
    "ASjhBhuDAAAAAElFTkSuQmCC"
)
_EXCERPT_LINK = {
    "registration_number": "BT57225",
    "nickname": "string_value",
    "image": EXAMPLE_PHOTO,
}

PHOTO_ERRORS = {
    413: (
        "The body (`payload_too_large`) or the photo (`image_too_large`) is over a limit; "
        "`details.limit` names it."
    ),
    415: (
        "The body's content type (`unsupported_media_type`) or the photo's image type "
        "(`unsupported_image_type`) is not accepted."
    ),
    429: "Too many photo uploads by this owner (`photo_upload_throttled`); see `Retry-After`.",
    503: "Too many photos are being decoded right now (`busy`); see `Retry-After`.",
}
_update = {
    "summary": "Update a linked vehicle",
    "description": "Partial: only the fields given change. A bad photo changes nothing.",
    "parameters": [PATH_PLATE],
    "request": UPDATE_INPUT,
    "responses": {
        200: DETAIL,
        **errors(400, 401, 404, 413, 415, 429, 503, descriptions=PHOTO_ERRORS),
    },
    "examples": [
        OpenApiExample(
            "Excerpt example (image: a base64 photo)",
            value={"nickname": "string_value", "image": EXAMPLE_PHOTO},
            request_only=True,
        ),
        OpenApiExample("Remove the photo", value={"image": None}, request_only=True),
    ],
    "tags": TAGS,
}

vehicle_schema = extend_schema_view(
    create=extend_schema(
        operation_id="vehicles_link",
        summary="Link a vehicle (fetched from Statens vegvesen if new)",
        description=(
            "Creates the vehicle from the register's data if it is not stored yet and links it "
            "to the owner: `201` when newly linked, `200` with the unchanged detail when the "
            "owner already has it. The owner's first vehicle becomes primary. `404` means the "
            "register has no data available for the plate (remembered for a few hours, so "
            "linking it again soon answers the same without asking the register)."
        ),
        request=LINK_INPUT,
        responses={
            201: OpenApiResponse(DETAIL, description="Newly linked."),
            200: OpenApiResponse(DETAIL, description="Already linked: unchanged."),
            **errors(
                400,
                401,
                404,
                409,
                413,
                415,
                429,
                *REGISTER_ERRORS,
                descriptions={
                    **PHOTO_ERRORS,
                    404: "The register has no data available for this plate.",
                    409: "The owner has linked the maximum number of vehicles.",
                    429: (
                        "Too many register look-ups (`register_lookup_throttled`) or photo "
                        "uploads (`photo_upload_throttled`) by this owner; see `Retry-After`."
                    ),
                    503: REGISTER_UNAVAILABLE
                    + " `busy`: too many photos are being decoded right now.",
                },
            ),
        },
        examples=[
            OpenApiExample(
                "Excerpt example (image: a base64 photo)", value=_EXCERPT_LINK, request_only=True
            ),
            OpenApiExample("Plate only", value={"reg": "BT57225"}, request_only=True),
        ],
        tags=TAGS,
    ),
    retrieve=extend_schema(
        operation_id="vehicles_retrieve",
        summary="One vehicle's detail",
        parameters=[PATH_PLATE, *CONDITIONAL_PARAMETERS],
        responses={200: DETAIL, **NOT_MODIFIED, **errors(400, 401, 404)},
        tags=TAGS,
    ),
    update=extend_schema(operation_id="vehicles_update", **_update),
    partial_update=extend_schema(operation_id="vehicles_partial_update", **_update),
    destroy=extend_schema(
        operation_id="vehicles_unlink_by_path",
        summary="Unlink a vehicle (RESTful form)",
        parameters=[PATH_PLATE],
        responses={200: envelope(UnlinkOutputSerializer), **errors(400, 401, 404)},
        tags=TAGS,
    ),
)

# Operations outside the standard viewset actions are decorated in the view itself.
# (GET on the collection is one operation with two answers: a list, or one detail.)
list_or_detail_schema = extend_schema(
    operation_id="vehicles_list",
    summary="List the owner's vehicles, or one vehicle's detail",
    description=(
        "Without parameters: the owner's vehicles, primary first, then most recently "
        "updated. With `registration_number` or `reg`: the full detail of that vehicle."
    ),
    parameters=[*query_plates(required=False), *CONDITIONAL_PARAMETERS],
    responses={
        200: PolymorphicProxySerializer(
            component_name="VehicleListOrDetail",
            serializers=[LIST, DETAIL],
            resource_type_field_name=None,
        ),
        **NOT_MODIFIED,
        **errors(400, 401, 404),
    },
    tags=TAGS,
)


unlink_schema = extend_schema(
    operation_id="vehicles_unlink",
    summary="Unlink a vehicle (the vehicle record stays)",
    description=(
        "If the primary vehicle is unlinked and others remain, the one updated most "
        "recently becomes primary (`new_primary`)."
    ),
    parameters=query_plates(required=True),
    responses={200: envelope(UnlinkOutputSerializer), **errors(400, 401, 404)},
    tags=TAGS,
)

refresh_schema = extend_schema(
    operation_id="vehicles_refresh",
    summary="Refresh a vehicle's data from Statens vegvesen",
    description=(
        "On a register failure the stored data stays exactly as it was. Data fetched less "
        "than the refresh minimum age (10 minutes by default) is answered as stored, without "
        "asking the register: `data_fetched_at` shows how fresh it is."
    ),
    parameters=[PATH_PLATE],
    request=None,
    responses={
        200: DETAIL,
        **errors(400, 401, 404, 429, *REGISTER_ERRORS, descriptions={503: REGISTER_UNAVAILABLE}),
    },
    tags=TAGS,
)

set_primary_schema = extend_schema(
    operation_id="vehicles_set_primary",
    summary="Make a vehicle the owner's primary",
    request=SET_PRIMARY_INPUT,
    responses={200: DETAIL, **errors(400, 401, 404, 415)},
    examples=[
        OpenApiExample(
            "Excerpt example", value={"registration_number": "BT57225"}, request_only=True
        )
    ],
    tags=TAGS,
)
