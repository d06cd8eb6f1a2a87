"""
Every request example of the published excerpt (`tests/fixtures/api_excerpt.txt`, a copy of
the API reference excerpt): the curl, axios and fetch requests of all seven operations are
read from the text itself, sent through the WSGI app as a registered owner holding a token from
the real token endpoint, and must succeed with the documented body.

Placeholders are filled in as a client would: the base URL, the bearer token, and the
excerpt's `"image": "string_value"`, which becomes a real base64 JPEG (a literal
"string_value" is not a photo and is refused with 400, as the contract requires).
"""

import base64
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import schemathesis
from PIL import Image
from werkzeug.test import Client

from minbil.wsgi import application

EXCERPT = Path(__file__).resolve().parent.parent / "fixtures" / "api_excerpt.txt"
BLOCKS = {"Node.js Axios example": "axios", "cURL example": "curl", "Fetch example": "fetch"}
PASSWORD = "a-long-unusual-passphrase"


@dataclass(frozen=True)
class ExcerptRequest:
    client: str
    method: str
    path: str  # with its query string, exactly as the excerpt writes it
    body: dict | None

    @property
    def id(self) -> str:
        return f"{self.client}-{self.method}-{self.path}"


def _json(literal: str | None) -> dict | None:
    return json.loads(literal) if literal else None


def excerpt_requests() -> list[ExcerptRequest]:
    """The requests of every curl, axios and fetch example in the excerpt."""
    parts = re.split(
        r"^(Node\.js Axios example|cURL example|Fetch example)$", EXCERPT.read_text(), flags=re.M
    )
    requests = []
    for marker, block in zip(parts[1::2], parts[2::2], strict=True):
        client = BLOCKS[marker]
        if client == "curl":
            found = re.search(r"curl -X (\w+) '([^']+)'", block)
            method, url = found[1], found[2]
            body = re.search(r"^-d '(.*)'$", block, re.M)
            path = urlsplit(url)._replace(scheme="", netloc="").geturl()
            requests.append(ExcerptRequest(client, method, path, _json(body and body[1])))
        elif client == "axios":
            method = re.search(r'method: "(\w+)"', block)[1].upper()
            path = re.search(r'url: BASE_URL \+ "([^"]+)"', block)[1]
            body = re.search(r"data: (\{.*\}),\s*timeout", block, re.S)
            requests.append(ExcerptRequest(client, method, path, _json(body and body[1])))
        else:
            found = re.search(r'fetch\(BASE_URL \+ "([^"]+)", \{\s*method: "(\w+)"', block)
            body = re.search(r"body: JSON\.stringify\((\{.*\})\),", block, re.S)
            requests.append(ExcerptRequest(client, found[2], found[1], _json(body and body[1])))
    return requests


REQUESTS = excerpt_requests()
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema?format=json", application)


def test_the_excerpt_has_seven_operations_in_three_clients():
    operations = {(r.method, urlsplit(r.path).path) for r in REQUESTS}

    assert len(REQUESTS) == 21
    assert operations == {
        ("PUT", "/api/co/settings/notifications"),
        ("DELETE", "/api/co/vehicles"),
        ("GET", "/api/co/vehicles"),
        ("POST", "/api/co/vehicles"),
        ("POST", "/api/co/vehicles/refresh/BT57225"),
        ("POST", "/api/co/vehicles/set-primary"),
        ("PUT", "/api/co/vehicles/BT57225"),
    }
    for client in BLOCKS.values():  # the three clients send the same bodies
        bodies = {(r.method, r.path): r.body for r in REQUESTS if r.client == client}
        assert bodies == {(r.method, r.path): r.body for r in REQUESTS if r.client == "curl"}


def photo_base64() -> str:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 90, 160)).save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


def filled_in(body: dict | None) -> dict | None:
    if body is not None and body.get("image") == "string_value":
        return {**body, "image": photo_base64()}
    return body


@pytest.fixture
def wsgi(in_process_wsgi) -> Client:
    """The WSGI app, inside the test's transaction."""
    return Client(application)


def send(wsgi, method: str, path: str, body: dict | None = None, token: str | None = None):
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is None:
        return wsgi.open(path, method=method, headers=headers)
    return wsgi.open(path, method=method, headers=headers, json=body)


@pytest.fixture
def owner_token(wsgi) -> str:
    """A new owner, registered and logged in through the real endpoints, with BT57225."""
    credentials = {"email": "excerpt@example.com", "password": PASSWORD}
    assert send(wsgi, "POST", "/api/auth/register", credentials).status_code == 201
    token = send(wsgi, "POST", "/api/auth/token", credentials).get_json()["access"]
    return token


@pytest.mark.parametrize("request_", REQUESTS, ids=[r.id for r in REQUESTS])
def test_excerpt_request_succeeds_with_the_documented_body(wsgi, owner_token, request_):
    linking = request_.method == "POST" and urlsplit(request_.path).path == "/api/co/vehicles"
    if not linking:  # every other example acts on a vehicle the owner has linked
        assert (
            send(wsgi, "POST", "/api/co/vehicles", {"reg": "BT57225"}, owner_token).status_code
            == 201
        )

    response = send(wsgi, request_.method, request_.path, filled_in(request_.body), owner_token)

    assert response.status_code == (201 if linking else 200), response.get_data(as_text=True)
    body = response.get_json()
    if request_.path.startswith("/api/co/settings/"):
        assert set(body) == {"preferences", "quiet_hours"}
    else:
        assert set(body) == {"data", "meta"}
        assert body["meta"]["request_id"] == response.headers["X-Request-ID"]
    operation = SCHEMA.find_operation_by_label(f"{request_.method} {_template(request_.path)}")
    operation.validate_response(response)


def _template(path: str) -> str:
    """The schema's path template for a concrete excerpt path."""
    path = urlsplit(path).path
    return re.sub(
        r"^/api/co/vehicles/(refresh/)?(?!set-primary)[^/]+$", r"/api/co/vehicles/\1{reg}", path
    )
