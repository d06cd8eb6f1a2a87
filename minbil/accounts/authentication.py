"""The API's authentication: simplejwt's bearer tokens, plus the token version and language."""

from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from minbil.accounts.tokens import check_token_version
from minbil.prepared import PreparedQuery

User = get_user_model()
# The user row behind every token: its SQL is built once (minbil/prepared.py), not per request.
_USER_BY_ID = PreparedQuery(
    lambda user_id: User.objects.filter(pk=user_id).values_list(
        *(field.attname for field in User._meta.concrete_fields)
    ),
    user_id=-7_391_155,
)


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
