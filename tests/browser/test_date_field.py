"""The dd/mm/yyyy date field in a real browser: the calendar helper opened on the new-plan page,
a day picked by touch and by keyboard, the plan stored with that day; the same field typed
without the script; the calendar's days large enough to touch and inside the screen."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from inspection.models import Plan
from tests.browser.conftest import login, open_context
from tests.factories import PASSWORD, make_user, rows

SIZES = {"phone": (390, 844), "tablet-portrait": (768, 1024), "tablet-landscape": (1280, 800)}


def new_plan_page(browser, live_app, server, log, size=(768, 1024), javascript=True) -> Page:
    make_user(live_app, "lead-a", "lead", full_name="Trần Văn Bình")
    context = open_context(browser, size, javascript=javascript, log=log)
    page = context.new_page()
    login(page, server.url, "lead-a", PASSWORD)
    page.goto(f"{server.url}/plans/new")
    page.fill("input[name=number]", "22/KH-UBND")
    page.fill("input[name=title]", "Kiểm tra công tác cải cách hành chính")
    return page


def opener(page: Page, name: str):
    return page.locator(f".field:has(input[name={name}]) button.datefield-open")


def shown_month(calendar) -> tuple[str, str]:
    """The month and year the open calendar shows, as its two selects read."""
    month = calendar.locator(".datefield-month")
    return (
        month.locator(f"option[value='{month.input_value()}']").inner_text(),
        calendar.locator(".datefield-year").input_value(),
    )


def submit_and_get_plan(page: Page, live_app) -> Plan:
    page.locator("form button.primary[type=submit]").click()
    page.wait_for_url(re.compile(r"/plans/\d+$"))
    [plan] = rows(live_app, Plan)
    return plan


def test_a_day_picked_on_the_calendar_is_stored(browser, live_app, server, requests_log):
    page = new_plan_page(browser, live_app, server, requests_log)
    today = dt.date.today()
    opener(page, "issued_on").click()
    calendar = page.locator(".datefield-cal")
    expect(calendar).to_be_visible()
    assert calendar.locator("th").all_inner_texts() == ["T2", "T3", "T4", "T5", "T6", "T7", "CN"]
    assert shown_month(calendar) == (f"Tháng {today.month}", str(today.year))
    calendar.locator(".datefield-prev").click()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    assert shown_month(calendar) == (f"Tháng {last_month.month}", str(last_month.year))
    calendar.locator("button.datefield-day", has_text=re.compile(r"^15$")).click()
    picked = last_month.replace(day=15)
    assert page.input_value("input[name=issued_on]") == picked.strftime("%d/%m/%Y")
    expect(calendar).to_have_count(0)  # closed once a day is picked
    plan = submit_and_get_plan(page, live_app)
    assert plan.issued_on == picked
    assert picked.strftime("%d/%m/%Y") in page.content()
    page.context.close()


def test_the_calendar_works_from_the_keyboard(browser, live_app, server, requests_log):
    page = new_plan_page(browser, live_app, server, requests_log)
    for impossible in ("30/02/2024", "01/01/0050"):  # left as typed, never moved to a real day
        page.fill("input[name=issued_on]", impossible)
        page.locator("input[name=issued_on]").press("Tab")
        assert page.input_value("input[name=issued_on]") == impossible
        page.locator("input[name=issued_on]").focus()
    page.fill("input[name=issued_on]", "22022024")
    page.locator("input[name=issued_on]").press("Tab")  # to the calendar button
    assert page.input_value("input[name=issued_on]") == "22/02/2024"  # read back as understood
    page.keyboard.press("Enter")
    calendar = page.locator(".datefield-cal")
    focused = page.locator(".datefield-day:focus")
    assert focused.get_attribute("aria-pressed") == "true" and focused.inner_text() == "22"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")  # 22 + 1 + 7: into March
    assert shown_month(calendar) == ("Tháng 3", "2024")
    page.keyboard.press("PageUp")  # back a month, same day of the month
    assert page.locator(".datefield-day:focus").get_attribute("aria-label") == "01/02/2024"
    page.keyboard.press("Enter")
    assert page.input_value("input[name=issued_on]") == "01/02/2024"
    assert page.evaluate("document.activeElement.classList.contains('datefield-open')")
    page.keyboard.press("Enter")  # opened again, then left with Escape: nothing written
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Escape")
    expect(calendar).to_have_count(0)
    assert page.input_value("input[name=issued_on]") == "01/02/2024"
    plan = submit_and_get_plan(page, live_app)
    assert plan.issued_on == dt.date(2024, 2, 1)
    page.context.close()


def test_without_the_script_the_field_is_typed(browser, live_app, server, requests_log):
    page = new_plan_page(browser, live_app, server, requests_log, javascript=False)
    assert page.locator("button.datefield-open").count() == 0
    page.fill("input[name=issued_on]", "15032025")
    page.fill("input[name=decision_on]", "30/02/2024")
    page.locator("form button.primary[type=submit]").click()
    page.wait_for_load_state("load")
    assert "không có thật: tháng 2 năm 2024 có 29 ngày" in page.content()
    assert rows(live_app, Plan) == []
    assert page.input_value("input[name=issued_on]") == "15/03/2025"
    page.fill("input[name=decision_on]", "")
    plan = submit_and_get_plan(page, live_app)
    assert plan.issued_on == dt.date(2025, 3, 15) and plan.decision_on is None
    page.context.close()


@pytest.mark.parametrize("size", list(SIZES.values()), ids=list(SIZES))
def test_the_calendar_fits_the_screen_with_touch_sized_days(
    browser, live_app, server, requests_log, size
):
    page = new_plan_page(browser, live_app, server, requests_log, size=size)
    for name in ("issued_on", "decision_on"):
        opener(page, name).click()
        calendar = page.locator(".datefield-cal")
        box = calendar.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= size[0], (name, box)
        for button in [opener(page, name), *calendar.locator("button").all()]:
            b = button.bounding_box()
            assert b and b["width"] >= 44 and b["height"] >= 44, (name, button.inner_text(), b)
        assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
        page.keyboard.press("Escape")
    page.context.close()


def test_a_day_years_back_is_reached_with_the_month_and_year(
    browser, live_app, server, requests_log
):
    page = new_plan_page(browser, live_app, server, requests_log)
    page.fill("input[name=issued_on]", "05/01/2024")
    opener(page, "decision_on").click()
    calendar = page.locator(".datefield-cal")
    calendar.locator(".datefield-year").select_option("2023")
    calendar.locator(".datefield-month").select_option(label="Tháng 12")
    assert shown_month(calendar) == ("Tháng 12", "2023")
    calendar.locator("button.datefield-day", has_text=re.compile(r"^28$")).click()
    assert page.input_value("input[name=decision_on]") == "28/12/2023"
    plan = submit_and_get_plan(page, live_app)
    assert (plan.issued_on, plan.decision_on) == (dt.date(2024, 1, 5), dt.date(2023, 12, 28))
    page.context.close()
