"""The API's authentication: simplejwt's bearer tokens, plus the token version and language."""

from django.utils import translation
from rest_framework_simplejwt.authentication import JWTAuthentication

from minbil.accounts.tokens import check_token_version


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
        user = super().get_user(validated_token)
        check_token_version(validated_token, user)
        return user
