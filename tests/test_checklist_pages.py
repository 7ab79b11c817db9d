"""The template library on pages: the list, a version's outline, and the admin's upload."""

from __future__ import annotations

import io
import json

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
    assert "<code>version</code>: must be a whole number ≥ 1" in page
    assert "<code>sections[0].items[0].points</code>: must be a number ≥ 0" in page
    assert "Mỗi lỗi ghi trước vị trí của nó trong tệp" in page  # why the detail is in English
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
        "<td>Ngày</td>",
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
