"""The template library on pages: the list, a version's outline, and the admin's upload."""

from __future__ import annotations

import io
import json
import re

import pytest

from tests.builders import mutated, valid_template
from tests.factories import csrf_from, library_keys, logged_in, make_user, upload_checklist


def test_the_list_shows_the_shipped_checklists_with_their_points(app, admin):
    page = admin.get("/checklists/").get_data(as_text=True)
    assert "Kiểm tra công tác cải cách hành chính cấp xã" in page and ">100<" in page


def test_upload_a_new_template_then_see_its_outline(app, admin):
    response = upload_checklist(admin, json.dumps(valid_template(), ensure_ascii=False).encode())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/checklists/mau-thu/1")
    assert ("mau-thu", 1) in library_keys(app)
    outline = admin.get("/checklists/mau-thu/1").get_data(as_text=True)
    assert "Tiêu chí thu-xin-loi" in outline and "tre-han" in outline


def test_a_bad_template_lists_every_problem_by_key_path_and_imports_nothing(app, admin):
    bad = valid_template()
    bad["version"] = 0
    bad["sections"][0]["items"][0]["points"] = -1
    response = upload_checklist(admin, json.dumps(bad).encode())
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<code>version</code>: phải là số nguyên ≥ 1" in page
    assert "<code>sections[0].items[0].points</code>: phải là một số ≥ 0" in page
    assert "Mỗi lỗi ghi trước vị trí của nó trong tệp" in page
    assert "must be" not in page and "tiếng Anh" not in page
    assert ("mau-thu", 0) not in library_keys(app) and ("mau-thu", 1) not in library_keys(app)


@pytest.mark.parametrize(
    ("data", "name", "status"),
    [
        (b"{not json", "x.json", 400),
        (b"\xff\xfe{\x00}", "x.json", 400),
        (b"key,version", "x.csv", 400),
        (b"{}" + b" " * (1024 * 1024), "x.json", 413),
    ],
)
def test_a_wrong_file_is_refused_with_a_message(app, admin, data, name, status):
    before = library_keys(app)
    response = upload_checklist(admin, data, name)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert "flash-error" in page or 'class="error"' in page
    assert library_keys(app) == before


def test_same_version_with_other_content_is_a_409(app, admin):
    upload_checklist(admin, json.dumps(valid_template()).encode())
    changed = valid_template()
    changed["title"] = "Khác"
    response = upload_checklist(admin, json.dumps(changed).encode())
    assert response.status_code == 409
    assert app.extensions["inspection.library"].get("mau-thu", 1).title == "Mẫu thử"


def test_leads_read_the_library_but_only_admins_upload(app):
    make_user(app, "lead-a", "lead")
    make_user(app, "insp-a", "inspector")
    lead = logged_in(app, "lead-a")
    page = lead.get("/checklists/")
    assert page.status_code == 200 and 'action="/checklists/upload"' not in page.get_data(
        as_text=True
    )
    token = csrf_from(page.get_data(as_text=True))
    refused = lead.post(
        "/checklists/upload",
        content_type="multipart/form-data",
        data={"csrf_token": token, "file": (io.BytesIO(b"{}"), "x.json")},
    )
    assert refused.status_code == 403
    inspector = logged_in(app, "insp-a")
    assert inspector.get("/checklists/").status_code == 403
    assert lead.get("/checklists/khong-co/1").status_code == 404


def test_the_outline_names_item_types_and_conditions_in_vietnamese(app, admin):
    upload_checklist(admin, json.dumps(valid_template(), ensure_ascii=False).encode())
    outline = admin.get("/checklists/mau-thu/1").get_data(as_text=True)
    for name in (
        "Đạt / Không đạt",
        "Chọn một trong các phương án",
        "Đoàn chấm điểm",
        "Tỷ lệ phần trăm",
        "Số liệu",
        "Văn bản tự do",
        'data-label="Kiểu trả lời">Ngày</td>',
    ):
        assert name in outline
    assert "Hiện khi “Tiêu chí tre-han” là Có" in outline
    assert "Câu hỏi Có / Không, không tính điểm" in outline
    for code in ("yes_no", "choice", "score", "ratio", ">number<", ">text<", ">date<", "là yes"):
        assert code not in outline


def test_a_condition_on_a_choice_shows_the_options_label(app, admin):
    rule = {"item": "luu-tru", "equals": "mot-phan"}
    document = mutated(**{"sections.1.items.6.show_if": rule})
    uploaded = upload_checklist(admin, json.dumps(document, ensure_ascii=False).encode())
    assert uploaded.status_code == 302
    outline = admin.get("/checklists/mau-thu/1").get_data(as_text=True)
    assert "Hiện khi “Tiêu chí luu-tru” là Một phần" in outline and "mot-phan" not in outline


def test_the_outline_in_english(app, admin):
    upload_checklist(admin, json.dumps(valid_template(), ensure_ascii=False).encode())
    admin.get("/lang/en")
    outline = admin.get("/checklists/mau-thu/1").get_data(as_text=True)
    assert "Pass / fail" in outline and "Shown when “Tiêu chí tre-han” is Yes" in outline


def test_the_checker_speaks_english_on_the_english_page(app, admin):
    admin.get("/lang/en")
    bad = mutated(**{"version": 0, "sections.0.items.0.guidance": "x" * 5001})
    page = upload_checklist(admin, json.dumps(bad).encode()).get_data(as_text=True)
    assert "<code>version</code>: must be a whole number ≥ 1" in page
    assert "<code>sections[0].items[0].guidance</code>: must be at most 5,000 characters" in page


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b'{"key": "a",\n "key": "b"}', "Tệp không phải JSON hợp lệ: tên thành phần"),
        (b'{"points": NaN}', "NaN không phải là một số JSON"),
        (b'{"a": 1\n "b": 2}', "cần một dấu phẩy (,) (dòng 2, cột 2)."),
        (b"{not json", "cần một tên thành phần đặt trong dấu ngoặc kép (dòng 1, cột 2)."),
        (b'"x"\xff', "Tệp không phải văn bản mã hóa UTF-8 (byte thứ 4)."),
        (b"[]", "Bộ tiêu chí phải là một đối tượng JSON"),
    ],
)
def test_a_file_that_is_not_a_template_is_refused_in_vietnamese(app, admin, data, said):
    page = upload_checklist(admin, data).get_data(as_text=True)
    assert said in page
    assert "Expecting" not in page and "is not a JSON" not in page


def test_the_library_shows_titles_vietnamese_dates_and_the_hash_only_on_request(app, admin):
    page = admin.get("/checklists/").get_data(as_text=True)
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", page)
    assert re.search(r'data-label="Ngày nhập">\d{2}/\d{2}/\d{4}<', page)
    assert "Chọn tệp…" in page and "Chưa chọn tệp nào." in page
    outline = admin.get("/checklists/cchc-xa/1").get_data(as_text=True)
    details = outline.index('<details class="tech">')
    assert outline.index("SHA-256") > details and outline.index("<code>cchc-xa</code>") > details


def test_the_default_bands_are_said_in_english_on_english_pages_a_templates_own_as_written(app):
    from inspection.checklist import DEFAULT_BANDS, Band
    from inspection.labels import band_label

    own = (Band.model_validate({"min": 50, "label": "Tốt"}), DEFAULT_BANDS[-1])
    with app.test_request_context("/?lang=en"):
        assert [band_label(b.label, DEFAULT_BANDS) for b in DEFAULT_BANDS] == [
            "Good",
            "Fair",
            "Average",
            "Low",
        ]
        assert band_label("Tốt", own) == "Tốt"
    with app.test_request_context("/"):
        assert band_label("Khá", DEFAULT_BANDS) == "Khá"
