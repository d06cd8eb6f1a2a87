"""Throttles whose rates come from settings at request time (so tests can override them)."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class RegisterLookupThrottle(SimpleRateThrottle):
    """
    Per user, on the vehicle operations that reach the register (a link of a plate not
    stored yet, a refresh). Used by the services, which alone know whether a call is needed.
    """

    scope = "register_lookup"

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        super().__init__()

    def get_rate(self) -> str:
        return settings.REGISTER_LOOKUP_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.user_id}
