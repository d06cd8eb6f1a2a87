"""The API's authentication: simplejwt's bearer tokens, plus the token version and language."""

from functools import lru_cache

from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken
from rest_framework_simplejwt.utils import aware_utcnow

from minbil import prepared
from minbil.accounts.tokens import check_token_version

User = get_user_model()
# The user row behind every token: its SQL is built once (minbil/prepared.py), not per request.
_USER_BY_ID = prepared.PreparedQuery(
    lambda user_id: User.objects.filter(pk=user_id).values_list(
        *(field.attname for field in User._meta.concrete_fields)
    ),
    user_id=prepared.ID,
)


@lru_cache(maxsize=1024)
def _verified_access_token(raw_token: bytes) -> AccessToken:
    """
    An access token whose signature and claims were verified once in this process: an app
    sends the same token with every request for its lifetime (15 minutes), and verifying it
    again each time cost more than the rest of a small request. Only tokens that verified are
    kept (a failure raises, which is not cached); expiry is checked again on every use.
    """
    return AccessToken(raw_token)


class AccountJWTAuthentication(JWTAuthentication):
    """
    `Authorization: Bearer <access token>`, refused once the user has signed out everywhere
    (the version claim is compared with the user row this class reads anyway: no extra
    query). On success the user's language is activated at once, so that everything the
    request answers, validation messages included (DRF renders them when raised), is in it.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            user = result[0]
            translation.activate(user.language)
            request._request.LANGUAGE_CODE = user.language
        return result

    def get_validated_token(self, raw_token: bytes):
        """simplejwt's validation, done once per token; on any failure simplejwt's own answer."""
        try:
            token = _verified_access_token(raw_token)
            token.check_exp(current_time=aware_utcnow())
        except TokenError:
            return super().get_validated_token(raw_token)
        return token

    def get_user(self, validated_token):
        """simplejwt's checks (a user id, an existing and active user), then the version."""
        try:
            user_id = int(validated_token[api_settings.USER_ID_CLAIM])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        users = _USER_BY_ID.instances(User, user_id=user_id)
        if not users:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        user = users[0]
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        check_token_version(validated_token, user)
        return user
