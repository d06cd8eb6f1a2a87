"""Registration and JWT endpoints (`/api/auth/...`). Public, throttled per client IP."""

from drf_spectacular.utils import extend_schema_view
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from minbil.accounts.schema import register_schema, token_refresh_schema, token_schema
from minbil.accounts.serializers import RegisterInputSerializer, UserOutputSerializer
from minbil.accounts.services import register_user
from minbil.api.throttling import AuthRateThrottle


class RegisterView(APIView):
    """`POST /api/auth/register`: creates an account; `201` with the new user."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]

    @register_schema
    def post(self, request):
        serializer = RegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = register_user(**serializer.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema_view(post=token_schema)
class TokenObtainView(TokenObtainPairView):
    """`POST /api/auth/token`: the JWT library's `{"access", "refresh"}` body, no envelope."""

    throttle_classes = [AuthRateThrottle]
    envelope = False


@extend_schema_view(post=token_refresh_schema)
class TokenRefreshRotatingView(TokenRefreshView):
    """`POST /api/auth/token/refresh`: a new access and a rotated refresh token."""

    throttle_classes = [AuthRateThrottle]
    envelope = False
