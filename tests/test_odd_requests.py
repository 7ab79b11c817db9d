"""Requests no page or tablet of ours sends, answered with a 4xx (or ignored), never a 500: CR/LF
in a redirect target, times outside the years the product accepts, numbers and revisions in other
scripts' digits ("١٢", "²", "３０") or thousands of digits, in every route and form field."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import ApiClient, csrf_from, logged_in, new_client_id

THOUSAND_DIGITS = "9" * 5000
ODD_NUMBERS = ["١٢", "²", "３０", "٢٠٢٤", THOUSAND_DIGITS, "1" + "0" * 40]


# Redirect targets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/plans/\r\nSet-Cookie: x=1", "/\n", "/visits/1\x00", "/\x1b[31m", "/\\evil.example", "/ a"],
    ids=["crlf-header", "lf", "nul", "escape", "backslash", "space"],
)
def test_a_next_with_control_characters_is_never_followed(app, visit, target):
    client = app.test_client()
    page = client.get("/login", query_string={"next": target})
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    form = {"username": "lead-a", "password": "mat-khau-123", "csrf_token": token}
    response = client.post("/login", query_string={"next": target}, data=form)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"  # the home page, not the target
    assert "Set-Cookie: x" not in str(response.headers)
    language = client.get("/lang/en", query_string={"next": target})
    assert language.status_code == 302 and language.headers["Location"] == "/"


def test_a_plain_next_is_still_followed(app, visit):
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    form = {"username": "lead-a", "password": "mat-khau-123", "csrf_token": token}
    response = client.post("/login?next=/plans/%3Fyear%3D2024", data=form)
    assert response.headers["Location"] == "/plans/?year=2024"


# Times -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+14:00",  # before year 1 in UTC: Python cannot even convert it
        "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
        "1999-12-31T23:59:59+00:00",
        "2101-01-01T00:00:00+07:00",
        "2024-06-28T09:30:00+25:00",
        "2024-06-28T09:30:00",  # no offset
    ],
)
def test_an_answer_time_outside_the_products_years_is_a_400(app, visit, moment):
    insp = ApiClient(app, "insp-a")
    entry = {
        "item_key": "ghi-chu-chung",
        "value": "Đã xem",
        "client_id": new_client_id(),
        "answered_at": moment,
    }
    batch = insp.post(f"/api/v1/visits/{visit.id}/answers", json={"answers": [entry]})
    assert batch.status_code == 400
    assert "answered_at" in batch.get_json()["results"][0]["error"]["fields"]
    one = insp.put(
        f"/api/v1/visits/{visit.id}/answers/ghi-chu-chung",
        json={"value": "Đã xem", "answered_at": moment},
    )
    assert one.status_code == 400 and "answered_at" in one.get_json()["error"]["fields"]
    assert insp.get(f"/api/v1/visits/{visit.id}").get_json()["answers"] == []


def test_an_answer_time_within_the_years_is_kept(app, visit):
    insp = ApiClient(app, "insp-a")
    url = f"/api/v1/visits/{visit.id}/answers/ghi-chu-chung"
    response = insp.put(url, json={"value": "Đã xem", "answered_at": "2100-12-31T23:00:00+07:00"})
    assert response.status_code == 200
    stored = dt.datetime.fromisoformat(response.get_json()["answered_at"])
    assert stored == dt.datetime(2100, 12, 31, 16, 0, tzinfo=dt.UTC)


# Numbers and revisions -------------------------------------------------------------------------


@pytest.mark.parametrize("odd", ["١", "²", "３", "1" + "0" * 30, THOUSAND_DIGITS[:100]])
def test_ids_in_other_digits_or_too_many_are_404(app, visit, odd):
    lead = ApiClient(app, "lead-a")
    for path in (
        f"/api/v1/visits/{odd}",
        f"/visits/{odd}",
        f"/plans/{odd}",
        f"/api/v1/plans/{odd}",
        f"/checklists/cchc-xa/{odd}",
    ):
        response = lead.get(path)
        assert response.status_code == 404, path


@pytest.mark.parametrize("odd", ODD_NUMBERS)
def test_a_revision_in_odd_digits_is_refused_from_the_page(app, visit, odd):
    insp = logged_in(app, "insp-a")
    token = csrf_from(insp.get(f"/visits/{visit.id}").get_data(as_text=True))
    response = insp.post(
        f"/visits/{visit.id}/items/ghi-chu-chung",
        data={"text": "Đã xem", "base_revision": odd, "csrf_token": token},
    )
    assert response.status_code == 400
    assert insp.get(f"/visits/{visit.id}").status_code == 200


@pytest.mark.parametrize("odd", [-1, 2**53 + 1, 10**300, "12", 1.5, True])
def test_a_revision_out_of_range_or_not_a_whole_number_is_refused_by_the_api(app, visit, odd):
    insp = ApiClient(app, "insp-a")
    response = insp.put(
        f"/api/v1/visits/{visit.id}/answers/ghi-chu-chung",
        json={"value": "Đã xem", "base_revision": odd},
    )
    assert response.status_code == 400
    assert "base_revision" in response.get_json()["error"]["fields"]


def test_a_revision_of_thousands_of_digits_is_refused_by_the_api(app, visit):
    insp = ApiClient(app, "insp-a")
    response = insp.client.put(
        f"/api/v1/visits/{visit.id}/answers/ghi-chu-chung",
        data='{"value": "x", "base_revision": ' + THOUSAND_DIGITS + "}",
        content_type="application/json",
        headers={"X-CSRFToken": insp.token},
    )
    assert response.status_code == 400
    assert "too large a number" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("odd", ODD_NUMBERS)
def test_a_ratio_in_odd_digits_is_refused_with_what_was_typed_kept(app, visit, odd):
    insp = logged_in(app, "insp-a")
    token = csrf_from(insp.get(f"/visits/{visit.id}").get_data(as_text=True))
    response = insp.post(
        f"/visits/{visit.id}/items/ty-le-dung-han",
        data={"num": odd, "den": "100", "csrf_token": token},
    )
    assert response.status_code == 400
    assert odd[:50] in response.get_data(as_text=True)


@pytest.mark.parametrize("odd", ODD_NUMBERS)
def test_a_year_or_a_number_of_days_in_odd_digits_is_refused(app, visit, admin, odd):
    lead = logged_in(app, "lead-a")
    token = csrf_from(lead.get("/plans/new").get_data(as_text=True))
    plan = lead.post(
        "/plans/new",
        data={
            "number": "5/KH",
            "issued_on": "22/02/2024",
            "year": odd,
            "title": "Kiểm tra",
            "template": "cchc-xa:1",
            "csrf_token": token,
        },
    )
    assert plan.status_code == 400 and "Nhập một số nguyên" in plan.get_data(as_text=True)
    chosen = lead.post(
        "/plans/new",
        data={
            "number": "5/KH",
            "issued_on": "22/02/2024",
            "year": "2024",
            "title": "Kiểm tra",
            "template": f"cchc-xa:{odd}",
            "csrf_token": token,
        },
    )
    assert chosen.status_code == 400
    token = csrf_from(admin.get("/admin/agency").get_data(as_text=True))
    agency = admin.post(
        "/admin/agency",
        data={
            "issuer_name": "ĐOÀN",
            "notice_code": "TB",
            "place_name": "Ninh Hòa",
            "timezone": "Asia/Ho_Chi_Minh",
            "remediation_days": odd,
            "csrf_token": token,
        },
    )
    assert agency.status_code == 400
    assert lead.get("/plans/").status_code == 200


# Login fields ------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["username", "password"])
@pytest.mark.parametrize("odd", ["lead-a\x00", "\x1b[2J", "lead\ud800", "a" * 1001, 12, None])
def test_a_login_field_that_is_no_text_is_a_400_naming_it(app, visit, field, odd):
    body = {"username": "lead-a", "password": "mat-khau-123", field: odd}
    response = app.test_client().post("/api/v1/login", json=body)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("field", ["username", "password"])
def test_a_login_field_with_control_characters_is_refused_on_the_page(app, visit, field):
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    form = {"username": "lead-a", "password": "mat-khau-123", "csrf_token": token}
    response = client.post("/login", data={**form, field: form[field] + "\x00"})
    assert response.status_code == 400
    assert "Nhập văn bản thường, trên một dòng." in response.get_data(as_text=True)
    assert client.post("/login", data=form).status_code == 302  # nothing counted against it


@pytest.mark.parametrize("new", ["mat-khau\x00-moi", "mat-khau\nmoi-1", "mat\x1b[31m-khau"])
def test_a_new_password_the_login_form_would_refuse_is_not_set(app, visit, new):
    """Else the user could never log in again: the login form refuses control characters."""
    client = logged_in(app, "insp-a")
    token = csrf_from(client.get("/password").get_data(as_text=True))
    form = {"current": "mat-khau-123", "password": new, "confirm": new, "csrf_token": token}
    response = client.post("/password", data=form)
    assert response.status_code == 400
    assert "phải là văn bản thường trên một dòng" in response.get_data(as_text=True)
    assert ApiClient(app, "insp-a").user is not None  # the old password still works
