"""The `count` type of tests/count_item.py — one class and one fragment — answered in a real
browser with the page's script (which knows inputs, not types) and without it."""

from __future__ import annotations

import pytest

from tests.browser.conftest import VIEWPORTS, login, open_context
from tests.count_item import DOCUMENT, serve_fragment
from tests.factories import PASSWORD, make_plan, make_unit, make_user, make_visit

COUNT = "so-may-tra-cuu"


@pytest.fixture
def count_visit(live_app, count_type):
    serve_fragment(live_app)
    assert live_app.extensions["inspection.library"].import_document(DOCUMENT).created
    make_unit(live_app, code="ninh-xuan", name="UBND xã Ninh Xuân")
    lead = make_user(live_app, "lead-a", "lead")
    make_user(live_app, "insp-a", "inspector")
    plan = make_plan(live_app, lead, form_key="dem-may")
    return make_visit(live_app, plan, ["insp-a"], unit_code="ninh-xuan")


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_an_inspector_answers_the_new_type(browser, count_visit, server, requests_log, javascript):
    context = open_context(
        browser, VIEWPORTS["tablet-portrait"], javascript=javascript, log=requests_log
    )
    page = context.new_page()
    login(page, server.url, "insp-a", PASSWORD)
    page.goto(f"{server.url}/visits/{count_visit.id}")
    page.wait_for_selector(".visit.js" if javascript else ".visit")
    count = page.locator(f"#item-{COUNT}")
    count.locator("input[data-count]").fill("4")
    count.locator("button.save[name=value]").click()
    page.wait_for_selector(f"#item-{COUNT}[data-state=saved]")
    page.wait_for_load_state("load")
    assert count.locator("[data-item-score]").inner_text() == "3,2 / 4"
    stored = page.request.get(f"{server.url}/api/v1/visits/{count_visit.id}").json()
    assert [(a["item_key"], a["value"]) for a in stored["answers"]] == [(COUNT, 4)]
    assert stored["score"]["total"] == 3.2

    count.locator("input[data-count]").fill("2,5")  # not a whole number: refused, kept
    count.locator("button.save[name=value]").click()
    page.wait_for_selector(f"#item-{COUNT}[data-state=invalid]")
    assert count.locator("input[data-count]").input_value() == "2,5"
    stored = page.request.get(f"{server.url}/api/v1/visits/{count_visit.id}").json()
    assert [(a["item_key"], a["value"]) for a in stored["answers"]] == [(COUNT, 4)]
    context.close()
