"""
What can go wrong with a register look-up: the contract's error codes, and the failures the
package handles itself before they become one of them.

The messages are fixed sentences: nothing from the request (least of all the API key) or
from the register's answer is ever put into them. A `reason` is for the log only.
"""

from django.utils.translation import gettext_lazy as _

from minbil.errors import DomainError

# `Retry-After` of a refusal that is only about this moment: every call slot is busy, or a
# concurrent look-up of the same plate did not finish in time.
RETRY_SOON_SECONDS = 5


class VehicleNotFound(DomainError):
    """The register has no data for the plate: unknown, shielded or otherwise unavailable."""

    status_code = 404
    code = "vehicle_not_found"
    message = _("No data available for this registration number in the vehicle register.")


class RegisterUnavailable(DomainError):
    """
    Timeouts, connection errors and 5xx answers after the retries; also the answer while the
    breaker is open, or when this process already has every register call it allows running.
    """

    status_code = 503
    code = "register_unavailable"
    message = _("The vehicle register is not answering right now. Try again shortly.")


class RegisterQuotaExhausted(DomainError):
    """
    The day's look-ups are used up: the register said so (422 or 429), or our own daily
    budget is spent. Refused locally until the reset.
    """

    status_code = 503
    code = "register_quota_exhausted"
    message = _("The vehicle register's daily look-up quota is used up. Try again after it resets.")


class BatchShareExhausted(RegisterQuotaExhausted):
    """
    Batch refreshes (the admin action, `refresh_vehicles`) have used their share of today's
    budget; the rest is for owners. Never an API answer: owners' look-ups are not batches.
    """


class RegisterError(DomainError):
    """
    The register refused our key or request, or answered with something we cannot use (an
    undocumented body, or data that does not fit what we store).
    """

    status_code = 502
    code = "register_error"
    message = _("The vehicle register answered with an error.")

    def __init__(self, reason: str = "unspecified") -> None:
        super().__init__()
        self.reason = reason


class RegisterLookupThrottled(DomainError):
    """The owner's own budget of look-ups (`REGISTER_LOOKUP_THROTTLE_RATE`) is spent."""

    status_code = 429
    code = "register_lookup_throttled"
    message = _("Too many vehicle register look-ups. Try again later.")


class TransientFailure(Exception):
    """One attempt timed out, could not connect or got a 5xx: retried, counted by the breaker."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class QuotaSpent(Exception):
    """The register answered 422 or 429: its quota for the day is spent."""

    def __init__(self, retry_after: str | None) -> None:
        super().__init__("quota spent")
        self.retry_after = retry_after
