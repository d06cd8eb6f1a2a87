"""
OpenAPI pieces shared by every app: the envelopes as named components, the error responses an
operation documents, conditional GET's headers, and the hook that publishes the excerpt's
paths (no trailing slash).
"""

from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from minbil.api.conditional import CACHE_CONTROL

ERROR_DESCRIPTIONS = {
    400: "Invalid input; `details` names each offending field.",
    401: "Missing, malformed, expired or revoked access token.",
    404: "Not found (another user's vehicle link answers exactly like one never linked).",
    409: "Conflicts with the current state.",
    413: "The body is larger than its limit (`payload_too_large`; `details` names it).",
    415: "The body's content type is not accepted (`unsupported_media_type`).",
    429: "Too many requests; retry after the `Retry-After` header's seconds.",
    502: "The vehicle register answered with an error.",
    503: "The vehicle register is unavailable or its quota is used up; see `Retry-After`.",
}


# A character Python's `str.strip()` keeps (Django REST framework trims text with it). Not
# `\S`: JSON Schema's regex white space differs from Python's (U+001C-U+001F and U+0085 are
# stripped by Python, U+FEFF is not), so the class lists Python's white space itself.
NON_BLANK_PATTERN = (
    r"[^\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f"
    r"\u205f\u3000]"
)


class TrimmedTextSchema(OpenApiSerializerFieldExtension):
    """
    Text a request must not leave blank, which Django REST framework trims first (the default):
    besides `minLength`, it needs a character that is not white space (`NON_BLANK_PATTERN`),
    since `" "` is blank once trimmed.
    """

    target_class = "rest_framework.fields.CharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        field = self.target
        # A field with a pattern of its own states more (and OpenAPI has room for one pattern).
        own_pattern = any(isinstance(v, RegexValidator) for v in field.validators)
        trimmed = field.trim_whitespace and not field.allow_blank
        if direction == "request" and trimmed and not own_pattern:
            schema.setdefault("pattern", NON_BLANK_PATTERN)
        return schema


class MetaSerializer(serializers.Serializer):
    request_id = serializers.CharField(
        help_text="The client's `X-Request-ID` when well formed, else a new UUID."
    )
    generated_at = serializers.DateTimeField(help_text="ISO-8601 UTC, with a `Z`.")


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable snake_case code, e.g. `vehicle_not_found`.")
    message = serializers.CharField(help_text="A human sentence.")
    details = serializers.DictField(
        help_text="The offending fields and their messages, where there are any."
    )


class ErrorEnvelopeSerializer(serializers.Serializer):
    error = ErrorSerializer()
    meta = MetaSerializer()


_envelopes: dict[str, type[serializers.Serializer]] = {}


def envelope(serializer_class: type[serializers.Serializer], *, many: bool = False):
    """`{"data": <serializer_class>, "meta": {...}}` as its own named component."""
    base = serializer_class.__name__.removesuffix("Serializer")
    name = f"{base}{'List' if many else ''}EnvelopeSerializer"
    if name not in _envelopes:
        _envelopes[name] = type(
            name,
            (serializers.Serializer,),
            {"data": serializer_class(many=many), "meta": MetaSerializer()},
        )
    return _envelopes[name]


def errors(
    *status_codes: int, descriptions: dict[int, str] | None = None
) -> dict[int, OpenApiResponse]:
    """The error-envelope responses an operation can answer (descriptions may be specific)."""
    descriptions = {**ERROR_DESCRIPTIONS, **(descriptions or {})}
    return {
        code: OpenApiResponse(ErrorEnvelopeSerializer, description=descriptions[code])
        for code in status_codes
    }


def publish_api_paths(endpoints):
    """
    drf-spectacular preprocessing hook: only `/api/` operations, under the excerpt's paths
    (every route also accepts a trailing slash, which is not documented twice).
    """
    return [
        (path.rstrip("/"), path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if path.startswith("/api/")
        and not path.startswith(("/api/schema", "/api/docs", "/api/redoc"))
    ]


DATABASE_UNAVAILABLE = (
    "The database is unavailable or out of connections (`service_unavailable`); "
    "retry after the `Retry-After` header's seconds."
)


BODY_ERRORS = {
    "411": (
        "A chunked body (no `Content-Length`) the server cannot size (`length_required`); "
        "gunicorn, as in the image, reads chunked bodies."
    ),
    "413": (
        "The body is larger than its limit (`payload_too_large`; `details` names the limit "
        "and its value): `MAX_JSON_BYTES`, or `MAX_REQUEST_BYTES` where a photo is sent."
    ),
    "415": "The body's content type is not one documented here (`unsupported_media_type`).",
}


def document_request_bodies(result, generator, request, public):
    """
    drf-spectacular postprocessing hook, for every operation that reads a body:
    - it may answer 411, 413 and 415 (`minbil.api.limits`, the parsers): each documents those
      it does not already;
    - a body whose schema requires some field, as `required` or as a choice of them (`anyOf`,
      `oneOf`), is itself required (drf-spectacular looks at `required` only).
    """
    components = result.get("components", {}).get("schemas", {})
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            for status, description in BODY_ERRORS.items():
                operation["responses"].setdefault(status, _error_response(description))
            body = operation["requestBody"]
            schemas = [_resolve(c["schema"], components) for c in body["content"].values()]
            if all(_requires_fields(schema) for schema in schemas):
                body["required"] = True
    return result


def _resolve(schema: dict, components: dict) -> dict:
    reference = schema.get("$ref", "")
    return components.get(reference.rsplit("/", 1)[-1], {}) if reference else schema


def _requires_fields(schema: dict) -> bool:
    choices = schema.get("anyOf", []) + schema.get("oneOf", [])
    return bool(schema.get("required")) or (
        bool(choices) and all(choice.get("required") for choice in choices)
    )


def _error_response(description: str) -> dict:
    return {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}},
        "description": description,
    }


def document_service_unavailable(result, generator, request, public):
    """
    drf-spectacular postprocessing hook: any operation may answer `503 service_unavailable`
    while the database is unavailable (minbil.api.middleware.DatabaseUnavailableMiddleware),
    so each documents it, beside the register's own 503s where it has those.
    """
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            if responses is None:
                continue
            if "503" in responses:
                responses["503"]["description"] += f" {DATABASE_UNAVAILABLE}"
            else:
                responses["503"] = _error_response(DATABASE_UNAVAILABLE)
    return result


# --- Conditional GET (minbil/api/conditional.py): its headers and the 304 -----------------

_CONDITIONAL_CODES = [200, 304]
CONDITIONAL_PARAMETERS = [
    OpenApiParameter(
        "If-None-Match",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description=(
            "The `ETag` of the answer the app holds: `304` without a body while the data is "
            "the same."
        ),
    ),
    OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=_CONDITIONAL_CODES,
        description="A strong tag of the answer's data (`meta` aside).",
    ),
    OpenApiParameter(
        "Cache-Control",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=_CONDITIONAL_CODES,
        description=f"`{CACHE_CONTROL}`: keep the answer, but ask again with `If-None-Match`.",
    ),
]
NOT_MODIFIED = {
    304: OpenApiResponse(description="The data is what `If-None-Match` names: no body.")
}
