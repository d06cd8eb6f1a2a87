"""
Vehicle photos: from an untrusted upload to a normalised JPEG and thumbnail in storage.

1. Size: more than `MAX_IMAGE_BYTES` is refused (413) before anything is decoded.
2. Pillow reads only the header: the real format must be JPEG, PNG, WebP or HEIC/HEIF
   (415 otherwise), and width x height at most `MAX_IMAGE_PIXELS` (413), before a single
   pixel is decoded. Pillow's decompression-bomb warning is an error too.
3. JPEGs are decoded in draft mode at 1/2, 1/4 or 1/8 scale when that still leaves at least
   90 % of the bounded size (so a 12-megapixel photo never exists at full size in memory);
   the image is shrunk, then turned by its EXIF orientation, converted to sRGB RGB, and
   encoded without any metadata (no EXIF, GPS, camera data or ICC profile). A thumbnail is
   made from the result.
4. Both are stored through Django's storage API under unguessable UUID names (local files
   or S3, whichever `STORAGES["default"]` says).
"""

import base64
import binascii
import io
import logging
import re
import uuid
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlsplit

import pillow_heif
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, UnidentifiedImageError

from minbil.errors import DomainError

logger = logging.getLogger(__name__)

pillow_heif.register_heif_opener()
# A decompression bomb is refused, not merely warned about (process-wide on purpose).
warnings.simplefilter("error", Image.DecompressionBombWarning)

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "HEIF"}
PHOTO_DIRECTORY = "vehicle-photos"
DRAFT_MIN_FRACTION = 0.9
_DATA_URI = re.compile(r"data:(?P<type>[\w.+-]+/[\w.+-]+)?(?:;[\w-]+=[\w.-]+)*;base64,", re.I)
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
    if size > settings.MAX_IMAGE_BYTES:
        limit = settings.MAX_IMAGE_BYTES / (1024 * 1024)
        raise ImageTooLarge(
            _("The image is larger than the %(limit)s MB limit.") % {"limit": f"{limit:g}"},
            details={field: [_("At most %(bytes)d bytes.") % {"bytes": settings.MAX_IMAGE_BYTES}]},
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
    value = "".join(value.split())  # line breaks are common in base64 from some clients
    check_upload_size(len(value) * 3 // 4 - value[-2:].count("="), field=field)
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidImage(
            _("The photo is not valid base64."), details={field: [_("Not valid base64.")]}
        ) from None
    if not data:
        raise InvalidImage(details={field: [_("The photo is empty.")]})
    return data


# --- Pipeline --------------------------------------------------------------------------------


def process_photo(source: bytes | BinaryIO, *, field: str = "image") -> ProcessedPhoto:
    """Validates and normalises one photo; raises ImageTooLarge, UnsupportedImageType or
    InvalidImage with `details` naming `field`."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with Image.open(stream) as img:
            _check_header(img, field)
            photo = _normalise(img, settings.PHOTO_MAX_SIDE)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(field) from None
    except UnidentifiedImageError:
        raise InvalidImage(
            details={field: [_("Not an image, or an image type we cannot read.")]}
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError):  # truncated or corrupt data
        raise InvalidImage(
            details={field: [_("The image data is damaged or truncated.")]}
        ) from None

    thumbnail = photo.resize(
        _fit(photo.size, settings.PHOTO_THUMBNAIL_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0
    )
    return ProcessedPhoto(image=_encode(photo), thumbnail=_encode(thumbnail), size=photo.size)


def _check_header(img: Image.Image, field: str) -> None:
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


def _too_many_pixels(field: str) -> ImageTooLarge:
    megapixels = settings.MAX_IMAGE_PIXELS / 1_000_000
    return ImageTooLarge(
        _("The image has more than %(megapixels)s megapixels.") % {"megapixels": f"{megapixels:g}"},
        details={field: [_("At most %(pixels)d pixels.") % {"pixels": settings.MAX_IMAGE_PIXELS}]},
    )


def _normalise(img: Image.Image, max_side: int) -> Image.Image:
    """Decoded as small as allowed, shrunk, oriented, sRGB RGB; metadata left behind."""
    orientation = _orientation(img)  # for JPEG, read from the header before decoding
    icc_profile = img.info.get("icc_profile")
    if img.format == "JPEG":
        scale = _draft_scale(img.size, max_side)
        if scale > 1:
            img.draft("RGB", (img.width // scale, img.height // scale))
    img.load()

    target = _fit(img.size, max_side)
    shrunk = (
        img.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
        if target != img.size
        else img
    )
    oriented = _apply_orientation(shrunk, orientation)
    return _to_srgb_rgb(oriented, icc_profile)


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
    """RGB in sRGB: an embedded colour profile is converted, transparency laid on white."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba).convert("RGB")
    elif img.mode not in ("RGB", "L", "CMYK"):
        img = img.convert("RGB")
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
