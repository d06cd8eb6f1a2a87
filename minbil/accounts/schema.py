"""The OpenAPI description of `/api/auth/...` and `/api/co/me...`."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

from minbil.accounts.export import AccountExportSerializer
from minbil.accounts.serializers import (
    DetailOutputSerializer,
    LogoutInputSerializer,
    PasswordChangeInputSerializer,
    PasswordInputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetInputSerializer,
    ProfileInputSerializer,
    ProfileOutputSerializer,
    RegisterInputSerializer,
    TokenPairSerializer,
    TokenRefreshBodySerializer,
    UserOutputSerializer,
)
from minbil.api.schema import envelope, errors

AUTH = ["auth"]
ACCOUNT = ["account"]
BAD_CREDENTIALS = {401: "Wrong email or password, or an inactive account."}
BAD_REFRESH = {
    401: "The refresh token is invalid, expired, already used (blacklisted) or signed out."
}
THROTTLED_PER_IP = {429: "Too many requests from this client IP; see `Retry-After`."}
DETAIL = envelope(DetailOutputSerializer)
PROFILE = envelope(ProfileOutputSerializer)
PASSWORD_400 = {
    400: "Invalid input, a wrong current password or a new password Django's validators refuse "
    "(`validation_error`, `details` naming the field); nothing changed."
}


class AccountJWTScheme(SimpleJWTScheme):
    """Our JWT authentication is simplejwt's bearer scheme, documented as such."""

    target_class = "minbil.accounts.authentication.AccountJWTAuthentication"


class BodyOnDeleteAutoSchema(AutoSchema):
    """
    drf-spectacular documents request bodies only for POST, PUT and PATCH; `DELETE
    /api/co/me` carries the password in its body, so it is documented like a POST body.
    """

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


register_schema = extend_schema(
    operation_id="auth_register",
    summary="Create an account",
    description=(
        "The email is unique regardless of case (`409 email_taken`); Django's password "
        "validators apply (`400`), and a password of only spaces is refused. `language` "
        "(`nb` or `en`) defaults to the request's `Accept-Language`, else English. "
        "Throttled per client IP."
    ),
    request=RegisterInputSerializer,
    responses={
        201: OpenApiResponse(envelope(UserOutputSerializer), description="Created."),
        **errors(400, 409, 415, 429, descriptions=THROTTLED_PER_IP),
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
    tags=AUTH,
)

token_schema = extend_schema(
    operation_id="auth_token",
    summary="Get an access and a refresh token",
    description=(
        "The JWT library's body, without the envelope. Throttled per client IP and per email "
        "address (`LOGIN_EMAIL_THROTTLE_RATE`, counting every attempt for that address)."
    ),
    request=inline_serializer(
        "TokenObtain",
        fields={
            "email": serializers.CharField(),
            "password": serializers.CharField(style={"input_type": "password"}),
        },
    ),
    responses={
        200: TokenPairSerializer,
        **errors(
            400,
            401,
            415,
            429,
            descriptions={
                **BAD_CREDENTIALS,
                429: "Too many attempts from this client IP or for this email; see `Retry-After`.",
            },
        ),
    },
    tags=AUTH,
)

token_refresh_schema = extend_schema(
    operation_id="auth_token_refresh",
    summary="Refresh the access token",
    description=(
        "Answers a new access token and a new refresh token. The refresh token sent works "
        "exactly once, also when sent several times at once: one request gets the new pair, "
        "every other one `401`. Throttled per client IP."
    ),
    request=TokenRefreshBodySerializer,
    responses={
        200: TokenPairSerializer,
        **errors(400, 401, 415, 429, descriptions={**BAD_REFRESH, **THROTTLED_PER_IP}),
    },
    tags=AUTH,
)

logout_schema = extend_schema(
    operation_id="auth_logout",
    summary="Sign this device out",
    description=(
        "Blacklists the refresh token. Needs no access token (an expired one must not stop a "
        "sign-out), and answers `200` for a token that is unknown, expired or already "
        "blacklisted too: the app can always sign out. With `device_token` (the push token "
        "the app registered), that device gets no more push notifications, whichever account "
        "it was registered to. Throttled per client IP."
    ),
    request=LogoutInputSerializer,
    responses={200: DETAIL, **errors(400, 415, 429, descriptions=THROTTLED_PER_IP)},
    auth=[],
    tags=AUTH,
)

logout_all_schema = extend_schema(
    operation_id="auth_logout_all",
    summary="Sign out on every device",
    description=(
        "Every refresh token of the user is blacklisted, and every access token already "
        "issued, this one included, answers `401` from this moment. No device of the user "
        "gets push notifications any more."
    ),
    request=None,
    responses={200: DETAIL, **errors(401)},
    tags=AUTH,
)

password_reset_schema = extend_schema(
    operation_id="auth_password_reset",
    summary="Email a password reset link",
    description=(
        "Always `202`, whether an account uses the address or not. The email (plain text "
        "and HTML, in the account's language) carries a link built from `PASSWORD_RESET_URL` "
        "with `uid` and `token` for the confirm operation. Throttled per client IP and per "
        "email address."
    ),
    request=PasswordResetInputSerializer,
    responses={
        202: OpenApiResponse(DETAIL, description="Accepted."),
        **errors(400, 415, 429),
    },
    examples=[
        OpenApiExample("Reset", value={"email": "kari@example.com"}, request_only=True),
    ],
    auth=[],
    tags=AUTH,
)

password_reset_confirm_schema = extend_schema(
    operation_id="auth_password_reset_confirm",
    summary="Set a new password with a reset link's uid and token",
    description=(
        "`400 invalid_token` for a wrong, used or expired link (valid for "
        "`PASSWORD_RESET_TIMEOUT` seconds, once). The new password passes Django's "
        "validators. Every session of the account is signed out. Throttled per client IP."
    ),
    request=PasswordResetConfirmInputSerializer,
    responses={
        200: DETAIL,
        **errors(
            400,
            415,
            429,
            descriptions={
                400: "`invalid_token` for a wrong, used or expired link; `validation_error` "
                "for invalid input or a new password the validators refuse.",
                **THROTTLED_PER_IP,
            },
        ),
    },
    auth=[],
    tags=AUTH,
)

account_schema = extend_schema_view(
    retrieve=extend_schema(
        operation_id="account_retrieve",
        summary="The signed-in owner's profile",
        responses={200: PROFILE, **errors(401)},
        tags=ACCOUNT,
    ),
    partial_update=extend_schema(
        operation_id="account_update",
        summary="Change the name, language or email",
        description=(
            "Only the fields given change. `language` (`nb` or `en`) is the language of "
            "messages and emails. A new `email` needs `current_password` and stays unique "
            "regardless of case (`409 email_taken`); nothing changes when anything is refused."
        ),
        request=ProfileInputSerializer,
        responses={200: PROFILE, **errors(400, 401, 409, 415, descriptions=PASSWORD_400)},
        examples=[
            OpenApiExample("Norwegian", value={"language": "nb"}, request_only=True),
            OpenApiExample(
                "New email",
                value={"email": "kari.n@example.com", "current_password": "the-current-one"},
                request_only=True,
            ),
        ],
        tags=ACCOUNT,
    ),
    destroy=extend_schema(
        operation_id="account_delete",
        summary="Delete the account and all its data",
        description=(
            "Deletes the user, their vehicle links and photos, notification preferences and "
            "tokens (the shared vehicle records stay); every token of the user answers `401` "
            "at once. A wrong password answers `400` and deletes nothing."
        ),
        request=PasswordInputSerializer,
        responses={200: DETAIL, **errors(400, 401, 415, descriptions=PASSWORD_400)},
        tags=ACCOUNT,
    ),
)

# Operations outside the standard viewset actions are decorated in the view itself.
change_password_schema = extend_schema(
    operation_id="account_change_password",
    summary="Change the password",
    description=(
        "Needs the current password; the new one passes Django's validators. Every other "
        "session is signed out (its access and refresh tokens answer `401` at once); the "
        "answer is a new token pair for this device."
    ),
    request=PasswordChangeInputSerializer,
    responses={
        200: envelope(TokenPairSerializer),
        **errors(400, 401, 415, descriptions=PASSWORD_400),
    },
    tags=ACCOUNT,
)

export_schema = extend_schema(
    operation_id="account_export",
    summary="Download everything stored about the owner",
    description=(
        "One JSON document (as an attachment): the account, each linked vehicle (plate, "
        "nickname, primary, when linked, photo URLs) and the notification preferences "
        "with the values the owner changed."
    ),
    parameters=[
        OpenApiParameter(
            "Content-Disposition",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            response=[200],
            required=True,
            description='`attachment; filename="minbil-export-<date>.json"`',
        )
    ],
    responses={200: envelope(AccountExportSerializer), **errors(401)},
    tags=ACCOUNT,
)
