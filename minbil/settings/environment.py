"""
Typed settings from the environment that stop start-up on a malformed value, with a message
naming the variable (a plain `int()` would say only "invalid literal", and django-environ's
`bool` reads any unknown word as false).

An unset or empty variable gives the default.
"""

import math
import os
import re

from celery.schedules import ParseException, crontab
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
# As Django REST framework and the register's per-user budget read them: `30/hour`, `5/min`.
RATE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def _raw(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _refuse(name: str, expected: str, raw: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name} must be {expected}, not {raw!r}.")


def env_flag(name: str, default: bool) -> bool:
    """`1`/`0`, `true`/`false`, `yes`/`no`, `on`/`off` (any case)."""
    raw = _raw(name)
    if raw is None:
        return default
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    raise _refuse(name, "1 or 0 (true/false, yes/no, on/off)", raw)


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """A whole number of at least `minimum`."""
    raw = _raw(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[+-]?\d+", raw) or int(raw) < minimum:
        raise _refuse(name, f"a whole number of {minimum} or more", raw)
    return int(raw)


def env_number(
    name: str, default: float, *, minimum: float = 0.0, maximum: float | None = None
) -> float:
    """A finite decimal number within `[minimum, maximum]`."""
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < minimum or (maximum is not None and value > maximum):
        bounds = f"{minimum:g} or more" if maximum is None else f"from {minimum:g} to {maximum:g}"
        raise _refuse(name, f"a number {bounds}", raw)
    return value


def env_positive_number(name: str, default: float) -> float:
    """A finite decimal number above zero (timeouts, deadlines)."""
    value = env_number(name, default)
    if value <= 0:
        raise _refuse(name, "a number above 0", _raw(name) or str(value))
    return value


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    """One of `choices` (any case); unset gives `default`."""
    raw = _raw(name)
    if raw is None:
        return default
    if raw.lower() not in choices:
        raise _refuse(name, " or ".join(choices), raw)
    return raw.lower()


def env_crontab(name: str, default: str) -> crontab:
    """
    A crontab line of five fields, `minute hour day-of-month month day-of-week` (`0 2 * * *`),
    as Celery's schedule (in the jobs' time zone).
    """
    raw = _raw(name) or default
    fields = raw.split()
    expected = "a crontab of five fields (minute hour day-of-month month day-of-week), such as "
    expected += repr(default)
    if len(fields) != 5:
        raise _refuse(name, expected, raw)
    minute, hour, day_of_month, month, day_of_week = fields
    try:
        return crontab(minute, hour, day_of_week, day_of_month, month)
    except (ValueError, ParseException) as exc:
        raise ImproperlyConfigured(
            f"{name} must be {expected}, not {raw!r} ({str(exc).rstrip('.')})."
        ) from None


def env_rate(name: str, default: str) -> str:
    """A rate such as `30/hour` or `20/minute`."""
    raw = _raw(name)
    if raw is None:
        return default
    if not RATE.match(raw):
        raise _refuse(name, "a rate such as 30/hour (per second, minute, hour or day)", raw)
    return raw
