"""The photo pipeline: received bytes → a refusal, or a verified, upright photo with its metadata,
a display copy and a thumbnail.

Pure (no Flask, no database, no files): `storage.py` keeps the received bytes as the evidence and
writes the derivatives; the views map a refusal's `kind` to an HTTP status, as `errors.py` keeps
statuses in its handler rather than in the errors.

Why it is built this way (figures in NOTES.md, "Photos"; `bench/photos.py` measures them):

- The whole image is decoded, because only a decode proves that a file is an image
  (`Image.verify()` checks structure only). A JPEG is decoded through draft mode, which scales the
  inverse DCT down but still entropy-decodes every block, so a truncated file still fails.
- Draft mode only scales when the requested box keeps the stored aspect ratio, so the box is
  computed from the chosen scale (`_draft_scale`), and the display copy is made from that decode
  instead of from a full-size one: a 12 MP photo never exists in memory at full size.
- The pixel count is checked before decoding, and Pillow's DecompressionBombWarning (which it only
  turns into an error at twice its limit) is made a refusal, never a crash or a silent pass.
- The derivatives are written without EXIF or XMP: no GPS position leaks through a shared
  thumbnail. The position, time and camera are returned as data for the database instead.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import struct
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Final, Literal

from PIL import Image, ImageFile

from inspection.catalog import N_

DISPLAY_LONG_SIDE: Final = 2048
THUMBNAIL_LONG_SIDE: Final = 320
# A 50 MP limit keeps the photos of today's tablets and phones (12-48 MP) and bounds the memory
# of a PNG or WebP, which has no draft mode and is decoded at full size (50 MP RGB is 150 MB).
MAX_PIXELS: Final = 50_000_000
# Draft mode is used when the scaled decode keeps at least this share of the display size: a
# 4000×3000 photo decoded at 1/2 (2000 px) is the display copy as it is, with no second resize.
DRAFT_KEEP: Final = 0.9
DISPLAY_QUALITY: Final = 85
THUMBNAIL_QUALITY: Final = 80
WHITE: Final = (255, 255, 255)

RefusalKind = Literal["too_large", "unsupported", "invalid"]
PhotoFormat = Literal["jpeg", "png", "webp", "heic"]

# What the view answers for each kind is its business (413, 415 and 400 in the API); here only
# the kinds exist, as errors.py keeps the statuses in its handler.
TOO_LARGE: Final[RefusalKind] = "too_large"
UNSUPPORTED: Final[RefusalKind] = "unsupported"
INVALID: Final[RefusalKind] = "invalid"

MESSAGES: Final[dict[str, str]] = {
    "too_large": N_("The photo is larger than the limit of %(limit_mb)s MB."),
    "empty": N_("The file is empty: no photo was received."),
    "unsupported_type": N_("Only JPEG, PNG, WebP or HEIC photos are accepted."),
    "corrupt": N_("The file could not be read as a photo: it is damaged or incomplete."),
    "too_many_pixels": N_("The photo has too many pixels (more than %(limit_mp)s million)."),
}

# What Pillow raises on a damaged file, at open or decode (its own open treats most of these as
# "not this format"; a decoder error or a truncation is an OSError).
DECODE_ERRORS: Final = (OSError, ValueError, EOFError, SyntaxError, IndexError, struct.error)

# EXIF tags (numbers from the EXIF 2.32 standard).
TAG_MAKE: Final = 0x010F
TAG_MODEL: Final = 0x0110
TAG_ORIENTATION: Final = 0x0112
IFD_EXIF: Final = 0x8769
IFD_GPS: Final = 0x8825
TAG_DATETIME_ORIGINAL: Final = 0x9003
TAG_DATETIME_DIGITIZED: Final = 0x9004
TAG_OFFSET_TIME_ORIGINAL: Final = 0x9011
TAG_OFFSET_TIME_DIGITIZED: Final = 0x9012
GPS_LATITUDE_REF: Final = 1
GPS_LATITUDE: Final = 2
GPS_LONGITUDE_REF: Final = 3
GPS_LONGITUDE: Final = 4
MAX_TEXT: Final = 100  # camera make and model are short; a longer value is cut

# EXIF orientation → the transposition that makes the image upright (as ImageOps.exif_transpose,
# applied here to the already reduced image, which is cheaper than to the full one).
UPRIGHT: Final[dict[int, Image.Transpose]] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# Pillow's format name → ours, the media type of the received file and the extension it is kept
# under (`original.<ext>`). MPO is how Pillow opens a JPEG carrying extra pictures (phones'
# depth maps): it is a JPEG.
FORMATS: Final[dict[str, tuple[PhotoFormat, str, str]]] = {
    "JPEG": ("jpeg", "image/jpeg", "jpg"),
    "MPO": ("jpeg", "image/jpeg", "jpg"),
    "PNG": ("png", "image/png", "png"),
    "WEBP": ("webp", "image/webp", "webp"),
    "HEIF": ("heic", "image/heic", "heic"),
}
HEIF_BRANDS: Final = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1"})


class PhotoRefused(Exception):
    """The received bytes are not a photo this app keeps, and why.

    `code` is stable for programs; `message` is English with %(name)s places filled from `params`
    (marked with N_ so that a page can translate it: `_(refusal.message, **refusal.params)`);
    `kind` tells the view which HTTP status answers it (too_large → 413, unsupported → 415,
    invalid → 400), without this pure module knowing about HTTP.
    """

    def __init__(self, kind: RefusalKind, code: str, **params: Any):
        self.kind: RefusalKind = kind
        self.code = code
        self.message = MESSAGES[code]
        self.params: dict[str, Any] = params
        super().__init__(str(self))

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message


@dataclass(frozen=True)
class Rendition:
    """A derivative to store and serve: JPEG bytes without EXIF, upright."""

    data: bytes
    width: int
    height: int
    media_type: str = "image/jpeg"
    extension: str = "jpg"


@dataclass(frozen=True)
class Position:
    """Where the photo was taken, in signed decimal degrees (south and west negative)."""

    latitude: float
    longitude: float


@dataclass(frozen=True)
class PhotoMetadata:
    """What the camera wrote, as far as it could be read: each field None when absent or unusable.

    `taken_at` is aware when the camera recorded its UTC offset (OffsetTimeOriginal), naive
    otherwise (the camera's local clock, offset unknown).
    """

    taken_at: datetime | None = None
    position: Position | None = None
    camera_make: str | None = None
    camera_model: str | None = None


@dataclass(frozen=True)
class Photo:
    """A verified photo: the identity and description of the received bytes (kept unchanged by
    storage as the evidence), and its upright derivatives."""

    sha256: str  # hex SHA-256 of the received bytes
    size: int  # bytes received
    format: PhotoFormat
    media_type: str  # of the received bytes
    extension: str  # under which the received bytes are kept: original.<extension>
    width: int  # upright, full size
    height: int
    orientation: int  # the EXIF orientation applied (1 = none)
    metadata: PhotoMetadata
    display: Rendition = field(repr=False)
    thumbnail: Rendition = field(repr=False)


def process(data: bytes, *, max_bytes: int, max_pixels: int = MAX_PIXELS) -> Photo:
    """Verify `data` as a photo and make its display copy and thumbnail, or raise PhotoRefused.

    `max_bytes` is the configured upload limit (MAX_UPLOAD_MB). `max_pixels` above Pillow's own
    `Image.MAX_IMAGE_PIXELS` has no effect: Pillow's bomb warning refuses first.
    """
    if len(data) > max_bytes:
        raise PhotoRefused(TOO_LARGE, "too_large", limit_mb=_megabytes(max_bytes))
    if not data:
        raise PhotoRefused(UNSUPPORTED, "empty")
    if _sniff(data) is None:
        raise PhotoRefused(UNSUPPORTED, "unsupported_type")
    image = _open(data, max_pixels)
    photo_format, media_type, extension = FORMATS[image.format or ""]
    stored_size = image.size
    scale = _draft_scale(image)
    try:
        if scale > 1:
            box = (stored_size[0] // scale, stored_size[1] // scale)
            image.draft("RGB", box)
        image.load()  # the whole image: the proof that it is one
        metadata, orientation = _read_exif(image)
        display = _normalise(image)
    except DECODE_ERRORS:
        image.close()
        raise PhotoRefused(INVALID, "corrupt") from None
    display = _fit(display, DISPLAY_LONG_SIDE)
    if orientation in UPRIGHT:
        display = display.transpose(UPRIGHT[orientation])
    thumbnail = _fit(display, THUMBNAIL_LONG_SIDE)
    width, height = stored_size
    if orientation >= 5:  # 5 to 8 turn the picture by a quarter
        width, height = height, width
    return Photo(
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        format=photo_format,
        media_type=media_type,
        extension=extension,
        width=width,
        height=height,
        orientation=orientation,
        metadata=metadata,
        display=_encode(display, DISPLAY_QUALITY),
        thumbnail=_encode(thumbnail, THUMBNAIL_QUALITY),
    )


def _megabytes(size: int) -> int | float:
    """The limit as people read it: 25, or 2.5 when it is not a whole number of MB."""
    mb = size / (1024 * 1024)
    return int(mb) if mb == int(mb) else round(mb, 1)


def _sniff(data: bytes) -> str | None:
    """The format the first bytes announce, if it is one we accept.

    Deciding by signature first tells "not a photo we accept" (415) from "a damaged photo" (400):
    Pillow's own open says "unidentified" for both.
    """
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "HEIF"
    return None


def _open(data: bytes, max_pixels: int) -> ImageFile.ImageFile:
    """Open (read the headers of) an accepted format, refusing a pixel bomb before any decode.

    The warnings filter is process-wide, so two threads opening at once may each restore the
    other's filter early: the explicit pixel check after it keeps the refusal in that case, and
    Pillow itself raises DecompressionBombError at twice its limit.
    """
    formats = ["JPEG", "PNG", "WEBP"]
    if _sniff(data) == "HEIF":
        _register_heif()
        formats.append("HEIF")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=formats)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise PhotoRefused(INVALID, "too_many_pixels", limit_mp=max_pixels // 1_000_000) from None
    except DECODE_ERRORS:
        # The signature was one we accept, the rest was not readable.
        raise PhotoRefused(INVALID, "corrupt") from None
    if not isinstance(image, ImageFile.ImageFile) or image.format not in FORMATS:
        image.close()
        raise PhotoRefused(UNSUPPORTED, "unsupported_type")
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise PhotoRefused(INVALID, "too_many_pixels", limit_mp=max_pixels // 1_000_000)
    if width < 1 or height < 1:
        image.close()
        raise PhotoRefused(INVALID, "corrupt")
    return image


def _register_heif() -> None:
    """HEIC (iPhones) through pillow-heif, registered on the first HEIC only: importing it costs
    ~8 MB of memory in every worker that never sees one."""
    from pillow_heif import register_heif_opener

    if "HEIF" not in Image.OPEN:
        register_heif_opener()


def _draft_scale(image: ImageFile.ImageFile) -> int:
    """The JPEG scale (1, 2, 4 or 8) to decode at: the smallest decode that still keeps
    DRAFT_KEEP of the display size (or of the photo, when it is smaller than that)."""
    if image.format not in ("JPEG", "MPO"):
        return 1
    width, height = image.size
    long_side = max(width, height)
    wanted = DRAFT_KEEP * min(long_side, DISPLAY_LONG_SIDE)
    for scale in (8, 4, 2):
        # Pillow's scaled size is the ceiling; both sides must keep at least one pixel.
        if -(-long_side // scale) >= wanted and min(width, height) >= scale:
            return scale
    return 1


def _normalise(image: Image.Image) -> Image.Image:
    """RGB, or RGBA while transparency matters for resizing (flattened on white at encoding);
    16-bit greys scaled to 8 bits rather than clipped to white."""
    if image.has_transparency_data:
        return image.convert("RGBA")
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("I", "I;16", "I;16B", "I;16L"):
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image.convert("RGB")


def _fit(image: Image.Image, long_side: int) -> Image.Image:
    """The image scaled down so that its long side is at most `long_side` (never up).

    `reducing_gap` lets Pillow first shrink by an integer factor (cheap box averaging) and finish
    with LANCZOS on the smaller image: the quality of LANCZOS at a fraction of its cost.
    """
    width, height = image.size
    longest = max(width, height)
    if longest <= long_side:
        return image
    size = (max(1, round(width * long_side / longest)), max(1, round(height * long_side / longest)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def _encode(image: Image.Image, quality: int) -> Rendition:
    """JPEG bytes without EXIF or XMP (Pillow writes them only when asked; the colour profile is
    kept so that wide-gamut photos keep their colours)."""
    icc_profile = image.info.get("icc_profile")
    if image.mode == "RGBA":
        flat = Image.new("RGB", image.size, WHITE)
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    buffer = io.BytesIO()
    options: dict[str, Any] = {"quality": quality}
    if isinstance(icc_profile, bytes) and icc_profile:
        options["icc_profile"] = icc_profile
    image.save(buffer, "JPEG", **options)
    return Rendition(buffer.getvalue(), image.width, image.height)


def _read_exif(image: Image.Image) -> tuple[PhotoMetadata, int]:
    """The capture time, position and camera, and the orientation (1-8; 1 when unreadable).

    Metadata is best effort: a damaged EXIF block loses the metadata, never the photo, so every
    parsing failure here yields None rather than a refusal.
    """
    try:
        exif = image.getexif()
        orientation = exif.get(TAG_ORIENTATION, 1)
        details = exif.get_ifd(IFD_EXIF)
        gps = exif.get_ifd(IFD_GPS)
    except Exception:  # Pillow's EXIF parser raises many kinds on a damaged block
        return PhotoMetadata(), 1
    if not isinstance(orientation, int) or not 1 <= orientation <= 8:
        orientation = 1
    taken_at = _exif_datetime(
        details.get(TAG_DATETIME_ORIGINAL), details.get(TAG_OFFSET_TIME_ORIGINAL)
    ) or _exif_datetime(details.get(TAG_DATETIME_DIGITIZED), details.get(TAG_OFFSET_TIME_DIGITIZED))
    metadata = PhotoMetadata(
        taken_at=taken_at,
        position=_position(gps),
        camera_make=_text(exif.get(TAG_MAKE)),
        camera_model=_text(exif.get(TAG_MODEL)),
    )
    return metadata, orientation


DATETIME = re.compile(r"(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


def _exif_datetime(value: object, offset: object) -> datetime | None:
    """`YYYY:MM:DD HH:MM:SS` (and `±HH:MM`) as a datetime; None for blanks like 0000:00:00."""
    text = _text(value)
    if text is None or not (match := DATETIME.match(text)):
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    offset_text = _text(offset)
    if offset_text and (zone := OFFSET.fullmatch(offset_text)):
        sign, hours, minutes = zone.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta < timedelta(hours=24):
            moment = moment.replace(tzinfo=timezone(-delta if sign == "-" else delta))
    return moment


def _position(gps: dict[int, Any]) -> Position | None:
    """Latitude and longitude in signed decimal degrees, or None if either is missing or out of
    range (cameras without a fix write zeros with a zero denominator)."""
    latitude = _degrees(gps.get(GPS_LATITUDE), gps.get(GPS_LATITUDE_REF), "S")
    longitude = _degrees(gps.get(GPS_LONGITUDE), gps.get(GPS_LONGITUDE_REF), "W")
    if latitude is None or longitude is None:
        return None
    if abs(latitude) > 90 or abs(longitude) > 180:
        return None
    return Position(round(latitude, 7), round(longitude, 7))


def _degrees(value: object, ref: object, negative: str) -> float | None:
    """(degrees, minutes, seconds) rationals and an N/S or E/W reference → signed degrees."""
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(result):
        return None
    return -result if _text(ref) == negative else result


def _text(value: object) -> str | None:
    """An EXIF ASCII value as text: NULs and spaces stripped, None when empty."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    text = value.replace("\x00", "").strip()
    return text[:MAX_TEXT] or None
