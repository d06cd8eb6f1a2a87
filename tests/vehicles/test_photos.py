"""
Vehicle photos through the API: every request shape, every refusal, and the files in
storage, on the local filesystem and on S3 (moto's server, started by the suite).
"""

import base64
import io
import struct
import time
import zlib
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image, ImageCms
from rest_framework.test import APIClient

from tests.factories import UserFactory
from vehicles import services
from vehicles.models import Vehicle, VehicleLink

pytestmark = pytest.mark.django_db

URL = "/api/co/vehicles"


# --- Images made in memory -------------------------------------------------------------------


def encode(img: Image.Image, fmt: str = "JPEG", **kwargs) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **kwargs)
    return out.getvalue()


def photo(size=(320, 200), fmt="JPEG", color=(200, 40, 40), **kwargs) -> bytes:
    return encode(Image.new("RGB", size, color), fmt, **kwargs)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def data_uri(data: bytes, mime: str = "image/jpeg") -> str:
    return f"data:{mime};base64,{b64(data)}"


def upload(data: bytes, name: str = "car.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a size but carries almost no pixel data (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def owner(db):
    return UserFactory()


@pytest.fixture
def client(owner) -> APIClient:
    client = APIClient()
    client.force_authenticate(owner)
    return client


def stored_link(owner) -> VehicleLink:
    return VehicleLink.objects.get(user=owner)


# --- Request shapes ----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["base64", "data-uri"])
def test_link_with_a_json_photo_stores_image_and_thumbnail(client, owner, storage, encoding):
    data = photo((3000, 2000))
    image = b64(data) if encoding == "base64" else data_uri(data)

    response = client.post(URL, {"registration_number": "BT57225", "image": image}, format="json")

    assert response.status_code == 201
    body = response.json()["data"]
    assert body["image_url"].startswith("http")
    assert body["thumbnail_url"].startswith("http")
    link = stored_link(owner)
    assert storage.files() == {link.photo.name, link.photo_thumbnail.name}
    full, thumb = storage.image(link.photo.name), storage.image(link.photo_thumbnail.name)
    assert (full.format, thumb.format) == ("JPEG", "JPEG")
    assert max(full.size) <= 2048 and max(full.size) >= 0.9 * 2048
    assert max(thumb.size) == 400
    assert full.size[0] / full.size[1] == pytest.approx(1.5, rel=0.01)


@pytest.mark.parametrize("key", ["file", "image"])
def test_link_with_a_multipart_photo(client, owner, storage, key):
    response = client.post(
        URL, {"registration_number": "EL12345", key: upload(photo())}, format="multipart"
    )

    assert response.status_code == 201
    link = stored_link(owner)
    assert storage.files() == {link.photo.name, link.photo_thumbnail.name}
    assert storage.image(link.photo.name).size == (320, 200)  # never enlarged


@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_update_adds_a_photo(client, owner, storage, fmt):
    client.post(URL, {"registration_number": "KH45678"}, format="json")
    data = photo((640, 480), "PNG")
    body = {"image": b64(data)} if fmt == "json" else {"file": upload(data, "car.png", "image/png")}

    response = client.put(f"{URL}/KH45678", body, format=fmt)

    assert response.status_code == 200
    assert response.json()["data"]["image_url"].startswith("http")
    assert len(storage.files()) == 2
    assert storage.image(stored_link(owner).photo.name).size == (640, 480)


@pytest.mark.parametrize("storage", ["local"], indirect=True)
def test_local_urls_are_absolute_signed_and_served_by_the_media_view(client, owner, storage):
    client.post(URL, {"registration_number": "BT57225", "image": b64(photo())}, format="json")

    url = client.get(URL).json()["data"][0]["image_url"]

    name = stored_link(owner).photo.name
    assert url.startswith(f"http://testserver/media/{name}?expires=")
    assert "&signature=" in url
    served = client.get(url.removeprefix("http://testserver"))
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == default_storage.open(name).read()


@pytest.mark.parametrize("storage", ["s3"], indirect=True)
def test_s3_urls_are_signed_and_private(client, owner, storage):
    client.post(URL, {"registration_number": "BT57225", "image": b64(photo())}, format="json")

    url = client.get(URL).json()["data"][0]["image_url"]

    assert "X-Amz-Signature=" in url
    assert stored_link(owner).photo.name.split("/")[-1] in url


# --- Normalisation -----------------------------------------------------------------------------


def exif_with_gps(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "SnapCam"  # Make
    exif[0x0110] = "Model X1"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (59.0, 54.0, 41.0)
    gps[3], gps[4] = "E", (10.0, 45.0, 8.0)
    return exif


def test_exif_orientation_is_applied_and_all_metadata_stripped(client, owner, storage):
    source = encode(Image.new("RGB", (300, 100), (0, 90, 200)), exif=exif_with_gps(6))
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825)  # the input has GPS

    client.post(URL, {"registration_number": "BT57225", "image": b64(source)}, format="json")

    link = stored_link(owner)
    for name in (link.photo.name, link.photo_thumbnail.name):
        img = storage.image(name)
        assert img.size[1] > img.size[0]  # orientation 6: turned upright (portrait)
        assert "exif" not in img.info
        assert not img.getexif()
        assert "icc_profile" not in img.info
    assert storage.image(link.photo.name).size == (100, 300)


SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.mark.parametrize("icc", [SRGB_PROFILE, b"not a colour profile"], ids=["srgb", "broken"])
def test_colour_profiles_are_converted_not_kept(client, owner, storage, icc):
    source = photo(icc_profile=icc)

    response = client.post(
        URL, {"registration_number": "BT57225", "image": b64(source)}, format="json"
    )

    assert response.status_code == 201
    assert "icc_profile" not in storage.image(stored_link(owner).photo.name).info


def palette_png_with_transparent_red() -> bytes:
    img = Image.new("P", (120, 80), 0)
    img.putpalette([255, 0, 0] * 256)
    return encode(img, "PNG", transparency=0)


SOURCES = {
    "png-transparent": lambda: encode(Image.new("RGBA", (120, 80), (255, 0, 0, 0)), "PNG"),
    "png-palette": lambda: palette_png_with_transparent_red(),
    "png-grey": lambda: encode(Image.new("L", (120, 80), 128), "PNG"),
    "webp": lambda: photo((120, 80), "WEBP"),
    "heic": lambda: photo((120, 80), "HEIF"),
    "jpeg-cmyk": lambda: encode(Image.new("CMYK", (120, 80), (0, 255, 255, 0))),
}


@pytest.mark.parametrize("source", SOURCES)
def test_accepted_formats_become_rgb_jpeg(client, owner, storage, source):
    response = client.post(
        URL, {"registration_number": "BT57225", "image": b64(SOURCES[source]())}, format="json"
    )

    assert response.status_code == 201
    stored = storage.image(stored_link(owner).photo.name)
    assert (stored.format, stored.mode, stored.size) == ("JPEG", "RGB", (120, 80))
    if source.endswith("transparent") or source == "png-palette":
        # Transparent pixels are laid on white, not shown in their hidden colour.
        assert stored.getpixel((60, 40)) == pytest.approx((255, 255, 255), abs=3)


# --- Refusals ----------------------------------------------------------------------------------


def assert_refused(response, status: int, code: str, owner, storage):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"]["code"] == code
    assert set(body["error"]["details"]) & {"image", "file"}
    assert not VehicleLink.objects.filter(user=owner).exists()
    assert not Vehicle.objects.exists()  # refused before the register was asked
    assert storage.files() == set()


def test_a_pixel_bomb_is_refused_from_its_header_without_decoding(client, owner, storage):
    bomb = png_header_only(12000, 12000)
    started = time.perf_counter()
    with (
        mock.patch.object(Image.Image, "load", side_effect=AssertionError("decoded")),
        mock.patch("PIL.ImageFile.ImageFile.load", side_effect=AssertionError("decoded")),
    ):
        response = client.post(
            URL, {"registration_number": "BT57225", "image": b64(bomb)}, format="json"
        )

    assert time.perf_counter() - started < 1.0
    assert_refused(response, 413, "image_too_large", owner, storage)


def test_more_pixels_than_the_limit_is_413_even_below_pillows_own_limit(
    client, owner, storage, settings
):
    settings.MAX_IMAGE_PIXELS = 1_000_000
    with mock.patch("PIL.ImageFile.ImageFile.load", side_effect=AssertionError("decoded")):
        response = client.post(
            URL,
            {"registration_number": "BT57225", "file": upload(png_header_only(1200, 1000))},
            format="multipart",
        )

    assert_refused(response, 413, "image_too_large", owner, storage)
    assert "1 megapixels" in response.json()["error"]["message"]


def test_pillows_bomb_warning_is_an_error(client, owner, storage, settings, monkeypatch):
    settings.MAX_IMAGE_PIXELS = 10**9
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)

    response = client.post(
        URL, {"registration_number": "BT57225", "image": b64(photo((200, 100)))}, format="json"
    )

    assert_refused(response, 413, "image_too_large", owner, storage)


@pytest.mark.parametrize(
    "content",
    [b"just some text, not a photo", b"<html><body><img src=x onerror=alert(1)></body></html>"],
)
def test_text_or_html_named_jpg_is_refused(client, owner, storage, content):
    response = client.post(
        URL,
        {"registration_number": "BT57225", "file": upload(content, "car.jpg", "image/jpeg")},
        format="multipart",
    )

    assert_refused(response, 400, "invalid_image", owner, storage)


def test_a_data_uri_declaring_html_is_415(client, owner, storage):
    response = client.post(
        URL,
        {"registration_number": "BT57225", "image": data_uri(b"<html></html>", "text/html")},
        format="json",
    )

    assert_refused(response, 415, "unsupported_image_type", owner, storage)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_real_images_in_other_formats_are_415(client, owner, storage, fmt):
    response = client.post(
        URL, {"registration_number": "BT57225", "image": b64(photo(fmt=fmt))}, format="json"
    )

    assert_refused(response, 415, "unsupported_image_type", owner, storage)


def test_a_truncated_jpeg_is_400(client, owner, storage):
    data = encode(Image.effect_noise((400, 300), 50).convert("RGB"))

    response = client.post(
        URL, {"registration_number": "BT57225", "image": b64(data[: len(data) // 2])}, format="json"
    )

    assert_refused(response, 400, "invalid_image", owner, storage)


@pytest.mark.parametrize("image", ["string_value", "!!!not base64!!!", "", 12345, ["x"]])
def test_undecodable_image_values_are_400(client, owner, storage, image):
    response = client.post(URL, {"registration_number": "BT57225", "image": image}, format="json")

    assert_refused(response, 400, "invalid_image", owner, storage)


def test_a_file_over_15_mb_is_413_in_the_envelope(client, owner, storage):
    big = upload(b"\xff\xd8" + b"\x00" * (15 * 1024 * 1024 + 1))

    response = client.post(URL, {"registration_number": "BT57225", "file": big}, format="multipart")

    assert_refused(response, 413, "image_too_large", owner, storage)
    assert response.json()["meta"]["request_id"]


def test_a_json_body_over_the_request_limit_is_413_before_it_is_read(client, owner, storage):
    image = "A" * (16 * 1024 * 1024 * 4 // 3 + 4)  # a 16 MB photo in base64

    response = client.post(URL, {"registration_number": "BT57225", "image": image}, format="json")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not VehicleLink.objects.exists()


def test_file_and_image_together_are_400(client, owner, storage):
    response = client.post(
        URL,
        {"registration_number": "BT57225", "file": upload(photo()), "image": upload(photo())},
        format="multipart",
    )

    assert response.status_code == 400
    assert "file" in response.json()["error"]["details"]
    assert storage.files() == set()


# --- Replacing, removing, failing: files follow the database ----------------------------------


@pytest.fixture
def linked_with_photo(client, owner, storage):
    client.post(URL, {"registration_number": "BT57225", "image": b64(photo())}, format="json")
    link = stored_link(owner)
    assert storage.files() == {link.photo.name, link.photo_thumbnail.name}
    return link


def test_replacing_a_photo_deletes_the_old_files(
    client, owner, storage, linked_with_photo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(
            f"{URL}/BT57225", {"image": b64(photo(color=(0, 0, 255)))}, format="json"
        )

    assert response.status_code == 200
    link = stored_link(owner)
    assert link.photo.name != linked_with_photo.photo.name
    assert storage.files() == {link.photo.name, link.photo_thumbnail.name}


def test_image_null_removes_both_files(
    client, owner, storage, linked_with_photo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(f"{URL}/BT57225", {"image": None}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["image_url"] is None
    assert response.json()["data"]["thumbnail_url"] is None
    assert storage.files() == set()
    assert stored_link(owner).photo.name == ""


def test_a_bad_photo_with_a_new_nickname_changes_neither(client, owner, storage, linked_with_photo):
    response = client.put(
        f"{URL}/BT57225", {"nickname": "New name", "image": b64(b"not an image")}, format="json"
    )

    assert response.status_code == 400
    link = stored_link(owner)
    assert (link.nickname, link.photo.name) == ("", linked_with_photo.photo.name)
    assert storage.files() == {linked_with_photo.photo.name, linked_with_photo.photo_thumbnail.name}


def test_a_failed_update_keeps_the_old_photo_and_leaves_no_new_files(
    client, owner, storage, linked_with_photo, django_capture_on_commit_callbacks
):
    client.raise_request_exception = False
    with (
        django_capture_on_commit_callbacks(execute=True),
        mock.patch.object(VehicleLink, "save", side_effect=RuntimeError("database went away")),
    ):
        response = client.put(
            f"{URL}/BT57225", {"image": b64(photo(color=(9, 9, 9)))}, format="json"
        )

    assert response.status_code == 500
    assert storage.files() == {linked_with_photo.photo.name, linked_with_photo.photo_thumbnail.name}
    assert stored_link(owner).photo.name == linked_with_photo.photo.name


def test_a_failed_link_leaves_no_files(client, owner, storage, django_capture_on_commit_callbacks):
    client.raise_request_exception = False
    with (
        django_capture_on_commit_callbacks(execute=True),
        mock.patch.object(
            VehicleLink.objects, "create", side_effect=RuntimeError("database went away")
        ),
    ):
        response = client.post(
            URL, {"registration_number": "BT57225", "image": b64(photo())}, format="json"
        )

    assert response.status_code == 500
    assert storage.files() == set()
    assert not VehicleLink.objects.exists()


def test_linking_again_with_a_photo_is_unchanged_and_leaves_no_files(
    client, owner, storage, linked_with_photo
):
    response = client.post(
        URL, {"registration_number": "BT57225", "image": b64(photo(color=(1, 2, 3)))}, format="json"
    )

    assert response.status_code == 200
    assert storage.files() == {linked_with_photo.photo.name, linked_with_photo.photo_thumbnail.name}


def test_unlinking_deletes_the_photo(
    client, owner, storage, linked_with_photo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"{URL}?reg=BT57225")

    assert response.status_code == 200
    assert storage.files() == set()


def test_a_rolled_back_unlink_keeps_the_link_and_its_files(
    owner, storage, linked_with_photo, django_capture_on_commit_callbacks
):
    files = storage.files()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.unlink_vehicle(user=owner, registration_number="BT57225")
        raise RuntimeError("a later step failed")

    assert callbacks == []
    assert VehicleLink.objects.filter(pk=linked_with_photo.pk).exists()
    assert storage.files() == files


def test_each_owner_has_their_own_photo_of_a_shared_vehicle(
    client, owner, storage, django_capture_on_commit_callbacks
):
    partner = UserFactory()
    partner_client = APIClient()
    partner_client.force_authenticate(partner)
    client.post(URL, {"registration_number": "BT57225", "image": b64(photo())}, format="json")
    partner_client.post(
        URL,
        {"registration_number": "BT57225", "image": b64(photo(color=(0, 255, 0)))},
        format="json",
    )

    mine = client.get(URL).json()["data"][0]["image_url"]
    theirs = partner_client.get(URL).json()["data"][0]["image_url"]

    assert mine != theirs
    assert len(storage.files()) == 4
    with django_capture_on_commit_callbacks(execute=True):
        partner_client.delete(f"{URL}/BT57225")
    link = stored_link(owner)
    assert storage.files() == {link.photo.name, link.photo_thumbnail.name}


def test_file_names_are_unguessable(client, owner, storage):
    client.post(
        URL,
        {"registration_number": "BT57225", "file": upload(photo(), "my-car.jpg")},
        format="multipart",
    )

    name = stored_link(owner).photo.name

    assert "my-car" not in name
    assert len(name.split("/")[-1].split(".")[0]) == 32  # a UUID's hex digits


def test_an_update_racing_an_unlink_is_404_and_leaves_no_files(client, owner, storage):
    client.post(URL, {"registration_number": "BT57225"}, format="json")
    original_get = VehicleLink.objects.select_for_update

    def unlinked_meanwhile():
        VehicleLink.objects.filter(user=owner).delete()  # the concurrent DELETE won
        return original_get()

    with mock.patch.object(VehicleLink.objects, "select_for_update", unlinked_meanwhile):
        response = client.put(f"{URL}/BT57225", {"image": b64(photo())}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "vehicle_not_linked"
    assert storage.files() == set()
