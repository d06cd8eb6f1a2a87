"""
Vehicle photos: from an untrusted upload to a normalised JPEG and thumbnail in storage.

1. Size: more than `MAX_IMAGE_BYTES` is refused (413) before anything is decoded.
2. Pillow reads only the header: the real format must be JPEG (multi-picture MPO files too:
   their first picture), PNG, WebP or HEIC/HEIF (415 otherwise), width x height at most
   `MAX_IMAGE_PIXELS`, and the memory decoding takes at most `MAX_DECODE_BYTES` (413 both),
   before a single pixel is decoded. Pillow's decompression-bomb warning is an error too.
3. Decoding waits for one of the process's decode slots (`vehicles.photo_budget`). JPEGs are
   decoded in draft mode at 1/2, 1/4 or 1/8 scale when that still leaves at least 90 % of the
   bounded size (so a 12-megapixel photo never exists at full size in memory). The image is
   shrunk a strip at a time (never a second full-size copy), then turned by its EXIF
   orientation, converted to sRGB RGB, and encoded without any metadata (no EXIF, GPS, camera
   data or ICC profile). A thumbnail is made from the result.
4. Both are stored through Django's storage API under unguessable UUID names (local files
   or S3, whichever `STORAGES["default"]` says).
"""

import binascii
import io
import logging
import math
import re
import uuid
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlsplit

import pillow_heif
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageMode, JpegImagePlugin, UnidentifiedImageError

from minbil.errors import DomainError
from vehicles.photo_budget import decode_slot

logger = logging.getLogger(__name__)

pillow_heif.register_heif_opener()
# A decompression bomb is refused, not merely warned about (process-wide on purpose).
warnings.simplefilter("error", Image.DecompressionBombWarning)

ALLOWED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "HEIF"}
PHOTO_DIRECTORY = "vehicle-photos"
DRAFT_MIN_FRACTION = 0.9
# Peak memory per pixel of the decoders that do not simply fill a Pillow image (measured with
# bench_images' memory probe, 12 to 40 megapixels; see `decode_cost`).
WEBP_BYTES_PER_PIXEL = 16.5
HEIF_BYTES_PER_PIXEL = {"RGB": 6, "RGBA": 9}
STRIP_ROWS = 32  # output rows resampled at a time
LANCZOS_SUPPORT = 3  # the filter reaches this many source pixels per output pixel, each way
_DATA_URI = re.compile(r"data:(?P<type>[\w.+-]+/[\w.+-]+)?(?:;[\w-]+=[\w.-]+)*;base64,", re.I)
_WHITESPACE = re.compile(r"\s")
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class ImageTooLarge(DomainError):
    status_code = 413
    code = "image_too_large"
    message = _("The image is too large.")


class UnsupportedImageType(DomainError):
    status_code = 415
    code = "unsupported_image_type"
    message = _("Photos must be JPEG, PNG, WebP or HEIC images.")


class InvalidImage(DomainError):
    status_code = 400
    code = "invalid_image"
    message = _("The photo is not a readable image.")


@dataclass(frozen=True)
class ProcessedPhoto:
    image: bytes
    thumbnail: bytes
    size: tuple[int, int]


@dataclass(frozen=True)
class StoredPhoto:
    image: str
    thumbnail: str

    @property
    def names(self) -> tuple[str, str]:
        return self.image, self.thumbnail


# --- Input -----------------------------------------------------------------------------------


def check_upload_size(size: int, *, field: str = "image") -> None:
    """413 for an upload over `MAX_IMAGE_BYTES`, from its declared size alone."""
    limit = settings.MAX_IMAGE_BYTES
    if size > limit:
        raise ImageTooLarge(
            _("The image is larger than the %(limit)s MB limit.")
            % {"limit": f"{limit / (1024 * 1024):g}"},
            details={
                field: [_("At most %(bytes)d bytes.") % {"bytes": limit}],
                "limit": "MAX_IMAGE_BYTES",
                "max_bytes": limit,
            },
        )


def decode_base64_image(value: str, *, field: str = "image") -> bytes:
    """
    A base64 string or `data:image/...;base64,` URI to bytes; the size is checked from the
    text's length before decoding.
    """
    match = _DATA_URI.match(value)
    if match:
        declared = (match["type"] or "").lower()
        if declared and not declared.startswith("image/"):
            raise UnsupportedImageType(
                details={field: [_("Declared as %(type)s, not an image.") % {"type": declared}]}
            )
        value = value[match.end() :]
    if _WHITESPACE.search(value):  # line breaks are common in base64 from some clients
        value = "".join(value.split())  # (a copy of a photo's size: only when needed)
    check_upload_size(len(value) * 3 // 4 - value[-2:].count("="), field=field)
    try:
        # What base64.b64decode(validate=True) does, without its ASCII copy of the text.
        data = binascii.a2b_base64(value, strict_mode=True)
    except (binascii.Error, ValueError):
        raise InvalidImage(
            _("The photo is not valid base64."), details={field: [_("Not valid base64.")]}
        ) from None
    if not data:
        raise InvalidImage(details={field: [_("The photo is empty.")]})
    return data


# --- Pipeline --------------------------------------------------------------------------------


def process_photo(source: bytes | BinaryIO, *, field: str = "image") -> ProcessedPhoto:
    """Validates and normalises one photo; raises ImageTooLarge, UnsupportedImageType,
    InvalidImage (with `details` naming `field`) or `photo_budget.DecodeBusy`."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with Image.open(stream) as img:
            cost = _check_header(img, field)
            with decode_slot(cost):
                photo = _normalise(img, stream, settings.PHOTO_MAX_SIDE)
                thumbnail = photo.resize(
                    _fit(photo.size, settings.PHOTO_THUMBNAIL_SIDE),
                    Image.Resampling.LANCZOS,
                    reducing_gap=2.0,
                )
                return ProcessedPhoto(
                    image=_encode(photo), thumbnail=_encode(thumbnail), size=photo.size
                )
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(field) from None
    except UnidentifiedImageError:
        raise InvalidImage(
            details={field: [_("Not an image, or an image type we cannot read.")]}
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, RuntimeError):  # truncated or corrupt
        raise InvalidImage(
            details={field: [_("The image data is damaged or truncated.")]}
        ) from None


def _check_header(img: Image.Image, field: str) -> int:
    """Refuses what must not be decoded; returns the memory decoding will take."""
    if img.format not in ALLOWED_FORMATS:
        raise UnsupportedImageType(
            details={
                field: [
                    _("%(format)s is not accepted: use JPEG, PNG, WebP or HEIC.")
                    % {"format": img.format or _("This format")}
                ]
            }
        )
    if img.width * img.height > settings.MAX_IMAGE_PIXELS:
        raise _too_many_pixels(field)
    cost = decode_cost(img, settings.PHOTO_MAX_SIDE)
    if cost > settings.MAX_DECODE_BYTES:
        limit = settings.MAX_DECODE_BYTES
        raise ImageTooLarge(
            _("Decoding this image would take %(cost)s MB of memory; the limit is %(limit)s MB.")
            % {"cost": f"{cost / 1e6:.0f}", "limit": f"{limit / 1e6:g}"},
            details={
                field: [
                    _("Needs %(cost)d bytes to decode, at most %(limit)d.")
                    % {"cost": cost, "limit": limit}
                ],
                "limit": "MAX_DECODE_BYTES",
                "max_bytes": limit,
            },
        )
    return cost


def _too_many_pixels(field: str) -> ImageTooLarge:
    limit = settings.MAX_IMAGE_PIXELS
    return ImageTooLarge(
        _("The image has more than %(megapixels)s megapixels.")
        % {"megapixels": f"{limit / 1_000_000:g}"},
        details={
            field: [_("At most %(pixels)d pixels.") % {"pixels": limit}],
            "limit": "MAX_IMAGE_PIXELS",
            "max_pixels": limit,
        },
    )


def decode_cost(img: Image.Image, max_side: int) -> int:
    """
    Bytes of memory decoding `img` takes at its peak, from its header alone (the decoders'
    figures were measured as peak resident memory over a decode):

    - Pillow stores a decoded pixel in 1 byte (L, P), 2 (16-bit grey) or 4 (anything with
      more than one band: RGB is stored as RGBX).
    - JPEG decodes at its draft scale, except that a progressive JPEG keeps every DCT
      coefficient of the full-size image until its last scan: 2 bytes per sample of each
      component (3 bytes a pixel for the usual 4:2:0, 6 for 4:4:4).
    - PNG decodes straight into the image.
    - WebP goes through libwebp's animation decoder: two RGBA canvases and a copy of the frame
      besides the image (16.2 bytes a pixel measured, 16.5 counted).
    - HEIF is decoded by libheif into its own RGB(A) buffer next to its YCbCr planes; the
      pipeline reads that buffer a strip at a time instead of copying it into Pillow. 6 bytes
      a pixel (9 with transparency) fit the 12 to 24 megapixels phones take (5.5 to 7.3
      measured); at 40 megapixels libheif took up to 7.4 (10.6).

    What comes after decoding works on images bounded by `PHOTO_MAX_SIDE` (at 2048 px, about
    35 MB more).
    """
    width, height = img.size
    if _is_jpeg(img):
        scale = _draft_scale(img.size, max_side)
        mode = img.mode if img.mode in ("L", "CMYK") else "RGB"
        cost = math.ceil(width / scale) * math.ceil(height / scale) * _bytes_per_pixel(mode)
        if img.info.get("progressive"):
            cost += _coefficient_bytes(img)
        return cost
    if img.format == "HEIF":
        per_pixel = HEIF_BYTES_PER_PIXEL["RGBA" if img.mode == "RGBA" else "RGB"]
    elif img.format == "WEBP":
        per_pixel = WEBP_BYTES_PER_PIXEL
    else:
        per_pixel = _bytes_per_pixel(img.mode)
    return math.ceil(width * height * per_pixel)


def _bytes_per_pixel(mode: str) -> int:
    """What Pillow stores per pixel in `mode`: one band in its own size, several in 4 bytes."""
    descriptor = ImageMode.getmode(mode)
    return 4 if len(descriptor.bands) > 1 else int(descriptor.typestr[-1])


def _coefficient_bytes(img: Image.Image) -> int:
    """A progressive JPEG's coefficient buffer: 2 bytes per sample of every component, each
    padded to whole 8x8 blocks, at its sampling factor."""
    components = [(h, v) for _, h, v, _ in img.layer]
    h_max, v_max = max(h for h, _ in components), max(v for _, v in components)
    return sum(
        math.ceil(img.width * h / h_max / 8) * math.ceil(img.height * v / v_max / 8) * 64 * 2
        for h, v in components
    )


def _is_jpeg(img: Image.Image) -> bool:
    return isinstance(img, JpegImagePlugin.JpegImageFile)  # MPO files are JPEGs too


@dataclass(frozen=True)
class _Decoded:
    """A decoded image, read by the pipeline a band of rows at a time."""

    size: tuple[int, int]
    rows: Callable[[int, int], Image.Image]  # (first, last) -> those rows as an image


def _normalise(img: Image.Image, stream: BinaryIO, max_side: int) -> Image.Image:
    """Decoded as small as allowed, shrunk, oriented, sRGB RGB; metadata left behind."""
    orientation = _orientation(img)  # read from the header before decoding
    icc_profile = img.info.get("icc_profile")
    decoded = _decode_heif(stream) if img.format == "HEIF" else _decode(img, max_side)
    shrunk = _shrink(decoded, _fit(decoded.size, max_side))
    oriented = _apply_orientation(shrunk, orientation)
    return _to_srgb_rgb(oriented, icc_profile)


def _decode(img: Image.Image, max_side: int) -> _Decoded:
    if _is_jpeg(img):
        scale = _draft_scale(img.size, max_side)
        if scale > 1:
            img.draft("RGB", (img.width // scale, img.height // scale))
    img.load()

    def rows(first: int, last: int) -> Image.Image:
        return img if (first, last) == (0, img.height) else img.crop((0, first, img.width, last))

    return _Decoded(img.size, rows)


def _decode_heif(stream: BinaryIO) -> _Decoded:
    """
    libheif's own buffer, read a band at a time: Pillow's HEIF plugin would copy all of it.
    (libheif applies the file's rotation and mirroring, and pillow-heif resets the EXIF
    orientation to 1, so the orientation read from the header stays right.)
    """
    stream.seek(0)
    heif = pillow_heif.open_heif(stream, convert_hdr_to_8bit=True)
    data, stride, mode, (width, _) = memoryview(heif.data), heif.stride, heif.mode, heif.size

    def rows(first: int, last: int) -> Image.Image:
        band = data[first * stride : last * stride]
        return Image.frombuffer(mode, (width, last - first), band, "raw", mode, stride, 1)

    return _Decoded(heif.size, rows)


def _shrink(decoded: _Decoded, target: tuple[int, int]) -> Image.Image:
    """
    The image resized to `target` with Lanczos, one strip of `STRIP_ROWS` output rows at a
    time from the source rows it needs (the filter's reach included), so the result is the
    same as one resize while memory holds only the decoded image, one band and the result.
    Transparent pixels are laid on white band by band (the same as before one resize).
    """
    width, height = decoded.size
    if target == decoded.size:
        return _opaque(decoded.rows(0, height))
    scale = height / target[1]
    reach = math.ceil(LANCZOS_SUPPORT * scale) + 1
    result = None
    for top in range(0, target[1], STRIP_ROWS):
        bottom = min(target[1], top + STRIP_ROWS)
        first = max(0, math.floor(top * scale) - reach)
        last = min(height, math.ceil(bottom * scale) + reach)
        band = _opaque(decoded.rows(first, last))
        box = (0, top * scale - first, width, bottom * scale - first)
        strip = band.resize((target[0], bottom - top), Image.Resampling.LANCZOS, box=box)
        if result is None:
            result = Image.new(strip.mode, target)
        result.paste(strip, (0, top))
    return result


def _opaque(img: Image.Image) -> Image.Image:
    """RGB, L or CMYK as they are (colour profiles are applied later); transparency laid on
    white; anything else as RGB."""
    if img.mode in ("RGB", "L", "CMYK"):
        return img
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img if img.mode == "RGBA" else img.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba)  # blended by alpha, as over an opaque background
        return white
    return img.convert("RGB")


def _orientation(img: Image.Image) -> int:
    try:
        return int(img.getexif().get(0x0112, 1))
    except Exception:  # a damaged EXIF block does not make the photo unusable
        return 1


def _draft_scale(size: tuple[int, int], max_side: int) -> int:
    """The largest JPEG DCT scale (1, 2, 4, 8) that keeps 90 % of the bounded long side."""
    long_side = max(size)
    wanted = min(long_side, max_side) * DRAFT_MIN_FRACTION
    return next((s for s in (8, 4, 2) if long_side / s >= wanted), 1)


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """`size` scaled so its long side is at most `max_side`; never enlarged."""
    width, height = size
    ratio = min(1.0, max_side / max(width, height))
    return max(1, round(width * ratio)), max(1, round(height * ratio))


def _apply_orientation(img: Image.Image, orientation: int) -> Image.Image:
    """The EXIF orientation applied to the pixels (the encoded copy carries no EXIF)."""
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation)
    return img.transpose(method) if method is not None else img


def _to_srgb_rgb(img: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """RGB in sRGB from RGB, L or CMYK (see `_opaque`): an embedded colour profile is converted."""
    if icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            return ImageCms.profileToProfile(img, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, TypeError, ValueError):
            logger.info("Ignoring an unusable ICC profile in an uploaded photo")
    return img if img.mode == "RGB" else img.convert("RGB")


def _encode(img: Image.Image) -> bytes:
    """JPEG without EXIF, ICC or comments: only what `save` is given is written."""
    out = io.BytesIO()
    img.save(out, "JPEG", quality=settings.PHOTO_JPEG_QUALITY)
    return out.getvalue()


# --- Storage ---------------------------------------------------------------------------------


def save_photo(photo: ProcessedPhoto) -> StoredPhoto:
    """Writes both files under a new UUID; on a failure nothing is left behind."""
    key = uuid.uuid4().hex
    image = default_storage.save(f"{PHOTO_DIRECTORY}/{key}.jpg", ContentFile(photo.image))
    try:
        thumbnail = default_storage.save(
            f"{PHOTO_DIRECTORY}/{key}-thumb.jpg", ContentFile(photo.thumbnail)
        )
    except Exception:
        delete_files([image])
        raise
    return StoredPhoto(image=image, thumbnail=thumbnail)


def delete_files(names: Iterable[str]) -> None:
    """Deletes stored files; a failure is logged (the database no longer points at them)."""
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except Exception:
            logger.exception("Could not delete the stored photo %s", name)


def absolute_url(name: str, request) -> str | None:
    """The file's URL, made absolute for local storage (S3's signed URLs already are)."""
    if not name:
        return None
    url = default_storage.url(name)
    return url if urlsplit(url).scheme else request.build_absolute_uri(url)
