"""
Which register answers: `live` (Statens vegvesen, with the API key) or `sandbox` (the sample
payloads), chosen explicitly so production can never fall back to the samples unnoticed.

`VEGVESEN_MODE` decides when set. Unset: `live` with `VEGVESEN_API_KEY`, `sandbox` with
`DEBUG` on, and otherwise nothing: the system check below stops `manage.py check`, `migrate`,
`runserver` and the WSGI entry point (gunicorn) with one sentence saying what to set.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

from vehicles.register import sandbox

LIVE = "live"
SANDBOX = "sandbox"

NOT_CHOSEN = (
    "No vehicle register is configured: set VEGVESEN_API_KEY to use the live register, or "
    "VEGVESEN_MODE=sandbox to answer from the sample vehicles."
)
LIVE_WITHOUT_KEY = (
    "VEGVESEN_MODE is live but VEGVESEN_API_KEY is not set: set the key, or "
    "VEGVESEN_MODE=sandbox to answer from the sample vehicles."
)


def configured_mode() -> str | None:
    """`live` or `sandbox` as the settings say, or None when they choose neither."""
    if settings.VEGVESEN_MODE == LIVE:
        return LIVE if settings.VEGVESEN_API_KEY else None
    if settings.VEGVESEN_MODE == SANDBOX:
        return SANDBOX
    if settings.VEGVESEN_API_KEY:
        return LIVE
    return SANDBOX if settings.DEBUG else None


def mode_problem() -> str | None:
    """The sentence that stops start-up, or None when a mode is chosen."""
    if configured_mode() is not None:
        return None
    return LIVE_WITHOUT_KEY if settings.VEGVESEN_MODE == LIVE else NOT_CHOSEN


def check_mode(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check: refuses to start without a chosen register mode."""
    problem = mode_problem()
    return [checks.Error(problem, id="vehicles.E001")] if problem else []


def describe_mode() -> str:
    """One line for the start-up log and `vehicle_lookup`: which register answers, never the key."""
    mode = configured_mode()
    if mode == LIVE:
        host = urlsplit(settings.VEGVESEN_API_URL).netloc
        return (
            f"live ({host}; {settings.VEGVESEN_TIMEOUT_SECONDS:g} s per attempt, "
            f"{settings.REGISTER_DEADLINE_SECONDS:g} s per request)"
        )
    if mode == SANDBOX:
        plates = sandbox.sample_plates()
        return (
            f"sandbox ({len(plates)} sample vehicles: {', '.join(plates)}); "
            "set VEGVESEN_API_KEY for live"
        )
    return f"not configured. {mode_problem()}"
