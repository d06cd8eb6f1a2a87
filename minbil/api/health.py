"""
Readiness: can this instance serve requests right now? (`GET /readyz`)

Each check asks one dependency with a deadline: the database, the cache (only when `REDIS_URL`
is set: the local-memory cache cannot fail) and photo storage. They run side by side in
threads, so the answer comes within `READINESS_TIMEOUT_SECONDS` even when one of them hangs.

Apps may add informational entries (a mode, a breaker state) that are shown but never make
the instance unready, and constant facts for the liveness body, from their `AppConfig.ready()`:

    from minbil.api import health
    health.add_info("register", register.status)   # a callable returning a JSON-able dict
    health.add_fact("register_mode", mode)          # a callable reading settings only: no I/O

Liveness (`/healthz`) deliberately checks none of this: a dependency outage must take an
instance out of the load balancer, not get it restarted.
"""

import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from contextvars import copy_context
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection

logger = logging.getLogger(__name__)

OK, FAILING, INFO = "ok", "failing", "info"
READINESS_PROBE_NAME = "readyz-probe"


@dataclass(frozen=True)
class Check:
    name: str
    probe: Callable[[], Any]
    informational: bool = False


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: dict[str, dict[str, Any]]

    def as_body(self) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "unavailable", "checks": self.checks}


_info_checks: dict[str, Check] = {}
_facts: dict[str, Callable[[], Any]] = {}


def add_info(name: str, probe: Callable[[], dict[str, Any]]) -> None:
    """Shows `probe()`'s dict under `name` in `/readyz`; it never makes the instance unready."""
    _info_checks[name] = Check(name, probe, informational=True)


def add_fact(name: str, value: Callable[[], Any]) -> None:
    """Shows `value()` under `name` in `/healthz`: a fact from settings, never a dependency."""
    _facts[name] = value


def liveness_facts() -> dict[str, Any]:
    """The facts apps added, for the liveness body."""
    return {name: value() for name, value in _facts.items()}


def check_readiness() -> Readiness:
    """Runs every check at once, each bounded by `READINESS_TIMEOUT_SECONDS`."""
    checks = [*_required_checks(), *_info_checks.values()]
    timeout = settings.READINESS_TIMEOUT_SECONDS
    started = time.monotonic()
    # Not a `with` block: leaving one waits for every thread, and a hung check must not
    # hold the answer. A thread still running is left to finish on its own.
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    # Each check runs in a copy of this context, so its log lines carry the request id.
    futures = {check.name: pool.submit(copy_context().run, _run, check) for check in checks}
    wait(futures.values(), timeout=timeout)
    pool.shutdown(wait=False, cancel_futures=True)

    results: dict[str, dict[str, Any]] = {}
    for check in checks:
        future = futures[check.name]
        if future.done():
            results[check.name] = future.result()
        else:
            elapsed = round((time.monotonic() - started) * 1000, 1)
            state = INFO if check.informational else FAILING
            results[check.name] = {"state": state, "error": "timeout", "duration_ms": elapsed}
            logger.warning("Readiness check %s timed out after %.1f s", check.name, timeout)
    ready = all(results[c.name]["state"] == OK for c in checks if not c.informational)
    return Readiness(ready, results)


def _run(check: Check) -> dict[str, Any]:
    started = time.monotonic()
    try:
        details = check.probe() or {}
    except Exception as exc:
        # Deliberately broad: any failure of a dependency means "not ready", and the answer
        # must still come. Only the exception's type is shown (the body is public).
        reason = str(exc).strip().splitlines()[:1]
        logger.warning("Readiness check %s failed: %s %s", check.name, type(exc).__name__, reason)
        state = INFO if check.informational else FAILING
        details = {"state": state, "error": type(exc).__name__}
    else:
        details = {"state": INFO if check.informational else OK, **details}
    return {**details, "duration_ms": round((time.monotonic() - started) * 1000, 1)}


def _required_checks() -> list[Check]:
    checks = [Check("database", _check_database)]
    if settings.REDIS_URL:
        checks.append(Check("cache", _check_cache))
    checks.append(Check("storage", _check_storage))
    return checks


def _check_database() -> None:
    """`SELECT 1` on a connection of its own (this thread's), closed again afterwards."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


def _check_cache() -> None:
    """Redis itself: the cache backend would otherwise answer from its local fallback."""
    ping = getattr(cache, "ping", None)
    if ping is not None:
        ping()


def _check_storage() -> None:
    """Local: the media folder (or the folder it will be made in) is writable. S3: it answers."""
    if isinstance(default_storage, FileSystemStorage):
        location = Path(default_storage.location)
        existing = next(p for p in (location, *location.parents) if p.exists())
        if not (existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)):
            raise PermissionError(f"{existing} is not a writable folder")
    else:
        default_storage.exists(READINESS_PROBE_NAME)  # a HEAD request; a missing key is fine
