"""
The live register over HTTP, and the only importer of `requests` for it.

One attempt is `GET {VEGVESEN_API_URL}?kjennemerke=<plate>` with `SVV-Authorization: Apikey
<key>` through one pooled session. `requests`' timeout bounds each socket read, not the call,
so a register that drip-feeds its answer could hold a request for ever; here a watchdog shuts
the attempt's socket down when its time is up, wherever the attempt is (waiting for the status
line, a header, or the next byte of the body). The body is read up to `MAX_BODY_BYTES`.

Answers map to the package's errors (vegvesen.md §3). Retries, the breaker and the budgets are
the caller's (`lookups.py`).
"""

import contextlib
import socket
import threading
from contextvars import ContextVar
from typing import Any

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from vehicles.register.errors import QuotaSpent, RegisterError, TransientFailure, VehicleNotFound
from vehicles.register.parser import load_payload

USER_AGENT = "MinBil-backend/1.0 (+https://minbil.no)"
# The register's answers are about 20 kB; a body fifty times that is not a vehicle.
MAX_BODY_BYTES = 1024 * 1024
CHUNK_BYTES = 16 * 1024

_session: requests.Session | None = None
_session_lock = threading.Lock()


def get_payload(registration_number: str, *, timeout: float) -> Any:
    """
    Asks the live register about a canonical plate, bounded by `timeout` seconds from connect
    to the last byte. Returns the JSON payload of a `200`; raises `TransientFailure` (timeout,
    connection error, 5xx), `QuotaSpent` (422, 429), `VehicleNotFound` (204, 404) or
    `RegisterError` (anything else). Nothing raised carries the API key.
    """
    with _Watchdog(timeout) as watchdog:
        try:
            response = _session_for_register().get(
                settings.VEGVESEN_API_URL,
                params={"kjennemerke": registration_number},
                headers={"SVV-Authorization": f"Apikey {settings.VEGVESEN_API_KEY}"},
                timeout=timeout,
                stream=True,
            )
            with response:
                status = response.status_code
                body = _read_body(response) if status == 200 else b""
        except requests.RequestException as exc:
            if watchdog.expired or isinstance(exc, requests.Timeout):
                raise TransientFailure("timed out") from None
            if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
                raise TransientFailure(type(exc).__name__) from None
            raise RegisterError(f"the request failed ({type(exc).__name__})") from None
    if status >= 500:
        raise TransientFailure(f"HTTP {status}")
    if status in (204, 404):
        raise VehicleNotFound()
    if status in (422, 429):
        raise QuotaSpent(response.headers.get("Retry-After"))
    if status in (401, 403):
        raise RegisterError(f"the API key was refused (HTTP {status})")
    if status != 200:
        raise RegisterError(f"the request was refused (HTTP {status})")
    return load_payload(body)


def _read_body(response: requests.Response) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise RegisterError(f"the body is {declared} bytes, over the {MAX_BODY_BYTES} limit")
    chunks, size = [], 0
    for chunk in response.iter_content(CHUNK_BYTES):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RegisterError(f"the body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


# --- One bounded attempt ----------------------------------------------------------------------

_current_watchdog: ContextVar["_Watchdog | None"] = ContextVar("register_watchdog", default=None)


class _Watchdog:
    """
    Shuts the attempt's socket down once `seconds` have passed, which ends any read blocked on
    it (in the thread making the attempt) at once. The socket is handed over by the connection
    as soon as the request is sent (`_WatchedConnectionMixin`); connecting has its own timeout.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "_Watchdog":
        self._token = _current_watchdog.set(self)
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()
        _current_watchdog.reset(self._token)

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._socket = sock
            if self.expired:
                _shut_down(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._socket is not None:
                _shut_down(self._socket)


def _shut_down(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for TLS sockets: it only ends the reads and writes;
    # the thread reading it closes everything as usual.
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedConnectionMixin:
    """Hands the connection's socket to the current attempt's watchdog before the response."""

    def getresponse(self):
        watchdog = _current_watchdog.get()
        if watchdog is not None and self.sock is not None:
            watchdog.watch(self.sock)
        return super().getresponse()


class _WatchedHTTPConnection(_WatchedConnectionMixin, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnectionMixin, HTTPSConnection):
    pass


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    """`requests`' adapter with connections that report their socket to the watchdog."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPConnectionPool,
            "https": _WatchedHTTPSConnectionPool,
        }


def _session_for_register() -> requests.Session:
    global _session
    with _session_lock:
        if _session is None:
            _session = requests.Session()
            _session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
            adapter = _WatchedAdapter()
            _session.mount("http://", adapter)
            _session.mount("https://", adapter)
        return _session
