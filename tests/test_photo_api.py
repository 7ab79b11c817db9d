"""The photo routes of the JSON API (API.md): upload, the files, idempotent retries, the same
bytes twice, refusals that leave nothing behind, capture time and place, captions, removal, the
states that allow photos, and the audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from inspection import photos
from inspection.models import AuditEvent, Photo, PhotoLink, User, Visit
from tests.factories import (
    ApiClient,
    audit_events,
    make_unit,
    make_user,
    make_visit,
    new_client_id,
    photo_bytes,
    photo_folders,
    photo_records,
    rows,
    set_visit_status,
    upload_photo,
    upload_tree,
)
from tests.test_photos import camera_exif, encoded, jpeg, png_header, upright_scene

ITEM = "niem-yet-qr"  # a yes/no item of cchc-xa that requires a photo
OTHER_ITEM = "niem-yet-hotline"
NOTHING = {"photos": 0, "photo_links": 0, "client_requests": 0}
ICT = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def app_config(app_config: dict, request) -> dict:
    """The suite's settings, with a test's own (`indirect` parametrisation) on top."""
    return {**app_config, **getattr(request, "param", {})}


@pytest.fixture
def insp(app, visit) -> ApiClient:
    return ApiClient(app, "insp-a")


def visit_read(api: ApiClient, visit: Visit) -> dict:
    response = api.get(f"/api/v1/visits/{visit.id}")
    assert response.status_code == 200
    return response.get_json()


def listed(api: ApiClient, visit: Visit) -> list[dict]:
    response = api.get(f"/api/v1/visits/{visit.id}/photos")
    assert response.status_code == 200
    return response.get_json()["photos"]


def fetch(api: ApiClient, url: str, **kw):
    """A file from the API, read and closed (send_file's response holds the file open)."""
    response = api.get(url, **kw)
    data = response.get_data()
    response.close()
    return response, data


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def folder_of(app, photo_id: int) -> Path:
    [row] = [p for p in rows(app, Photo) if p.id == photo_id]
    return Path(app.config["UPLOAD_DIR"]) / str(row.visit_id) / row.folder


# Upload and files --------------------------------------------------------------------------------


def test_an_upload_creates_a_photo_with_its_fields_and_urls(app, visit, insp):
    data = photo_bytes(1, size=(120, 80))
    response = upload_photo(insp, visit, data, item_key=ITEM, caption="Bảng niêm yết QR")
    assert response.status_code == 201, response.get_json()
    photo = response.get_json()
    assert photo["result"] == "created"
    assert photo["sha256"] == hashlib.sha256(data).hexdigest()
    assert (photo["width"], photo["height"], photo["size"]) == (120, 80, len(data))
    assert photo["media_type"] == "image/jpeg"
    assert photo["caption"] == "Bảng niêm yết QR"
    assert photo["item_keys"] == [ITEM]
    assert photo["uploaded_by"] == "insp-a"
    assert photo["visit_id"] == visit.id
    pid = photo["id"]
    assert photo["urls"] == {
        "original": f"/api/v1/photos/{pid}/original",
        "display": f"/api/v1/photos/{pid}/display",
        "thumb": f"/api/v1/photos/{pid}/thumb",
    }
    # One folder of the visit, holding the received bytes as they came and the two copies.
    folder = folder_of(app, pid)
    assert photo_folders(app) == [folder]
    assert sorted(p.name for p in folder.iterdir()) == ["display.jpg", "original.jpg", "thumb.jpg"]
    assert (folder / "original.jpg").read_bytes() == data
    assert photo_records(app) == {"photos": 1, "photo_links": 1, "client_requests": 1}


def test_the_files_are_served_with_their_type_a_private_long_cache_and_the_sha_as_etag(
    app, visit, insp
):
    data = photo_bytes(2, size=(640, 480))
    photo = upload_photo(insp, visit, data, item_key=ITEM).get_json()
    for kind, url in photo["urls"].items():
        response, body = fetch(insp, url)
        assert response.status_code == 200, kind
        assert response.mimetype == "image/jpeg"
        cache = response.cache_control
        assert cache.private and not cache.public, response.headers["Cache-Control"]
        assert cache.max_age is not None and cache.max_age >= 30 * 24 * 3600
        etag, weak = response.get_etag()
        assert not weak and etag.startswith(photo["sha256"])
        assert Image.open(io.BytesIO(body)).format == "JPEG"
        if kind == "original":
            assert body == data and etag == photo["sha256"]
        # The tablet asks again with the ETag it has: nothing is sent a second time.
        again, again_body = fetch(insp, url, headers={"If-None-Match": f'"{etag}"'})
        assert again.status_code == 304, kind
        assert again_body == b""
        changed, _ = fetch(insp, url, headers={"If-None-Match": '"something-else"'})
        assert changed.status_code == 200
    _, thumb = fetch(insp, photo["urls"]["thumb"])
    assert max(Image.open(io.BytesIO(thumb)).size) == 320


def test_a_png_keeps_its_type_as_original_and_gets_jpeg_copies(app, visit, insp):
    data = encoded(upright_scene(), "PNG")
    photo = upload_photo(insp, visit, data, name="anh.png", content_type="image/png").get_json()
    assert photo["media_type"] == "image/png"
    original, body = fetch(insp, photo["urls"]["original"])
    assert original.mimetype == "image/png" and body == data
    display, _ = fetch(insp, photo["urls"]["display"])
    assert display.mimetype == "image/jpeg"
    assert (folder_of(app, photo["id"]) / "original.png").read_bytes() == data


def test_a_photo_for_the_visit_as_a_whole_has_no_item(app, visit, insp):
    photo = upload_photo(insp, visit, photo_bytes(3)).get_json()
    assert photo["item_keys"] == [""]
    assert [p["id"] for p in listed(insp, visit)] == [photo["id"]]


def test_the_visit_and_its_photo_list_show_the_photos_to_every_reader(app, visit, insp):
    make_user(app, "admin", "admin")
    first = upload_photo(insp, visit, photo_bytes(4), item_key=ITEM, caption="Toàn cảnh")
    second = upload_photo(insp, visit, photo_bytes(5), item_key=OTHER_ITEM)
    ids = [first.get_json()["id"], second.get_json()["id"]]
    for reader in (insp, ApiClient(app, "lead-a"), ApiClient(app, "admin")):
        photos = listed(reader, visit)
        assert [p["id"] for p in photos] == ids  # oldest first
        assert photos[0]["caption"] == "Toàn cảnh" and photos[0]["item_keys"] == [ITEM]
        assert photos[1]["urls"]["thumb"] == f"/api/v1/photos/{ids[1]}/thumb"
        assert visit_read(reader, visit)["photos"] == photos


# Retries and the same bytes twice ----------------------------------------------------------------


def test_a_retry_with_the_same_client_id_creates_nothing(app, visit, insp):
    client_id = new_client_id()
    data = photo_bytes(6)
    first = upload_photo(insp, visit, data, client_id=client_id, item_key=ITEM)
    assert first.status_code == 201
    again = upload_photo(insp, visit, data, client_id=client_id, item_key=ITEM)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["result"] == "replayed"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["urls"] == first.get_json()["urls"]
    assert photo_records(app) == {"photos": 1, "photo_links": 1, "client_requests": 1}
    assert len(photo_folders(app)) == 1
    assert len(audit_events(app, "photo.add")) == 1
    assert audit_events(app, "photo.link") == []


def test_a_client_id_sent_again_with_other_content_is_a_conflict(app, visit, insp):
    client_id = new_client_id()
    first = upload_photo(insp, visit, photo_bytes(7), client_id=client_id, item_key=ITEM)
    assert first.status_code == 201
    before = (photo_records(app), upload_tree(app))
    other_bytes = upload_photo(insp, visit, photo_bytes(8), client_id=client_id, item_key=ITEM)
    other_item = upload_photo(insp, visit, photo_bytes(7), client_id=client_id, item_key=OTHER_ITEM)
    for response in (other_bytes, other_item):
        assert response.status_code == 409, response.get_json()
        body = response.get_json()
        assert body["error"]["code"] == "conflict"
        assert body["client_id"] == client_id
    assert (photo_records(app), upload_tree(app)) == before
    assert listed(insp, visit)[0]["item_keys"] == [ITEM]


def test_a_client_id_is_its_senders_own(app, visit, insp):
    """Another writer of the visit sending someone else's client id is not their replay."""
    client_id = new_client_id()
    data = photo_bytes(9)
    assert upload_photo(insp, visit, data, client_id=client_id, item_key=ITEM).status_code == 201
    lead = ApiClient(app, "lead-a")
    response = upload_photo(lead, visit, data, client_id=client_id, item_key=ITEM)
    assert response.status_code == 409, response.get_json()
    assert photo_records(app) == {"photos": 1, "photo_links": 1, "client_requests": 1}


def test_the_same_bytes_for_another_item_are_the_same_photo_linked_to_both(app, visit, insp):
    data = photo_bytes(10)
    first = upload_photo(insp, visit, data, item_key=ITEM, caption="Bảng QR")
    assert first.status_code == 201
    second = upload_photo(insp, visit, data, item_key=OTHER_ITEM, caption="Chú thích khác")
    assert second.status_code == 200, second.get_json()
    photo = second.get_json()
    assert photo["result"] == "existing"
    assert photo["id"] == first.get_json()["id"]
    assert photo["item_keys"] == sorted([ITEM, OTHER_ITEM])
    assert photo["caption"] == "Bảng QR"  # a caption sent with it never replaces one
    assert photo_records(app) == {"photos": 1, "photo_links": 2, "client_requests": 2}
    assert len(photo_folders(app)) == 1
    [shown] = listed(insp, visit)
    assert shown["item_keys"] == sorted([ITEM, OTHER_ITEM])
    # The same bytes for an item they already show: still one photo, one link per item.
    third = upload_photo(insp, visit, data, item_key=ITEM)
    assert third.status_code == 200 and third.get_json()["result"] == "existing"
    assert photo_records(app)["photo_links"] == 2
    assert [e.after for e in audit_events(app, "photo.link")] == [{"item_key": OTHER_ITEM}]


def test_the_same_bytes_fill_an_empty_caption(app, visit, insp):
    data = photo_bytes(11)
    upload_photo(insp, visit, data, item_key=ITEM)
    again = upload_photo(insp, visit, data, item_key=OTHER_ITEM, caption="Bảng đường dây nóng")
    assert again.get_json()["caption"] == "Bảng đường dây nóng"


def test_the_same_bytes_in_another_visit_are_another_photo(app, plan, visit, insp):
    make_unit(app, code="ninh-thuy", name="UBND xã Ninh Thủy")
    other = make_visit(app, plan, ["insp-a"], unit_code="ninh-thuy")
    data = photo_bytes(12)
    first = upload_photo(insp, visit, data, item_key=ITEM)
    second = upload_photo(insp, other, data, item_key=ITEM)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json()["id"] != second.get_json()["id"]
    assert len(photo_folders(app)) == 2


# Refusals ----------------------------------------------------------------------------------------


def truncated_jpeg() -> bytes:
    data = jpeg(upright_scene(800, 600))
    return data[: len(data) // 2]


BAD_FILES = {
    "text named .jpg": (
        "Biên bản kiểm tra\nkhông phải ảnh\n".encode(),
        415,
        "unsupported_media_type",
        "unsupported_type",
        "Only JPEG, PNG, WebP or HEIC photos are accepted.",
    ),
    "empty file": (
        b"",
        415,
        "unsupported_media_type",
        "empty",
        "The file is empty: no photo was received.",
    ),
    "truncated jpeg": (
        truncated_jpeg(),
        400,
        "validation_error",
        "corrupt",
        "The file could not be read as a photo: it is damaged or incomplete.",
    ),
    "pixel bomb over pillow's limit": (
        png_header(10_000, 10_000),
        400,
        "validation_error",
        "too_many_pixels",
        "The photo has too many pixels (more than 50 million).",
    ),
    "pixel bomb over our limit": (
        png_header(8_000, 7_000),
        400,
        "validation_error",
        "too_many_pixels",
        "The photo has too many pixels (more than 50 million).",
    ),
}


def assert_nothing_stored(app, visit: Visit) -> None:
    assert photo_records(app) == NOTHING
    assert upload_tree(app) == []
    [row] = [v for v in rows(app, Visit) if v.id == visit.id]
    assert (row.status, row.revision) == ("planned", 0)


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_with_its_reason_and_leaves_nothing(app, visit, insp, case):
    data, status, code, reason, message = BAD_FILES[case]
    client_id = new_client_id()
    response = upload_photo(insp, visit, data, client_id=client_id, item_key=ITEM)
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["error"]["code"] == code
    assert body["error"]["fields"] == {"file": message}
    assert body["reason"] == reason
    assert_nothing_stored(app, visit)
    assert audit_events(app, "photo.add") == []
    # The refused request was not remembered: its client id is free for the photo retaken.
    retry = upload_photo(insp, visit, photo_bytes(13), client_id=client_id, item_key=ITEM)
    assert retry.status_code == 201, retry.get_json()


@pytest.mark.parametrize("app_config", [{"MAX_UPLOAD_MB": 1}], indirect=True)
def test_a_photo_over_the_configured_size_is_413_and_leaves_nothing(app, visit, insp):
    limit = 1024 * 1024
    assert app.config["MAX_UPLOAD_MB"] == 1
    small = photo_bytes(14)
    # A valid JPEG (trailing bytes after its end are ignored by decoders) one byte too large.
    over = small + bytes(limit + 1 - len(small))
    response = upload_photo(insp, visit, over, item_key=ITEM)
    assert response.status_code == 413, response.get_json()
    body = response.get_json()
    assert body["error"]["code"] == "too_large"
    assert body["error"]["fields"] == {"file": "The photo is larger than the limit of 1 MB."}
    assert body["reason"] == "too_large"
    assert_nothing_stored(app, visit)
    # Far over the limit, the body is refused before it is read.
    huge = upload_photo(insp, visit, small + bytes(2 * limit), item_key=ITEM)
    assert huge.status_code == 413 and huge.get_json()["error"]["code"] == "too_large"
    assert_nothing_stored(app, visit)
    # At the limit itself, it is a photo.
    exact = upload_photo(insp, visit, small + bytes(limit - len(small)), item_key=ITEM)
    assert exact.status_code == 201, exact.get_json()


def test_bad_fields_are_400_naming_the_field_and_leave_nothing(app, visit, insp):
    url = f"/api/v1/visits/{visit.id}/photos"
    data = photo_bytes(15)
    cases = [
        ({"client_id": new_client_id(), "item_key": "khong-co"}, data, "item_key"),
        ({"item_key": ITEM}, data, "client_id"),
        ({"client_id": "", "item_key": ITEM}, data, "client_id"),
        ({"client_id": "not-a-uuid", "item_key": ITEM}, data, "client_id"),
        ({"client_id": new_client_id(), "caption": "x" * 501}, data, "caption"),
        ({"client_id": new_client_id(), "caption": "a\x00b"}, data, "caption"),
        ({"client_id": new_client_id(), "lat": "12.25"}, data, "lon"),
        ({"client_id": new_client_id(), "lon": "109.18"}, data, "lat"),
        ({"client_id": new_client_id(), "lat": "91", "lon": "109"}, data, "lat"),
        ({"client_id": new_client_id(), "lat": "12", "lon": "181"}, data, "lon"),
        ({"client_id": new_client_id(), "lat": "bắc", "lon": "109"}, data, "lat"),
        ({"client_id": new_client_id(), "lat": "nan", "lon": "109"}, data, "lat"),
        ({"client_id": new_client_id(), "taken_at": "2024-06-28T09:15:00"}, data, "taken_at"),
        ({"client_id": new_client_id(), "taken_at": "hôm qua"}, data, "taken_at"),
        ({"client_id": new_client_id(), "taken_at": "1999-12-31T23:00:00+07:00"}, data, "taken_at"),
    ]
    for fields, file, field in cases:
        response = insp.upload(url, fields, file)
        assert response.status_code == 400, (fields, response.get_json())
        error = response.get_json()["error"]
        assert field in error["fields"], (fields, error)
        assert error["fields"][field]
    assert_nothing_stored(app, visit)


def test_an_upload_without_a_file_is_400_saying_what_is_missing(app, visit, insp):
    response = insp.upload(
        f"/api/v1/visits/{visit.id}/photos", {"client_id": new_client_id(), "item_key": ITEM}, None
    )
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["message"] == "No photo was received."
    # Like every other field, the missing one says why (a client shows it beside the field).
    assert error["fields"]["file"], error
    assert_nothing_stored(app, visit)


def test_an_upload_without_the_csrf_header_is_refused(app, visit, insp):
    response = insp.upload(
        f"/api/v1/visits/{visit.id}/photos",
        {"client_id": new_client_id()},
        photo_bytes(16),
        csrf=False,
    )
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"
    assert_nothing_stored(app, visit)


# When and where ----------------------------------------------------------------------------------


def test_capture_time_and_position_sent_are_stored_and_returned(app, visit, insp):
    response = upload_photo(
        insp,
        visit,
        photo_bytes(17),
        item_key=ITEM,
        taken_at="2024-06-28T09:15:00+07:00",
        lat="12.5632",
        lon="-109.1234",
    )
    assert response.status_code == 201, response.get_json()
    expected = dt.datetime(2024, 6, 28, 9, 15, tzinfo=ICT)
    for photo in (response.get_json(), listed(insp, visit)[0]):
        assert instant(photo["taken_at"]) == expected
        assert photo["position"] == {"lat": 12.5632, "lon": -109.1234}


def test_the_cameras_time_position_and_model_are_read_and_come_first(app, visit, insp):
    data = jpeg(upright_scene(), camera_exif())
    photo = upload_photo(insp, visit, data, item_key=ITEM).get_json()
    assert instant(photo["taken_at"]) == dt.datetime(2026, 3, 14, 9, 26, 53, tzinfo=ICT)
    assert photo["position"]["lat"] == pytest.approx(21 + 1 / 60 + 42.5 / 3600, abs=1e-6)
    assert photo["position"]["lon"] == pytest.approx(105 + 50 / 60 + 3.6 / 3600, abs=1e-6)
    assert photo["camera"] == "Samsung SM-X200"
    # What the camera wrote inside the evidence wins over what a client says (a browser sends
    # the device's clock and position, which stand in only where the photo carries none).
    other = jpeg(upright_scene(121, 80), camera_exif())
    sent = upload_photo(
        insp, visit, other, taken_at="2024-06-28T10:00:00+07:00", lat="12.5", lon="109.2"
    ).get_json()
    assert instant(sent["taken_at"]) == dt.datetime(2026, 3, 14, 9, 26, 53, tzinfo=ICT)
    assert sent["position"]["lat"] == pytest.approx(21 + 1 / 60 + 42.5 / 3600, abs=1e-6)
    assert sent["camera"] == "Samsung SM-X200"


def test_a_camera_time_without_offset_is_read_in_the_agencys_time_zone(app, visit, insp):
    exif = camera_exif()
    del exif.get_ifd(photos.IFD_EXIF)[photos.TAG_OFFSET_TIME_ORIGINAL]
    photo = upload_photo(insp, visit, jpeg(upright_scene(), exif)).get_json()
    assert instant(photo["taken_at"]) == dt.datetime(2026, 3, 14, 9, 26, 53, tzinfo=ICT)


def test_a_photo_without_metadata_has_none(app, visit, insp):
    photo = upload_photo(insp, visit, photo_bytes(18)).get_json()
    assert (photo["taken_at"], photo["position"], photo["camera"]) == (None, None, "")


# Captions ----------------------------------------------------------------------------------------


def test_a_caption_is_changed_and_a_stale_copy_is_a_conflict(app, visit, insp):
    photo = upload_photo(insp, visit, photo_bytes(19), item_key=ITEM, caption="Cũ").get_json()
    url = f"/api/v1/photos/{photo['id']}"
    base = photo["revision"]
    changed = insp.patch(url, json={"caption": "  Bảng niêm yết mã QR  ", "base_revision": base})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["caption"] == "Bảng niêm yết mã QR"
    assert changed.get_json()["revision"] > base
    assert changed.get_json()["urls"] == photo["urls"]
    assert listed(insp, visit)[0]["caption"] == "Bảng niêm yết mã QR"
    # Another tablet still holding the first revision.
    stale = insp.patch(url, json={"caption": "Của máy khác", "base_revision": base})
    assert stale.status_code == 409, stale.get_json()
    body = stale.get_json()
    assert body["error"]["code"] == "conflict"
    assert body["current"]["caption"] == "Bảng niêm yết mã QR"
    assert body["current"]["revision"] == changed.get_json()["revision"]
    assert listed(insp, visit)[0]["caption"] == "Bảng niêm yết mã QR"
    # With the current revision, it goes through; without one, the last word wins.
    current = body["current"]["revision"]
    assert insp.patch(url, json={"caption": "Mới", "base_revision": current}).status_code == 200
    assert insp.patch(url, json={"caption": "Mới hơn"}).get_json()["caption"] == "Mới hơn"
    events = audit_events(app, "photo.caption")
    assert [(e.before, e.after) for e in events] == [
        ({"caption": "Cũ"}, {"caption": "Bảng niêm yết mã QR"}),
        ({"caption": "Bảng niêm yết mã QR"}, {"caption": "Mới"}),
        ({"caption": "Mới"}, {"caption": "Mới hơn"}),
    ]


def test_a_bad_caption_is_400_and_changes_nothing(app, visit, insp):
    photo = upload_photo(insp, visit, photo_bytes(20), caption="Giữ nguyên").get_json()
    url = f"/api/v1/photos/{photo['id']}"
    for body, field in [
        ({"caption": "x" * 501}, "caption"),
        ({"caption": 5}, "caption"),
        ({"caption": "a\x07b"}, "caption"),
        ({"caption": "ok", "base_revision": -1}, "base_revision"),
        ({"caption": "ok", "base_revision": "1"}, "base_revision"),
    ]:
        response = insp.patch(url, json=body)
        assert response.status_code == 400, (body, response.get_json())
        assert field in response.get_json()["error"]["fields"]
    assert insp.patch(url, data="caption", content_type="text/plain").status_code in (400, 415)
    assert listed(insp, visit)[0]["caption"] == "Giữ nguyên"
    assert audit_events(app, "photo.caption") == []


def test_a_caption_of_the_longest_length_is_kept(app, visit, insp):
    photo = upload_photo(insp, visit, photo_bytes(21)).get_json()
    caption = "Ả" * 250 + "\n" + "b" * 249
    response = insp.patch(f"/api/v1/photos/{photo['id']}", json={"caption": caption})
    assert response.status_code == 200, response.get_json()
    assert listed(insp, visit)[0]["caption"] == caption


# Removal -----------------------------------------------------------------------------------------


def test_a_removal_takes_one_link_and_the_photo_with_its_files_once_nothing_links_it(
    app, visit, insp
):
    data = photo_bytes(22)
    photo = upload_photo(insp, visit, data, item_key=ITEM).get_json()
    upload_photo(insp, visit, data, item_key=OTHER_ITEM)
    url = f"/api/v1/photos/{photo['id']}"
    folder = folder_of(app, photo["id"])

    # Two links, none named: which one is meant?
    unsaid = insp.delete(url)
    assert unsaid.status_code == 400, unsaid.get_json()
    assert "item_key" in unsaid.get_json()["error"]["fields"]
    assert photo_records(app)["photo_links"] == 2

    first = insp.delete(f"{url}?item_key={ITEM}")
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {"deleted": False, "item_keys": [OTHER_ITEM], "finding_ids": []}
    assert listed(insp, visit)[0]["item_keys"] == [OTHER_ITEM]
    assert sorted(p.name for p in folder.iterdir()) == ["display.jpg", "original.jpg", "thumb.jpg"]
    response, body = fetch(insp, photo["urls"]["original"])
    assert response.status_code == 200 and body == data

    again = insp.delete(f"{url}?item_key={ITEM}")  # that link is gone already
    assert again.status_code == 404, again.get_json()

    last = insp.delete(f"{url}?item_key={OTHER_ITEM}")
    assert last.status_code == 200, last.get_json()
    assert last.get_json() == {"deleted": True, "item_keys": [], "finding_ids": []}
    assert listed(insp, visit) == []
    assert not folder.exists() and photo_folders(app) == []
    assert photo_records(app)["photos"] == photo_records(app)["photo_links"] == 0
    for kind_url in photo["urls"].values():
        gone, _ = fetch(insp, kind_url)
        assert gone.status_code == 404
    assert insp.delete(url).status_code == 404

    # The same bytes again are a new photo.
    anew = upload_photo(insp, visit, data, item_key=ITEM)
    assert anew.status_code == 201 and anew.get_json()["result"] == "created"
    assert len(photo_folders(app)) == 1


def test_a_removed_photos_address_never_serves_another_photo(app, visit, insp):
    """A tablet keeps a photo's files a year under their address without asking again
    (Cache-Control: private, max-age=a year, immutable): an address that once served one photo
    must never serve another, or the tablet shows the removed photo in the new one's place."""
    first = upload_photo(insp, visit, photo_bytes(40), item_key=ITEM).get_json()
    cached = fetch(insp, first["urls"]["thumb"])[0].headers["Cache-Control"]
    assert "immutable" in cached
    assert insp.delete(f"/api/v1/photos/{first['id']}").status_code == 200
    second = upload_photo(insp, visit, photo_bytes(41), item_key=ITEM).get_json()
    assert second["sha256"] != first["sha256"]
    assert set(second["urls"].values()).isdisjoint(first["urls"].values()), (first, second)


def test_a_photo_with_one_link_is_removed_without_naming_it(app, visit, insp):
    photo = upload_photo(insp, visit, photo_bytes(23), item_key=ITEM).get_json()
    response = insp.delete(f"/api/v1/photos/{photo['id']}")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"deleted": True, "item_keys": [], "finding_ids": []}
    assert photo_folders(app) == [] and photo_records(app)["photos"] == 0


def test_a_removal_needs_the_csrf_header(app, visit, insp):
    photo = upload_photo(insp, visit, photo_bytes(24), item_key=ITEM).get_json()
    response = insp.delete(f"/api/v1/photos/{photo['id']}", csrf=False)
    assert response.status_code == 400
    assert photo_records(app)["photos"] == 1 and len(photo_folders(app)) == 1


# States ------------------------------------------------------------------------------------------


def test_the_first_photo_starts_a_planned_visit(app, visit, insp):
    assert visit_read(insp, visit)["status"] == "planned"
    upload_photo(insp, visit, photo_bytes(25), item_key=ITEM)
    assert visit_read(insp, visit)["status"] == "in_progress"


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_a_visit_past_its_fieldwork_refuses_every_photo_change(app, visit, insp, status):
    data = photo_bytes(26)
    photo = upload_photo(insp, visit, data, item_key=ITEM, caption="Trước").get_json()
    upload_photo(insp, visit, data, item_key=OTHER_ITEM)
    set_visit_status(app, visit, status)
    before = (
        visit_read(insp, visit),
        photo_records(app),
        upload_tree(app),
        len(rows(app, AuditEvent)),
    )
    url = f"/api/v1/photos/{photo['id']}"
    refusals = {
        "upload": upload_photo(insp, visit, photo_bytes(27), item_key=ITEM),
        "link": upload_photo(insp, visit, data, item_key="niem-yet-day-du"),
        "caption": insp.patch(url, json={"caption": "Sau"}),
        "unlink": insp.delete(f"{url}?item_key={ITEM}"),
        "lead upload": upload_photo(ApiClient(app, "lead-a"), visit, photo_bytes(28)),
    }
    for what, response in refusals.items():
        assert response.status_code == 409, (what, response.get_json())
        assert response.get_json()["error"]["code"] == "wrong_state", what
        assert status in response.get_json()["error"]["message"]
    after = (
        visit_read(insp, visit),
        photo_records(app),
        upload_tree(app),
        len(rows(app, AuditEvent)),
    )
    assert after == before
    # Reading goes on.
    response, body = fetch(insp, photo["urls"]["original"])
    assert response.status_code == 200 and body == data


def test_a_returned_visit_takes_photos_again_and_stays_returned(app, visit, insp):
    set_visit_status(app, visit, "returned")
    response = upload_photo(insp, visit, photo_bytes(29), item_key=ITEM)
    assert response.status_code == 201, response.get_json()
    assert visit_read(insp, visit)["status"] == "returned"


def test_every_photo_change_counts_as_a_change_of_the_visit(app, visit, insp):
    """A tablet that knows the visit's revision learns that something changed."""
    revisions = [visit_read(insp, visit)["revision"]]
    data = photo_bytes(30)
    photo = upload_photo(insp, visit, data, item_key=ITEM).get_json()
    revisions.append(visit_read(insp, visit)["revision"])
    upload_photo(insp, visit, data, item_key=OTHER_ITEM)
    revisions.append(visit_read(insp, visit)["revision"])
    insp.patch(f"/api/v1/photos/{photo['id']}", json={"caption": "Mới"})
    revisions.append(visit_read(insp, visit)["revision"])
    insp.delete(f"/api/v1/photos/{photo['id']}?item_key={ITEM}")
    revisions.append(visit_read(insp, visit)["revision"])
    assert revisions == sorted(set(revisions)), revisions


# Audit -------------------------------------------------------------------------------------------


def test_every_photo_change_is_audited_with_who_and_what(app, visit, insp):
    data = photo_bytes(31)
    photo = upload_photo(insp, visit, data, item_key=ITEM, caption="Bảng").get_json()
    lead = ApiClient(app, "lead-a")
    upload_photo(lead, visit, data, item_key=OTHER_ITEM)
    insp.patch(f"/api/v1/photos/{photo['id']}", json={"caption": "Bảng QR"})
    lead.delete(f"/api/v1/photos/{photo['id']}?item_key={ITEM}")
    insp.delete(f"/api/v1/photos/{photo['id']}?item_key={OTHER_ITEM}")
    users = {u.id: u.username for u in rows(app, User)}
    expected = {
        "photo.add": (
            "insp-a",
            None,
            {"sha256": photo["sha256"], "item_key": ITEM, "caption": "Bảng"},
        ),
        "photo.link": ("lead-a", None, {"item_key": OTHER_ITEM}),
        "photo.caption": ("insp-a", {"caption": "Bảng"}, {"caption": "Bảng QR"}),
        "photo.unlink": (
            "lead-a",
            {"sha256": photo["sha256"], "item_key": ITEM, "caption": "Bảng QR"},
            None,
        ),
        "photo.remove": (
            "insp-a",
            {"sha256": photo["sha256"], "item_key": OTHER_ITEM, "caption": "Bảng QR"},
            None,
        ),
    }
    for action, (who, before, after) in expected.items():
        [event] = audit_events(app, action)
        assert users[event.actor_id] == who, action
        assert (event.entity, event.entity_id) == ("photo", str(photo["id"])), action
        assert event.visit_id == visit.id, action
        assert (event.before, event.after) == (before, after), action


def test_links_rows_match_what_the_api_says(app, visit, insp):
    data = photo_bytes(32)
    photo = upload_photo(insp, visit, data, item_key=ITEM).get_json()
    upload_photo(insp, visit, data)
    links = sorted((link.photo_id, link.item_key) for link in rows(app, PhotoLink))
    assert links == [(photo["id"], ""), (photo["id"], ITEM)]


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("finding_id", "7", 404),  # no such deficiency in the visit
        ("finding_client_id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427", 404),
        ("finding_id", "bảy", 400),
        ("finding_client_id", "7", 400),
    ],
)
def test_a_photo_for_an_unknown_deficiency_is_refused_and_nothing_kept(
    app, visit, insp, field, value, status
):
    """Rather than kept as a photo of the whole visit without a word."""
    response = upload_photo(insp, visit, photo_bytes(30), **{field: value})
    assert response.status_code == status
    if status == 400:
        assert field in response.get_json()["error"]["fields"]
    assert_nothing_stored(app, visit)
