"""
A stand-in for Firebase Cloud Messaging over real HTTP, for the tests and `make bench-push`:
FCM's HTTP v1 send endpoint and the OAuth2 token endpoint, on a free local port, with a
service-account file (a freshly generated RSA key, `token_uri` pointing here) to configure
the app with.

The token endpoint checks the JWT assertion as Google does (RS256 signature with the
service account's public key, issuer, Google's audience, scope, expiry) and hands out random access
tokens; the send endpoint answers `401` to any other bearer token, records each message and
answers like FCM: the message's name, or what a test scripted for a device token
(`UNREGISTERED`, an invalid token, `429`/`503` with `Retry-After`).
"""

import json
import secrets
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT_ID = "minbil-standin"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
# The audience of every service-account assertion is Google's token endpoint, whatever
# `token_uri` the file names (the address the assertion is sent to).
AUDIENCE = "https://oauth2.googleapis.com/token"


@dataclass(frozen=True)
class Answer:
    """A scripted answer to one send."""

    status: int
    body: dict
    headers: dict = field(default_factory=dict)


def unregistered() -> Answer:
    details = [
        {
            "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
            "errorCode": "UNREGISTERED",
        }
    ]
    return Answer(404, {"error": {"code": 404, "status": "NOT_FOUND", "details": details}})


def invalid_token() -> Answer:
    details = [
        {
            "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
            "errorCode": "INVALID_ARGUMENT",
        },
        {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [
                {"field": "message.token", "description": "Invalid registration token"}
            ],
        },
    ]
    return Answer(400, {"error": {"code": 400, "status": "INVALID_ARGUMENT", "details": details}})


def unavailable(retry_after: str | None = None) -> Answer:
    headers = {"Retry-After": retry_after} if retry_after else {}
    return Answer(503, {"error": {"code": 503, "status": "UNAVAILABLE"}}, headers)


def quota_exceeded(retry_after: str = "120") -> Answer:
    details = [
        {
            "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
            "errorCode": "QUOTA_EXCEEDED",
        }
    ]
    return Answer(
        429,
        {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": details}},
        {"Retry-After": retry_after},
    )


def permission_denied() -> Answer:
    return Answer(403, {"error": {"code": 403, "status": "PERMISSION_DENIED"}})


@dataclass(frozen=True)
class Received:
    """One message as FCM received it, with the bearer token it came with."""

    token: str
    title: str
    body: str
    data: dict
    bearer: str


class FcmStandIn:
    """`with FcmStandIn(tmp_path) as fcm:` serves on `fcm.url`; `fcm.credentials_file`."""

    def __init__(self, folder: Path) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._lock = threading.Condition()
        self._scripts: dict[str, list[Answer]] = {}
        self.messages: list[Received] = []
        self.access_tokens: list[str] = []
        self.assertions: list[dict] = []
        self.sends = 0
        self.folder = folder
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.token_uri = f"{self.url}/token"
        self.client_email = f"push@{PROJECT_ID}.iam.gserviceaccount.com"
        self.credentials_file = folder / "fcm-service-account.json"
        self.credentials_file.write_text(json.dumps(self.service_account()))

    def service_account(self) -> dict:
        pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {
            "type": "service_account",
            "project_id": PROJECT_ID,
            "private_key_id": secrets.token_hex(20),
            "private_key": pem,
            "client_email": self.client_email,
            "client_id": "1" * 21,
            "token_uri": self.token_uri,
        }

    def __enter__(self) -> "FcmStandIn":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, device_token: str, *answers: Answer) -> None:
        """The next sends to this device token get these answers, in order (then `200`)."""
        with self._lock:
            self._scripts.setdefault(device_token, []).extend(answers)

    def wait_for(self, count: int, *, seconds: float) -> bool:
        """Waits until `count` messages arrived; whether they did."""
        deadline = time.monotonic() + seconds
        with self._lock:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
            return True

    # --- The endpoints ------------------------------------------------------------------------

    def _issue_token(self, form: dict) -> tuple[int, dict]:
        assertion = form.get("assertion", [""])[0]
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return 400, {"error": "unsupported_grant_type"}
        try:
            claims = jwt.decode(
                assertion,
                self._key.public_key(),
                algorithms=["RS256"],
                audience=AUDIENCE,
                issuer=self.client_email,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.InvalidTokenError:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        if SCOPE not in claims.get("scope", "").split():
            return 400, {"error": "invalid_scope"}
        token = f"ya29.standin-{secrets.token_urlsafe(24)}"
        with self._lock:
            self.assertions.append(claims)
            self.access_tokens.append(token)
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def _send(self, project: str, bearer: str, payload: dict) -> Answer:
        message = payload.get("message", {})
        device_token = message.get("token", "")
        with self._lock:
            self.sends += 1
            if bearer not in self.access_tokens:
                return Answer(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
            if project != PROJECT_ID:
                return permission_denied()
            scripted = self._scripts.get(device_token)
            if scripted:
                return scripted.pop(0)
            notification = message.get("notification", {})
            self.messages.append(
                Received(
                    token=device_token,
                    title=notification.get("title", ""),
                    body=notification.get("body", ""),
                    data=message.get("data", {}),
                    bearer=bearer,
                )
            )
            self._lock.notify_all()
            return Answer(200, {"name": f"projects/{project}/messages/{len(self.messages)}"})

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as FCM's endpoints

            def setup(self) -> None:
                super().setup()
                # The headers and the body are two writes: without this, each answer on a
                # kept-alive connection waits for the client's delayed ACK (40 ms).
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = urllib.parse.urlsplit(self.path).path
                if path == "/token":
                    status, answer = standin._issue_token(urllib.parse.parse_qs(body.decode()))
                    self._answer(Answer(status, answer))
                    return
                prefix, _, rest = path.partition("/v1/projects/")
                project, _, action = rest.partition("/")
                if prefix or action != "messages:send":
                    self._answer(Answer(404, {"error": {"code": 404, "status": "NOT_FOUND"}}))
                    return
                bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                self._answer(standin._send(project, bearer, json.loads(body or b"{}")))

            def _answer(self, answer: Answer) -> None:
                payload = json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format, *args) -> None:
                pass

        return Handler
