"""
OpenAPI pieces shared by every app: the envelopes as named components, the error responses an
operation documents, and the hook that publishes the excerpt's paths (no trailing slash).
"""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

ERROR_DESCRIPTIONS = {
    400: "Invalid input; `details` names each offending field.",
    401: "Missing, malformed, expired or revoked access token.",
    404: "Not found (another user's vehicle link answers exactly like one never linked).",
    409: "Conflicts with the current state.",
    413: "The request body or the photo is too large.",
    415: "The content type or the photo's image type is not accepted.",
    429: "Too many requests; retry after the `Retry-After` header's seconds.",
    502: "The vehicle register answered with an error.",
    503: "The vehicle register is unavailable or its quota is used up; see `Retry-After`.",
}


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
                responses["503"] = {
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ErrorEnvelope"}
                        }
                    },
                    "description": DATABASE_UNAVAILABLE,
                }
    return result
