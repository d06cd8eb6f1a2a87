"""
`/api/auth/...` (public, throttled per client IP; the token endpoint also per email) and
`/api/co/me...` (the signed-in owner's account).
"""

from dataclasses import asdict

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_view
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from minbil.accounts import services
from minbil.accounts.export import AccountExportSerializer, export_account
from minbil.accounts.schema import (
    BodyOnDeleteAutoSchema,
    account_schema,
    change_password_schema,
    export_schema,
    logout_all_schema,
    logout_schema,
    password_reset_confirm_schema,
    password_reset_schema,
    register_schema,
    token_refresh_schema,
    token_schema,
)
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
    UserOutputSerializer,
)
from minbil.accounts.throttling import (
    LoginEmailThrottle,
    LogoutThrottle,
    PasswordResetConfirmThrottle,
    PasswordResetEmailThrottle,
    PasswordResetThrottle,
    RegisterThrottle,
    TokenRefreshThrottle,
    TokenThrottle,
)


def detail(message: str, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(DetailOutputSerializer({"detail": message}).data, status=status_code)


class PublicView(APIView):
    """A public auth endpoint: no access token is read (an expired one must not get in the way)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


class RegisterView(PublicView):
    """`POST /api/auth/register`: creates an account; `201` with the new user."""

    throttle_classes = [RegisterThrottle]

    @register_schema
    def post(self, request):
        serializer = RegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.register_user(**serializer.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema_view(post=token_schema)
class TokenObtainView(TokenObtainPairView):
    """`POST /api/auth/token`: the JWT library's `{"access", "refresh"}` body, no envelope."""

    throttle_classes = [TokenThrottle, LoginEmailThrottle]
    envelope = False


@extend_schema_view(post=token_refresh_schema)
class TokenRefreshRotatingView(TokenRefreshView):
    """`POST /api/auth/token/refresh`: a new access and a rotated refresh token."""

    throttle_classes = [TokenRefreshThrottle]
    envelope = False


class LogoutView(PublicView):
    """`POST /api/auth/logout`: signs this device out (its refresh token is blacklisted, its
    push token forgotten)."""

    throttle_classes = [LogoutThrottle]

    @logout_schema
    def post(self, request):
        serializer = LogoutInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.sign_out(**serializer.validated_data)
        return detail(_("Signed out."))


class LogoutAllView(APIView):
    """`POST /api/auth/logout-all`: signs the user out on every device, at once."""

    @logout_all_schema
    def post(self, request):
        services.sign_out_everywhere(user=request.user)
        return detail(_("Signed out on every device."))


class PasswordResetView(PublicView):
    """`POST /api/auth/password-reset`: emails a reset link; always `202`."""

    throttle_classes = [PasswordResetThrottle, PasswordResetEmailThrottle]

    @password_reset_schema
    def post(self, request):
        serializer = PasswordResetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.request_password_reset(**serializer.validated_data)
        return detail(
            _("If an account uses this email address, a reset link is on its way."),
            status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmView(PublicView):
    """`POST /api/auth/password-reset/confirm`: sets the new password of a reset link."""

    throttle_classes = [PasswordResetConfirmThrottle]

    @password_reset_confirm_schema
    def post(self, request):
        serializer = PasswordResetConfirmInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.confirm_password_reset(**serializer.validated_data)
        return detail(_("Your password is changed. Sign in with the new one."))


@account_schema
class AccountViewSet(viewsets.ViewSet):
    """`/api/co/me`: the signed-in owner's profile, password, deletion and data export."""

    schema = BodyOnDeleteAutoSchema()

    def retrieve(self, request):
        return Response(ProfileOutputSerializer(request.user).data)

    def partial_update(self, request):
        serializer = ProfileInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.update_profile(user=request.user, **serializer.validated_data)
        return Response(ProfileOutputSerializer(user).data)

    def destroy(self, request):
        serializer = PasswordInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.delete_own_account(user=request.user, **serializer.validated_data)
        return detail(_("Your account and all its data are deleted."))

    @change_password_schema
    def change_password(self, request):
        serializer = PasswordChangeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens = services.change_password(user=request.user, **serializer.validated_data)
        return Response(TokenPairSerializer(asdict(tokens)).data)

    @export_schema
    def export(self, request):
        document = AccountExportSerializer(
            export_account(user=request.user), context={"request": request}
        ).data
        filename = f"minbil-export-{timezone.localdate():%Y-%m-%d}.json"
        return Response(
            document, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
        )
