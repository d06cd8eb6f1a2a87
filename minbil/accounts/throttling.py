"""
Throttles of the public auth endpoints. Each endpoint has its own budget per client IP
(`AUTH_THROTTLE_RATE`, generous because one carrier NAT carries many owners); the token and
password-reset endpoints also count per email address, which protects one account without
locking out everyone behind the same address.
"""

import hashlib

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ClientIpThrottle(SimpleRateThrottle):
    """Per client IP (see `NUM_PROXIES`), one budget per scope."""

    def get_rate(self) -> str:
        return settings.AUTH_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class RegisterThrottle(ClientIpThrottle):
    scope = "register"


class TokenThrottle(ClientIpThrottle):
    scope = "token"


class TokenRefreshThrottle(ClientIpThrottle):
    scope = "token_refresh"


class LogoutThrottle(ClientIpThrottle):
    scope = "logout"


class PasswordResetThrottle(ClientIpThrottle):
    scope = "password_reset"


class PasswordResetConfirmThrottle(ClientIpThrottle):
    scope = "password_reset_confirm"


class EmailThrottle(SimpleRateThrottle):
    """
    Per email address in the JSON body, whatever the IP (case and spaces ignored; the key
    holds a hash, not the address). A body without a usable email is not counted here: it
    fails validation anyway.
    """

    rate_setting: str

    def get_rate(self) -> str:
        return getattr(settings, self.rate_setting)

    def get_cache_key(self, request, view) -> str | None:
        email = request.data.get("email") if isinstance(request.data, dict) else None
        if not isinstance(email, str) or not email.strip():
            return None
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class LoginEmailThrottle(EmailThrottle):
    scope = "login_email"
    rate_setting = "LOGIN_EMAIL_THROTTLE_RATE"


class PasswordResetEmailThrottle(EmailThrottle):
    scope = "password_reset_email"
    rate_setting = "PASSWORD_RESET_EMAIL_THROTTLE_RATE"
