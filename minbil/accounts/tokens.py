"""
JWTs that carry the owner's token version, and refresh tokens that work exactly once.

Every access and refresh token carries `ver`, the user's `token_version` when it was issued.
Signing out everywhere (and a password change or reset) raises the version, so every token
issued before is refused at once: the check runs where the user row is read anyway (the
authentication class, the refresh serializer), so it costs no query. Tokens issued before
the claim existed count as version 0.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, Token
from rest_framework_simplejwt.utils import datetime_from_epoch

TOKEN_VERSION_CLAIM = "ver"  # noqa: S105 (a claim name, not a secret)


def check_token_version(token: Token, user) -> None:
    """Refuses a token issued before the user's last sign-out everywhere (`401`)."""
    if token.get(TOKEN_VERSION_CLAIM, 0) != user.token_version:
        raise AuthenticationFailed(
            _("This session has been signed out. Sign in again."), code="token_not_valid"
        )


class AccountRefreshToken(RefreshToken):
    """simplejwt's refresh token, with the version claim and a single-use blacklist."""

    @classmethod
    def for_user(cls, user) -> "AccountRefreshToken":
        """A new refresh token for `user`, recorded as outstanding (so it can be revoked)."""
        token = cls()
        token[api_settings.USER_ID_CLAIM] = str(getattr(user, api_settings.USER_ID_FIELD))
        token[TOKEN_VERSION_CLAIM] = user.token_version
        token.record_outstanding(user)
        return token

    def record_outstanding(self, user) -> OutstandingToken:
        """Records this token (a new one, or a rotated one with a new `jti`) as issued."""
        return OutstandingToken.objects.create(
            user=user,
            jti=self[api_settings.JTI_CLAIM],
            token=str(self),
            created_at=self.current_time,
            expires_at=datetime_from_epoch(self["exp"]),
        )

    def blacklist(self, user=None) -> BlacklistedToken:
        """
        Blacklists this token exactly once. simplejwt's own version uses `get_or_create`,
        which lets any number of concurrent callers "succeed"; here the insert of the
        unique blacklist row is the decision: one caller creates it, every other one gets
        `TokenError` (a `401`), however they interleave.
        """
        outstanding, _created = OutstandingToken.objects.get_or_create(
            jti=self[api_settings.JTI_CLAIM],
            defaults={
                "user": user,
                "token": str(self),
                "created_at": self.current_time,
                "expires_at": datetime_from_epoch(self["exp"]),
            },
        )
        try:
            with transaction.atomic():
                return BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError:
            raise TokenError(_("Token is blacklisted")) from None
