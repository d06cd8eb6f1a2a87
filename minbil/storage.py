"""
Local file storage with the privacy of a private S3 bucket: every URL is signed and expires.

`SignedURLFileSystemStorage.url()` returns `MEDIA_URL + name + ?expires=...&signature=...`,
served by the app itself (`minbil.api.views.media`) to whoever holds the URL until it expires,
as a presigned S3 URL would be. The signature is an HMAC of the name and the expiry under
`SECRET_KEY` (Django's `signing`, so `SECRET_KEY_FALLBACKS` keep working during a rotation).

The expiry is rounded up to a bucket of a few minutes: within a bucket the URL of a file is
the same on every call (responses stay cacheable), and it is valid for at least
`PHOTO_URL_MAX_AGE_SECONDS` from the moment it is handed out.
"""

import math
import time
from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.signing import BadSignature, Signer

EXPIRY_BUCKET_SECONDS = 300
_signer = Signer(salt="minbil.storage.signed-url")


class SignedURLFileSystemStorage(FileSystemStorage):
    """`FileSystemStorage` whose URLs carry an expiry and a signature."""

    def url(self, name: str | None) -> str:
        return self._signed_url(name, _expiry(time.time()), self.base_url, settings.SECRET_KEY)

    @staticmethod
    @lru_cache(maxsize=8192)
    def _signed_url(name: str, expires: int, base_url: str, secret_key: str) -> str:
        """
        A name's URL until `expires`. The same for every call within an expiry bucket, so it
        is made once per bucket and process (a list of 20 vehicles shows up to 40 photo
        URLs); the base URL and the key are part of the cache key, so settings that change
        them (tests, a key rotation at restart) never get an old URL.
        """
        url = FileSystemStorage(base_url=base_url).url(name)
        signature = _signer.signature(_signed_value(name, expires))
        return f"{url}?{urlencode({'expires': expires, 'signature': signature})}"

    def verify_url(self, name: str, expires: str | None, signature: str | None) -> int | None:
        """Seconds the URL is still valid, or `None` when it is expired, tampered or unsigned."""
        try:
            expires_at = int(expires or "")
        except ValueError:
            return None
        remaining = expires_at - int(time.time())
        if remaining <= 0 or not signature:
            return None
        try:
            _signer.unsign(f"{_signed_value(name, expires_at)}{_signer.sep}{signature}")
        except BadSignature:
            return None
        return remaining


def _expiry(now: float) -> int:
    latest = now + settings.PHOTO_URL_MAX_AGE_SECONDS
    return math.ceil(latest / EXPIRY_BUCKET_SECONDS) * EXPIRY_BUCKET_SECONDS


def _signed_value(name: str, expires: int) -> str:
    return f"{name}\n{expires}"
