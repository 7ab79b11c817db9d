"""The inspector's checklist on a tablet: every item type, show_if, autosave, reload, no JS."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from tests.browser.conftest import (
    OUTBOX,
    VIEWPORTS,
    go_offline,
    login,
    open_context,
    outbox_holds,
    waiting_in_outbox,
)
from tests.builders import best_answers
from tests.factories import PASSWORD, make_plan, make_unit, make_user, make_visit

EXPECTED = {
    "kh-cchc": "yes",
    "kh-cchc-ngay": "2024-01-15",  # typed "15/01/2024", the Vietnamese way
    "ty-le-so-hoa": {"num": 60, "den": 100},
    "sipas-diem": 10.5,
    "the-thuc-van-ban": "dung-tat-ca",
    "so-tthc-niem-yet": 1240,  # typed "1.240", the Vietnamese way
    "ghi-chu-chung": "Đoàn làm việc buổi sáng",
    "co-ho-so-tre-han": "yes",
    "thu-xin-loi": "no",
    "niem-yet-qr": "na",
}
NOTE = "Kế hoạch số 12/KH-UBND, ký ngày 10/01/2024"  # the note of kh-cchc


def vi(number: float) -> str:
    text = f"{Decimal(str(number)).quantize(Decimal('0.01'))}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def item(page, key):
    return page.locator(f"#item-{key}")


def stored_answers(page, base: str, visit_id: int) -> dict:
    api = page.request.get(f"{base}/api/v1/visits/{visit_id}").json()
    return {a["item_key"]: a for a in api["answers"]}


def answer_everything(page, *, javascript: bool) -> None:
    """Answer one item of every type, the way an inspector taps and types."""

    def saved(key):
        if javascript:
            page.wait_for_selector(f"#item-{key}[data-state=saved]")
        else:  # the post's answer page, whole, before anything on it is read
            page.wait_for_selector(f"#item-{key}[data-state=saved]")
            page.wait_for_load_state("load")

    assert item(page, "kh-cchc-ngay").is_hidden()
    assert page.locator("[data-status]").inner_text() == "Chưa bắt đầu"
    assert page.locator("[data-unanswered]").inner_text() == "· Chưa có câu trả lời"
    assert page.locator("[data-rating]").is_hidden()  # not "0 % · Thấp" before any answer
    kh = item(page, "kh-cchc")
    kh.locator("details.note > summary").click()
    kh.locator("textarea[name=note]").fill(NOTE)
    kh.locator("button[value=yes]").click()  # without JavaScript: posts the note too
    saved("kh-cchc")
    if javascript:  # the first answer starts the visit (the note, left, may be saved first)
        page.wait_for_function("() => document.querySelector('[data-unanswered]').hidden")
        assert page.locator("[data-status]").inner_text() == "Đang kiểm tra"
    assert page.locator("[data-unanswered]").is_hidden()
    # Required items still wait: points so far, "tạm tính", no percentage and no band.
    assert page.locator("[data-provisional]").is_visible()
    assert page.locator("[data-rating]").is_hidden()
    assert item(page, "kh-cchc-ngay").is_visible()  # shown by its controller's answer
    item(page, "kh-cchc-ngay").locator("input[name=text]").fill("15/01/2024")
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


def check_score_bar(page, base: str, visit_id: int) -> None:
    """The page's score line and section subtotals say what the API's score sheet says."""
    score = page.request.get(f"{base}/api/v1/visits/{visit_id}/score").json()

    def shown(selector):
        return page.locator(selector).text_content()

    assert score["answered"] > 0
    assert shown("[data-total]") == vi(score["total"])
    assert shown("[data-max]") == vi(score["max"])
    if score["complete"]:
        # A no-break space: the percentage never wraps away from its sign.
        assert shown("[data-percent-total]") == f"{vi(score['percent'])}\u00a0%"
        assert shown("[data-band]") == score["band"]
        assert page.locator("[data-rating]").is_visible()
        assert page.locator("[data-provisional]").is_hidden()
    else:  # provisional: no percentage, no band, and how many required items wait
        assert score["percent"] is None and score["band"] is None and score["waiting"] > 0
        assert page.locator("[data-rating]").is_hidden()
        assert page.locator("[data-provisional]").is_visible()
        assert "tạm tính" in page.locator("[data-provisional]").inner_text()
        assert shown("[data-waiting]") == str(score["waiting"])
    assert shown("[data-answered]") == str(score["answered"])
    assert shown("[data-answerable]") == str(score["answerable"])
    assert shown("[data-full]") == str(score["full_marks"])
    assert shown("[data-scorable]") == str(score["scorable"])
    assert page.locator("[data-unanswered]").is_hidden()
    sections = page.locator("[data-section]")
    assert sections.count() == len(score["sections"])
    for section in score["sections"]:
        subtotal = f'[data-section="{section["key"]}"] [data-subtotal]'
        assert shown(subtotal) == f"{vi(section['score'])} / {vi(section['max'])}", section


def check_answers_are_stored(page, base: str, visit_id: int) -> None:
    answers = stored_answers(page, base, visit_id)
    assert {key: a["value"] for key, a in answers.items()} == EXPECTED
    assert answers["kh-cchc"]["note"] == NOTE


def check_page_shows_every_answer(page) -> None:
    """After a reload, every item type shows its answer on the page itself."""

    def pressed(key, value):
        button = item(page, key).locator(f"button[value={value}]")
        return button.get_attribute("aria-pressed") == "true"

    assert pressed("kh-cchc", "yes") and not pressed("kh-cchc", "no")
    assert item(page, "kh-cchc").locator("textarea[name=note]").is_visible()  # its fold open
    assert item(page, "kh-cchc").locator("textarea[name=note]").input_value() == NOTE
    assert item(page, "kh-cchc-ngay").is_visible()
    assert item(page, "kh-cchc-ngay").locator("input[name=text]").input_value() == "15/01/2024"
    ratio = item(page, "ty-le-so-hoa")
    assert ratio.locator("input[name=num]").input_value() == "60"
    assert ratio.locator("input[name=den]").input_value() == "100"
    assert ratio.locator("[data-percent]").inner_text() == "60 %"
    assert item(page, "sipas-diem").locator("input[name=number]").input_value() == "10,5"
    assert pressed("the-thuc-van-ban", "dung-tat-ca")
    assert item(page, "so-tthc-niem-yet").locator("input[name=number]").input_value() == "1.240"
    text = item(page, "ghi-chu-chung").locator("textarea[name=text]")
    assert text.input_value() == "Đoàn làm việc buổi sáng"
    assert pressed("co-ho-so-tre-han", "yes")
    assert item(page, "thu-xin-loi").is_visible() and pressed("thu-xin-loi", "no")
    assert "failed" in (item(page, "thu-xin-loi").get_attribute("class") or "")
    assert pressed("niem-yet-qr", "na")


def open_visit(
    browser,
    server,
    viewport,
    requests_log,
    *,
    javascript=True,
    username="insp-a",
    service_workers=False,
):
    context = open_context(
        browser,
        VIEWPORTS[viewport],
        javascript=javascript,
        log=requests_log,
        service_workers=service_workers,
    )
    page = context.new_page()
    login(page, server.url, username, PASSWORD)
    page.click("text=UBND xã Ninh Xuân")  # "My visits" → the visit
    # The click returns once the page starts loading: wait until its script has hidden the items
    # that depend on others (the layout a user sees), or for the whole page without script.
    page.wait_for_selector(".visit.js" if javascript else ".visit")
    page.wait_for_load_state("load")
    return context, page


def api_put(page, base: str, visit_id: int, key: str, body: dict) -> dict:
    token = page.request.get(f"{base}/api/v1/me").json()["csrf_token"]
    response = page.request.put(
        f"{base}/api/v1/visits/{visit_id}/answers/{key}", data=body, headers={"X-CSRFToken": token}
    )
    assert response.ok
    return response.json()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_inspector_answers_every_item_type_and_finds_them_after_reload(
    browser, demo_visit, server, viewport, requests_log
):
    context, page = open_visit(browser, server, viewport, requests_log)
    answer_everything(page, javascript=True)
    page.wait_for_selector("#item-kh-cchc[data-state=saved]")
    check_answers_are_stored(page, server.url, demo_visit.id)
    check_score_bar(page, server.url, demo_visit.id)  # live, from the saves' answers
    page.reload()
    check_page_shows_every_answer(page)
    check_score_bar(page, server.url, demo_visit.id)
    context.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_the_same_answers_save_with_javascript_off(
    browser, demo_visit, server, viewport, requests_log
):
    context, page = open_visit(browser, server, viewport, requests_log, javascript=False)
    answer_everything(page, javascript=False)
    check_answers_are_stored(page, server.url, demo_visit.id)
    check_score_bar(page, server.url, demo_visit.id)
    page.goto(f"{server.url}/visits/{demo_visit.id}")
    check_page_shows_every_answer(page)
    check_score_bar(page, server.url, demo_visit.id)
    context.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_the_band_appears_live_when_the_last_required_item_is_answered(
    browser, demo_visit, server, viewport, requests_log
):
    context, page = open_visit(browser, server, viewport, requests_log)
    best = best_answers(server.app.extensions["inspection.library"].get("cchc-xa", 2).document)
    last = best.pop("danh-muc-ho-so")  # 2 points, required
    assert last == "yes"
    for key, value in best.items():  # the rest of the team's answers, from another device
        api_put(page, server.url, demo_visit.id, key, {"value": value})
    page.reload()
    page.wait_for_selector(".visit.js")
    bar = page.locator(".scorebar")
    assert bar.get_attribute("data-complete") == "false"
    assert page.locator("[data-total]").text_content() == "98"
    assert page.locator("[data-max]").text_content() == "100"
    assert page.locator("[data-max]").get_attribute("title") == "tối đa của các mục áp dụng"
    provisional = page.locator("[data-provisional]")
    assert (
        provisional.is_visible() and provisional.inner_text() == "· tạm tính · còn 1 mục bắt buộc"
    )
    assert page.locator("[data-rating]").is_hidden()
    assert "Tốt" not in bar.inner_text() and "%" not in bar.inner_text()
    check_score_bar(page, server.url, demo_visit.id)
    page.evaluate("() => { window.notReloaded = true; }")
    item(page, "danh-muc-ho-so").locator("button[value=yes]").click()
    page.wait_for_selector("#item-danh-muc-ho-so[data-state=saved]")
    page.wait_for_selector("[data-rating]", state="visible")
    assert page.evaluate("() => window.notReloaded === true")  # live, not a new page
    assert bar.get_attribute("data-complete") == "true"
    assert page.locator("[data-total]").text_content() == "100"
    assert page.locator("[data-percent-total]").text_content() == "100\u00a0%"
    assert page.locator("[data-band]").text_content() == "Tốt"
    assert provisional.is_hidden() and "tạm tính" not in bar.inner_text()
    check_score_bar(page, server.url, demo_visit.id)
    # The lead's plan page says the same.
    lead_context = open_context(browser, VIEWPORTS[viewport], log=requests_log)
    lead = lead_context.new_page()
    login(lead, server.url, "lead-a", PASSWORD)
    lead.goto(f"{server.url}/plans/{demo_visit.plan_id}")
    cell = lead.locator(f'tr[data-visit="{demo_visit.id}"] [data-score]')
    assert "100\u00a0% · Tốt" in cell.inner_text() and "tạm tính" not in cell.inner_text()
    lead_context.close()
    context.close()


SMALL_CONTROLS = """() => {
    // Every visible control a finger taps: at least 44 x 44 px. A checkbox, radio or file
    // input (the camera button) counts by the label around it (the label is the target);
    // hidden inputs and closed folds are not on screen.
    const small = [], toggles = 'input[type=radio], input[type=checkbox], input[type=file]';
    const controls = 'a, button, input, select, textarea, summary, label';
    for (const el of document.querySelectorAll(controls)) {
        if (el.matches('label') && !el.querySelector(toggles)) continue;
        if (el.matches(toggles) && el.closest('label')) continue;
        if (!el.getClientRects().length) continue;
        const r = el.getBoundingClientRect();
        if (r.height < 44 || r.width < 44) {
            small.push([el.outerHTML.slice(0, 80), Math.round(r.width), Math.round(r.height)]);
        }
    }
    return small;
}"""
OPEN_EVERYTHING = """() => {
    document.querySelectorAll('details').forEach(d => { d.open = true; });
    document.querySelectorAll('.item[hidden]').forEach(el => { el.hidden = false; });
}"""
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_touch_targets_are_large_and_nothing_scrolls_sideways(
    browser, demo_visit, server, viewport, requests_log
):
    context = open_context(browser, VIEWPORTS[viewport], log=requests_log)
    page = context.new_page()
    login(page, server.url, "insp-a", PASSWORD)
    assert page.locator("table.list a").count() == 1  # the home page: "My visits"
    assert page.evaluate(SMALL_CONTROLS) == []
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.click("text=UBND xã Ninh Xuân")
    page.wait_for_selector(".visit.js")
    page.wait_for_load_state("load")  # every script of the page run (the photo strips' too)
    assert page.evaluate(SMALL_CONTROLS) == []
    page.evaluate(OPEN_EVERYTHING)  # every fold open, every item that depends on another shown
    assert page.locator("textarea[name=note]").first.is_visible()
    assert item(page, "thu-xin-loi").is_visible()
    assert page.evaluate(SMALL_CONTROLS) == []
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    context.close()


# Where an element's top is on the screen, at every frame from now on: what a finger aims at.
TRACK_TOP = """sel => {
    const el = document.querySelector(sel);
    window.tops = new Set();
    const look = () => {
        window.tops.add(Math.round(el.getBoundingClientRect().top));
        requestAnimationFrame(look);
    };
    look();
}"""
FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
SW_STATE = """async () => {
    const r = (await navigator.serviceWorker.getRegistration()) || {};
    return {installing: !!r.installing, active: !!r.active};
}"""


class HeldInstall:
    """The service worker's install held, as on a first visit over a poor link: /offline, which
    only the worker fetches (to keep it), answered once the test lets it go (30 s at most)."""

    def __init__(self, app) -> None:
        self.go = threading.Event()
        self.wsgi_app = app.wsgi_app
        app.wsgi_app = self

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/offline":
            self.go.wait(timeout=30)
        return self.wsgi_app(environ, start_response)


def test_nothing_moves_the_checklist_under_the_finger(
    browser, demo_visit, live_app, server, slow_answers, requests_log
):
    """A tap lands where the page showed the button: nothing the page says once its scripts have
    run moves it, not the bar counting what waits to be sent (a save held 3 s), not the bar saying
    the link dropped, not the worker starting to run (the offline row, shown by then)."""
    install = HeldInstall(live_app)
    slow_answers.delay = 3
    context, page = open_visit(
        browser, server, "tablet-portrait", requests_log, service_workers=True
    )
    page.evaluate(TRACK_TOP, "#item-kh-cchc button[value=no]")
    assert page.evaluate(SW_STATE) == {"installing": True, "active": False}
    item(page, "kh-cchc").locator("button[value=no]").click()
    page.wait_for_selector(".netbar:not([hidden])")  # "1 thay đổi đang chờ gửi", after 2 s
    page.wait_for_selector("#item-kh-cchc[data-state=saved]")
    install.go.set()
    page.wait_for_function("() => navigator.serviceWorker.controller")
    go_offline(context, page)
    page.evaluate(FRAMES)
    assert page.evaluate("() => [...window.tops]") == [
        round(page.locator("#item-kh-cchc button[value=no]").bounding_box()["y"])
    ]
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


def test_an_answer_given_offline_survives_closing_the_page(
    browser, demo_visit, server, requests_log
):
    """Offline, an inspector answers and the tab is closed; opened again once the network is
    back, the page sends the answer it kept."""
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    go_offline(context, page)
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
    outbox_holds(page, 0)
    assert page.evaluate(OLD_STORAGE) == []
    context.close()


def test_the_link_returning_while_the_page_still_loads_waits_for_its_script(
    browser, demo_visit, server, requests_log
):
    """The tablet finds its link again while the checklist is still loading (its script slow
    to arrive): what the outbox holds is sent once the page knows its items, and each says
    "saved" (sent before, the replies came to a page that did not know them: "Đang lưu…" for
    ever)."""
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    go_offline(context, page)
    item(page, "kh-cchc").locator("button[value=no]").click()
    page.wait_for_selector("#item-kh-cchc[data-state=offline]")
    page.close()
    context.set_offline(False)
    page = context.new_page()

    def slow_script(route):
        response = route.fetch()
        page.wait_for_timeout(1500)  # the outbox (loaded before it) hears "online" meanwhile
        route.fulfill(response=response)

    page.route("**/static/js/visit.js", slow_script)
    # "online" as soon as the outbox's script runs, before the checklist's.
    page.add_init_script(
        """const t = setInterval(() => {
             if (!window.inspectionOutbox) return;
             clearInterval(t);
             window.dispatchEvent(new Event("online"));
           }, 5);"""
    )
    page.goto(f"{server.url}/visits/{demo_visit.id}")
    page.wait_for_selector("#item-kh-cchc[data-state=saved]", timeout=15000)
    api = page.request.get(f"{server.url}/api/v1/visits/{demo_visit.id}").json()
    assert {a["item_key"]: a["value"] for a in api["answers"]} == {"kh-cchc": "no"}
    outbox_holds(page, 0)
    context.close()


def test_a_kept_answer_that_someone_changed_meanwhile_is_a_conflict(
    browser, demo_visit, server, requests_log
):
    """The kept answer carries the revision it was given on: if another inspector saved the
    item meanwhile, sending it later shows a conflict instead of overwriting their answer."""
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    go_offline(context, page)
    item(page, "kh-cchc").locator("button[value=no]").click()
    page.wait_for_selector("#item-kh-cchc[data-state=offline]")
    page.close()
    context.set_offline(False)
    other = context.new_page()  # the same account elsewhere, saving first
    token = other.request.get(f"{server.url}/api/v1/me").json()["csrf_token"]
    saved = other.request.put(
        f"{server.url}/api/v1/visits/{demo_visit.id}/answers/kh-cchc",
        data={"value": "yes"},
        headers={"X-CSRFToken": token},
    )
    assert saved.ok
    page = context.new_page()
    page.goto(f"{server.url}/visits/{demo_visit.id}")
    page.wait_for_selector("#item-kh-cchc[data-state=conflict]", timeout=15000)
    api = page.request.get(f"{server.url}/api/v1/visits/{demo_visit.id}").json()
    assert {a["item_key"]: a["value"] for a in api["answers"]} == {"kh-cchc": "yes"}
    context.close()


def test_after_a_conflict_the_score_bar_follows_the_answer_shown(
    browser, demo_visit, server, requests_log
):
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    assert page.locator("[data-total]").inner_text() == "0"
    token = page.request.get(f"{server.url}/api/v1/me").json()["csrf_token"]
    other = page.request.put(
        f"{server.url}/api/v1/visits/{demo_visit.id}/answers/kh-cchc",
        data={"value": "yes"},
        headers={"X-CSRFToken": token},
    )
    assert other.ok  # someone saved the item while this page was open
    item(page, "kh-cchc").locator("button[value=no]").click()
    page.wait_for_selector("#item-kh-cchc[data-state=conflict]", timeout=10000)
    total = page.request.get(f"{server.url}/api/v1/visits/{demo_visit.id}/score").json()["total"]
    assert total > 0
    page.wait_for_function(
        "t => document.querySelector('[data-total]').textContent === t", arg=vi(total), timeout=5000
    )
    context.close()


def test_a_quick_correction_is_saved_after_the_first_tap(browser, demo_visit, server, requests_log):
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
    stored = next(a for a in api["answers"] if a["item_key"] == "kh-cchc")
    assert item(page, "kh-cchc").get_attribute("data-revision") == str(stored["revision"])
    context.close()


def revision(page, key) -> int:
    return int(item(page, key).get_attribute("data-revision"))


def wait_stored_after(page, key, before: int) -> None:
    """Until the item shows a save newer than revision `before`, with nothing left to send."""
    page.wait_for_function(
        """([key, before]) => {
            const el = document.getElementById('item-' + key);
            return Number(el.dataset.revision) > before && el.dataset.state === 'saved';
        }""",
        arg=[key, before],
        timeout=15000,
    )


def test_typing_while_a_save_is_out_is_neither_reverted_nor_lost(
    browser, demo_visit, server, slow_answers, requests_log
):
    """A slow server: the numerator's save is out when the denominator is typed. Its answer
    must not put the old denominator back, and the new one is saved in turn."""
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    api_put(page, server.url, demo_visit.id, "ty-le-dung-han", {"value": {"num": 45, "den": 50}})
    page.reload()
    slow_answers.delay = 1.5
    ratio = item(page, "ty-le-dung-han")
    num, den = ratio.locator("input[name=num]"), ratio.locator("input[name=den]")
    before = revision(page, "ty-le-dung-han")
    num.fill("40")
    num.press("Tab")  # left: 40/50 goes out, and the denominator has the focus
    page.wait_for_selector("#item-ty-le-dung-han[data-state=saving]")
    page.keyboard.press("Control+A")
    page.keyboard.type("80")
    page.wait_for_function(
        "([k, r]) => Number(document.getElementById('item-' + k).dataset.revision) > r",
        arg=["ty-le-dung-han", before],
    )
    first = revision(page, "ty-le-dung-han")  # 40/50 stored and answered
    assert stored_answers(page, server.url, demo_visit.id)["ty-le-dung-han"]["value"] == {
        "num": 40,
        "den": 50,
    }
    assert (num.input_value(), den.input_value()) == ("40", "80")  # not put back to 50
    den.press("Tab")
    wait_stored_after(page, "ty-le-dung-han", first)
    assert stored_answers(page, server.url, demo_visit.id)["ty-le-dung-han"]["value"] == {
        "num": 40,
        "den": 80,
    }
    assert (num.input_value(), den.input_value()) == ("40", "80")
    assert ratio.locator("[data-percent]").inner_text() == "50 %"
    page.reload()
    assert (num.input_value(), den.input_value()) == ("40", "80")
    context.close()


def test_a_note_typed_while_its_answer_is_saving_is_kept_and_saved(
    browser, demo_visit, server, slow_answers, requests_log
):
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    slow_answers.delay = 1.5
    kh = item(page, "kh-cchc")
    kh.locator("button[value=no]").click()
    page.wait_for_selector("#item-kh-cchc[data-state=saving]")
    kh.locator("details.note > summary").click()
    note = kh.locator("textarea[name=note]")
    note.press_sequentially("Chưa có kế hoạch", delay=20)  # while "Không đạt" is on its way
    page.wait_for_function("() => document.getElementById('item-kh-cchc').dataset.revision > 0")
    assert note.input_value() == "Chưa có kế hoạch"  # the answer's return did not empty it
    wait_stored_after(page, "kh-cchc", 0)
    outbox_holds(page, 0)
    answer = stored_answers(page, server.url, demo_visit.id)["kh-cchc"]
    assert (answer["value"], answer["note"]) == ("no", "Chưa có kế hoạch")
    assert note.input_value() == "Chưa có kế hoạch"
    assert kh.locator("[data-state]").inner_text() == "Đã lưu"
    context.close()


def test_a_note_saves_itself_while_typed_with_its_state_shown(
    browser, demo_visit, server, requests_log
):
    """No tap on "Lưu ghi chú": the note is saved once the typing pauses, and the item shows
    saving, then saved."""
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    kh = item(page, "kh-cchc")
    kh.locator("details.note > summary").click()
    kh.locator("textarea[name=note]").press_sequentially("Đã ban hành", delay=20)
    assert kh.get_attribute("data-state") == "saving"  # pending while typed, not silent
    page.wait_for_selector("#item-kh-cchc[data-state=saved]", timeout=10000)
    answer = stored_answers(page, server.url, demo_visit.id)["kh-cchc"]
    assert (answer["value"], answer["note"]) == (None, "Đã ban hành")
    kh.locator("button[value=yes]").click()  # the answer afterwards keeps the note
    page.wait_for_function(
        "() => document.getElementById('item-kh-cchc').dataset.value"
        " === '\"yes\"' && document.getElementById('item-kh-cchc')"
        ".dataset.state === 'saved'"
    )
    answer = stored_answers(page, server.url, demo_visit.id)["kh-cchc"]
    assert (answer["value"], answer["note"]) == ("yes", "Đã ban hành")
    page.reload()
    assert kh.locator("textarea[name=note]").input_value() == "Đã ban hành"
    context.close()


def test_a_text_answer_saves_itself_while_typed(browser, demo_visit, server, requests_log):
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    text = item(page, "ghi-chu-chung").locator("textarea[name=text]")
    text.press_sequentially("Làm việc buổi chiều", delay=20)
    assert item(page, "ghi-chu-chung").get_attribute("data-state") == "saving"
    page.wait_for_selector("#item-ghi-chu-chung[data-state=saved]", timeout=10000)
    stored = stored_answers(page, server.url, demo_visit.id)["ghi-chu-chung"]["value"]
    assert stored == "Làm việc buổi chiều"
    assert text.input_value() == "Làm việc buổi chiều"
    context.close()


def test_a_note_typed_offline_survives_closing_the_page(browser, demo_visit, server, requests_log):
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    go_offline(context, page)
    kh = item(page, "kh-cchc")
    kh.locator("details.note > summary").click()
    kh.locator("textarea[name=note]").fill("Thiếu chữ ký")
    kh.locator("textarea[name=note]").blur()  # left: sent at once, without waiting
    page.wait_for_selector("#item-kh-cchc[data-state=offline], #item-kh-cchc[data-state=failed]")
    page.close()
    context.set_offline(False)
    page = context.new_page()
    page.goto(f"{server.url}/visits/{demo_visit.id}")
    page.wait_for_selector("#item-kh-cchc[data-state=saved]", timeout=15000)
    assert stored_answers(page, server.url, demo_visit.id)["kh-cchc"]["note"] == "Thiếu chữ ký"
    assert item(page, "kh-cchc").locator("textarea[name=note]").input_value() == "Thiếu chữ ký"
    context.close()


def test_a_save_refused_by_a_server_error_is_shown_and_retried_by_itself(
    browser, demo_visit, server, requests_log
):
    """The first write meets a 503 (the network stays up: no online event): the item says it is
    not saved yet, and the page tries again on its own."""
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    refused = []

    def first_fails(route):
        if route.request.method == "POST" and not refused:
            refused.append(route.request.url)
            route.fulfill(
                status=503,
                content_type="application/json",
                body='{"error": {"code": "unavailable", "message": "busy"}}',
            )
        else:
            route.continue_()

    page.route("**/api/v1/visits/*/answers", first_fails)
    item(page, "kh-cchc").locator("button[value=no]").click()
    page.wait_for_selector("#item-kh-cchc[data-state=failed]", timeout=5000)
    assert item(page, "kh-cchc").locator("[data-state]").inner_text() == "Chưa lưu được: sẽ thử lại"
    page.wait_for_selector("#item-kh-cchc[data-state=saved]", timeout=15000)
    assert len(refused) == 1 and page.evaluate("navigator.onLine")
    assert stored_answers(page, server.url, demo_visit.id)["kh-cchc"]["value"] == "no"
    assert page.locator("[data-total]").inner_text() == "0"
    assert page.locator("[data-answered]").inner_text() == "1"
    context.close()


def test_dates_are_typed_and_shown_day_first(browser, demo_visit, server, requests_log):
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    item(page, "kh-cchc").locator("button[value=yes]").click()
    date = item(page, "kh-cchc-ngay").locator("input[name=text]")
    assert date.get_attribute("type") == "text"  # not the browser's mm/dd/yyyy picker
    assert date.get_attribute("inputmode") == "numeric"
    assert date.get_attribute("placeholder") == "dd/mm/yyyy"
    date.fill("31/02/2024")
    date.press("Tab")
    page.wait_for_selector("#item-kh-cchc-ngay[data-state=invalid]")
    assert item(page, "kh-cchc-ngay").locator("[data-state]").inner_text() == (
        "Chưa lưu được: Nhập ngày theo dạng ngày/tháng/năm (dd/mm/yyyy)."
    )
    assert date.input_value() == "31/02/2024"  # kept, to be corrected
    assert "kh-cchc-ngay" not in stored_answers(page, server.url, demo_visit.id)
    date.fill("29.2.2024")  # a number pad may have no "/"
    date.press("Tab")
    page.wait_for_selector("#item-kh-cchc-ngay[data-state=saved]")
    assert stored_answers(page, server.url, demo_visit.id)["kh-cchc-ngay"]["value"] == "2024-02-29"
    assert date.input_value() == "29/02/2024"
    page.reload()
    assert date.input_value() == "29/02/2024"
    context.close()


IN_VIEW_BELOW_THE_SCORE_LINE = """el => {
    const bar = document.querySelector('.scorebar').getBoundingClientRect();
    const r = el.getBoundingClientRect();
    return r.top >= bar.bottom && r.bottom <= window.innerHeight;
}"""


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_without_javascript_the_outcome_is_shown_inside_the_item(
    browser, demo_visit, server, viewport, requests_log
):
    """The post brings the browser back to the item, far down the page: a refused value says
    why there, keeping what was typed; a saved one says so there; neither is under the sticky
    score line."""
    context, page = open_visit(browser, server, viewport, requests_log, javascript=False)
    count = item(page, "so-tthc-niem-yet")  # halfway down the page
    field, state = count.locator("input[name=number]"), count.locator("[data-state]")
    field.fill("mười")
    count.locator("button.save[name=value]").click()
    page.wait_for_load_state()
    assert state.inner_text() == "Chưa lưu được: Nhập một số."
    assert field.input_value() == "mười"
    assert page.locator(".flash").count() == 0
    assert field.evaluate(IN_VIEW_BELOW_THE_SCORE_LINE)
    assert state.evaluate(IN_VIEW_BELOW_THE_SCORE_LINE)
    field.fill("1.240")
    count.locator("button.save[name=value]").click()
    page.wait_for_url("**#item-so-tthc-niem-yet")
    assert state.inner_text() == "Đã lưu."
    assert field.input_value() == "1.240"
    assert count.evaluate(IN_VIEW_BELOW_THE_SCORE_LINE.replace("r.bottom <=", "r.top <"))
    assert state.evaluate(IN_VIEW_BELOW_THE_SCORE_LINE)
    context.close()


FOLD_CUE = """summary => {
    const cue = getComputedStyle(summary.querySelector('.section-title') || summary, '::before');
    return cue.content !== 'none' && parseFloat(cue.width) > 0 ? cue.transform : null;
}"""


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_the_page_keeps_its_sticky_line_short_and_shows_its_folds(
    browser, demo_visit, server, viewport, requests_log
):
    context, page = open_visit(browser, server, viewport, requests_log)
    bar = page.locator(".scorebar")
    assert bar.bounding_box()["height"] <= 60  # one line of score and answered count
    page.goto(f"{server.url}/visits/{demo_visit.id}#section-the-che")
    title = page.locator("#section-the-che > summary")
    assert title.evaluate(IN_VIEW_BELOW_THE_SCORE_LINE)  # not covered by the sticky line
    # Each fold shows whether it is open: its cue turns when it opens.
    for summary in (
        title,
        item(page, "kh-cchc").locator("details.help > summary"),
        item(page, "kh-cchc").locator("details.note > summary"),
    ):
        closed = summary.evaluate(FOLD_CUE)
        summary.click()
        opened = summary.evaluate(FOLD_CUE)
        assert closed is not None and opened is not None and closed != opened
    # A ratio's fields, its percentage (none yet: it takes no room) and its buttons share one row.
    row = item(page, "ty-le-so-hoa").locator(".answer-row")
    tops = row.evaluate(
        "r => Array.from(r.children)"
        ".filter(c => c.tagName !== 'LEGEND' && c.getClientRects().length)"
        ".map(c => Math.round(c.getBoundingClientRect().bottom))"
    )
    assert len(tops) == 4 and len(set(tops)) == 1, tops
    context.close()


@pytest.fixture
def team_visit(live_app):
    """A visit of two inspectors, 'insp-a' and 'insp-b', each on their own tablet."""
    make_unit(live_app, code="ninh-xuan", name="UBND xã Ninh Xuân")
    lead = make_user(live_app, "lead-a", "lead")
    make_user(live_app, "insp-a", "inspector", full_name="Lê Thị Hoa")
    make_user(live_app, "insp-b", "inspector", full_name="Phạm Văn Nam")
    return make_visit(
        live_app, make_plan(live_app, lead), ["insp-a", "insp-b"], unit_code="ninh-xuan"
    )


KEPT_CONFLICT = (
    "Người khác vừa sửa tiêu chí này: đang hiện câu trả lời của họ; nội dung bạn đã "
    "nhập vẫn được giữ ở đây, chưa lưu."
)
# What the page of the version before the outbox kept in localStorage: moved, never left there.
OLD_STORAGE = """() => Object.keys(localStorage).filter(
    k => k.startsWith('inspection.pending.') || k.startsWith('inspection.draft.'))"""


def test_a_note_typed_on_through_someone_elses_answer_is_kept_until_she_keeps_it(
    browser, team_visit, server, requests_log
):
    """A types a note, it saves; B taps "Đạt"; A types on. A's next save meets B's answer: her
    note stays as typed (never the server's older one), nothing of hers is sent until she has
    seen the conflict and pressed "Giữ bản của tôi", and it survives closing the page."""
    context_a, page = open_visit(browser, server, "tablet-portrait", requests_log)
    kh = item(page, "kh-cchc")
    note = kh.locator("textarea[name=note]")
    kh.locator("details.note > summary").click()
    note.press_sequentially("Máy in hỏng, ", delay=20)
    page.wait_for_selector("#item-kh-cchc[data-state=saved]", timeout=10000)
    context_b, other = open_visit(
        browser, server, "tablet-portrait", requests_log, username="insp-b"
    )
    item(other, "kh-cchc").locator("button[value=yes]").click()
    other.wait_for_selector("#item-kh-cchc[data-state=saved]")
    note.press_sequentially("thiếu máy scan", delay=20)
    page.wait_for_selector("#item-kh-cchc[data-state=conflict]", timeout=10000)
    assert note.input_value() == "Máy in hỏng, thiếu máy scan"
    assert kh.locator("[data-state]").inner_text() == KEPT_CONFLICT
    assert kh.locator("button.keep-mine").inner_text() == "Giữ bản của tôi"
    assert kh.locator("button[value=yes]").get_attribute("aria-pressed") == "true"  # B's answer
    server_copy = stored_answers(page, server.url, team_visit.id)["kh-cchc"]
    assert (server_copy["value"], server_copy["note"]) == ("yes", "Máy in hỏng, ")
    # Typing on: kept in the page and the browser, not sent; the conflict stays on screen.
    note.press_sequentially(" và loa", delay=20)
    page.wait_for_timeout(1800)  # longer than the typing pause that sends a note
    assert kh.get_attribute("data-state") == "conflict"
    assert stored_answers(page, server.url, team_visit.id)["kh-cchc"]["note"] == "Máy in hỏng, "
    kept = waiting_in_outbox(page)
    assert [(e["key"], e["state"]) for e in kept] == [("kh-cchc", "held")]
    # The tab closed and opened again: the kept note meets the same conflict, still kept.
    page.close()
    page = context_a.new_page()
    page.goto(f"{server.url}/visits/{team_visit.id}")
    page.wait_for_selector("#item-kh-cchc[data-state=conflict]", timeout=15000)
    kh, note = item(page, "kh-cchc"), item(page, "kh-cchc").locator("textarea[name=note]")
    assert note.input_value() == "Máy in hỏng, thiếu máy scan và loa"
    assert stored_answers(page, server.url, team_visit.id)["kh-cchc"]["note"] == "Máy in hỏng, "
    kh.locator("button.keep-mine").click()
    page.wait_for_selector("#item-kh-cchc[data-state=saved]", timeout=10000)
    server_copy = stored_answers(page, server.url, team_visit.id)["kh-cchc"]
    assert server_copy["value"] == "yes"
    assert server_copy["note"] == "Máy in hỏng, thiếu máy scan và loa"
    assert kh.locator("button.keep-mine").count() == 0
    outbox_holds(page, 0)
    context_a.close()
    context_b.close()


def test_a_field_left_after_it_saved_as_typed_sends_nothing_more(
    browser, demo_visit, server, requests_log
):
    """A note (or text) saves while typed; leaving it then sends no second, identical save,
    which after someone else's answer in between would be a false conflict."""
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    puts: list[str] = []  # the answer writes the page sends (the outbox's batches)
    page.on(
        "request",
        lambda r: puts.append(r.url) if r.method == "POST" and r.url.endswith("/answers") else None,
    )
    kh = item(page, "kh-cchc")
    kh.locator("details.note > summary").click()
    note = kh.locator("textarea[name=note]")
    note.press_sequentially("Đã xem hồ sơ", delay=20)
    page.wait_for_selector("#item-kh-cchc[data-state=saved]", timeout=10000)
    api_put(
        page,
        server.url,
        demo_visit.id,
        "kh-cchc",
        {"value": "yes", "note": "Đã xem hồ sơ", "base_revision": 1},
    )
    sent = len(puts)
    note.press("Tab")  # left: its change event
    page.wait_for_timeout(1500)
    assert len(puts) == sent
    assert kh.get_attribute("data-state") == "saved"  # no conflict
    assert stored_answers(page, server.url, demo_visit.id)["kh-cchc"]["revision"] == 2
    text = item(page, "ghi-chu-chung").locator("textarea[name=text]")
    text.press_sequentially("Làm việc buổi sáng", delay=20)
    page.wait_for_selector("#item-ghi-chu-chung[data-state=saved]", timeout=10000)
    sent = len(puts)
    revision = stored_answers(page, server.url, demo_visit.id)["ghi-chu-chung"]["revision"]
    text.press("Tab")
    page.wait_for_timeout(1500)
    assert len(puts) == sent
    assert stored_answers(page, server.url, demo_visit.id)["ghi-chu-chung"]["revision"] == revision
    context.close()


STEPS_LABEL = "4 điểm (≥ 100 %: 4, ≥ 98 %: 3,5, ≥ 95 %: 3, ≥ 90 %: 2, ≥ 80 %: 1)"
WIDTH = "el => el.getBoundingClientRect().width"


def test_not_applicable_shows_one_short_label_live_and_after_reload(
    browser, demo_visit, server, requests_log
):
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)

    def score(key):
        return item(page, key).locator("[data-item-score]").inner_text()

    def answer(key, button):
        before = revision(page, key)
        item(page, key).locator(button).click()
        wait_stored_after(page, key, before)

    answer("niem-yet-qr", "button[value=yes]")
    assert score("niem-yet-qr") == "1 / 1"
    answer("niem-yet-qr", "button[value=na]")
    assert score("niem-yet-qr") == "Không áp dụng"
    ratio = item(page, "ty-le-dung-han")
    num, den = ratio.locator("input[name=num]"), ratio.locator("input[name=den]")
    num.fill("35")
    den.fill("40")
    answer("ty-le-dung-han", "button.save[name=value]")
    assert score("ty-le-dung-han") == "1 / 4"
    assert ratio.locator("[data-percent]").inner_text() == "87,5 %"
    answer("ty-le-dung-han", "button[value=na]")
    assert score("ty-le-dung-han") == "Không áp dụng"
    assert (num.input_value(), den.input_value()) == ("", "")  # as after a reload
    assert ratio.locator("[data-percent]").inner_text() == ""
    sipas = item(page, "sipas-diem")
    sipas.locator("input[name=number]").fill("12")
    answer("sipas-diem", "button.save[name=value]")
    assert score("sipas-diem") == "12 / 12"
    answer("sipas-diem", "button[value=na]")
    assert score("sipas-diem") == "Không áp dụng"
    assert sipas.locator("input[name=number]").input_value() == ""
    page.reload()
    for key in ("niem-yet-qr", "ty-le-dung-han", "sipas-diem"):
        assert score(key) == "Không áp dụng", key
    assert (num.input_value(), den.input_value()) == ("", "")
    assert ratio.locator("[data-percent]").inner_text() == ""
    # A long points label (as a hidden item shows) wraps beside the question, not squeezing it.
    head = ratio.locator(".item-head")
    ratio.locator("[data-item-score]").evaluate(
        "(el, text) => { el.textContent = text; }", STEPS_LABEL
    )
    meta_width = ratio.locator(".item-meta").evaluate(WIDTH)
    assert meta_width <= 12 * 17 + 1 and head.evaluate(WIDTH) - meta_width >= 450, meta_width
    assert ratio.locator(".item-text").evaluate("el => el.getBoundingClientRect().height") < 30
    context.close()


def drafts(page) -> list[str]:
    """The items whose half-typed values this tablet keeps (drafts: never sent)."""
    return sorted(e["key"] for e in page.evaluate(OUTBOX) if e["kind"] == "draft")


def test_a_ratio_with_one_number_is_incomplete_and_kept_as_unsaved_work(
    browser, demo_visit, server, requests_log
):
    context, page = open_visit(browser, server, "tablet-portrait", requests_log)
    ratio = item(page, "ty-le-dung-han")
    num, den = ratio.locator("input[name=num]"), ratio.locator("input[name=den]")
    num.fill("3")
    den.fill("4")
    den.press("Tab")
    page.wait_for_selector("#item-ty-le-dung-han[data-state=saved]")
    assert ratio.locator("[data-percent]").inner_text() == "75 %"
    assert drafts(page) == []
    num.fill("")
    num.press("Tab")
    page.wait_for_selector("#item-ty-le-dung-han[data-state=incomplete]")
    assert ratio.locator("[data-state]").inner_text() == "Chưa đủ tử số/mẫu số: chưa lưu."
    assert ratio.locator("[data-percent]").inner_text() == ""  # not "0 %"
    assert stored_answers(page, server.url, demo_visit.id)["ty-le-dung-han"]["value"] == {
        "num": 3,
        "den": 4,
    }
    outbox_holds(page, 1)
    assert drafts(page) == ["ty-le-dung-han"]
    assert waiting_in_outbox(page) == []  # a draft is not a change waiting to be sent
    digital = item(page, "ty-le-so-hoa")  # a fresh one: only its numerator typed
    digital.locator("input[name=num]").fill("7")
    digital.locator("input[name=num]").press("Tab")
    page.wait_for_selector("#item-ty-le-so-hoa[data-state=incomplete]")
    assert "ty-le-so-hoa" not in stored_answers(page, server.url, demo_visit.id)
    # The page closed: both kept in this browser, shown again as incomplete.
    page.close()
    page = context.new_page()
    page.goto(f"{server.url}/visits/{demo_visit.id}")
    page.wait_for_selector("#item-ty-le-so-hoa[data-state=incomplete]")
    page.wait_for_selector("#item-ty-le-dung-han[data-state=incomplete]")
    ratio, digital = item(page, "ty-le-dung-han"), item(page, "ty-le-so-hoa")
    num, den = ratio.locator("input[name=num]"), ratio.locator("input[name=den]")
    assert (num.input_value(), den.input_value()) == ("", "4")
    assert digital.locator("input[name=num]").input_value() == "7"
    assert drafts(page) == ["ty-le-dung-han", "ty-le-so-hoa"]
    digital.locator("input[name=den]").fill("10")
    digital.locator("input[name=den]").press("Tab")
    page.wait_for_selector("#item-ty-le-so-hoa[data-state=saved]")
    assert stored_answers(page, server.url, demo_visit.id)["ty-le-so-hoa"]["value"] == {
        "num": 7,
        "den": 10,
    }
    num.fill("3")  # back to what the server has: nothing to send, nothing left unsaved
    num.press("Tab")
    page.wait_for_function(
        "() => document.getElementById('item-ty-le-dung-han').dataset.state !== 'incomplete'"
    )
    assert ratio.locator("[data-percent]").inner_text() == "75 %"
    outbox_holds(page, 0)
    context.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_a_field_focused_from_the_keyboard_lands_below_the_score_line(
    browser, demo_visit, server, viewport, requests_log
):
    """Shift+Tab (a tablet keyboard's "previous" key) onto a field just under the sticky score
    line scrolls it out from under the line."""
    context, page = open_visit(browser, server, viewport, requests_log)
    count = item(page, "so-tthc-niem-yet")  # halfway down the page
    field, button = count.locator("input[name=number]"), count.locator("button.save[name=value]")
    page.evaluate("""() => {
        const field = document.querySelector('#item-so-tthc-niem-yet input[name=number]');
        const bar = document.querySelector('.scorebar');
        window.scrollBy(0, field.getBoundingClientRect().top - 400);  // the bar sticks
        window.scrollBy(0, field.getBoundingClientRect().top - bar.getBoundingClientRect().bottom
                           + 20);  // the field's top 20 px under the bar
        document.querySelector('#item-so-tthc-niem-yet button.save').focus({preventScroll: true});
    }""")
    covered = field.evaluate("f => f.getBoundingClientRect().top")
    bar_bottom = page.locator(".scorebar").evaluate("b => b.getBoundingClientRect().bottom")
    assert 0 < covered < bar_bottom  # the setup: under the bar, yet inside the window
    assert button.evaluate("b => b === document.activeElement")
    page.keyboard.press("Shift+Tab")
    assert field.evaluate("f => f === document.activeElement")
    assert field.evaluate(IN_VIEW_BELOW_THE_SCORE_LINE)
    context.close()


def test_without_javascript_the_note_button_saves_the_typed_answer_too(
    browser, demo_visit, server, requests_log
):
    context, page = open_visit(browser, server, "tablet-portrait", requests_log, javascript=False)
    ratio = item(page, "ty-le-so-hoa")
    ratio.locator("input[name=num]").fill("9")
    ratio.locator("input[name=den]").fill("10")
    ratio.locator("details.note > summary").click()
    ratio.locator("textarea[name=note]").fill("Đọc trên Hệ thống")
    ratio.locator("button[name=action][value=note]").click()
    page.wait_for_url("**#item-ty-le-so-hoa")
    assert ratio.locator("[data-state]").inner_text() == "Đã lưu."
    assert ratio.locator("input[name=num]").input_value() == "9"
    assert ratio.locator("input[name=den]").input_value() == "10"
    assert ratio.locator("[data-percent]").inner_text() == "90 %"
    answer = stored_answers(page, server.url, demo_visit.id)["ty-le-so-hoa"]
    assert (answer["value"], answer["note"]) == ({"num": 9, "den": 10}, "Đọc trên Hệ thống")
    sipas = item(page, "sipas-diem")
    sipas.locator("input[name=number]").fill("9,5")
    sipas.locator("details.note > summary").click()
    sipas.locator("textarea[name=note]").fill("Khảo sát quý II")
    sipas.locator("button[name=action][value=note]").click()
    page.wait_for_url("**#item-sipas-diem")
    assert sipas.locator("[data-state]").inner_text() == "Đã lưu."
    assert sipas.locator("input[name=number]").input_value() == "9,5"
    answer = stored_answers(page, server.url, demo_visit.id)["sipas-diem"]
    assert (answer["value"], answer["note"]) == (9.5, "Khảo sát quý II")
    context.close()
