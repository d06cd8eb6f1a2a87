"""
The only code that talks to Statens vegvesen's vehicle register, and the only importer of
`requests` in the project.

Live mode (`VEGVESEN_API_KEY` set): `GET {VEGVESEN_API_URL}?kjennemerke=<plate>` with
`SVV-Authorization: Apikey <key>`, one pooled session, a timeout on every attempt, at most
two jittered retries on timeouts, connection errors and 5xx. A spent quota (422/429) is
remembered in the shared cache until the register's reset, so no worker calls again before.
Sandbox mode (no key): the sample payloads shipped with the project, answered through the
same parser, so a new developer needs no account anywhere.

The retry loop is written out here rather than delegated to urllib3's `Retry`, so the whole
policy is in one readable place and the tests exercise it at the HTTP level.
"""

import json
import logging
import math
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.core.cache import cache

from vehicles.register.errors import (
    RegisterError,
    RegisterQuotaExhausted,
    RegisterUnavailable,
    VehicleNotFound,
)
from vehicles.register.parser import VehicleData, parse_payload

logger = logging.getLogger(__name__)

USER_AGENT = "MinBil-backend/1.0 (+https://minbil.no)"
MAX_RETRIES = 2
BACKOFF_SECONDS = 0.2
UNAVAILABLE_RETRY_AFTER_SECONDS = 30
QUOTA_CACHE_KEY = "vegvesen:quota-exhausted-until"
OSLO = ZoneInfo("Europe/Oslo")
SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
NOT_AVAILABLE_SAMPLE = "not_available.json"

_session: requests.Session | None = None
_session_lock = threading.Lock()


@dataclass(frozen=True)
class LookupResult:
    """A register answer: the raw payload (stored for support and re-parsing) and its parse."""

    registration_number: str
    payload: dict[str, Any]
    data: VehicleData


def lookup(registration_number: str) -> LookupResult:
    """
    Looks up one canonical plate in the configured register (live or sandbox).

    Raises `VehicleNotFound`, `RegisterUnavailable`, `RegisterQuotaExhausted` or
    `RegisterError`; never anything carrying the API key.
    """
    if settings.VEGVESEN_API_KEY:
        payload = _fetch_live(registration_number)
    else:
        payload = _fetch_sandbox(registration_number)
    return LookupResult(registration_number, payload, parse_payload(payload))


def describe_mode() -> str:
    """One line for the start-up log: which register answers, never the key."""
    if settings.VEGVESEN_API_KEY:
        host = urlsplit(settings.VEGVESEN_API_URL).netloc
        return f"live ({host}, timeout {settings.VEGVESEN_TIMEOUT_SECONDS:g}s per attempt)"
    plates = sorted(p.stem for p in _sandbox_dir().glob("*.json") if p.name != NOT_AVAILABLE_SAMPLE)
    samples = ", ".join(plates)
    return f"sandbox ({len(plates)} sample vehicles: {samples}); set VEGVESEN_API_KEY for live"


# --- Live register -------------------------------------------------------------------------


def _session_for_register() -> requests.Session:
    global _session
    with _session_lock:
        if _session is None:
            _session = requests.Session()
            _session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        return _session


def _fetch_live(registration_number: str) -> dict[str, Any]:
    retry_after = quota_retry_after()
    if retry_after is not None:
        raise RegisterQuotaExhausted(retry_after=retry_after)

    session = _session_for_register()
    attempts = MAX_RETRIES + 1
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            # Exponential backoff with jitter: about 0.2 s, then 0.4 s.
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 2) * random.uniform(0.5, 1.5))  # noqa: S311
        try:
            response = session.get(
                settings.VEGVESEN_API_URL,
                params={"kjennemerke": registration_number},
                headers={"SVV-Authorization": f"Apikey {settings.VEGVESEN_API_KEY}"},
                timeout=settings.VEGVESEN_TIMEOUT_SECONDS,
            )
        except (
            requests.Timeout,
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            reason = type(exc).__name__
        except requests.RequestException as exc:
            logger.error("Vehicle register request could not be made: %s", type(exc).__name__)
            raise RegisterError() from None
        else:
            if response.status_code < 500:
                return _interpret(response)
            reason = f"HTTP {response.status_code}"
        logger.warning("Vehicle register attempt %d/%d failed: %s", attempt, attempts, reason)

    logger.error("Vehicle register unavailable after %d attempts", attempts)
    raise RegisterUnavailable(retry_after=UNAVAILABLE_RETRY_AFTER_SECONDS)


def _interpret(response: requests.Response) -> dict[str, Any]:
    """Maps a non-5xx answer (vegvesen.md §3) to a payload or a typed error."""
    status = response.status_code
    if status in (204, 404):
        raise VehicleNotFound()
    if status in (422, 429):
        seconds = _remember_quota_exhausted(response.headers.get("Retry-After"))
        logger.error("Vehicle register quota exhausted (HTTP %d); pausing %d s", status, seconds)
        raise RegisterQuotaExhausted(retry_after=seconds)
    if status in (401, 403):
        logger.error("Vehicle register refused the API key (HTTP %d)", status)
        raise RegisterError()
    if status != 200:
        logger.error("Vehicle register refused the request (HTTP %d)", status)
        raise RegisterError()
    try:
        return response.json()
    except ValueError:
        logger.error("Vehicle register answered HTTP 200 with a body that is not JSON")
        raise RegisterError() from None


# --- Quota state, shared by every worker through the cache --------------------------------


def quota_retry_after() -> int | None:
    """Seconds until the register may be called again, or None when it may be called now."""
    until = cache.get(QUOTA_CACHE_KEY)
    if until is None:
        return None
    remaining = until - time.time()
    return math.ceil(remaining) if remaining > 0 else None


def _remember_quota_exhausted(retry_after_header: str | None) -> int:
    seconds = _parse_retry_after(retry_after_header) or _seconds_until_oslo_midnight()
    cache.set(QUOTA_CACHE_KEY, time.time() + seconds, timeout=seconds)
    return seconds


def _parse_retry_after(value: str | None) -> int | None:
    """`Retry-After` as delay-seconds or an HTTP date; None when absent, past or malformed."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = int(value)
    else:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = math.ceil((moment - datetime.now(UTC)).total_seconds())
    return seconds if seconds > 0 else None


def _seconds_until_oslo_midnight() -> int:
    """The register's quota resets at midnight Norwegian time (DST-aware)."""
    now = datetime.now(UTC)
    tomorrow = (now.astimezone(OSLO) + timedelta(days=1)).date()
    midnight = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=OSLO)
    return max(1, math.ceil((midnight.astimezone(UTC) - now).total_seconds()))


# --- Sandbox register ----------------------------------------------------------------------


def _sandbox_dir() -> Path:
    return Path(settings.VEGVESEN_SANDBOX_DIR) if settings.VEGVESEN_SANDBOX_DIR else SAMPLES_DIR


def _fetch_sandbox(registration_number: str) -> dict[str, Any]:
    """A shipped sample payload; every other plate gets the register's "no data" answer."""
    directory = _sandbox_dir()
    path = directory / f"{registration_number}.json"
    if not path.is_file():
        path = SAMPLES_DIR / NOT_AVAILABLE_SAMPLE
    return json.loads(path.read_text(encoding="utf-8"))
