"""The inspector's checklist on a tablet: every item type, show_if, autosave, reload, no JS."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.browser.conftest import VIEWPORTS, login, open_context
from tests.factories import PASSWORD

ANSWERS_IN_ORDER = [
    "kh-cchc", "kh-cchc-ngay", "ty-le-so-hoa", "sipas-diem", "the-thuc-van-ban",
    "so-tthc-niem-yet", "ghi-chu-chung", "co-ho-so-tre-han", "thu-xin-loi", "niem-yet-qr",
]  # fmt: skip
EXPECTED = {
    "kh-cchc": "yes",
    "kh-cchc-ngay": "2024-01-15",
    "ty-le-so-hoa": {"num": 60, "den": 100},
    "sipas-diem": 10.5,
    "the-thuc-van-ban": "dung-tat-ca",
    "so-tthc-niem-yet": 1240,  # typed "1.240", the Vietnamese way
    "ghi-chu-chung": "Đoàn làm việc buổi sáng",
    "co-ho-so-tre-han": "yes",
    "thu-xin-loi": "no",
    "niem-yet-qr": "na",
}


def vi(number: float) -> str:
    text = f"{Decimal(str(number)).quantize(Decimal('0.01'))}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def item(page, key):
    return page.locator(f"#item-{key}")


def answer_everything(page, *, javascript: bool) -> None:
    """Answer one item of every type, the way an inspector taps and types."""

    def saved(key):
        if javascript:
            page.wait_for_selector(f"#item-{key}[data-state=saved]")

    assert item(page, "kh-cchc-ngay").is_hidden()
    assert page.locator("[data-status]").inner_text() == "Chưa bắt đầu"
    item(page, "kh-cchc").locator("button[value=yes]").click()
    saved("kh-cchc")
    if javascript:  # the first answer starts the visit
        assert page.locator("[data-status]").inner_text() == "Đang kiểm tra"
    assert item(page, "kh-cchc-ngay").is_visible()  # shown by its controller's answer
    item(page, "kh-cchc-ngay").locator("input[name=text]").fill("2024-01-15")
    item(page, "kh-cchc-ngay").locator("button.save[name=value]").click()
    saved("kh-cchc-ngay")
    ratio = item(page, "ty-le-so-hoa")
    ratio.locator("input[name=num]").fill("60")
    ratio.locator("input[name=den]").fill("100")
    if javascript:
        assert ratio.locator("[data-percent]").inner_text() == "60 %"
    ratio.locator("button.save[name=value]").click()
    saved("ty-le-so-hoa")
    item(page, "sipas-diem").locator("input[name=number]").fill("10,5")
    item(page, "sipas-diem").locator("button.save[name=value]").click()
    saved("sipas-diem")
    item(page, "the-thuc-van-ban").locator("button[value=dung-tat-ca]").click()
    saved("the-thuc-van-ban")
    item(page, "so-tthc-niem-yet").locator("input[name=number]").fill("1.240")
    item(page, "so-tthc-niem-yet").locator("button.save[name=value]").click()
    saved("so-tthc-niem-yet")
    item(page, "ghi-chu-chung").locator("textarea[name=text]").fill("Đoàn làm việc buổi sáng")
    item(page, "ghi-chu-chung").locator("button.save[name=value]").click()
    saved("ghi-chu-chung")
    assert item(page, "thu-xin-loi").is_hidden()
    item(page, "co-ho-so-tre-han").locator("button[value=yes]").click()
    saved("co-ho-so-tre-han")
    assert item(page, "thu-xin-loi").is_visible()
    item(page, "thu-xin-loi").locator("button[value=no]").click()
    saved("thu-xin-loi")
    item(page, "niem-yet-qr").locator("button[value=na]").click()
    saved("niem-yet-qr")


def check_answers_and_score(page, base: str, visit_id: int) -> None:
    api = page.request.get(f"{base}/api/v1/visits/{visit_id}").json()
    stored = {a["item_key"]: a["value"] for a in api["answers"]}
    assert stored == EXPECTED
    score = page.request.get(f"{base}/api/v1/visits/{visit_id}/score").json()
    assert page.locator("[data-total]").inner_text() == vi(score["total"])
    assert page.locator("[data-max]").inner_text() == vi(score["max"])
    assert page.locator("[data-answered]").inner_text() == str(score["answered"])
    assert (
        item(page, "kh-cchc").locator("button[value=yes]").get_attribute("aria-pressed") == "true"
    )
    assert item(page, "ty-le-so-hoa").locator("input[name=num]").input_value() == "60"
    assert item(page, "sipas-diem").locator("input[name=number]").input_value() == "10,5"
    assert item(page, "kh-cchc-ngay").locator("input[name=text]").input_value() == "2024-01-15"
    assert item(page, "thu-xin-loi").is_visible()
    assert "failed" in (item(page, "thu-xin-loi").get_attribute("class") or "")


def open_visit(browser, server, viewport, requests_log, *, javascript=True):
    context = open_context(browser, VIEWPORTS[viewport], javascript=javascript, log=requests_log)
    page = context.new_page()
    login(page, server.url, "insp-a", PASSWORD)
    page.click("text=UBND xã Ninh Xuân")  # "My visits" → the visit
    page.wait_for_selector(".visit")
    return context, page


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_inspector_answers_every_item_type_and_finds_them_after_reload(
    browser, demo_visit, server, viewport, requests_log
):
    context, page = open_visit(browser, server, viewport, requests_log)
    answer_everything(page, javascript=True)
    page.reload()
    check_answers_and_score(page, server.url, demo_visit.id)
    context.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_the_same_answers_save_with_javascript_off(
    browser, demo_visit, server, viewport, requests_log
):
    context, page = open_visit(browser, server, viewport, requests_log, javascript=False)
    answer_everything(page, javascript=False)
    page.goto(f"{server.url}/visits/{demo_visit.id}")
    check_answers_and_score(page, server.url, demo_visit.id)
    context.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_touch_targets_are_large_and_nothing_scrolls_sideways(
    browser, demo_visit, server, viewport, requests_log
):
    context, page = open_visit(browser, server, viewport, requests_log)
    small = page.evaluate(
        """() => Array.from(document.querySelectorAll('button, input, select, textarea, summary'))
            .filter(el => el.offsetParent !== null)
            .map(el => [el.outerHTML.slice(0, 80), el.getBoundingClientRect().height])
            .filter(([, h]) => h < 44)"""
    )
    assert small == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()


def test_a_failed_save_is_shown_and_retried(browser, demo_visit, server, requests_log):
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    context.set_offline(True)
    item(page, "kh-cchc").locator("button[value=no]").click()
    page.wait_for_selector("#item-kh-cchc[data-state=offline], #item-kh-cchc[data-state=failed]")
    context.set_offline(False)
    page.wait_for_selector("#item-kh-cchc[data-state=saved]", timeout=15000)
    api = page.request.get(f"{server.url}/api/v1/visits/{demo_visit.id}").json()
    assert {a["item_key"]: a["value"] for a in api["answers"]} == {"kh-cchc": "no"}
    context.close()


def test_answers_given_after_the_session_ended_are_saved_once_logged_in_again(
    browser, demo_visit, server, requests_log
):
    """The tablet's session ended (cookies cleared, or logged out elsewhere): the page keeps the
    answer, asks for a login, and once logged in again in another tab sends it with the new
    session's CSRF token."""
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    context.clear_cookies()
    item(page, "kh-cchc").locator("button[value=yes]").click()
    page.wait_for_selector("#item-kh-cchc[data-state=login]", timeout=10000)
    assert "đăng nhập lại" in item(page, "kh-cchc").locator("[data-state]").inner_text()
    other_tab = context.new_page()
    login(other_tab, server.url, "insp-a", PASSWORD)
    page.wait_for_selector("#item-kh-cchc[data-state=saved]", timeout=20000)
    api = other_tab.request.get(f"{server.url}/api/v1/visits/{demo_visit.id}").json()
    assert {a["item_key"]: a["value"] for a in api["answers"]} == {"kh-cchc": "yes"}
    context.close()


def test_an_answer_given_offline_survives_closing_the_page(browser, demo_visit, server,
                                                           requests_log):  # fmt: skip
    """Offline, an inspector answers and the tab is closed; opened again once the network is
    back, the page sends the answer it kept."""
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    context.set_offline(True)
    item(page, "kh-cchc").locator("button[value=no]").click()
    ratio = item(page, "ty-le-dung-han")
    ratio.locator("input[name=num]").fill("45")
    ratio.locator("input[name=den]").fill("50")
    ratio.locator("input[name=den]").press("Tab")
    page.wait_for_selector("#item-ty-le-dung-han[data-state=offline]")
    page.close()
    context.set_offline(False)
    page = context.new_page()
    page.goto(f"{server.url}/visits/{demo_visit.id}")
    page.wait_for_selector("#item-kh-cchc[data-state=saved]", timeout=15000)
    page.wait_for_selector("#item-ty-le-dung-han[data-state=saved]", timeout=15000)
    api = page.request.get(f"{server.url}/api/v1/visits/{demo_visit.id}").json()
    answers = {a["item_key"]: a["value"] for a in api["answers"]}
    assert answers == {"kh-cchc": "no", "ty-le-dung-han": {"num": 45, "den": 50}}
    # Stored: nothing is kept or sent again on the next visit.
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('inspection.'))") == []
    context.close()


def test_a_kept_answer_that_someone_changed_meanwhile_is_a_conflict(browser, demo_visit, server,
                                                                    requests_log):  # fmt: skip
    """The kept answer carries the revision it was given on: if another inspector saved the
    item meanwhile, sending it later shows a conflict instead of overwriting their answer."""
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    context.set_offline(True)
    item(page, "kh-cchc").locator("button[value=no]").click()
    page.wait_for_selector("#item-kh-cchc[data-state=offline]")
    page.close()
    context.set_offline(False)
    other = context.new_page()  # the same account elsewhere, saving first
    token = other.request.get(f"{server.url}/api/v1/me").json()["csrf_token"]
    saved = other.request.put(f"{server.url}/api/v1/visits/{demo_visit.id}/answers/kh-cchc",
                              data={"value": "yes"}, headers={"X-CSRFToken": token})  # fmt: skip
    assert saved.ok
    page = context.new_page()
    page.goto(f"{server.url}/visits/{demo_visit.id}")
    page.wait_for_selector("#item-kh-cchc[data-state=conflict]", timeout=15000)
    api = page.request.get(f"{server.url}/api/v1/visits/{demo_visit.id}").json()
    assert {a["item_key"]: a["value"] for a in api["answers"]} == {"kh-cchc": "yes"}
    context.close()


def test_after_a_conflict_the_score_bar_follows_the_answer_shown(browser, demo_visit, server,
                                                                 requests_log):  # fmt: skip
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    assert page.locator("[data-total]").inner_text() == "0"
    token = page.request.get(f"{server.url}/api/v1/me").json()["csrf_token"]
    other = page.request.put(f"{server.url}/api/v1/visits/{demo_visit.id}/answers/kh-cchc",
                             data={"value": "yes"}, headers={"X-CSRFToken": token})  # fmt: skip
    assert other.ok  # someone saved the item while this page was open
    item(page, "kh-cchc").locator("button[value=no]").click()
    page.wait_for_selector("#item-kh-cchc[data-state=conflict]", timeout=10000)
    total = page.request.get(f"{server.url}/api/v1/visits/{demo_visit.id}/score").json()["total"]
    assert total > 0
    page.wait_for_function("t => document.querySelector('[data-total]').textContent === t",
                           arg=vi(total), timeout=5000)  # fmt: skip
    context.close()


def test_a_quick_correction_is_saved_after_the_first_tap(browser, demo_visit, server,
                                                         requests_log):  # fmt: skip
    """Two taps on one item before the first save returns: the second waits for the first and
    goes out on its revision, so it is stored, not refused as someone else's change."""
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    page.evaluate("""() => {
        const el = document.querySelector('#item-kh-cchc');
        el.querySelector('button[value=yes]').click();
        el.querySelector('button[value=no]').click();
    }""")
    page.wait_for_selector("#item-kh-cchc[data-state=saved]", timeout=10000)
    api = page.request.get(f"{server.url}/api/v1/visits/{demo_visit.id}").json()
    assert {a["item_key"]: a["value"] for a in api["answers"]} == {"kh-cchc": "no"}
    assert item(page, "kh-cchc").get_attribute("data-revision") == "2"
    context.close()
