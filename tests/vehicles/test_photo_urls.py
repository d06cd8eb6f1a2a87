"""
Local photo storage in production: signed, expiring URLs served by the app, with the privacy
of a private S3 bucket, whatever `DEBUG` says.
"""

import base64
import io
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.files.storage import default_storage
from PIL import Image
from rest_framework.test import APIClient

from minbil import storage as signed_storage
from tests.factories import UserFactory
from vehicles.models import VehicleLink

pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("storage", ["local"], indirect=True)]

URL = "/api/co/vehicles"


def jpeg(color=(200, 40, 40)) -> str:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def photo_url(auth_client, storage) -> str:
    """The user's photo URL as the API hands it out, without scheme and host."""
    auth_client.post(URL, {"registration_number": "BT57225", "image": jpeg()}, format="json")
    url = auth_client.get(URL).json()["data"][0]["image_url"]
    return url.removeprefix("http://testserver")


def with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode({k: v for k, v in query.items() if v is not None})}"


@pytest.mark.parametrize("debug", [False, True])
def test_a_signed_url_serves_the_photo_with_caching_headers(
    auth_client, user, photo_url, settings, debug
):
    settings.DEBUG = debug

    response = APIClient().get(photo_url)  # no credentials: the URL itself is the key

    assert response.status_code == 200
    name = VehicleLink.objects.get(user=user).photo.name
    assert b"".join(response.streaming_content) == default_storage.open(name).read()
    assert response["Content-Type"] == "image/jpeg"
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"]
    cache_control = response["Cache-Control"]
    assert cache_control.startswith("private, max-age=")
    max_age = int(cache_control.split("=")[1])
    assert 3600 <= max_age <= 3600 + signed_storage.EXPIRY_BUCKET_SECONDS


def test_a_conditional_get_answers_304_without_a_body(photo_url):
    etag = APIClient().get(photo_url)["ETag"]

    response = APIClient().get(photo_url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"].startswith("private")


def test_the_url_is_stable_within_a_bucket_and_valid_for_the_full_max_age(
    auth_client, photo_url, settings
):
    settings.PHOTO_URL_MAX_AGE_SECONDS = 600
    now = time.time()

    first = auth_client.get(URL).json()["data"][0]["image_url"]
    second = auth_client.get(URL).json()["data"][0]["image_url"]

    assert first == second
    expires = int(parse_qs(urlsplit(first).query)["expires"][0])
    assert now + 600 <= expires <= now + 600 + signed_storage.EXPIRY_BUCKET_SECONDS


def test_an_expired_url_is_403(photo_url, monkeypatch):
    expires = int(parse_qs(urlsplit(photo_url).query)["expires"][0])
    monkeypatch.setattr(signed_storage.time, "time", lambda: expires + 1)

    response = APIClient().get(photo_url)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(
    "tamper",
    [
        {"signature": "A" * 43},
        {"signature": None},
        {"expires": None},
        {"expires": "not-a-number"},
        {"expires": str(int(time.time()) + 10 * 365 * 86400)},  # a longer life than signed
    ],
    ids=["wrong-signature", "no-signature", "no-expiry", "bad-expiry", "extended-expiry"],
)
def test_a_tampered_url_is_403(photo_url, tamper):
    response = APIClient().get(with_query(photo_url, **tamper))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_a_signature_opens_only_its_own_file_not_another_users(auth_client, photo_url, storage):
    partner = APIClient()
    partner.force_authenticate(UserFactory())
    partner.post(URL, {"registration_number": "EL12345", "image": jpeg((0, 0, 255))}, format="json")
    partners_url = partner.get(URL).json()["data"][0]["image_url"].removeprefix("http://testserver")
    mine = urlsplit(photo_url)

    forged = f"{urlsplit(partners_url).path}?{mine.query}"  # my signature on their file

    assert APIClient().get(forged).status_code == 403
    assert APIClient().get(partners_url).status_code == 200
    assert APIClient().get(urlsplit(photo_url).path).status_code == 403  # unsigned


def test_a_signed_url_of_a_deleted_file_is_404(
    auth_client, photo_url, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.delete(f"{URL}?reg=BT57225")

    response = APIClient().get(photo_url)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
