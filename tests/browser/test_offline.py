"""Offline work on a tablet (issue 19): a visit prepared for offline work opens, is filled and
photographed with no link at all, survives a reload and a browser restart, and lands on the
server exactly once when the link returns.

"No link" here is the server stopped as well as the page's network cut
(`context.set_offline`): Playwright's offline mode does not cut the service worker's own
requests (NOTES.md), so only a stopped server proves the pages come from the tablet's cache. The
browser runs on a profile folder of the test's own (`launch_persistent_context`), so that it can
be closed and started again on the same storage, as a tablet restarts."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import BrowserContext, Page
from sqlalchemy import update
from sqlmodel import select

from inspection.db import get_session
from inspection.models import Answer, LoginSession, utcnow
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    OUTBOX,
    VIEWPORTS,
    go_offline,
    login,
    open_context,
    outbox_holds,
    waiting_in_outbox,
)
from tests.factories import (
    PASSWORD,
    ApiClient,
    audit_events,
    make_plan,
    make_unit,
    make_user,
    make_visit,
)
from tests.test_serving import ROOT, free_port, server_env, stop, wait_until_up

# Copies the outbox's entries (photos' bytes included) aside, and back: a tablet sending again
# what it already sent (a replay after a lost reply) must change nothing.
STASH = """(back) => new Promise((resolve, reject) => {
    const open = (name, make) => new Promise((ok, fail) => {
        const r = indexedDB.open(name, 1);
        r.onupgradeneeded = () => make(r.result);
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
    });
    const store = db => db.createObjectStore('outbox', {keyPath: 'id'}).createIndex('user', 'user');
    Promise.all([open('inspection', store), open('replay-stash', store)]).then(([app, stash]) => {
        const [from, to] = back ? [stash, app] : [app, stash];
        const read = from.transaction('outbox').objectStore('outbox').getAll();
        read.onsuccess = () => {
            const t = to.transaction('outbox', 'readwrite');
            read.result.forEach(e => t.objectStore('outbox').put(e));
            t.oncomplete = () => resolve(read.result.length);
            t.onerror = () => reject(t.error);
        };
    }, reject);
})"""


SW_STATE = """async () => {
    const r = await navigator.serviceWorker.getRegistration();
    const s = w => w && w.state;
    return r ? {installing: s(r.installing), waiting: s(r.waiting), active: s(r.active),
                scope: r.scope} : null;
}"""


@pytest.fixture
def team_visit(live_app):
    """A visit of two inspectors, each with a tablet."""
    make_unit(live_app, code="ninh-xuan", name="UBND xã Ninh Xuân")
    lead = make_user(live_app, "lead-a", "lead", full_name="Trần Văn Bình")
    make_user(live_app, "insp-a", "inspector", full_name="Lê Thị Hoa")
    make_user(live_app, "insp-b", "inspector", full_name="Phạm Văn Nam")
    return make_visit(
        live_app, make_plan(live_app, lead), ["insp-a", "insp-b"], unit_code="ninh-xuan"
    )


def stored_answers(page: Page, base: str, visit_id: int) -> dict[str, dict]:
    visit = page.request.get(f"{base}/api/v1/visits/{visit_id}").json()
    return {a["item_key"]: a for a in visit["answers"]}


def idle_for(app, *, hours: int) -> None:
    """Every open login session last seen `hours` ago (the tablet was away that long)."""
    with app.app_context():
        session = get_session()
        seen = utcnow() - dt.timedelta(hours=hours)
        session.exec(update(LoginSession).values(last_seen_at=seen, created_at=seen))
        session.commit()


def answers_in_database(app, visit_id: int) -> dict[str, object]:
    with app.app_context():
        rows = get_session().exec(select(Answer).where(Answer.visit_id == visit_id)).all()
        return {a.item_key: a.value for a in rows}


def photo(n: int) -> dict:
    image = Image.new("RGB", (1200, 900), (40 + n * 60, 120, 200 - n * 40))
    draw = ImageDraw.Draw(image)
    draw.text((50, 50), f"niem yet {n}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return {"name": f"anh-{n}.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def tablet(browser, profile: Path, requests_log) -> BrowserContext:
    """Chromium on the tablet's own profile folder, with service workers, as installed."""
    width, height = VIEWPORTS["tablet-portrait"]
    context = browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        viewport={"width": width, "height": height},
        has_touch=True,
        locale="vi-VN",
        service_workers="allow",
    )
    context.on("request", lambda request: requests_log.urls.append(request.url))
    return context


def outbox(page: Page) -> list[dict]:
    return page.evaluate(OUTBOX)


def waiting(page: Page) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for entry in outbox(page):
        if entry["kind"] != "draft":
            kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
    return kinds


def api_counts(page: Page, base: str, visit_id: int) -> tuple[int, int, int, int]:
    visit = page.request.get(f"{base}/api/v1/visits/{visit_id}").json()
    findings = page.request.get(f"{base}/api/v1/visits/{visit_id}/findings").json()["findings"]
    photos = page.request.get(f"{base}/api/v1/visits/{visit_id}/photos").json()["photos"]
    return len(visit["answers"]), len(photos), len(findings), visit["revision"]


def prepare(page: Page, base: str, visit_id: int) -> None:
    page.goto(f"{base}/visits/{visit_id}")
    # A page still loading when the worker starts to run is not taken over by it (the
    # Clients.claim() of the service worker spec skips pages not yet ready): the next one is.
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.reload()
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller", timeout=20_000)
    except Exception as exc:  # say what the service worker's registration is doing
        state = page.evaluate(SW_STATE)
        raise AssertionError(f"no service worker controls the page: {state}") from exc
    button = page.locator(".offline-ready button")
    button.wait_for()
    assert button.inner_text() == "Chuẩn bị làm việc ngoại tuyến"
    button.click()
    page.wait_for_function(
        "() => document.querySelector('[data-prepared]').textContent.startsWith('Sẵn sàng')"
    )


def bar_says(page: Page, text: str) -> None:
    """Until the outbox's bar says `text`."""
    page.wait_for_function(
        "t => document.querySelector('.netbar')?.textContent.includes(t)", arg=text
    )


def open_visit(browser, base: str, visit_id: int, requests_log, username: str = "insp-a"):
    """A tablet without the service worker, logged in, on the visit's checklist."""
    context = open_context(browser, VIEWPORTS["tablet-portrait"], log=requests_log)
    page = context.new_page()
    login(page, base, username, PASSWORD)
    page.goto(f"{base}/visits/{visit_id}")
    page.wait_for_selector(".visit.js")
    return context, page


def answer_offline(context, page: Page, keys: list[str], button: str) -> None:
    """The link gone, each item answered with its `button` (yes, no), all kept in the outbox."""
    go_offline(context, page)
    for key in keys:
        page.locator(f"#item-{key} button.answer.{button}").click()
    outbox_holds(page, len(keys))


def twenty_items(page: Page) -> list[str]:
    """Twenty yes/no items that no other item shows or hides."""
    keys = page.evaluate(
        """() => [...document.querySelectorAll('.item[data-input=tap]:not([data-show-if])')]
            .filter(el => !el.hidden && el.querySelector('button.answer.yes')
                          && el.querySelector('button.answer.no'))
            .map(el => el.id.slice(5))"""
    )
    assert len(keys) >= 20
    return keys[:20]


def test_a_visit_prepared_for_offline_work_is_filled_without_a_link_and_lands_once(
    browser, demo_visit, restartable_server, tmp_path, requests_log
):
    server = restartable_server
    base, visit_id = server.url, demo_visit.id
    profile = tmp_path / "tablet-profile"
    context = tablet(browser, profile, requests_log)
    page = context.pages[0] if context.pages else context.new_page()
    login(page, base, "insp-a", PASSWORD)
    prepare(page, base, visit_id)
    keys = twenty_items(page)

    # The link goes: the server is out of reach, and the tablet knows it.
    server.stop()
    context.set_offline(True)
    page.reload()  # the checklist opens from the tablet's copy
    page.wait_for_selector(".visit.js")
    bar_says(page, "Ngoại tuyến")
    for n, key in enumerate(keys):
        item = page.locator(f"#item-{key}")
        item.locator("button.answer").nth(n % 2).click()  # Đạt, Không đạt, Đạt, …
        page.wait_for_selector(f"#item-{key}[data-state=offline]")
    failing = keys[1]
    first, second = page.locator(f"#item-{keys[2]}"), page.locator(f"#item-{keys[4]}")
    first.locator("input[type=file]").set_input_files([photo(1)])
    second.locator("input[type=file]").set_input_files([photo(2)])
    outbox_holds(page, 22)
    assert waiting(page) == {"answer": 20, "photo": 2}
    bar_says(page, "Ngoại tuyến — 22 thay đổi đang chờ gửi")

    # Two deficiencies on the deficiencies page (kept too), one of them photographed.
    page.goto(f"{base}/visits/{visit_id}/findings")
    other = page.locator("#other")
    assert other.locator("[data-none]").inner_text() == "Không có."
    other.locator("summary").click()
    form = other.locator("form[data-offline=finding]")
    form.locator("select[name=item_key]").select_option(failing)
    form.locator("textarea[name=text]").fill("Chưa niêm yết đủ thủ tục hành chính")
    form.locator("textarea[name=remedy]").fill("Niêm yết đủ 100% thủ tục đang có hiệu lực")
    form.locator("button[type=submit]").click()
    kept = page.locator(".finding.pending")
    kept.first.wait_for()
    kept.first.locator("input[type=file]").set_input_files([photo(3)])
    form.locator("textarea[name=text]").fill("Hộp thư góp ý đặt khuất, không có khóa")
    form.locator("textarea[name=remedy]").fill("Chuyển hộp thư ra nơi dễ thấy và lắp khóa")
    form.locator("button[type=submit]").click()
    outbox_holds(page, 25)
    assert waiting(page) == {"answer": 20, "photo": 3, "finding": 2}
    assert kept.count() == 2
    assert other.locator("[data-none]").is_hidden()  # not "Không có." above them

    # Reloaded, still without a link: everything is there, from the tablet.
    page.reload()
    page.locator(".finding.pending .thumb").wait_for()
    assert page.locator(".finding.pending").count() == 2
    assert page.locator(".finding.pending .thumb").count() == 1
    assert page.locator("#other [data-none]").is_hidden()
    page.goto(f"{base}/visits/{visit_id}")
    page.wait_for_selector(".visit.js")
    page.wait_for_selector(f"#item-{keys[-1]}[data-state=offline]")
    assert page.locator("span.thumb.pending").count() == 2
    bar_says(page, "Ngoại tuyến — 25 thay đổi đang chờ gửi")

    # The tablet restarts (the browser closed and opened on the same profile), still offline.
    context.close()
    context = tablet(browser, profile, requests_log)
    context.set_offline(True)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"{base}/visits/{visit_id}")
    page.wait_for_selector(".visit.js")
    bar_says(page, "Ngoại tuyến — 25 thay đổi đang chờ gửi — Bản lưu trên máy, tạo lúc ")  # kept
    made = page.locator(".netbar").inner_text().rsplit("tạo lúc ", 1)[1]
    assert re.fullmatch(r"\d\d:\d\d \d\d/\d\d/\d{4}", made), made
    for n, key in enumerate(keys):
        page.wait_for_selector(f"#item-{key}[data-state=offline]")
        pressed = page.locator(f"#item-{key} button.answer").nth(n % 2)
        assert pressed.get_attribute("aria-pressed") == "true", key
    assert page.locator("span.thumb.pending").count() == 2
    assert waiting(page) == {"answer": 20, "photo": 3, "finding": 2}
    assert page.evaluate(STASH, False) == 25

    # The link returns. The restart ended the browser's session: the tablet asks for a login,
    # then sends everything.
    server.start()
    context.set_offline(False)
    relogin = page.locator(".netbar a")
    relogin.wait_for(timeout=20_000)
    bar_says(page, "25 thay đổi đang chờ gửi — Phiên đăng nhập đã hết")
    relogin.click()
    page.fill("input[name=username]", "insp-a")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/visits/{visit_id}")
    outbox_holds(page, 0, timeout=30)
    page.wait_for_selector(f"#item-{keys[-1]}[data-state=saved]")
    assert page.locator("a.thumb[data-photo]").count() == 2
    page.locator(".netbar").wait_for(state="hidden")  # nothing waits any more
    answers, photos, findings, revision = api_counts(page, base, visit_id)
    assert (answers, photos, findings) == (20, 3, 2)
    listed = page.request.get(f"{base}/api/v1/visits/{visit_id}/findings").json()["findings"]
    tied = next(f for f in listed if f["item_key"] == failing)
    photographed = page.request.get(f"{base}/api/v1/visits/{visit_id}/photos").json()["photos"]
    assert [p for p in photographed if tied["id"] in p.get("finding_ids", [])], photographed

    # Sending it all again (a reply lost on the way) changes nothing.
    assert page.evaluate(STASH, True) == 25
    page.evaluate("window.inspectionOutbox.drain()")
    outbox_holds(page, 0, timeout=30)
    assert api_counts(page, base, visit_id) == (20, 3, 2, revision)
    context.close()


def test_two_tablets_on_one_item_the_offline_one_chooses_and_the_rest_lands(
    browser, team_visit, server, requests_log
):
    """Tablet A answers 20 items offline; meanwhile tablet B answers one of them online. When
    A's link returns, its batch meets B's answer: A is shown the conflict, with its own choice
    to keep, and the other 19 answers land; "Keep mine" then saves A's over B's."""
    base, visit_id = server.url, team_visit.id
    context_a, a = open_visit(browser, base, visit_id, requests_log)
    keys = twenty_items(a)
    shared = keys[5]
    answer_offline(context_a, a, keys, "no")
    for key in keys:
        a.wait_for_selector(f"#item-{key}[data-state=offline]")

    context_b, b = open_visit(browser, base, visit_id, requests_log, username="insp-b")
    b.locator(f"#item-{shared} button.answer.yes").click()
    b.wait_for_selector(f"#item-{shared}[data-state=saved]")

    context_a.set_offline(False)
    a.wait_for_selector(f"#item-{shared}[data-state=conflict]", timeout=20_000)
    for key in keys:
        if key != shared:
            a.wait_for_selector(f"#item-{key}[data-state=saved]")
    stored = stored_answers(a, base, visit_id)
    expected = {k: "yes" if k == shared else "no" for k in keys}
    assert {k: stored[k]["value"] for k in keys} == expected
    assert stored[shared]["answered_by"] == "insp-b"  # never silently overwritten
    item = a.locator(f"#item-{shared}")
    assert item.locator("button.answer.yes").get_attribute("aria-pressed") == "true"  # B's
    assert item.locator("button.keep-mine").inner_text() == "Giữ bản của tôi (Không đạt)"
    assert [(e["key"], e["state"]) for e in waiting_in_outbox(a)] == [(shared, "held")]
    a.wait_for_function("() => document.querySelector('.netbar')?.textContent.includes('1 bị')")

    item.locator("button.keep-mine").click()  # A chooses her answer, seeing B's
    a.wait_for_selector(f"#item-{shared}[data-state=saved]")
    stored = stored_answers(a, base, visit_id)[shared]
    assert (stored["value"], stored["answered_by"]) == ("no", "insp-a")
    outbox_holds(a, 0)
    context_a.close()
    context_b.close()


def test_the_server_killed_and_restarted_mid_drain_loses_and_repeats_nothing(
    browser, demo_visit, app_config, live_app, tmp_path, requests_log
):
    """A real server process (waitress, `python app.py`) is killed (SIGKILL) while the tablet
    drains its outbox, and started again: every answer and photo lands exactly once."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = server_env(app_config, INSPECTION_PORT=str(port), INSPECTION_THREADS="4")
    log = tmp_path / "server.log"

    def start() -> subprocess.Popen:
        with log.open("ab") as out:  # the process writes to its own copy of the file
            process = subprocess.Popen(
                [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        wait_until_up(base, process, log)
        return process

    process = start()
    try:
        context, page = open_visit(browser, base, demo_visit.id, requests_log)
        keys = twenty_items(page)
        answer_offline(context, page, keys, "yes")
        for n, key in enumerate(keys[:3]):
            page.locator(f"#item-{key} input[type=file]").set_input_files([photo(n)])
        outbox_holds(page, 23)

        context.set_offline(False)  # the drain starts: answers, then the photos one by one
        deadline = time.monotonic() + 20
        while len(page.evaluate(OUTBOX)) == 23 and time.monotonic() < deadline:
            time.sleep(0.005)
        process.kill()  # mid-drain: the answers stored, the photos on their way
        process.wait(timeout=10)
        left = len(page.evaluate(OUTBOX))
        assert 0 < left < 23, left
        process = start()
        outbox_holds(page, 0, timeout=60)  # retried on the outbox's timer
        answers, photos, findings, _ = api_counts(page, base, demo_visit.id)
        assert (answers, photos) == (20, 3)
        # Each stored once: one audited write per answer and per photo, whatever was resent.
        assert len(audit_events(live_app, "answer.update")) == 20
        assert len(audit_events(live_app, "photo.add")) == 3
        for key in keys[:3]:
            page.wait_for_selector(f"#item-{key} a.thumb[data-photo]")
        context.close()
    finally:
        stop(process)


def test_a_session_that_expired_while_offline_syncs_after_logging_in_again(
    browser, demo_visit, server, live_app, requests_log
):
    """Answers given offline while the server ends the idle login session: back online, the
    tablet keeps them, asks for a login (the CSRF token of the old session is gone too), and
    sends them once logged in again."""
    base = server.url
    context, page = open_visit(browser, base, demo_visit.id, requests_log)
    keys = twenty_items(page)[:5]
    answer_offline(context, page, keys, "yes")
    idle_for(live_app, hours=49)  # longer than a login session may idle (48 hours)
    context.set_offline(False)
    bar_says(page, "5 thay đổi đang chờ gửi — Phiên đăng nhập đã hết")
    for key in keys:
        page.wait_for_selector(f"#item-{key}[data-state=login]")
    assert answers_in_database(live_app, demo_visit.id) == {}  # the old session sent nothing
    page.locator(".netbar a").click()
    page.fill("input[name=username]", "insp-a")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/visits/{demo_visit.id}")
    for key in keys:
        page.wait_for_selector(f"#item-{key}[data-state=saved]")
    outbox_holds(page, 0)
    assert {k: a["value"] for k, a in stored_answers(page, base, demo_visit.id).items()} == {
        k: "yes" for k in keys
    }
    context.close()


def test_logging_out_with_changes_waiting_warns_and_another_user_never_sees_them(
    browser, team_visit, server, requests_log
):
    base, visit_id = server.url, team_visit.id
    context, page = open_visit(browser, base, visit_id, requests_log)
    keys = twenty_items(page)[:2]
    answer_offline(context, page, keys, "no")
    # The link comes back, but the server refuses the writes for now (busy): they keep waiting.
    busy = "**/api/v1/visits/*/answers"
    page.route(busy, lambda route: route.fulfill(status=503, body="{}"))
    context.set_offline(False)
    asked: list[str] = []

    def say_no(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", say_no)
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_timeout(500)
    assert asked == [
        "Còn 2 thay đổi chưa gửi trên máy này. Chúng được giữ đến lần đăng nhập sau của bạn trên"
        " máy này. Vẫn đăng xuất?"
    ]
    assert page.url.endswith(f"/visits/{visit_id}")  # still here, still logged in
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/login**")
    page.unroute(busy)

    # Another inspector on the same tablet: A's changes are neither shown nor sent.
    login(page, base, "insp-b", PASSWORD)
    page.goto(f"{base}/visits/{visit_id}")
    page.wait_for_selector(".visit.js")
    page.wait_for_timeout(1500)
    for key in keys:
        assert page.locator(f"#item-{key} button.answer.no").get_attribute("aria-pressed") == (
            "false"
        )
    page.wait_for_timeout(300)  # (the bar is redrawn at most every 100 ms)
    assert page.locator(".netbar").is_hidden()
    assert stored_answers(page, base, visit_id) == {}
    assert len(outbox_holds(page, 2)) == 2  # still on the tablet, A's
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/login**")

    # A logs in again: hers are sent, as hers.
    login(page, base, "insp-a", PASSWORD)
    page.goto(f"{base}/visits/{visit_id}")
    outbox_holds(page, 0)
    stored = stored_answers(page, base, visit_id)
    assert {k: (a["value"], a["answered_by"]) for k, a in stored.items()} == {
        k: ("no", "insp-a") for k in keys
    }
    context.close()


def test_answers_drain_in_requests_under_the_body_limit_and_one_too_large_says_so(
    browser, demo_visit, server, live_app, requests_log
):
    """The server takes 8 KB per request: twenty answers with long notes go in several batches
    under it; a note that alone is larger is kept and says to shorten it (the 413 is not
    retried forever)."""
    live_app.config["MAX_BODY_KB"] = 8
    base = server.url
    context, page = open_visit(browser, base, demo_visit.id, requests_log)
    keys = twenty_items(page)
    batches: list[int] = []
    page.on(
        "request",
        lambda r: (
            batches.append(len(r.post_data_buffer or b""))
            if r.method == "POST" and r.url.endswith("/answers")
            else None
        ),
    )
    go_offline(context, page)
    note = "Hồ sơ lưu trữ chưa được sắp xếp theo năm. " * 14  # ~830 bytes as JSON
    for key in keys:
        item = page.locator(f"#item-{key}")
        item.locator("details.note > summary").click()
        item.locator("textarea[name=note]").fill(note)
        item.locator("button.answer.yes").click()
    big = page.locator("#item-ghi-chu-chung textarea[name=text]")
    big.fill("Ý kiến của đơn vị được kiểm tra về kết quả kiểm tra. " * 70)  # ~5 KB of text
    big.press("Tab")
    big_note = page.locator("#item-ghi-chu-chung")
    big_note.locator("details.note > summary").click()
    big_note.locator("textarea[name=note]").fill("Ghi chú rất dài về hồ sơ một cửa. " * 110)
    big_note.locator("textarea[name=note]").press("Tab")
    outbox_holds(page, 21)
    context.set_offline(False)
    for key in keys:
        page.wait_for_selector(f"#item-{key}[data-state=saved]", timeout=20_000)
    page.wait_for_selector("#item-ghi-chu-chung[data-state=invalid]", timeout=20_000)
    assert big_note.locator("[data-state]").inner_text() == (
        "Quá lớn để gửi: hãy rút ngắn ghi chú hoặc nội dung rồi lưu lại."
    )
    assert len(batches) >= 3 and max(batches[:-1]) <= 8 * 1024, batches
    stored = stored_answers(page, base, demo_visit.id)
    assert sorted(stored) == sorted(keys) and {stored[k]["note"] for k in keys} == {note}
    assert [(e["key"], e["state"]) for e in waiting_in_outbox(page)] == [
        ("ghi-chu-chung", "too_large")
    ]
    page.wait_for_timeout(3000)  # not retried on the outbox's timer
    sent = len(batches)
    page.wait_for_timeout(2500)
    assert len(batches) == sent
    context.close()


def test_an_explanation_given_offline_is_kept_and_lands_when_the_link_returns(
    browser, demo_visit, server, live_app, requests_log
):
    """A consistency warning explained on the deficiencies page while the server cannot take it
    (busy): the explanation is kept (shown again after a reload, saying it waits) and stored
    once the server answers again."""
    warning = "khong-tre-han-nhung-duoi-100"  # "no late dossiers", yet below 100 % on time
    inspector = ApiClient(live_app, "insp-a")
    base_url = f"/api/v1/visits/{demo_visit.id}/answers"
    for key, value in (("co-ho-so-tre-han", "no"), ("ty-le-dung-han", {"num": 95, "den": 100})):
        assert inspector.put(f"{base_url}/{key}", json={"value": value}).status_code == 200
    context, page = open_visit(browser, server.url, demo_visit.id, requests_log)
    page.goto(f"{server.url}/visits/{demo_visit.id}/findings")
    form = page.locator(f"form[data-check={warning}]")
    busy = "**/api/v1/visits/*/checks/*"
    context.route(busy, lambda route: route.fulfill(status=503, body="{}"))
    text = "Hồ sơ trễ hạn của tháng 3 đã được xin lỗi và giải quyết trong ngày"
    form.locator("textarea[name=explanation]").fill(text)
    form.locator("button[type=submit]").click()
    assert [e["kind"] for e in outbox_holds(page, 1)] == ["explanation"]
    page.reload()
    form.locator(".item-state").wait_for()  # the page has read what the tablet keeps
    assert form.locator("textarea").input_value() == text  # from the tablet, not the server
    context.unroute(busy)
    outbox_holds(page, 0)
    page.wait_for_function(
        "() => [...document.querySelectorAll('form[data-check] .item-state')]"
        ".some(p => p.textContent === 'Đã lưu')"
    )
    listed = inspector.get(f"/api/v1/visits/{demo_visit.id}").get_json()
    explained = {e["check_key"]: e["explanation"] for e in listed.get("explanations", [])}
    assert explained == {warning: text}, listed.keys()
    context.close()
