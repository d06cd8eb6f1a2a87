"""
What a photo may cost (`vehicles.photos.decode_cost`, `vehicles.photo_budget`): memory checked
from the header before decoding, a per-process cap on concurrent decodes (503 busy after a
short wait), a per-user upload rate (429), multi-picture JPEGs, and a strip-by-strip shrink
that gives the same pixels as one resize.
"""

import io
import threading
from unittest import mock

import pytest
from PIL import Image
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.vehicles.test_photos import b64, encode, photo, png_header_only, upload
from vehicles import photos
from vehicles.models import Vehicle, VehicleLink
from vehicles.photo_budget import DecodeBusy, decode_slot

pytestmark = pytest.mark.django_db

URL = "/api/co/vehicles"


def link_with(client, data: bytes):
    return client.post(URL, {"registration_number": "BT57225", "image": b64(data)}, format="json")


def cost_of(data: bytes) -> int:
    with Image.open(io.BytesIO(data)) as img:
        return photos.decode_cost(img, 2048)


def assert_nothing_stored(user):
    assert not VehicleLink.objects.filter(user=user).exists()
    assert not Vehicle.objects.exists()


# --- The cost, from the header ----------------------------------------------------------------


@pytest.mark.parametrize(
    "mode, per_pixel",
    [("RGBA", 4), ("RGB", 4), ("L", 1), ("P", 1), ("I;16", 2)],
)
def test_a_png_costs_what_pillow_stores_per_pixel(mode, per_pixel):
    data = encode(Image.new(mode, (300, 200)), "PNG")

    assert cost_of(data) == 300 * 200 * per_pixel


def test_a_jpeg_costs_its_draft_size():
    data = photo((4000, 3000))  # drafted at 1/2: 2000 x 1500, stored as RGBX

    assert cost_of(data) == 2000 * 1500 * 4


def test_a_progressive_jpeg_adds_its_full_size_coefficients():
    data = photo((4000, 3000), progressive=True)  # 4:2:0: 1.5 samples a pixel, 2 bytes each

    # (give or take the padding of each component to whole 8 x 8 blocks)
    assert cost_of(data) == pytest.approx(2000 * 1500 * 4 + 4000 * 3000 * 3, rel=0.001)


@pytest.mark.parametrize(
    "fmt, mode, per_pixel",
    [("WEBP", "RGB", 16.5), ("WEBP", "RGBA", 16.5), ("HEIF", "RGB", 6), ("HEIF", "RGBA", 9)],
)
def test_webp_and_heif_cost_their_decoders_measured_bytes_per_pixel(fmt, mode, per_pixel):
    data = encode(Image.new(mode, (200, 100), (10, 20, 30, 40)[: len(mode)]), fmt)

    assert cost_of(data) == 200 * 100 * per_pixel


# --- The check, before decoding -------------------------------------------------------------


def test_a_photo_over_the_decode_budget_is_413_without_decoding(auth_client, user, settings):
    settings.MAX_DECODE_BYTES = 1_000_000
    bomb = png_header_only(600, 600)  # 600 x 600 RGB: 1.44 MB once decoded, 200 bytes sent

    with mock.patch("PIL.ImageFile.ImageFile.load", side_effect=AssertionError("decoded")):
        response = link_with(auth_client, bomb)

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "image_too_large"
    assert error["details"]["limit"] == "MAX_DECODE_BYTES"
    assert error["details"]["max_bytes"] == 1_000_000
    assert error["details"]["image"] == ["Needs 1440000 bytes to decode, at most 1000000."]
    assert_nothing_stored(user)


def test_draft_scaling_lets_a_large_baseline_jpeg_through_a_small_budget(
    auth_client, user, settings
):
    settings.MAX_DECODE_BYTES = 20_000_000  # 48 MB at full size, 12 MB drafted

    response = link_with(auth_client, photo((4000, 3000)))

    assert response.status_code == 201
    assert VehicleLink.objects.get(user=user).photo.name


def test_the_same_jpeg_progressive_is_over_that_budget(auth_client, user, settings):
    settings.MAX_DECODE_BYTES = 20_000_000  # + 36 MB of coefficients

    response = link_with(auth_client, photo((4000, 3000), progressive=True))

    assert response.status_code == 413
    assert response.json()["error"]["details"]["limit"] == "MAX_DECODE_BYTES"
    assert_nothing_stored(user)


@pytest.mark.parametrize(
    "limit, data",
    [
        ("MAX_IMAGE_PIXELS", png_header_only(8000, 6000)),
        ("MAX_IMAGE_BYTES", b"\xff\xd8" + b"\x00" * (15 * 1024 * 1024 + 1)),
    ],
    ids=["pixels", "bytes"],
)
def test_every_photo_limit_is_named_in_the_413(auth_client, limit, data):
    response = auth_client.post(
        URL, {"registration_number": "BT57225", "file": upload(data)}, format="multipart"
    )

    assert response.status_code == 413
    assert response.json()["error"]["details"]["limit"] == limit


# --- Concurrent decodes ----------------------------------------------------------------------


@pytest.fixture
def one_slot_taken(settings):
    """The process's only decode slot, held by another request until the test ends."""
    settings.PHOTO_DECODE_CONCURRENCY = 1
    settings.PHOTO_DECODE_WAIT_SECONDS = 0.1
    taken, release = threading.Event(), threading.Event()

    def hold():
        with decode_slot(1):
            taken.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait(5)
    yield
    release.set()
    holder.join(5)


def test_a_photo_waiting_too_long_for_a_decode_slot_is_503_busy(auth_client, user, one_slot_taken):
    response = link_with(auth_client, photo())

    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json()["error"]["code"] == "busy"
    assert_nothing_stored(user)


def test_a_photo_gets_the_slot_once_it_is_free(auth_client, user, settings):
    settings.PHOTO_DECODE_CONCURRENCY = 1
    settings.PHOTO_DECODE_WAIT_SECONDS = 5
    taken = threading.Event()

    def hold_briefly():
        with decode_slot(1):
            taken.set()
            threading.Event().wait(0.3)

    holder = threading.Thread(target=hold_briefly)
    holder.start()
    taken.wait(5)
    response = link_with(auth_client, photo())
    holder.join(5)

    assert response.status_code == 201


def test_requests_without_a_photo_never_wait_for_a_slot(auth_client, one_slot_taken):
    response = auth_client.post(URL, {"registration_number": "BT57225"}, format="json")

    assert response.status_code == 201


def test_no_more_decodes_run_at_once_than_the_slots(auth_client, settings):
    settings.PHOTO_DECODE_CONCURRENCY = 2
    running, most = [0], [0]
    lock = threading.Lock()
    original = photos._normalise

    def counting(*args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            threading.Event().wait(0.05)
            return original(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    data = photo()
    with mock.patch.object(photos, "_normalise", counting):
        threads = [threading.Thread(target=photos.process_photo, args=(data,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)

    assert most[0] == 2


@pytest.fixture
def decoding(settings):
    """Holds a decode of `cost` bytes in another thread until the test ends."""
    settings.PHOTO_DECODE_CONCURRENCY = 2
    settings.MAX_DECODE_BYTES = 100
    settings.PHOTO_DECODE_WAIT_SECONDS = 0.1
    release = threading.Event()
    holders = []

    def start(cost: int) -> None:
        taken = threading.Event()

        def hold():
            with decode_slot(cost):
                taken.set()
                release.wait(10)

        holders.append(threading.Thread(target=hold))
        holders[-1].start()
        taken.wait(5)

    yield start
    release.set()
    for holder in holders:
        holder.join(5)


def can_start(cost: int) -> bool:
    try:
        with decode_slot(cost):
            return True
    except DecodeBusy:
        return False


def test_decodes_run_side_by_side_only_while_their_memory_fits(decoding):
    decoding(70)

    assert can_start(30)  # 100 bytes in all: fits
    assert not can_start(40)  # 110: waits, then busy


def test_a_decode_as_large_as_the_budget_runs_alone(decoding):
    assert can_start(100)
    decoding(1)
    assert not can_start(100)


# --- Uploads per user ------------------------------------------------------------------------


def test_photo_uploads_are_throttled_per_user(auth_client, user, settings):
    settings.PHOTO_UPLOAD_THROTTLE_RATE = "2/hour"
    auth_client.post(URL, {"registration_number": "BT57225", "image": b64(photo())}, format="json")
    auth_client.put(f"{URL}/BT57225", {"image": b64(photo(color=(0, 9, 0)))}, format="json")
    before = VehicleLink.objects.get(user=user).photo.name

    third = auth_client.put(
        f"{URL}/BT57225", {"nickname": "Ny", "image": b64(photo(color=(9, 0, 0)))}, format="json"
    )
    nickname_only = auth_client.put(f"{URL}/BT57225", {"nickname": "Ny"}, format="json")

    assert third.status_code == 429
    assert third.json()["error"]["code"] == "photo_upload_throttled"
    assert int(third["Retry-After"]) > 0
    link = VehicleLink.objects.get(user=user)
    assert nickname_only.status_code == 200  # no photo: not counted, not refused
    assert (link.photo.name, link.nickname) == (before, "Ny")


def test_the_upload_throttle_is_per_user(auth_client, settings):
    settings.PHOTO_UPLOAD_THROTTLE_RATE = "1/hour"
    link_with(auth_client, photo())
    other = APIClient()
    other.force_authenticate(UserFactory())

    response = link_with(other, photo())

    assert response.status_code == 201


# --- Multi-picture JPEGs (MPO) ---------------------------------------------------------------


def test_a_multi_picture_jpeg_is_accepted_as_its_first_picture(auth_client, user, storage):
    first = Image.new("RGB", (600, 400), (200, 30, 30))
    second = Image.new("RGB", (300, 300), (30, 30, 200))
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"

    response = link_with(auth_client, out.getvalue())

    assert response.status_code == 201, response.content
    stored = storage.image(VehicleLink.objects.get(user=user).photo.name)
    assert stored.size == (600, 400)
    assert stored.getpixel((300, 200)) == pytest.approx((200, 30, 30), abs=6)


# --- The strip-by-strip shrink -----------------------------------------------------------------


def gradient(mode: str, size=(2100, 1700)) -> Image.Image:
    bands = [
        Image.linear_gradient("L").resize(size),
        Image.radial_gradient("L").resize(size),
        Image.effect_noise(size, 60),
        Image.linear_gradient("L").rotate(90).resize(size),
    ]
    return Image.merge(mode, bands[: len(mode)])


def shrunk_in_strips(source: Image.Image) -> Image.Image:
    decoded = photos._Decoded(source.size, lambda a, b: source.crop((0, a, source.width, b)))
    return photos._shrink(decoded, photos._fit(source.size, 2048))


def largest_difference(a: Image.Image, b: Image.Image) -> int:
    assert (a.mode, a.size) == (b.mode, b.size)
    return max(abs(x - y) for x, y in zip(a.tobytes(), b.tobytes(), strict=True))


def test_the_strips_give_the_same_pixels_as_one_resize():
    source = gradient("RGB", (3100, 2300))

    expected = source.resize(photos._fit(source.size, 2048), Image.Resampling.LANCZOS)

    # The same filter weights, computed per strip: at most a rounding step apart.
    assert largest_difference(shrunk_in_strips(source), expected) <= 1


def test_transparency_is_laid_on_white_as_before_one_resize():
    source = gradient("RGBA", (3100, 2300))
    white = Image.new("RGBA", source.size, (255, 255, 255, 255))
    flattened = Image.alpha_composite(white, source).convert("RGB")

    expected = flattened.resize(photos._fit(source.size, 2048), Image.Resampling.LANCZOS)

    assert largest_difference(shrunk_in_strips(source), expected) <= 1
