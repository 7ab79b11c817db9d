"""An item's photos without JavaScript (views/photos.py): the page, its upload form (one or
several photos), captions and removal, and what the checklist shows of them. In Vietnamese by
default, like every page."""

from __future__ import annotations

import html
import io
import os
import re

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from inspection.models import Photo, PhotoLink
from tests.factories import (
    ApiClient,
    audit_events,
    csrf_from,
    logged_in,
    make_user,
    page_of,
    photo_bytes,
    photo_folders,
    photo_records,
    rows,
    set_visit_status,
    upload_photo,
)
from tests.test_photos import jpeg, upright_scene

ITEM = "niem-yet-day-du"  # requires two photos (photos_min 2)
ITEM_TEXT = "Niêm yết công khai đầy đủ, kịp thời các TTHC"
NOTHING = {"photos": 0, "photo_links": 0, "client_requests": 0}
VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


@pytest.fixture
def browser(app, visit):
    return logged_in(app, "insp-a")


def photos_url(visit, item=ITEM) -> str:
    return f"/visits/{visit.id}/items/{item}/photos"


def open_page(client, visit, item=ITEM) -> str:
    response = client.get(photos_url(visit, item))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def hidden(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert match, name
    return match.group(1)


def send_photos(client, visit, page: str, files: list[tuple[str, bytes]], caption: str = ""):
    """Post the page's upload form with these files, as a browser does."""
    data = {
        "csrf_token": csrf_from(page),
        "client_id": hidden(page, "client_id"),
        "caption": caption,
        "file": [(io.BytesIO(content), name, "image/jpeg") for name, content in files],
    }
    return client.post(photos_url(visit), data=data, content_type="multipart/form-data")


def error_of(page: str) -> str:
    match = re.search(r'<p class="flash error" role="alert">(.*?)</p>', page, re.S)
    assert match, "no error on the page"
    return html.unescape(match.group(1))


def item_block(page: str, key: str = ITEM) -> str:
    match = re.search(rf'<article[^>]* id="item-{key}".*?</article>', page, re.S)
    assert match, key
    return match.group(0)


def linked_items(app) -> list[str]:
    return sorted(link.item_key for link in rows(app, PhotoLink))


def thumbs(block: str) -> list[str]:
    return re.findall(r'<img src="(/api/v1/photos/\d+/thumb)"', block)


# The page ----------------------------------------------------------------------------------------


def test_the_page_shows_the_item_and_a_form_to_send_photos_in_vietnamese(app, visit, browser):
    page = open_page(browser, visit)
    assert ITEM_TEXT in page
    assert "<h1>Ảnh</h1>" in page
    assert "Tiêu chí này cần 2 ảnh." in page
    assert "Chưa có ảnh nào." in page
    form = re.search(r'<form method="post" enctype="multipart/form-data".*?</form>', page, re.S)
    assert form, "no upload form"
    assert f'action="{photos_url(visit)}"' in form.group(0)
    assert re.search(r'<input type="file" name="file"[^>]* multiple', form.group(0))
    assert 'name="caption"' in form.group(0) and "Gửi ảnh" in form.group(0)
    assert len(hidden(page, "client_id")) == 36
    assert f'href="/visits/{visit.id}#item-{ITEM}"' in page  # the way back to the item


def test_a_photo_sent_from_the_page_is_kept_and_shown(app, visit, browser):
    page = open_page(browser, visit)
    data = photo_bytes(1)
    response = send_photos(browser, visit, page, [("bang.jpg", data)], caption="Toàn cảnh bảng")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(photos_url(visit))
    [photo] = rows(app, Photo)
    assert photo.caption == "Toàn cảnh bảng"
    assert photo_records(app) == {"photos": 1, "photo_links": 1, "client_requests": 1}
    shown = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã lưu 1 ảnh." in shown
    assert f'<img src="/api/v1/photos/{photo.id}/thumb"' in shown
    assert "Toàn cảnh bảng" in shown
    assert "Chưa có ảnh nào." not in shown
    served = browser.get(f"/api/v1/photos/{photo.id}/original")
    assert served.get_data() == data
    served.close()


def test_a_camera_original_larger_than_other_forms_take_is_kept(app, visit, browser):
    """Every other form is capped at 2 MB (body_limits.py); a photo form takes uploads."""
    noise = Image.frombytes("RGB", (1800, 1400), os.urandom(1800 * 1400 * 3))
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=95)
    data = out.getvalue()
    assert len(data) > 2 * 1024 * 1024
    page = open_page(browser, visit)
    fields = {"csrf_token": csrf_from(page), "client_id": hidden(page, "client_id")}
    # Encoded in memory: given a large file, the test client spills it to a file it never closes.
    upload = FileStorage(io.BytesIO(data), "goc.jpg", content_type="image/jpeg")
    boundary, body = encode_multipart({**fields, "file": upload})
    response = browser.post(
        photos_url(visit), data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    [photo] = rows(app, Photo)
    assert photo.size == len(data)


def test_the_checklist_shows_the_thumbnails_and_counts_the_photos_still_needed(app, visit, browser):
    before = item_block(page_of(browser, visit))
    assert thumbs(before) == []
    assert "Còn thiếu 2 ảnh" in before
    assert f'href="/visits/{visit.id}/items/{ITEM}/photos"' in before

    send_photos(browser, visit, open_page(browser, visit), [("1.jpg", photo_bytes(2))])
    [first] = rows(app, Photo)
    after_one = item_block(page_of(browser, visit))
    assert thumbs(after_one) == [f"/api/v1/photos/{first.id}/thumb"]
    assert f'href="/api/v1/photos/{first.id}/display"' in after_one
    assert "Còn thiếu 1 ảnh" in after_one and "Còn thiếu 2 ảnh" not in after_one

    send_photos(browser, visit, open_page(browser, visit), [("2.jpg", photo_bytes(3))])
    after_two = item_block(page_of(browser, visit))
    assert len(thumbs(after_two)) == 2
    assert "Còn thiếu" not in after_two
    # The lead reading the checklist sees the photos too, without the camera link.
    lead_view = item_block(page_of(logged_in(app, "lead-a"), visit))
    assert len(thumbs(lead_view)) == 2
    assert f"/items/{ITEM}/photos" not in lead_view


def test_the_checklist_shows_a_photo_sent_through_the_api_after_it_was_served(app, visit, browser):
    """The checklist page is cached per visit state: a new photo must show at once."""
    assert thumbs(item_block(page_of(browser, visit))) == []
    api = ApiClient(app, "insp-a")
    photo = upload_photo(api, visit, photo_bytes(4), item_key=ITEM).get_json()
    assert thumbs(item_block(page_of(browser, visit))) == [photo["urls"]["thumb"]]
    api.delete(f"/api/v1/photos/{photo['id']}")
    assert thumbs(item_block(page_of(browser, visit))) == []


def test_several_photos_at_once_are_each_kept(app, visit, browser):
    page = open_page(browser, visit)
    files = [("1.jpg", photo_bytes(5)), ("2.jpg", photo_bytes(6)), ("3.jpg", photo_bytes(7))]
    response = send_photos(browser, visit, page, files)
    assert response.status_code == 302
    assert photo_records(app) == {"photos": 3, "photo_links": 3, "client_requests": 3}
    assert "Đã lưu 3 ảnh." in browser.get(response.headers["Location"]).get_data(as_text=True)


def test_the_same_form_sent_twice_stores_once(app, visit, browser):
    page = open_page(browser, visit)
    files = [("1.jpg", photo_bytes(8)), ("2.jpg", photo_bytes(9))]
    assert send_photos(browser, visit, page, files).status_code == 302
    again = send_photos(browser, visit, page, files)  # the tap on "send" repeated
    assert again.status_code == 302
    # Said as saved, not as "already saved for another item": these are the form's own photos.
    assert "Đã lưu 2 ảnh." in browser.get(again.headers["Location"]).get_data(as_text=True)
    assert photo_records(app) == {"photos": 2, "photo_links": 2, "client_requests": 2}
    assert len(photo_folders(app)) == 2
    assert len(audit_events(app, "photo.add")) == 2


def test_a_photo_already_kept_for_another_item_is_linked_to_this_one(app, visit, browser):
    data = photo_bytes(10)
    upload_photo(ApiClient(app, "insp-a"), visit, data, item_key="niem-yet-qr")
    response = send_photos(browser, visit, open_page(browser, visit), [("1.jpg", data)])
    assert response.status_code == 302
    shown = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ảnh này đã được lưu trước đó: nay được gắn thêm vào tiêu chí này." in shown
    assert photo_records(app)["photos"] == 1
    assert linked_items(app) == [ITEM, "niem-yet-qr"]


BAD = {
    "text named .jpg": (
        "Biên bản kiểm tra\n".encode(),
        415,
        "Chỉ nhận ảnh JPEG, PNG, WebP hoặc HEIC.",
    ),
    "empty file": (b"", 415, "Tệp trống: không nhận được ảnh nào."),
    "truncated jpeg": (
        jpeg(upright_scene(800, 600))[:3000],
        400,
        "Không đọc được tệp này như một bức ảnh: tệp bị hỏng hoặc không đầy đủ.",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_file_is_refused_on_the_page_in_vietnamese_and_nothing_is_kept(
    app, visit, browser, case
):
    data, status, message = BAD[case]
    response = send_photos(browser, visit, open_page(browser, visit), [("anh.jpg", data)])
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert error_of(page) == message
    assert ITEM_TEXT in page and 'enctype="multipart/form-data"' in page  # to try again
    assert photo_records(app) == NOTHING
    assert photo_folders(app) == []


def test_a_bad_file_after_good_ones_says_how_many_were_kept(app, visit, browser):
    files = [("1.jpg", photo_bytes(11)), ("2.jpg", b"not a photo")]
    response = send_photos(browser, visit, open_page(browser, visit), files)
    assert response.status_code == 415
    assert error_of(response.get_data(as_text=True)) == (
        "Đã lưu 1 ảnh; ảnh tiếp theo bị từ chối: Chỉ nhận ảnh JPEG, PNG, WebP hoặc HEIC."
    )
    assert photo_records(app)["photos"] == 1


def test_sending_the_form_without_a_photo_asks_for_one(app, visit, browser):
    page = open_page(browser, visit)
    response = browser.post(
        photos_url(visit),
        data={"csrf_token": csrf_from(page), "client_id": hidden(page, "client_id")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert error_of(response.get_data(as_text=True)) == "Hãy chụp hoặc chọn ảnh trước."
    assert photo_records(app) == NOTHING


def test_a_form_without_its_csrf_token_is_refused(app, visit, browser):
    page = open_page(browser, visit)
    response = browser.post(
        photos_url(visit),
        data={
            "client_id": hidden(page, "client_id"),
            "file": (io.BytesIO(photo_bytes(12)), "a.jpg", "image/jpeg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert photo_records(app) == NOTHING


def test_an_unknown_item_has_no_photo_page(app, visit, browser):
    assert browser.get(photos_url(visit, "khong-co")).status_code == 404


# Captions and removal ----------------------------------------------------------------------------


def caption_form(page: str, photo_id: int) -> str:
    match = re.search(
        rf'<form method="post" action="/visits/\d+/photos/{photo_id}/caption">.*?</form>',
        page,
        re.S,
    )
    assert match, "no caption form"
    return match.group(0)


def test_a_caption_is_saved_from_the_page(app, visit, browser):
    send_photos(browser, visit, open_page(browser, visit), [("1.jpg", photo_bytes(13))])
    [photo] = rows(app, Photo)
    page = open_page(browser, visit)
    form = caption_form(page, photo.id)
    assert hidden(form, "item_key") == ITEM
    response = browser.post(
        f"/visits/{visit.id}/photos/{photo.id}/caption",
        data={"csrf_token": csrf_from(form), "item_key": ITEM, "caption": "Cận cảnh một TTHC"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(photos_url(visit))
    shown = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã lưu chú thích." in shown
    assert ">Cận cảnh một TTHC</textarea>" in caption_form(shown, photo.id)
    assert rows(app, Photo)[0].caption == "Cận cảnh một TTHC"


def test_a_caption_too_long_is_refused_on_the_page_saying_why_in_vietnamese(app, visit, browser):
    send_photos(browser, visit, open_page(browser, visit), [("1.jpg", photo_bytes(20))], "Cũ")
    [photo] = rows(app, Photo)
    page = open_page(browser, visit)
    refused = browser.post(
        f"/visits/{visit.id}/photos/{photo.id}/caption",
        data={"csrf_token": csrf_from(page), "item_key": ITEM, "caption": "x" * 501},
    )
    assert refused.status_code == 400
    assert rows(app, Photo)[0].caption == "Cũ"
    message = error_of(refused.get_data(as_text=True))
    assert VIETNAMESE.search(message) and "500" in message, message
    # The same with a new photo's caption.
    sent = send_photos(browser, visit, page, [("2.jpg", photo_bytes(21))], caption="y" * 501)
    assert sent.status_code == 400
    assert photo_records(app)["photos"] == 1
    message = error_of(sent.get_data(as_text=True))
    assert VIETNAMESE.search(message) and "500" in message, message


def test_a_photo_is_removed_from_the_page(app, visit, browser):
    data = photo_bytes(14)
    send_photos(browser, visit, open_page(browser, visit), [("1.jpg", data)])
    upload_photo(ApiClient(app, "insp-a"), visit, data, item_key="niem-yet-qr")
    [photo] = rows(app, Photo)
    page = open_page(browser, visit)
    assert f'action="/visits/{visit.id}/photos/{photo.id}/remove"' in page
    response = browser.post(
        f"/visits/{visit.id}/photos/{photo.id}/remove",
        data={"csrf_token": csrf_from(page), "item_key": ITEM},
    )
    assert response.status_code == 302
    shown = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã xóa ảnh." in shown and "Chưa có ảnh nào." in shown
    # Still the evidence of the other item: only this item's link went.
    assert linked_items(app) == ["niem-yet-qr"]
    assert len(photo_folders(app)) == 1
    other = open_page(browser, visit, "niem-yet-qr")
    browser.post(
        f"/visits/{visit.id}/photos/{photo.id}/remove",
        data={"csrf_token": csrf_from(other), "item_key": "niem-yet-qr"},
    )
    assert photo_records(app)["photos"] == 0 and photo_folders(app) == []


# Who sees what -----------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["lead-a", "admin1"])
def test_readers_who_do_not_fill_the_checklist_see_photos_but_no_forms(app, visit, username):
    make_user(app, "admin1", "admin")
    upload_photo(ApiClient(app, "insp-a"), visit, photo_bytes(15), item_key=ITEM, caption="Bảng")
    [photo] = rows(app, Photo)
    reader = logged_in(app, username)
    page = open_page(reader, visit)
    assert ITEM_TEXT in page
    assert f'<img src="/api/v1/photos/{photo.id}/thumb"' in page
    assert "<p>Bảng</p>" in page  # the caption as text
    for form_part in ('enctype="multipart/form-data"', 'type="file"', "/caption", "/remove"):
        assert form_part not in page, form_part
    token = csrf_from(reader.get(f"/visits/{visit.id}").get_data(as_text=True))
    refused = reader.post(
        photos_url(visit),
        data={
            "csrf_token": token,
            "client_id": "7f1c1f0e-5b8a-4a43-9d43-7a2f0a4c1b11",
            "file": (io.BytesIO(photo_bytes(16)), "a.jpg", "image/jpeg"),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 403
    assert photo_records(app)["photos"] == 1


def test_the_lead_may_not_post_the_pages_forms(app, visit):
    lead = logged_in(app, "lead-a")
    token = csrf_from(lead.get(f"/visits/{visit.id}").get_data(as_text=True))
    response = lead.post(
        photos_url(visit),
        data={
            "csrf_token": token,
            "client_id": "7f1c1f0e-5b8a-4a43-9d43-7a2f0a4c1b11",
            "file": (io.BytesIO(photo_bytes(17)), "a.jpg", "image/jpeg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert photo_records(app) == NOTHING


@pytest.mark.parametrize("username", ["insp-b", "unit-user"])
def test_people_not_on_the_visit_cannot_open_its_photo_page(app, visit, username):
    make_user(app, "insp-b", "inspector")
    make_user(app, "unit-user", "unit", unit_code="ninh-da")
    assert logged_in(app, username).get(photos_url(visit)).status_code == 403


def test_a_submitted_visit_shows_its_photos_without_forms(app, visit, browser):
    send_photos(browser, visit, open_page(browser, visit), [("1.jpg", photo_bytes(18))])
    [photo] = rows(app, Photo)
    set_visit_status(app, visit, "submitted")
    page = open_page(browser, visit)
    assert f'<img src="/api/v1/photos/{photo.id}/thumb"' in page
    for form_part in ('enctype="multipart/form-data"', 'type="file"', "/caption", "/remove"):
        assert form_part not in page, form_part
    block = item_block(page_of(browser, visit))
    assert thumbs(block) == [f"/api/v1/photos/{photo.id}/thumb"]
    assert f"/items/{ITEM}/photos" not in block


def test_a_form_left_open_on_a_visit_since_submitted_is_refused_in_vietnamese(app, visit, browser):
    send_photos(browser, visit, open_page(browser, visit), [("1.jpg", photo_bytes(18))])
    [photo] = rows(app, Photo)
    page = open_page(browser, visit)  # opened while the visit could still take photos
    set_visit_status(app, visit, "submitted")
    attempts = {
        "upload": send_photos(browser, visit, page, [("2.jpg", photo_bytes(19))]),
        "caption": browser.post(
            f"/visits/{visit.id}/photos/{photo.id}/caption",
            data={"csrf_token": csrf_from(page), "item_key": ITEM, "caption": "Sau"},
        ),
        "remove": browser.post(
            f"/visits/{visit.id}/photos/{photo.id}/remove",
            data={"csrf_token": csrf_from(page), "item_key": ITEM},
        ),
    }
    for what, response in attempts.items():
        assert response.status_code == 409, what
    assert photo_records(app) == {"photos": 1, "photo_links": 1, "client_requests": 1}
    assert rows(app, Photo)[0].caption == ""
    assert len(photo_folders(app)) == 1
    for what, response in attempts.items():
        message = error_of(response.get_data(as_text=True))
        assert VIETNAMESE.search(message), (what, message)  # the page's language
