"""One date field everywhere: plan and visit dates typed and shown dd/mm/yyyy the way the
checklist's date items take them, an impossible day refused with its reason (never moved to
another day), and the calendar helper's script only on the pages that have a date field."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape

import pytest

from inspection.models import Plan, Visit
from tests.factories import (
    csrf_from,
    logged_in,
    make_plan,
    make_unit,
    make_user,
    rows,
    user_named,
)

PLAN_FORM = {
    "number": "22/KH-UBND",
    "issued_on": "22/02/2024",
    "decision_number": "70/QĐ-UBND",
    "decision_on": "13/03/2024",
    "year": "2024",
    "title": "Kiểm tra công tác cải cách hành chính năm 2024",
    "template": "niem-yet-tthc:1",
}


@pytest.fixture
def team(app):
    make_unit(app, "ninh-xuan", "UBND xã Ninh Xuân")
    make_user(app, "lead-a", "lead", full_name="Trần Văn Trưởng")
    make_user(app, "insp-a", "inspector", full_name="Lê Thị Hoa")
    return app


def post_plan(client, **changes: str):
    token = csrf_from(client.get("/plans/new").get_data(as_text=True))
    return client.post("/plans/new", data={**PLAN_FORM, **changes, "csrf_token": token})


def field_value(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert tag, name
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return unescape(value.group(1)) if value else ""


def field_errors(html: str) -> list[str]:
    return [unescape(e) for e in re.findall(r'<small class="error">([^<]*)</small>', html)]


@pytest.mark.parametrize(
    "typed",
    [
        "22/02/2024",
        "22.02.2024",
        "22-02-2024",
        "22 02 2024",
        "22022024",
        "22/2/2024",
        " 22/02/2024 ",
    ],
)
def test_a_day_typed_as_people_write_it_is_stored_as_that_day(team, typed):
    client = logged_in(team, "lead-a")
    assert post_plan(client, issued_on=typed, decision_on="13.03.2024").status_code == 302
    [plan] = rows(team, Plan)
    assert (plan.issued_on, plan.decision_on) == (dt.date(2024, 2, 22), dt.date(2024, 3, 13))


def test_the_typing_that_the_browser_field_misread_is_read_day_first(team):
    """The browser's own date field turned a typed 15032025 into 2025-12-03."""
    client = logged_in(team, "lead-a")
    assert post_plan(client, issued_on="15032025", year="2025").status_code == 302
    [plan] = rows(team, Plan)
    assert plan.issued_on == dt.date(2025, 3, 15)
    assert "15/03/2025" in client.get(f"/plans/{plan.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("30/02/2024", "Ngày 30/02/2024 không có thật: tháng 2 năm 2024 có 29 ngày."),
        ("29022023", "Ngày 29/02/2023 không có thật: tháng 2 năm 2023 có 28 ngày."),
        ("31/04/2024", "Ngày 31/04/2024 không có thật: tháng 4 năm 2024 có 30 ngày."),
        ("00/05/2024", "Ngày 00/05/2024 không có thật: tháng 5 năm 2024 có 31 ngày."),
        ("15/13/2024", "Ngày 15/13/2024 không có thật: không có tháng 13."),
        ("22/02/1999", "Ngày 22/02/1999 không nhận được: năm 1999 nằm ngoài"),
        ("22/02/2101", "Ngày 22/02/2101 không nhận được: năm 2101 nằm ngoài"),
        ("2024-02-30", "Ngày 30/02/2024 không có thật"),
        ("22/02/24", "Nhập ngày theo dạng ngày/tháng/năm (dd/mm/yyyy), ví dụ 22/02/2024."),
        ("hôm qua", "Nhập ngày theo dạng ngày/tháng/năm (dd/mm/yyyy), ví dụ 22/02/2024."),
    ],
)
def test_a_day_that_does_not_exist_is_refused_with_its_reason(team, typed, reason):
    client = logged_in(team, "lead-a")
    response = post_plan(client, issued_on=typed)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    [error] = field_errors(html)
    assert error.startswith(reason)
    assert field_value(html, "issued_on") == typed.strip()  # kept as typed, to be corrected
    assert rows(team, Plan) == []


def test_the_reason_is_in_english_on_an_english_page(team):
    client = logged_in(team, "lead-a")
    client.get("/lang/en")
    html = post_plan(client, decision_on="31/04/2024").get_data(as_text=True)
    assert field_errors(html) == ["31/04/2024 is not a real date: month 4 of 2024 has 30 days."]
    assert rows(team, Plan) == []


def test_dates_come_back_dd_mm_yyyy_when_another_field_is_refused(team):
    client = logged_in(team, "lead-a")
    response = post_plan(client, issued_on="22022024", decision_on="2024-03-13", title="")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert field_value(html, "issued_on") == "22/02/2024"
    assert field_value(html, "decision_on") == "13/03/2024"
    assert "2024-03-13" not in html
    assert rows(team, Plan) == []


@pytest.mark.parametrize("path", ["/plans/new", "/plans/{plan}/visits/new"])
def test_date_fields_are_text_fields_with_the_calendar_script(team, path):
    plan = make_plan(team, user_named(team, "lead-a"))
    client = logged_in(team, "lead-a")
    html = client.get(path.format(plan=plan.id)).get_data(as_text=True)
    assert 'type="date"' not in html
    dates = re.findall(r"<input[^>]*data-datefield[^>]*>", html)
    assert dates and all(
        'type="text"' in tag and 'inputmode="numeric"' in tag and 'placeholder="dd/mm/yyyy"' in tag
        for tag in dates
    )
    assert html.count("js/datefield.js") == 1
    words = json.loads(unescape(re.search(r"data-words='([^']*)'", html).group(1)))
    assert words["days"] == ["T2", "T3", "T4", "T5", "T6", "T7", "CN"]  # Monday first
    assert words["months"][0] == "Tháng 1" and words["months"][11] == "Tháng 12"


def test_the_calendar_speaks_english_on_an_english_page(team):
    client = logged_in(team, "lead-a")
    client.get("/lang/en")
    html = client.get("/plans/new").get_data(as_text=True)
    words = json.loads(unescape(re.search(r"data-words='([^']*)'", html).group(1)))
    assert words["days"][0] == "Mo" and words["months"][4] == "May"


def test_pages_without_a_date_field_do_not_load_the_calendar(team):
    client = logged_in(team, "lead-a")
    assert "datefield.js" not in client.get("/plans/").get_data(as_text=True)


def visit_form(token: str, **changes: str) -> dict:
    return {
        "unit_code": "ninh-xuan",
        "scheduled_on": "28.06.2024",
        "place": "",
        "inspectors": ["insp-a"],
        "participants": "",
        "csrf_token": token,
        **changes,
    }


def test_a_visit_day_is_typed_and_shown_dd_mm_yyyy(team):
    plan = make_plan(team, user_named(team, "lead-a"))
    client = logged_in(team, "lead-a")
    url = f"/plans/{plan.id}/visits/new"
    token = csrf_from(client.get(url).get_data(as_text=True))
    refused = client.post(url, data=visit_form(token, scheduled_on="31/06/2024"))
    assert refused.status_code == 400
    assert field_errors(refused.get_data(as_text=True)) == [
        "Ngày 31/06/2024 không có thật: tháng 6 năm 2024 có 30 ngày."
    ]
    assert rows(team, Visit) == []
    assert client.post(url, data=visit_form(token)).status_code == 302
    [visit] = rows(team, Visit)
    assert visit.scheduled_on == dt.date(2024, 6, 28)
    edit = client.get(f"/plans/{plan.id}/visits/{visit.id}/edit").get_data(as_text=True)
    assert field_value(edit, "scheduled_on") == "28/06/2024"
    assert "28/06/2024" in client.get(f"/plans/{plan.id}").get_data(as_text=True)


def test_the_api_keeps_iso_dates(team):
    client = logged_in(team, "lead-a")
    assert post_plan(client).status_code == 302
    [plan] = rows(team, Plan)
    body = client.get(f"/api/v1/plans/{plan.id}").get_json()
    assert (body["issued_on"], body["decision_on"]) == ("2024-02-22", "2024-03-13")
