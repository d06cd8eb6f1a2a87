"""
The push channel, and the only code that knows Firebase Cloud Messaging (FCM): one message
per device through FCM's HTTP v1 API, `POST {FCM_API_URL}/v1/projects/{project}/messages:send`
with the device's token, the title and body, and the `data` map (strings only).

The OAuth2 access token comes from the service-account file `FCM_CREDENTIALS_FILE` through
google-auth (a JWT assertion signed with the file's key, sent to the file's `token_uri`); one
`FcmClient` per process keeps it until shortly before it expires (google-auth's refresh
threshold) and shares it with every batch. Every call has a timeout
(`FCM_TIMEOUT_SECONDS`), and a batch stops calling at its deadline
(`FCM_BATCH_DEADLINE_SECONDS`): what is left is retried by the delivery machinery.

What FCM answers:
- `UNREGISTERED` (404), or `INVALID_ARGUMENT` naming the token: the device is gone, and is
  removed (`target_gone`);
- `429` and `5xx`: retried later, not before its `Retry-After`; after a `429` the rest of the
  batch waits too (FCM's quota is the project's, not the device's);
- `401`/`403`: our credentials are refused, logged as an error (never the credentials or a
  full device token); retried, so that pushes go out once the configuration is fixed, and
  the rest of the batch is not tried;
- anything else: a failure that is not retried, with FCM's status in the reason.

Without `FCM_CREDENTIALS_FILE` (`make run`), pushes are written to the log instead, like the
console email backend.
"""

import functools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import requests
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from google.auth import exceptions as google_auth_errors
from google.auth.transport.requests import Request as GoogleAuthRequest
from google.oauth2 import service_account

from notifications.delivery.email import language_of
from notifications.delivery.errors import DeliveryFailed, Sent
from notifications.models import Delivery, Notification

logger = logging.getLogger(__name__)

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
# A lock screen shows a few lines; FCM refuses messages over 4 KB.
BODY_MAX_CHARACTERS = 400
# At most this long to wait before the connection is made (within the call's timeout).
CONNECT_TIMEOUT_SECONDS = 3.0
# The most a Retry-After is believed (a day); the delivery machinery caps it further.
RETRY_AFTER_MAX_SECONDS = 86400
FIELDS = ("type", "project_id", "client_email", "private_key", "token_uri")


@dataclass(frozen=True)
class Push:
    """One message for one device."""

    token: str
    title: str
    body: str
    data: dict[str, str]

    def describe(self) -> str:
        return f"…{self.token[-8:]}"


class StopBatch(DeliveryFailed):
    """A failure that holds for the rest of the batch too (quota, refused credentials)."""


def read_credentials(path: str) -> dict:
    """The service-account file's JSON; `ValueError` naming what is wrong (never its values)."""
    try:
        info = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot be read as JSON ({type(exc).__name__})") from None
    missing = [name for name in FIELDS if not isinstance(info, dict) or not info.get(name)]
    if missing:
        raise ValueError(f"has no {', '.join(missing)}")
    if info["type"] != "service_account":
        raise ValueError("is not a service account's key (type must be service_account)")
    return info


class FcmClient:
    """FCM's send endpoint for one project, with the project's cached access token."""

    def __init__(self, credentials_file: str, api_url: str) -> None:
        info = read_credentials(credentials_file)
        self.credentials = service_account.Credentials.from_service_account_info(
            info, scopes=[SCOPE]
        )
        self.url = f"{api_url.rstrip('/')}/v1/projects/{info['project_id']}/messages:send"
        self.session = requests.Session()
        self._token_lock = threading.Lock()

    def send(self, push: Push, *, timeout: float) -> str:
        """Sends one message and returns FCM's message name; `DeliveryFailed` otherwise."""
        response = self._post(push, timeout=timeout)
        if response.status_code == 401:  # the token expired early, or was revoked: once more
            response = self._post(push, timeout=timeout, fresh_token=True)
        if response.status_code == 200:
            return str(response.json().get("name", ""))
        raise self._failure(push, response)

    def _post(self, push: Push, *, timeout: float, fresh_token: bool = False):
        started = time.monotonic()
        token = self._access_token(timeout=timeout, fresh=fresh_token)
        left = max(0.1, timeout - (time.monotonic() - started))
        message = {
            "token": push.token,
            "notification": {"title": push.title, "body": push.body},
            "data": push.data,
        }
        try:
            return self.session.post(
                self.url,
                json={"message": message},
                headers={"Authorization": f"Bearer {token}"},
                timeout=(min(CONNECT_TIMEOUT_SECONDS, left), left),
            )
        except requests.RequestException as exc:
            raise DeliveryFailed(f"FCM unreachable ({type(exc).__name__})", transient=True) from exc

    def _access_token(self, *, timeout: float, fresh: bool) -> str:
        with self._token_lock:
            if fresh or not self.credentials.valid:
                request = functools.partial(GoogleAuthRequest(self.session), timeout=timeout)
                try:
                    self.credentials.refresh(request)
                except google_auth_errors.RefreshError as exc:
                    logger.error(
                        "FCM: the token endpoint refused the service account %s (%s): check "
                        "FCM_CREDENTIALS_FILE",
                        self.credentials.service_account_email,
                        _oauth_error(exc),
                    )
                    raise StopBatch(
                        "FCM credentials refused (token endpoint)", transient=True
                    ) from exc
                except google_auth_errors.TransportError as exc:
                    raise StopBatch(
                        f"FCM token endpoint unreachable ({type(exc.__cause__ or exc).__name__})",
                        transient=True,
                    ) from exc
            return self.credentials.token

    def _failure(self, push: Push, response) -> DeliveryFailed:
        status, error_code, fields = _error(response)
        reason = f"FCM {response.status_code} {error_code or status}".rstrip()
        if error_code == "UNREGISTERED" or (
            status == "INVALID_ARGUMENT" and "message.token" in fields
        ):
            return DeliveryFailed(
                f"{reason}: the device is gone; removed", transient=False, target_gone=True
            )
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = _retry_after(response.headers.get("Retry-After"))
            failure = StopBatch if response.status_code == 429 else DeliveryFailed
            return failure(reason, transient=True, retry_after=retry_after)
        if response.status_code in (401, 403) and error_code != "SENDER_ID_MISMATCH":
            logger.error(
                "FCM refused the credentials of %s (%s) for device %s: check "
                "FCM_CREDENTIALS_FILE and the service account's role",
                self.credentials.service_account_email,
                reason,
                push.describe(),
            )
            return StopBatch(reason, transient=True)
        return DeliveryFailed(reason, transient=False)


@functools.lru_cache(maxsize=4)
def client(credentials_file: str, api_url: str) -> FcmClient:
    """The process's client (and so its access token) for these settings."""
    return FcmClient(credentials_file, api_url)


def console_send(push: Push, *, timeout: float) -> str:
    """`make run`'s backend: the push is written to the log, as the console email backend prints."""
    message_id = f"console-{uuid.uuid4()}"
    logger.info(
        "Push (console, not sent) to device %s: %r / %r, data %s",
        push.describe(),
        push.title,
        push.body,
        json.dumps(push.data, ensure_ascii=False),
    )
    return message_id


@contextmanager
def sender() -> Iterator[Callable[[Delivery], Sent]]:
    """`send(delivery)` for one batch: FCM (or the log), within the batch's deadline."""
    stopped: StopBatch | None = None
    backend = console_send
    if settings.FCM_CREDENTIALS_FILE:
        try:
            backend = client(settings.FCM_CREDENTIALS_FILE, settings.FCM_API_URL).send
        except ValueError as exc:  # the web's system check says so at start-up; workers here
            logger.error("FCM_CREDENTIALS_FILE %s: pushes wait until it is fixed", exc)
            stopped = StopBatch(f"FCM_CREDENTIALS_FILE {exc}", transient=True)
    deadline = time.monotonic() + settings.FCM_BATCH_DEADLINE_SECONDS

    def send(delivery: Delivery) -> Sent:
        nonlocal stopped
        if stopped is not None:
            raise DeliveryFailed(
                stopped.reason, transient=stopped.transient, retry_after=stopped.retry_after
            )
        left = deadline - time.monotonic()
        if left <= 0:
            raise DeliveryFailed("The batch's time for FCM ran out; retried", transient=True)
        push = render(delivery)
        try:
            message_id = backend(push, timeout=min(settings.FCM_TIMEOUT_SECONDS, left))
        except StopBatch as exc:
            stopped = exc
            raise
        return Sent(address=delivery.device.label, message_id=message_id)

    yield send


def render(delivery: Delivery) -> Push:
    """
    The message for the delivery's device, in the owner's language: a templated notification
    renders `<template>_push_title.txt` and `<template>_push_body.txt`; one given as a title
    and body is sent as it is (the body shortened to what a lock screen shows). The data
    carries the event, for the app to route on, and the sender's data.
    """
    notification: Notification = delivery.notification
    if notification.template:
        context = {**notification.context, "name": notification.user.name}
        with translation.override(language_of(notification.user)):
            title, body = (
                " ".join(
                    render_to_string(f"{notification.template}_push_{part}.txt", context).split()
                )
                for part in ("title", "body")
            )
    else:
        title, body = notification.title, notification.body
    if len(body) > BODY_MAX_CHARACTERS:
        body = body[: BODY_MAX_CHARACTERS - 1].rstrip() + "…"
    return Push(
        token=delivery.device.token,
        title=title,
        body=body,
        data={"event": notification.event, **notification.data},
    )


def _error(response) -> tuple[str, str, set[str]]:
    """FCM's error status, its FCM error code and the fields it names (all may be empty)."""
    try:
        error = response.json().get("error", {})
        details = error.get("details", [])
        status = str(error.get("status", ""))
        codes = [d.get("errorCode") for d in details if d.get("errorCode")]
        fields = {
            str(violation.get("field"))
            for d in details
            for violation in d.get("fieldViolations", [])
        }
    except (ValueError, AttributeError, TypeError):
        return "", "", set()
    return status, str(codes[0]) if codes else "", fields


def _retry_after(value: str | None) -> timedelta | None:
    """A Retry-After of seconds or an HTTP date, as a wait; `None` when absent or odd."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=min(int(value), RETRY_AFTER_MAX_SECONDS))
    try:
        wait = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
    except (TypeError, ValueError, OverflowError):
        return None
    return timedelta(seconds=min(max(wait, 0), RETRY_AFTER_MAX_SECONDS))


def _oauth_error(exc: google_auth_errors.RefreshError) -> str:
    """The token endpoint's error code (`invalid_grant`), never its whole answer."""
    for arg in exc.args:
        if isinstance(arg, dict) and arg.get("error"):
            return str(arg["error"])
    return type(exc).__name__
