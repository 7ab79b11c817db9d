"""The photo pipeline (inspection/photos.py), without HTTP: every image is generated here."""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
import zlib
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image, ImageOps
from PIL.TiffImagePlugin import IFDRational

from inspection import photos
from inspection.photos import PhotoRefused

LIMIT = 25 * 1024 * 1024
RED = (230, 20, 20)
GREEN = (20, 200, 20)
GREY = (128, 128, 128)

# How a camera stores an upright scene under each EXIF orientation: the inverse of the turn that
# makes it upright again (written out here, independently of the module's table).
STORED = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # the tablet held upright: the scene is stored turned left
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def upright_scene(width: int = 120, height: int = 80) -> Image.Image:
    """A landscape scene with a red block in its top-left corner and a green one top-right:
    both a turn and a mirror move them somewhere else."""
    image = Image.new("RGB", (width, height), GREY)
    block = (width // 4, height // 4)
    image.paste(RED, (0, 0, *block))
    image.paste(GREEN, (width - block[0], 0, width, block[1]))
    return image


def jpeg(image: Image.Image, exif: Image.Exif | None = None, **options: object) -> bytes:
    buffer = io.BytesIO()
    if exif is not None:
        options["exif"] = exif
    image.save(buffer, "JPEG", quality=90, **options)
    return buffer.getvalue()


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def oriented(orientation: int, scene: Image.Image) -> bytes:
    transpose = STORED[orientation]
    stored = scene if transpose is None else scene.transpose(transpose)
    exif = Image.Exif()
    exif[photos.TAG_ORIENTATION] = orientation
    return jpeg(stored, exif)


def colour_at(image: Image.Image, x: float, y: float) -> tuple[int, ...]:
    pixel = image.convert("RGB").getpixel((int(x * image.width), int(y * image.height)))
    assert isinstance(pixel, tuple)
    return pixel


def near(actual: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    return all(abs(a - e) <= 40 for a, e in zip(actual, expected, strict=True))


def assert_upright(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    assert image.width > image.height
    assert near(colour_at(image, 0.1, 0.1), RED)
    assert near(colour_at(image, 0.9, 0.1), GREEN)
    assert near(colour_at(image, 0.1, 0.9), GREY)
    assert near(colour_at(image, 0.9, 0.9), GREY)


def refusal(data: bytes, **options: int) -> PhotoRefused:
    with pytest.raises(PhotoRefused) as caught:
        photos.process(data, max_bytes=options.pop("max_bytes", LIMIT), **options)
    return caught.value


def png_header(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares `width`×`height` (its data is a few bytes): the shape of
    a decompression bomb, at no cost to the test."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def twelve_megapixels() -> bytes:
    """A 4000×3000 camera JPEG held upright (orientation 6), with time, GPS and camera."""
    scene = upright_scene(4000, 3000)
    stored = scene.transpose(Image.Transpose.ROTATE_90)
    exif = camera_exif(orientation=6)
    return jpeg(stored, exif)


def camera_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[photos.TAG_ORIENTATION] = orientation
    exif[photos.TAG_MAKE] = "Samsung"
    exif[photos.TAG_MODEL] = "SM-X200"
    details = exif.get_ifd(photos.IFD_EXIF)
    details[photos.TAG_DATETIME_ORIGINAL] = "2026:03:14 09:26:53"
    details[photos.TAG_OFFSET_TIME_ORIGINAL] = "+07:00"
    gps = exif.get_ifd(photos.IFD_GPS)
    gps[photos.GPS_LATITUDE_REF] = "N"
    gps[photos.GPS_LATITUDE] = (IFDRational(21), IFDRational(1), IFDRational(425, 10))
    gps[photos.GPS_LONGITUDE_REF] = "E"
    gps[photos.GPS_LONGITUDE] = (IFDRational(105), IFDRational(50), IFDRational(36, 10))
    return exif


# Orientation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_lands_upright(orientation: int) -> None:
    photo = photos.process(oriented(orientation, upright_scene()), max_bytes=LIMIT)
    assert photo.orientation == orientation
    assert (photo.width, photo.height) == (120, 80)
    assert_upright(photo.display.data)
    assert_upright(photo.thumbnail.data)


def test_orientation_agrees_with_pillows_exif_transpose() -> None:
    data = oriented(5, upright_scene())
    reference = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    photo = photos.process(data, max_bytes=LIMIT)
    assert (photo.display.width, photo.display.height) == reference.size
    display = Image.open(io.BytesIO(photo.display.data))
    for x, y in ((0.1, 0.1), (0.9, 0.1), (0.5, 0.5)):
        assert near(colour_at(display, x, y), colour_at(reference, x, y))


def test_a_twelve_megapixel_photo_is_drafted_and_upright(twelve_megapixels: bytes) -> None:
    stored = Image.open(io.BytesIO(twelve_megapixels))
    assert stored.size == (3000, 4000)
    assert photos._draft_scale(stored) == 2  # decoded at 1500×2000, never at full size
    photo = photos.process(twelve_megapixels, max_bytes=LIMIT)
    assert (photo.width, photo.height) == (4000, 3000)
    assert (photo.display.width, photo.display.height) == (2000, 1500)
    assert (photo.thumbnail.width, photo.thumbnail.height) == (320, 240)
    assert_upright(photo.display.data)
    assert_upright(photo.thumbnail.data)


# Metadata ------------------------------------------------------------------------------------


def test_capture_time_with_offset_gps_and_camera_are_read() -> None:
    photo = photos.process(jpeg(upright_scene(), camera_exif()), max_bytes=LIMIT)
    meta = photo.metadata
    assert meta.taken_at == datetime(2026, 3, 14, 9, 26, 53, tzinfo=timezone(timedelta(hours=7)))
    assert meta.position is not None
    assert meta.position.latitude == pytest.approx(21 + 1 / 60 + 42.5 / 3600, abs=1e-7)
    assert meta.position.longitude == pytest.approx(105 + 50 / 60 + 3.6 / 3600, abs=1e-7)
    assert (meta.camera_make, meta.camera_model) == ("Samsung", "SM-X200")


def test_south_and_west_are_negative_and_a_time_without_offset_is_naive() -> None:
    exif = camera_exif()
    del exif.get_ifd(photos.IFD_EXIF)[photos.TAG_OFFSET_TIME_ORIGINAL]
    gps = exif.get_ifd(photos.IFD_GPS)
    gps[photos.GPS_LATITUDE_REF] = "S"
    gps[photos.GPS_LONGITUDE_REF] = "W"
    meta = photos.process(jpeg(upright_scene(), exif), max_bytes=LIMIT).metadata
    assert meta.taken_at == datetime(2026, 3, 14, 9, 26, 53)
    assert meta.position is not None
    assert meta.position.latitude < 0 and meta.position.longitude < 0


def test_missing_or_unusable_metadata_is_none() -> None:
    exif = Image.Exif()
    exif.get_ifd(photos.IFD_EXIF)[photos.TAG_DATETIME_ORIGINAL] = "0000:00:00 00:00:00"
    gps = exif.get_ifd(photos.IFD_GPS)  # a camera without a fix: zero denominators
    gps[photos.GPS_LATITUDE_REF] = "N"
    gps[photos.GPS_LATITUDE] = (IFDRational(0, 0), IFDRational(0, 0), IFDRational(0, 0))
    gps[photos.GPS_LONGITUDE_REF] = "E"
    gps[photos.GPS_LONGITUDE] = (IFDRational(0, 0), IFDRational(0, 0), IFDRational(0, 0))
    photo = photos.process(jpeg(upright_scene(), exif), max_bytes=LIMIT)
    assert photo.metadata == photos.PhotoMetadata()
    assert photos.process(jpeg(upright_scene()), max_bytes=LIMIT).metadata == (
        photos.PhotoMetadata()
    )


# Outputs -------------------------------------------------------------------------------------


def test_outputs_carry_no_exif_and_no_xmp() -> None:
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>21,1.7N</exif:GPSLatitude>'
    data = jpeg(upright_scene(), camera_exif(orientation=6), xmp=xmp + b"</x:xmpmeta>")
    assert b"GPSLatitude" in data
    photo = photos.process(data, max_bytes=LIMIT)
    for rendition in (photo.display, photo.thumbnail):
        image = Image.open(io.BytesIO(rendition.data))
        assert image.format == "JPEG"
        assert rendition.media_type == "image/jpeg"
        assert len(image.getexif()) == 0
        assert "exif" not in image.info and "xmp" not in image.info
        assert b"Exif\x00\x00" not in rendition.data
        assert b"GPSLatitude" not in rendition.data
        assert b"SM-X200" not in rendition.data


def test_display_and_thumbnail_sizes() -> None:
    panorama = jpeg(Image.new("RGB", (6000, 1000), GREY))
    photo = photos.process(panorama, max_bytes=LIMIT)
    assert (photo.display.width, photo.display.height) == (2048, 341)
    assert (photo.thumbnail.width, photo.thumbnail.height) == (320, 53)
    small = photos.process(jpeg(upright_scene(100, 60)), max_bytes=LIMIT)
    assert (small.display.width, small.display.height) == (100, 60)  # never enlarged
    assert (small.thumbnail.width, small.thumbnail.height) == (100, 60)
    tall = photos.process(jpeg(Image.new("RGB", (900, 3000), GREY)), max_bytes=LIMIT)
    assert max(tall.display.width, tall.display.height) <= photos.DISPLAY_LONG_SIDE
    assert (tall.thumbnail.width, tall.thumbnail.height) == (96, 320)


def test_sha256_is_of_the_received_bytes(twelve_megapixels: bytes) -> None:
    photo = photos.process(twelve_megapixels, max_bytes=LIMIT)
    assert photo.sha256 == hashlib.sha256(twelve_megapixels).hexdigest()
    assert photo.size == len(twelve_megapixels)
    assert (photo.format, photo.media_type, photo.extension) == ("jpeg", "image/jpeg", "jpg")


# Formats -------------------------------------------------------------------------------------


def test_png_with_transparency_is_accepted_and_flattened_on_white() -> None:
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    image.paste((230, 20, 20, 255), (0, 0, 50, 50))
    photo = photos.process(encoded(image, "PNG"), max_bytes=LIMIT)
    assert (photo.format, photo.media_type, photo.extension) == ("png", "image/png", "png")
    display = Image.open(io.BytesIO(photo.display.data))
    assert near(colour_at(display, 0.1, 0.2), RED)
    assert near(colour_at(display, 0.9, 0.9), (255, 255, 255))


def test_png_orientation_and_palette() -> None:
    exif = Image.Exif()
    exif[photos.TAG_ORIENTATION] = 3
    data = encoded(upright_scene().transpose(Image.Transpose.ROTATE_180), "PNG", exif=exif)
    assert_upright(photos.process(data, max_bytes=LIMIT).display.data)
    palette = upright_scene().convert("P", palette=Image.Palette.ADAPTIVE)
    assert_upright(photos.process(encoded(palette, "PNG"), max_bytes=LIMIT).display.data)


def test_sixteen_bit_grey_png_keeps_its_greys() -> None:
    image = Image.new("I;16", (64, 64), 32768)
    display = photos.process(encoded(image, "PNG"), max_bytes=LIMIT).display
    grey = colour_at(Image.open(io.BytesIO(display.data)), 0.5, 0.5)
    assert near(grey, (128, 128, 128))


def test_webp_is_accepted_with_its_orientation() -> None:
    exif = Image.Exif()
    exif[photos.TAG_ORIENTATION] = 8
    stored = upright_scene().transpose(Image.Transpose.ROTATE_270)
    photo = photos.process(encoded(stored, "WEBP", quality=90, exif=exif), max_bytes=LIMIT)
    assert (photo.format, photo.media_type, photo.extension) == ("webp", "image/webp", "webp")
    assert_upright(photo.display.data)


def test_heic_is_accepted() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    heif = pillow_heif.from_pillow(upright_scene(128, 96))
    buffer = io.BytesIO()
    heif.save(buffer, quality=90)
    photo = photos.process(buffer.getvalue(), max_bytes=LIMIT)
    assert (photo.format, photo.media_type, photo.extension) == ("heic", "image/heic", "heic")
    assert (photo.width, photo.height) == (128, 96)
    assert_upright(photo.display.data)


# Refusals ------------------------------------------------------------------------------------


def test_a_text_file_named_jpg_is_unsupported() -> None:
    refused = refusal("Biên bản kiểm tra\nnot a photo\n".encode())
    assert (refused.kind, refused.code) == ("unsupported", "unsupported_type")
    assert "JPEG, PNG, WebP" in str(refused)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_unsupported(fmt: str) -> None:
    refused = refusal(encoded(upright_scene(), fmt))
    assert (refused.kind, refused.code) == ("unsupported", "unsupported_type")


def test_an_empty_file_is_refused() -> None:
    refused = refusal(b"")
    assert (refused.kind, refused.code) == ("unsupported", "empty")


def test_an_oversize_file_is_too_large_and_says_the_limit() -> None:
    data = jpeg(upright_scene())
    refused = refusal(data, max_bytes=len(data) - 1)
    assert (refused.kind, refused.code) == ("too_large", "too_large")
    big = refusal(b"\xff\xd8\xff" + bytes(LIMIT))
    assert big.params == {"limit_mb": 25}
    assert str(big) == "The photo is larger than the limit of 25 MB."
    assert big.message == photos.MESSAGES["too_large"]  # the catalog's text, for translation
    assert photos.process(data, max_bytes=len(data)).size == len(data)  # the limit itself is fine


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.999])
def test_a_truncated_jpeg_is_invalid_even_through_draft_mode(
    twelve_megapixels: bytes, keep: float
) -> None:
    """Draft mode scales the inverse DCT but still entropy-decodes every block: the truncation is
    found at the scale the pipeline uses, not only by a full decode."""
    cut = twelve_megapixels[: int(len(twelve_megapixels) * keep)]
    drafted = Image.open(io.BytesIO(cut))
    drafted.draft("RGB", (1500, 2000))
    assert drafted.size == (1500, 2000)  # the scaled decode the pipeline makes
    with pytest.raises(OSError, match="truncated"):
        drafted.load()
    refused = refusal(cut)
    assert (refused.kind, refused.code) == ("invalid", "corrupt")


def test_a_damaged_png_is_invalid() -> None:
    data = encoded(upright_scene(), "PNG")
    damaged = data[:40] + bytes(len(data) - 40)
    refused = refusal(damaged)
    assert (refused.kind, refused.code) == ("invalid", "corrupt")
    refused = refusal(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    assert (refused.kind, refused.code) == ("invalid", "corrupt")


@pytest.mark.parametrize(
    "width, height",
    [
        (8_000, 7_000),  # over our 50 MP, under Pillow's limit: our own check
        (10_000, 10_000),  # over Pillow's limit: its DecompressionBombWarning
        (100_000, 100_000),  # over twice Pillow's limit: its DecompressionBombError
    ],
)
def test_a_pixel_bomb_is_refused_without_a_warning_escaping(width: int, height: int) -> None:
    assert width * height > photos.MAX_PIXELS
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        refused = refusal(png_header(width, height))
    assert (refused.kind, refused.code) == ("invalid", "too_many_pixels")
    assert refused.params == {"limit_mp": 50}
    assert caught == []


def test_the_pixel_limit_applies_to_real_images_too() -> None:
    refused = refusal(jpeg(upright_scene(120, 80)), max_pixels=120 * 80 - 1)
    assert (refused.kind, refused.code) == ("invalid", "too_many_pixels")
    assert photos.process(jpeg(upright_scene(120, 80)), max_bytes=LIMIT, max_pixels=120 * 80)


def test_every_refusal_message_is_in_the_catalog() -> None:
    from tests.test_translations import catalog

    vi = catalog("vi")
    for message in photos.MESSAGES.values():
        assert message in vi and vi[message].string
