"""The OpenAPI description of `/api/auth/...`."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

from minbil.accounts.serializers import RegisterInputSerializer, UserOutputSerializer
from minbil.api.schema import envelope, errors

TAGS = ["auth"]
BAD_CREDENTIALS = {401: "Wrong email or password, or an inactive account."}
BAD_REFRESH = {401: "The refresh token is invalid, expired or already used (blacklisted)."}


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="JWT access token, short-lived.")
    refresh = serializers.CharField(help_text="JWT refresh token; rotated on every refresh.")


class TokenRefreshBodySerializer(serializers.Serializer):
    refresh = serializers.CharField()


register_schema = extend_schema(
    operation_id="auth_register",
    summary="Create an account",
    description=(
        "The email is unique regardless of case (`409 email_taken`); Django's password "
        "validators apply (`400`). Throttled per client IP."
    ),
    request=RegisterInputSerializer,
    responses={
        201: OpenApiResponse(envelope(UserOutputSerializer), description="Created."),
        **errors(400, 409, 415, 429),
    },
    examples=[
        OpenApiExample(
            "New owner",
            value={
                "email": "kari@example.com",
                "password": "a-long-unusual-passphrase",
                "name": "Kari",
            },
            request_only=True,
        )
    ],
    auth=[],
    tags=TAGS,
)

token_schema = extend_schema(
    operation_id="auth_token",
    summary="Get an access and a refresh token",
    description="The JWT library's body, without the envelope. Throttled per client IP.",
    request=inline_serializer(
        "TokenObtain",
        fields={
            "email": serializers.CharField(),
            "password": serializers.CharField(style={"input_type": "password"}),
        },
    ),
    responses={
        200: TokenPairSerializer,
        **errors(400, 401, 415, 429, descriptions=BAD_CREDENTIALS),
    },
    tags=TAGS,
)

token_refresh_schema = extend_schema(
    operation_id="auth_token_refresh",
    summary="Refresh the access token",
    description=(
        "Answers a new access token and a new refresh token; the refresh token sent is "
        "blacklisted and answers `401` from then on. Throttled per client IP."
    ),
    request=TokenRefreshBodySerializer,
    responses={200: TokenPairSerializer, **errors(400, 401, 415, 429, descriptions=BAD_REFRESH)},
    tags=TAGS,
)
