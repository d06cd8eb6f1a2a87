"""
What can go wrong with a register look-up, as the contract's error codes.

The messages are fixed sentences: nothing from the request (least of all the API key) or
from the register's answer is ever put into them.
"""

from minbil.errors import DomainError


class VehicleNotFound(DomainError):
    """The register has no data for the plate: unknown, shielded or otherwise unavailable."""

    status_code = 404
    code = "vehicle_not_found"
    message = "No data available for this registration number in the vehicle register."


class RegisterUnavailable(DomainError):
    """Timeouts, connection errors and 5xx answers, after the retries."""

    status_code = 503
    code = "register_unavailable"
    message = "The vehicle register is not answering right now. Try again shortly."


class RegisterQuotaExhausted(DomainError):
    """The day's quota of look-ups is spent (422 or 429); refused locally until it resets."""

    status_code = 503
    code = "register_quota_exhausted"
    message = "The vehicle register's daily look-up quota is used up. Try again after it resets."


class RegisterError(DomainError):
    """The register refused our key or request, or answered with an undocumented body."""

    status_code = 502
    code = "register_error"
    message = "The vehicle register answered with an error."
