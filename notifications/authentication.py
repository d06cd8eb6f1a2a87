"""
The sender API's authentication: `Authorization: Bearer <token>` with one of
`INTERNAL_API_TOKENS`, the tokens other MinBil services hold. An owner's JWT is not one of
them (`401`), and these tokens open nothing else.
"""

import hmac

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission


class InternalService:
    """`request.user` of a call from another MinBil service."""

    is_authenticated = True
    is_anonymous = False
    pk = None

    def __str__(self) -> str:
        return "internal service"


class InternalTokenAuthentication(BaseAuthentication):
    """Compares the bearer token with every configured token, in constant time each."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None  # no credentials: 401 not_authenticated
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("The Authorization header must be: Bearer <token>."),
                code="bad_authorization_header",
            )
        matched = False
        for token in settings.INTERNAL_API_TOKENS:
            # No early exit: the time taken does not tell which token came closest.
            matched |= hmac.compare_digest(token.encode(), parts[1])
        if not matched:
            raise exceptions.AuthenticationFailed(
                _("This is not a service token of this API."), code="invalid_service_token"
            )
        return InternalService(), None

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="internal"'


class IsInternalService(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, InternalService)
