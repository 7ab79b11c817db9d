"""Photos on the checklist (issue 15), on a tablet: the camera button sends a 12 MP photo made
upright and at most 2048 px long by the page, the viewer zooms, edits the caption and removes the
photo, and a file that is no photo is refused in words the inspector reads."""

from __future__ import annotations

import io
import random
import time
import uuid
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from tests.browser.conftest import VIEWPORTS, go_offline, login, open_context
from tests.factories import PASSWORD

ITEM = "niem-yet-day-du"  # cchc-xa: "photo": "required", "photos_min": 2
ORIENTATION = 0x0112
ROTATED_90_CW = 6  # EXIF: the stored pixels are to be turned 90° clockwise to stand upright


def camera_photo(path: Path) -> Path:
    """A 12 MP JPEG (4000×3000 stored, EXIF orientation 6: a portrait held upright) with the
    detail of a real one: coloured blotches, sensor-like noise and lines of small text, some MB."""
    rng = random.Random(15)
    width, height = 4000, 3000
    image = Image.frombytes("RGB", (160, 120), rng.randbytes(160 * 120 * 3))
    image = image.resize((width, height), Image.Resampling.BICUBIC)
    noise = Image.effect_noise((width, height), 12).convert("RGB")
    image = ImageChops.add(image, noise, offset=-128)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=60)
    for y in range(0, height, 150):
        line = f"Niêm yết thủ tục hành chính — bảng số {y} " * 3
        draw.text((50, y), line, fill=(0, 0, 0), font=font)
    exif = Image.Exif()
    exif[ORIENTATION] = ROTATED_90_CW
    image.save(path, "JPEG", quality=95, exif=exif)
    return path


def small_jpeg(width: int = 1600, height: int = 1200) -> bytes:
    image = Image.new("RGB", (width, height), (90, 140, 200))
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 100):
        draw.line((x, 0, x, height), fill=(255, 255, 255), width=4)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def open_visit(browser, server, requests_log, visit):
    context = open_context(browser, VIEWPORTS["tablet-portrait"], log=requests_log)
    page = context.new_page()
    login(page, server.url, "insp-a", PASSWORD)
    page.goto(f"{server.url}/visits/{visit.id}")
    page.wait_for_selector(".visit.js")
    page.wait_for_load_state("load")
    return context, page


def strip(page):
    """The item: its camera button, what it still needs and its thumbnails."""
    return page.locator(f"#item-{ITEM}")


def stored_photos(page, base: str, visit_id: int) -> list[dict]:
    response = page.request.get(f"{base}/api/v1/visits/{visit_id}/photos")
    assert response.ok
    return response.json()["photos"]


def api_upload(page, base: str, visit_id: int, content: bytes) -> dict:
    token = page.request.get(f"{base}/api/v1/me").json()["csrf_token"]
    response = page.request.post(
        f"{base}/api/v1/visits/{visit_id}/photos",
        headers={"X-CSRFToken": token},
        multipart={
            "file": {"name": "bang.jpg", "mimeType": "image/jpeg", "buffer": content},
            "item_key": ITEM,
            "client_id": str(uuid.uuid4()),
        },
    )
    assert response.status == 201, response.text()
    return response.json()


def test_a_12_megapixel_photo_is_sent_upright_and_downscaled(
    browser, demo_visit, server, requests_log, tmp_path
):
    original = camera_photo(tmp_path / "IMG_0001.jpg")
    original_size = original.stat().st_size
    assert original_size > 4_000_000  # a camera's photo, not a toy
    context, page = open_visit(browser, server, requests_log, demo_visit)
    photos = strip(page)
    assert photos.locator(".need").get_attribute("data-need") == "2"
    assert photos.locator(".need").inner_text() == "Còn thiếu 2 ảnh"
    camera = photos.locator("label.cam")
    assert camera.inner_text() == "Chụp ảnh"
    field = camera.locator("input[type=file]")
    assert field.get_attribute("accept") == "image/*"
    assert field.get_attribute("capture") == "environment"
    assert photos.locator("a.cam").count() == 0

    # Every tile the strip gains, as it is added: the pending one may be gone by the next look.
    photos.evaluate(
        """strip => {
          window.tiles = [];
          new MutationObserver(changes => changes.forEach(change => {
            change.addedNodes.forEach(node => {
              if (node.nodeType === 1 && node.matches(".thumb")) {
                window.tiles.push(node.matches("span.thumb.pending") &&
                  !!node.querySelector("img[src^='blob:']") && !!node.querySelector("progress"));
              }
            });
          })).observe(strip, { childList: true, subtree: true });
        }"""
    )
    started = time.monotonic()
    field.set_input_files(str(original))
    photos.locator("a.thumb[data-photo]").wait_for(timeout=30_000)
    elapsed = time.monotonic() - started
    # First the pending tile with its preview and progress bar, then the thumbnail.
    assert page.evaluate("window.tiles") == [True, False]
    assert photos.locator("span.thumb").count() == 0
    assert photos.locator(".need").inner_text() == "Còn thiếu 1 ảnh"

    stored = stored_photos(page, server.url, demo_visit.id)
    assert len(stored) == 1, stored
    photo = stored[0]
    assert photo["item_keys"] == [ITEM]
    assert photo["media_type"] == "image/jpeg"
    assert photo["size"] < original_size / 4, (photo["size"], original_size)
    assert max(photo["width"], photo["height"]) <= 2048
    assert photo["height"] > photo["width"], "EXIF orientation 6 not applied"
    assert photos.locator("a.thumb").get_attribute("data-photo") == str(photo["id"])
    print(
        f"\n12 MP photo: {original_size / 1e6:.1f} MB → {photo['size'] / 1e6:.2f} MB,"
        f" {photo['width']}×{photo['height']}, thumbnail after {elapsed:.1f} s"
    )
    context.close()


def test_the_viewer_fits_zooms_scrolls_and_closes(browser, demo_visit, server, requests_log):
    context, page = open_visit(browser, server, requests_log, demo_visit)
    api_upload(page, server.url, demo_visit.id, small_jpeg())
    page.reload()
    page.wait_for_selector(".visit.js")
    thumb = strip(page).locator("a.thumb")
    thumb.click()
    viewer = page.locator(".viewer")
    viewer.wait_for(state="visible")
    box = viewer.bounding_box()
    assert box == {"x": 0, "y": 0, "width": 768, "height": 1024}  # the whole screen
    image = viewer.locator(".viewer-stage img")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    fitted = image.bounding_box()
    assert fitted["x"] >= 0 and fitted["y"] >= 0
    assert fitted["x"] + fitted["width"] <= 768 and fitted["y"] + fitted["height"] <= 1024
    level = viewer.locator(".zoom-level")
    assert level.inner_text() == "100%"
    stage = viewer.locator(".viewer-stage")
    assert not stage.evaluate("s => s.scrollWidth > s.clientWidth")

    zoom_in = viewer.get_by_role("button", name="Phóng to")
    for _ in range(3):
        zoom_in.click()
    assert int(level.inner_text().rstrip("%")) > 100
    zoomed = image.bounding_box()
    assert zoomed["width"] >= 3 * fitted["width"], (fitted, zoomed)
    assert stage.evaluate("s => s.scrollWidth > s.clientWidth")

    viewer.get_by_role("button", name="Thu nhỏ").click()
    assert image.bounding_box()["width"] < zoomed["width"]
    page.keyboard.press("Escape")
    viewer.wait_for(state="detached")
    context.close()


def test_the_viewer_saves_a_caption_and_removes_the_photo(
    browser, demo_visit, server, requests_log
):
    context, page = open_visit(browser, server, requests_log, demo_visit)
    api_upload(page, server.url, demo_visit.id, small_jpeg())
    page.reload()
    page.wait_for_selector(".visit.js")
    assert strip(page).locator(".need").inner_text() == "Còn thiếu 1 ảnh"
    caption = "Bảng niêm yết TTHC tại Bộ phận Một cửa"
    strip(page).locator("a.thumb").click()
    viewer = page.locator(".viewer")
    viewer.locator("textarea").fill(caption)
    viewer.get_by_role("button", name="Lưu chú thích").click()
    viewer.get_by_text("Đã lưu chú thích.").wait_for()
    page.keyboard.press("Escape")

    page.reload()
    page.wait_for_selector(".visit.js")
    thumb = strip(page).locator("a.thumb")
    assert thumb.locator("img").get_attribute("alt") == caption
    assert stored_photos(page, server.url, demo_visit.id)[0]["caption"] == caption

    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    thumb.click()
    assert viewer.locator("textarea").input_value() == caption  # the caption to edit
    viewer.get_by_role("button", name="Xóa ảnh").click()
    viewer.wait_for(state="detached")
    thumb.wait_for(state="detached")
    assert len(dialogs) == 1
    assert strip(page).locator(".need").inner_text() == "Còn thiếu 2 ảnh"
    assert stored_photos(page, server.url, demo_visit.id) == []
    context.close()


REFUSED = "Ảnh bị từ chối:"
NOT_A_PHOTO = {
    # Not an image at all, whatever its name says: the server refuses its type (415).
    "text named x.jpg": (b"not a photo at all\n" * 50, "Chỉ nhận ảnh JPEG, PNG, WebP hoặc HEIC."),
    # Half a JPEG: the browser cannot decode it either, so it goes as it is and the server's
    # full decode refuses it (400).
    "truncated JPEG": (
        small_jpeg(1000, 800)[:20_000],
        "Không đọc được tệp này như một bức ảnh: tệp bị hỏng hoặc không đầy đủ.",
    ),
}


@pytest.mark.parametrize("case", sorted(NOT_A_PHOTO))
def test_a_file_that_is_no_photo_is_refused_and_nothing_is_stored(
    browser, demo_visit, server, requests_log, case
):
    content, reason = NOT_A_PHOTO[case]
    context, page = open_visit(browser, server, requests_log, demo_visit)
    photos = strip(page)
    photos.locator("input[type=file]").set_input_files(
        {"name": "x.jpg", "mimeType": "image/jpeg", "buffer": content}
    )
    refused = photos.locator("span.thumb.refused")
    refused.wait_for(timeout=15_000)
    assert refused.locator("progress").count() == 0
    # In the inspector's language, the reason included (not the API's English message).
    assert refused.locator(".upload-state").inner_text() == f"{REFUSED} {reason}"
    assert photos.locator("a.thumb").count() == 0
    assert photos.locator(".need").inner_text() == "Còn thiếu 2 ảnh"
    assert stored_photos(page, server.url, demo_visit.id) == []
    refused.get_by_role("button", name="Đóng").click()
    refused.wait_for(state="detached")
    context.close()


KEPT = "Ảnh đã lưu trên máy: sẽ gửi khi có mạng trở lại"


def test_a_photo_taken_offline_is_sent_once_when_the_link_returns(
    browser, demo_visit, server, requests_log
):
    context, page = open_visit(browser, server, requests_log, demo_visit)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    go_offline(context, page)
    photos = strip(page)
    photos.locator("input[type=file]").set_input_files(
        {"name": "bang.jpg", "mimeType": "image/jpeg", "buffer": small_jpeg()}
    )
    waiting = photos.locator("span.thumb.waiting")
    waiting.wait_for(timeout=15_000)  # kept, saying it will try again
    assert waiting.locator(".upload-state").inner_text() == KEPT
    page.wait_for_timeout(2_500)  # a timed retry, still offline: kept waiting, nothing stored
    assert photos.locator("span.thumb.waiting").count() == 1
    tries_offline = len(posts)
    context.set_offline(False)  # the "online" event sends it at once, and only once
    photos.locator("a.thumb[data-photo]").wait_for(timeout=15_000)
    page.wait_for_timeout(1_000)
    assert len(posts) - tries_offline == 1
    assert len(stored_photos(page, server.url, demo_visit.id)) == 1
    assert photos.locator(".need").inner_text() == "Còn thiếu 1 ảnh"
    context.close()
