"""
What photos may cost: a per-process decode budget and a per-user upload rate.

- `decode_slot()`: a process decodes at most `PHOTO_DECODE_CONCURRENCY` photos at once, and
  only while the memory they take to decode (`photos.decode_cost`, from the header) together
  stays within `MAX_DECODE_BYTES`: two 12-megapixel JPEGs decode side by side, two
  40-megapixel PNGs one after the other. (A photo that needs more than `MAX_DECODE_BYTES` on
  its own was already refused with 413.) Others wait up to `PHOTO_DECODE_WAIT_SECONDS`, then
  answer `503 busy` with `Retry-After`, so a burst of large uploads queues briefly instead of
  exhausting a worker's memory.
- `spend_upload()`: `PHOTO_UPLOAD_THROTTLE_RATE` photo uploads per user (`429`), counted in the
  cache so every process shares it. Used by the services, which alone know whether a request
  carries a photo that will be decoded.
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from minbil import ratelimit
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


class _DecodeBudget:
    """The process's decodes: how many run, and how much memory they were counted to take."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.running = 0
        self.reserved = 0

    def acquire(self, cost: int, *, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not self._fits(cost):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            self.running += 1
            self.reserved += cost
            return True

    def release(self, cost: int) -> None:
        with self._changed:
            self.running -= 1
            self.reserved -= cost
            self._changed.notify_all()

    def _fits(self, cost: int) -> bool:
        if self.running >= settings.PHOTO_DECODE_CONCURRENCY:
            return False
        # Alone, a photo always fits: its cost was checked against the limit from its header.
        return self.running == 0 or self.reserved + cost <= settings.MAX_DECODE_BYTES


_budget = _DecodeBudget()


@contextmanager
def decode_slot(cost: int) -> Iterator[None]:
    """
    Holds one of the process's decode slots for a photo that takes `cost` bytes to decode, or
    raises `DecodeBusy` after `PHOTO_DECODE_WAIT_SECONDS`.
    """
    if not _budget.acquire(cost, timeout=settings.PHOTO_DECODE_WAIT_SECONDS):
        raise DecodeBusy(retry_after=BUSY_RETRY_AFTER_SECONDS)
    try:
        yield
    finally:
        _budget.release(cost)


def spend_upload(user_id: int) -> None:
    """Counts one photo upload for the user, or raises `PhotoUploadThrottled` (429)."""
    wait = ratelimit.spend(f"photo-uploads:{user_id}", settings.PHOTO_UPLOAD_THROTTLE_RATE)
    if wait is not None:
        raise PhotoUploadThrottled(retry_after=wait)
