"""
What photos may cost: a per-process cap on concurrent decodes and a per-user upload rate.

- `decode_slot()`: at most `PHOTO_DECODE_CONCURRENCY` photos are decoded at once in a process
  (each may take up to `MAX_DECODE_BYTES` of memory, checked from its header before it gets a
  slot). Others wait up to `PHOTO_DECODE_WAIT_SECONDS`, then answer `503 busy` with
  `Retry-After`, so a burst of large uploads queues briefly instead of exhausting memory.
- `spend_upload()`: `PHOTO_UPLOAD_THROTTLE_RATE` photo uploads per user (`429`), counted in the
  cache so every process shares it. Used by the services, which alone know whether a request
  carries a photo that will be decoded.
"""

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.throttling import SimpleRateThrottle

from minbil.errors import DomainError

BUSY_RETRY_AFTER_SECONDS = 2


class DecodeBusy(DomainError):
    status_code = 503
    code = "busy"
    message = _("Too many photos are being processed right now. Try again in a moment.")


class PhotoUploadThrottled(DomainError):
    status_code = 429
    code = "photo_upload_throttled"
    message = _("Too many photo uploads. Try again later.")


_semaphores: dict[int, threading.BoundedSemaphore] = {}
_semaphores_lock = threading.Lock()


def _decode_semaphore() -> threading.BoundedSemaphore:
    """The process's semaphore for the configured concurrency (one per value, for tests)."""
    slots = settings.PHOTO_DECODE_CONCURRENCY
    with _semaphores_lock:
        return _semaphores.setdefault(slots, threading.BoundedSemaphore(slots))


@contextmanager
def decode_slot() -> Iterator[None]:
    """Holds one of the process's decode slots, or raises `DecodeBusy` after the wait."""
    semaphore = _decode_semaphore()
    if not semaphore.acquire(timeout=settings.PHOTO_DECODE_WAIT_SECONDS):
        raise DecodeBusy(retry_after=BUSY_RETRY_AFTER_SECONDS)
    try:
        yield
    finally:
        semaphore.release()


class PhotoUploadThrottle(SimpleRateThrottle):
    """Django REST framework's rate bookkeeping, keyed by user rather than by request."""

    scope = "photo_upload"

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        super().__init__()

    def get_rate(self) -> str:
        return settings.PHOTO_UPLOAD_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.user_id}


def spend_upload(user_id: int) -> None:
    """Counts one photo upload for the user, or raises `PhotoUploadThrottled` (429)."""
    throttle = PhotoUploadThrottle(user_id)
    if not throttle.allow_request(None, None):
        wait = throttle.wait()
        raise PhotoUploadThrottled(retry_after=math.ceil(wait) if wait else None)
