"""Input that is well-formed JSON or a valid form post but no sensible value: numbers beyond a
double (or beyond any count), text with control characters or invisible padding, dates typed as
numbers or in year 24, a plan number used twice. Each is refused with the field named, nothing
is stored, and the pages that would show it keep working."""

from __future__ import annotations

import json
import unicodedata

import pytest
from sqlmodel import select

from inspection.db import get_session
from inspection.formatting import parse_number
from inspection.library import TemplateLibrary
from inspection.models import Answer, Plan
from tests.builders import valid_template
from tests.factories import (
    ApiClient,
    logged_in,
    make_unit,
    make_user,
    post_item,
    upload_checklist,
)


def answers_of(app, visit) -> dict:
    with app.app_context():
        rows = get_session().exec(select(Answer).where(Answer.visit_id == visit.id))
        return {a.item_key: (a.value, a.note) for a in rows}


def put_raw(api: ApiClient, visit, key: str, body: str):
    """A PUT whose body is sent as written (Python's json would not write Infinity or NaN)."""
    return api.client.put(
        f"/api/v1/visits/{visit.id}/answers/{key}",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": api.token},
    )


# Numbers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "body"),
    [
        ("so-tthc-niem-yet", '{"value": Infinity}'),
        ("so-tthc-niem-yet", '{"value": -Infinity}'),
        ("so-tthc-niem-yet", '{"value": NaN}'),
        ("so-tthc-niem-yet", '{"value": 1e400}'),
        ("so-tthc-niem-yet", '{"value": 1' + "0" * 400 + "}"),
        ("ty-le-dung-han", '{"value": {"num": 1' + "0" * 30 + ', "den": 1' + "0" * 30 + "}}"),
    ],
    ids=["infinity", "minus-infinity", "nan", "overflow", "huge-integer", "huge-ratio"],
)
def test_numbers_no_browser_can_read_are_refused(app, visit, key, body):
    api = ApiClient(app, "insp-a")
    response = put_raw(api, visit, key, body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_error"
    assert answers_of(app, visit) == {}
    # The visit still reads as valid JSON and its page still renders.
    assert json.loads(api.get(f"/api/v1/visits/{visit.id}").get_data(as_text=True))
    assert api.get(f"/visits/{visit.id}").status_code == 200


def test_a_template_with_infinite_or_huge_numbers_is_refused(admin_api):
    for points in ("Infinity", "1e400", "1" + "0" * 400):
        body = json.dumps(valid_template()).replace('"points": 2', f'"points": {points}', 1)
        assert f'"points": {points}' in body
        response = admin_api.client.post(
            "/api/v1/forms",
            data=body,
            content_type="application/json",
            headers={"X-CSRFToken": admin_api.token},
        )
        assert response.status_code == 400, points
    huge_version = {**valid_template(), "version": 10**30}
    response = admin_api.post("/api/v1/forms", json=huge_version)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"version": "must be at most 1000000"}
    assert admin_api.get("/api/v1/forms").status_code == 200
    listed = admin_api.get("/api/v1/forms").get_json()["forms"]
    assert [(t["key"], t["version"]) for t in listed] == [  # the shipped ones, nothing more
        ("cchc-xa", 1),
        ("cchc-xa", 2),
        ("niem-yet-tthc", 1),
    ]


def test_a_key_written_twice_is_refused_in_a_body_and_in_a_template(app, visit, admin_api):
    api = ApiClient(app, "insp-a")
    response = put_raw(api, visit, "so-tthc-niem-yet", '{"value": 3, "value": 4}')
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_error"
    assert answers_of(app, visit) == {}
    body = json.dumps(valid_template()).replace('"points": 2', '"points": 2, "points": 3', 1)
    response = admin_api.client.post(
        "/api/v1/forms",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": admin_api.token},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_error"


def test_a_forms_file_with_infinity_is_reported_not_loaded(tmp_path):
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "bad.json").write_text(
        json.dumps(valid_template()).replace('"points": 2', '"points": Infinity', 1)
    )
    library = TemplateLibrary(tmp_path / "library.json")
    report = library.load_folder(folder)
    assert [name for name, _ in report.refused] == ["bad.json"]
    assert "Infinity is not a JSON number" in report.refused[0][1]
    assert library.all() == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("²", None), ("١٢", None), ("9" * 400, None), ("12", 12), ("1.240,5", 1240.5)],
)
def test_parse_number_reads_only_plain_digits_of_a_sane_size(typed, expected):
    assert parse_number(typed, ",") == expected


# Text --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "body", "field"),
    [
        ("ghi-chu-chung", {"value": "x" * 10_001}, "value"),
        ("ghi-chu-chung", {"value": "Biên bản\x00"}, "value"),
        ("kh-cchc", {"value": "yes", "note": "ghi chú\x00"}, "note"),
        ("kh-cchc", {"value": "yes", "note": "x" * 4001}, "note"),
    ],
    ids=["text-too-long", "text-nul", "note-nul", "note-too-long"],
)
def test_text_answers_and_notes_are_bounded_and_free_of_control_characters(
    app, visit, key, body, field
):
    api = ApiClient(app, "insp-a")
    response = api.put(f"/api/v1/visits/{visit.id}/answers/{key}", json=body)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]
    assert answers_of(app, visit) == {}


def test_text_answers_keep_their_line_breaks(app, visit):
    api = ApiClient(app, "insp-a")
    text = "Dòng một\nDòng hai\tcó tab"
    response = api.put(f"/api/v1/visits/{visit.id}/answers/ghi-chu-chung", json={"value": text})
    assert response.status_code == 200
    assert answers_of(app, visit)["ghi-chu-chung"][0] == text


# The page without JavaScript ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "data"),
    [
        ("ty-le-dung-han", {"num": "²", "den": "3"}),
        ("ty-le-dung-han", {"num": "١", "den": "٣"}),
        ("so-tthc-niem-yet", {"number": "9" * 400}),
    ],
    ids=["superscript", "arabic-digits", "four-hundred-nines"],
)
def test_odd_digits_on_the_form_are_refused_with_the_items_hint(app, visit, key, data):
    client = logged_in(app, "insp-a")
    response = post_item(client, visit, key, data, follow_redirects=True)
    assert response.status_code == 400
    assert "Chưa lưu được:" in response.get_data(as_text=True)
    assert answers_of(app, visit) == {}


def test_a_note_too_long_on_the_form_says_it_is_the_note(app, visit):
    client = logged_in(app, "insp-a")
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "maxlength=4000" in page and 'maxlength="10000"' in page  # the browser stops it
    note = {"value": "yes", "note": "x" * 4001}
    response = post_item(client, visit, "kh-cchc", note, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Ghi chú chỉ được dài tối đa 4.000 ký tự." in text
    assert "Chưa lưu được: Chọn Đạt" not in text
    assert answers_of(app, visit) == {}


# Plans and visits --------------------------------------------------------------------------------


PLAN = {
    "number": "22/KH-UBND",
    "title": "Kiểm tra CCHC năm 2024",
    "year": 2024,
    "form_key": "cchc-xa",
}


@pytest.fixture
def lead(app):
    make_unit(app)
    make_user(app, "lead-a", "lead")
    make_user(app, "insp-a", "inspector")
    return ApiClient(app, "lead-a")


def plans_in(app) -> list[tuple[str, int, str]]:
    with app.app_context():
        return [(p.number, p.year, p.title) for p in get_session().exec(select(Plan))]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"issued_on": 20240222}, "issued_on"),
        ({"issued_on": "0024-02-22"}, "issued_on"),
        ({"decision_on": ["2024-03-13"]}, "decision_on"),
        ({"title": "\u200b\u200b \u200b"}, "title"),
        ({"title": "Kiểm tra\x00"}, "title"),
        ({"number": "22/KH\x07"}, "number"),
    ],
    ids=["date-as-number", "year-24", "date-in-a-list", "only-zero-width", "nul", "bell"],
)
def test_a_plan_with_a_bad_value_is_refused_by_field(app, lead, change, field):
    response = lead.post("/api/v1/plans", json={**PLAN, **change})
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]
    assert plans_in(app) == []


def test_a_plan_number_is_used_once_a_year(app, lead):
    assert lead.post("/api/v1/plans", json=PLAN).status_code == 201
    again = lead.post("/api/v1/plans", json={**PLAN, "number": "22/kh-ubnd", "title": "Khác"})
    assert again.status_code == 409 and "number" in again.get_json()["error"]["fields"]
    next_year = lead.post("/api/v1/plans", json={**PLAN, "year": 2025})
    assert next_year.status_code == 201
    assert [(n, y) for n, y, _ in plans_in(app)] == [("22/KH-UBND", 2024), ("22/KH-UBND", 2025)]


def test_names_are_stored_composed_and_without_invisible_padding(app, lead):
    decomposed = unicodedata.normalize("NFD", "Kiểm tra công tác cải cách hành chính")
    response = lead.post("/api/v1/plans", json={**PLAN, "title": f"\u200b{decomposed} \ufeff"})
    assert response.status_code == 201
    assert plans_in(app)[0][2] == "Kiểm tra công tác cải cách hành chính"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scheduled_on": 20240701}, "scheduled_on"),
        ({"scheduled_on": "0001-01-01"}, "scheduled_on"),
        ({"participants": [{"name": {"ho": "Nguyễn"}}]}, "participants[0].name"),
        (
            {"participants": [{"name": "Nguyễn Văn A", "position": ["Chủ tịch"]}]},
            "participants[0].position",
        ),
        ({"participants": ["Nguyễn Văn A"]}, "participants[0]"),
    ],
    ids=["date-as-number", "year-1", "name-object", "position-list", "person-as-text"],
)
def test_a_visit_with_a_bad_value_is_refused_by_field(app, lead, change, field):
    plan = lead.post("/api/v1/plans", json=PLAN).get_json()
    body = {"unit_code": "ninh-da", "scheduled_on": "2024-07-01", "inspectors": ["insp-a"]}
    response = lead.post(f"/api/v1/plans/{plan['id']}/visits", json={**body, **change})
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]
    assert lead.get(f"/api/v1/plans/{plan['id']}").get_json()["visits"] == []


# Addresses ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/visits/9223372036854775808",
        "/visits/2147483648",
        "/api/v1/visits/99999999999999999999",
        "/api/v1/visits/2147483648/score",
        "/plans/9223372036854775808",
    ],
)
def test_ids_beyond_any_row_are_not_found(app, visit, path):
    api = ApiClient(app, "insp-a")
    response = api.get(path)
    assert response.status_code == 404
    assert response.mimetype == ("application/json" if path.startswith("/api/") else "text/html")


def test_a_wrong_method_says_which_ones_are_allowed(app):
    api_response = app.test_client().post("/api/v1/health")
    assert api_response.status_code == 405 and api_response.mimetype == "application/json"
    assert set(api_response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    page = app.test_client().delete("/login")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]


def test_a_unit_is_visited_once_a_day_in_a_plan(app, lead):
    plan = lead.post("/api/v1/plans", json=PLAN).get_json()
    body = {"unit_code": "ninh-da", "scheduled_on": "2024-07-01", "inspectors": ["insp-a"]}
    url = f"/api/v1/plans/{plan['id']}/visits"
    assert lead.post(url, json=body).status_code == 201
    again = lead.post(url, json=body)  # the form sent twice
    assert again.status_code == 409 and "unit_code" in again.get_json()["error"]["fields"]
    assert lead.post(url, json={**body, "scheduled_on": "2024-09-15"}).status_code == 201
    visits = lead.get(f"/api/v1/plans/{plan['id']}").get_json()["visits"]
    assert [v["scheduled_on"] for v in visits] == ["2024-07-01", "2024-09-15"]


def test_an_uploaded_template_with_a_5000_digit_number_is_refused_on_the_page(app, admin):
    body = json.dumps(valid_template()).replace('"points": 2', '"points": 1' + "0" * 5000, 1)
    response = upload_checklist(admin, body.encode())
    assert response.status_code == 400
    assert "là số quá lớn" in response.get_data(as_text=True)  # the page speaks Vietnamese


def test_a_plan_number_with_vietnamese_capitals_is_used_once_a_year(app, lead):
    assert lead.post("/api/v1/plans", json={**PLAN, "number": "15/KH-ĐKT"}).status_code == 201
    again = lead.post("/api/v1/plans", json={**PLAN, "number": "15/kh-đkt", "title": "Khác"})
    assert again.status_code == 409 and "number" in again.get_json()["error"]["fields"]


def test_a_tab_pasted_into_a_one_line_field_becomes_a_space(app, lead):
    plan = lead.post("/api/v1/plans", json=PLAN).get_json()
    body = {
        "unit_code": "ninh-da",
        "scheduled_on": "2024-07-01",
        "inspectors": ["insp-a"],
        "place": "Trụ sở\tUBND xã\t",
        "participants": [{"name": "Nguyễn Văn A\t", "position": "Chủ\ttịch"}],
    }
    created = lead.post(f"/api/v1/plans/{plan['id']}/visits", json=body)
    assert created.status_code == 201, created.get_json()
    visit = created.get_json()
    assert visit["place"] == "Trụ sở UBND xã"
    assert visit["participants"] == [{"name": "Nguyễn Văn A", "position": "Chủ tịch"}]


DEEP = "[" * 50_000 + "]" * 50_000


def test_bottomless_nesting_is_a_clear_400_never_a_500(app, visit):
    anonymous = app.test_client()
    response = anonymous.post(
        "/api/v1/login", data='{"username": ' + DEEP + "}", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == (
        "the body is not valid JSON: the JSON is nested too deeply: more than 64 levels of lists "
        "and objects at username[0][0][0][0][0][0][0]…[0][0][0][0] (line 1, column 77)"
    )
    api = ApiClient(app, "insp-a")
    response = put_raw(api, visit, "ghi-chu-chung", '{"value": ' + DEEP + "}")
    assert response.status_code == 400
    assert answers_of(app, visit) == {}


def test_a_template_nested_without_end_is_refused_on_the_page(app, admin):
    response = upload_checklist(admin, DEEP.encode())
    assert response.status_code == 400
    assert "JSON lồng nhau quá sâu" in response.get_data(as_text=True)


def test_a_number_no_browser_can_read_is_named_in_the_message(app, visit):
    api = ApiClient(app, "insp-a")
    response = put_raw(api, visit, "so-tthc-niem-yet", '{"value": NaN}')
    assert response.get_json()["error"]["message"] == (
        "the body is not valid JSON: NaN is not a JSON number"
    )
