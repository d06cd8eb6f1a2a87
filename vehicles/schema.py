"""
The OpenAPI description of `/api/co/vehicles`: operation ids, query and path parameters, the
JSON and multipart request shapes, responses per status and the excerpt's examples. Applied to
`VehicleViewSet` with `extend_schema_view`, so the view itself stays about behaviour.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers

from minbil.api.schema import envelope, errors
from vehicles.serializers import (
    UnlinkOutputSerializer,
    VehicleLinkDetailSerializer,
    VehicleLinkSummarySerializer,
)

TAGS = ["vehicles"]
PLATE_HELP = (
    "A Norwegian registration number in any spacing or case (`BT57225`, `bt 57 225`): "
    "2 to 7 of A-Z, Æ, Ø, Å and 0-9 once spaces, dashes and dots are removed."
)
PHOTO_HELP = (
    "A JPEG, PNG, WebP or HEIC photo of at most 15 MB and 40 megapixels. It is stored without "
    "metadata, at most 2048 px on its long side, with a 400 px thumbnail."
)

_PLATE_EXAMPLES = [OpenApiExample("BT57225", value="BT57225")]
QUERY_PLATES = [
    OpenApiParameter(
        "registration_number",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        description=PLATE_HELP,
        examples=_PLATE_EXAMPLES,
    ),
    OpenApiParameter(
        "reg",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        description="Alias of `registration_number`.",
        examples=_PLATE_EXAMPLES,
    ),
]
PATH_PLATE = OpenApiParameter(
    "reg", OpenApiTypes.STR, OpenApiParameter.PATH, description=PLATE_HELP, examples=_PLATE_EXAMPLES
)


# --- Request shapes (documentation only: the input serializers validate) ---------------------


class PlateSerializer(serializers.Serializer):
    registration_number = serializers.CharField(required=False, help_text=PLATE_HELP)
    reg = serializers.CharField(required=False, help_text="Alias of `registration_number`.")


class _NicknameSerializer(serializers.Serializer):
    nickname = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=60,
        help_text='`null` or `""` clears it.',
    )


class _JsonPhotoSerializer(_NicknameSerializer):
    image = serializers.CharField(
        required=False,
        allow_null=True,
        help_text=(
            f"Base64, or a `data:image/...;base64,` URI. {PHOTO_HELP} `null` removes the photo."
        ),
    )


class _MultipartPhotoSerializer(_NicknameSerializer):
    file = serializers.FileField(required=False, help_text=PHOTO_HELP)
    image = serializers.FileField(required=False, help_text="Alias of `file`.")


class VehicleLinkJsonSerializer(PlateSerializer, _JsonPhotoSerializer):
    pass


class VehicleLinkMultipartSerializer(PlateSerializer, _MultipartPhotoSerializer):
    pass


class VehicleUpdateJsonSerializer(_JsonPhotoSerializer):
    pass


class VehicleUpdateMultipartSerializer(_MultipartPhotoSerializer):
    pass


# --- Responses ---------------------------------------------------------------------------------

DETAIL = envelope(VehicleLinkDetailSerializer)
LIST = envelope(VehicleLinkSummarySerializer, many=True)
REGISTER_ERRORS = (502, 503)
REGISTER_UNAVAILABLE = (
    "`register_unavailable`: the vehicle register is not answering, or is given a rest after "
    "repeated failures, or too many look-ups are in progress; `register_quota_exhausted`: "
    "today's register look-ups are used up until midnight in Oslo. See `Retry-After`."
)

_EXCERPT_LINK = {
    "registration_number": "BT57225",
    "nickname": "string_value",
    "image": "string_value",
}

_link_requests = {
    "application/json": VehicleLinkJsonSerializer,
    "multipart/form-data": VehicleLinkMultipartSerializer,
}
_update_requests = {
    "application/json": VehicleUpdateJsonSerializer,
    "multipart/form-data": VehicleUpdateMultipartSerializer,
}
_update = {
    "summary": "Update a linked vehicle",
    "description": "Partial: only the fields given change. A bad photo changes nothing.",
    "parameters": [PATH_PLATE],
    "request": _update_requests,
    "responses": {200: DETAIL, **errors(400, 401, 404, 413, 415)},
    "examples": [
        OpenApiExample(
            "Excerpt example (image: a base64 photo)",
            value={"nickname": "string_value", "image": "string_value"},
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
        request=_link_requests,
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
                    404: "The register has no data available for this plate.",
                    409: "The owner has linked the maximum number of vehicles.",
                    429: "Too many register look-ups by this owner; see `Retry-After`.",
                    503: REGISTER_UNAVAILABLE,
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
        parameters=[PATH_PLATE],
        responses={200: DETAIL, **errors(400, 401, 404)},
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
    parameters=QUERY_PLATES,
    responses={
        200: PolymorphicProxySerializer(
            component_name="VehicleListOrDetail",
            serializers=[LIST, DETAIL],
            resource_type_field_name=None,
        ),
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
    parameters=QUERY_PLATES,
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
    request={"application/json": PlateSerializer},
    responses={200: DETAIL, **errors(400, 401, 404, 415)},
    examples=[
        OpenApiExample(
            "Excerpt example", value={"registration_number": "BT57225"}, request_only=True
        )
    ],
    tags=TAGS,
)
