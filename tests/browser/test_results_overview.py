"""Issue 18 on a phone and a portrait tablet: the plan's lead opens the results of a plan whose
visits are in several states (tests/results_world.py: two notices issued, one in progress, one
planned). Nothing scrolls sideways; the three charts drawn on the server show within the window,
their bars carrying the figures the API gives; the filter keeps the visits of the chosen status;
the table names every unit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.browser.conftest import login, open_context
from tests.browser.test_every_page import MIN_TARGET, SUBPIXEL, check
from tests.factories import PASSWORD, make_plan, make_unit, make_user, make_visit
from tests.results_world import World, build_world

SIZES = {"phone": (390, 844), "tablet-portrait": (768, 1024)}
CHARTS = ("totals", "areas", "findings")
AREAS = 9  # cchc-xa's areas: the areas chart draws each apart
AREA = "tthc-mot-cua"  # the area of the longest title


@pytest.fixture
def world(live_app) -> World:
    """conftest's cast (lead-a's plan, insp-a, the visit to Ninh Đa), made on the served app,
    and the results world built on it."""
    lead = make_user(live_app, "lead-a", "lead", full_name="Trần Văn Bình")
    make_user(live_app, "insp-a", "inspector", full_name="Lê Thị Hoa")
    plan = make_plan(live_app, lead)
    make_unit(live_app)
    visit = make_visit(live_app, plan, ["insp-a"])
    return build_world(live_app, plan, visit)


def overview_of(page, base: str, plan_id: int, query: str = "") -> dict:
    """GET /api/v1/plans/<id>/overview in the page's session (the lead's)."""
    response = page.request.get(f"{base}/api/v1/plans/{plan_id}/overview{query}")
    assert response.status == 200, response.text()
    return response.json()


def bars_of(page, chart: str) -> list[dict[str, str]]:
    """Every bar of a chart on the page, with its data attributes."""
    return page.locator(f"figure[data-chart-card={chart}] svg.chart rect[data-score]").evaluate_all(
        "rects => rects.map(r => ({...r.dataset}))"
    )


def table_rows(page) -> dict[int, str]:
    return {
        int(row.get_attribute("data-visit")): row.inner_text()
        for row in page.locator("tr[data-visit]").all()
    }


@pytest.mark.parametrize("size", SIZES)
def test_the_lead_reads_the_results_on_a_phone_and_a_tablet(
    browser, server, world, requests_log, size
):
    width, height = SIZES[size]
    page = open_context(browser, (width, height), log=requests_log).new_page()
    login(page, server.url, "lead-a", PASSWORD)
    plan_id = world.plan.id
    response = page.goto(f"{server.url}/plans/{plan_id}/overview", wait_until="load")
    assert response is not None and response.status == 200
    api = overview_of(page, server.url, plan_id)
    visits = {v["id"]: v for v in api["visits"]}
    assert set(visits) == {
        world.issued.id,
        world.failed.id,
        world.formula.id,
        world.planned.id,
    }

    # Nothing scrolls sideways; every control is a touch target; Vietnamese throughout.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert check(page, f"overview {size}").problems() == []

    # The three charts show, each within the window's width.
    for name in CHARTS:
        svgs = page.locator(f"figure.chart-card[data-chart-card={name}] svg.chart")
        # The areas chart is one chart per area (each prints whole); the others are one chart
        assert svgs.count() == (AREAS if name == "areas" else 1), name
        for n in range(svgs.count()):
            svg = svgs.nth(n)
            svg.scroll_into_view_if_needed()
            assert svg.is_visible(), name
            box = svg.bounding_box()
            assert box is not None, name
            assert box["width"] > 0 and box["height"] > 0, (name, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (name, box)

    # The totals: one bar per visit with a score, its figure the API's.
    scored = {vid: v for vid, v in visits.items() if v["score"] is not None}
    assert len(scored) == len(visits)  # the plan's checklist is there: every visit is scored
    totals = bars_of(page, "totals")
    assert {int(b["visit"]): Decimal(b["score"]) for b in totals} == {
        vid: Decimal(str(v["score"])) for vid, v in scored.items()
    }
    assert {int(b["visit"]): Decimal(b["max"]) for b in totals} == {
        vid: Decimal(str(v["max"])) for vid, v in scored.items()
    }
    assert {b["unit"] for b in totals} == {v["unit"] for v in scored.values()}

    # The areas: a bar per visit with a score and area of the checklist, the API's figures.
    areas = bars_of(page, "areas")
    expected = {
        (vid, s["key"]): Decimal(str(s["score"]))
        for vid, v in scored.items()
        for s in v["sections"]
    }
    area_keys = {s["key"] for v in scored.values() for s in v["sections"]}
    assert len(area_keys) == AREAS
    assert len(areas) == len(scored) * len(area_keys) == len(expected)
    assert {(int(b["visit"]), b["area"]): Decimal(b["score"]) for b in areas} == expected
    # Some bar is not empty: a chart of zeros would match a broken score too.
    assert any(Decimal(b["score"]) > 0 for b in areas)

    # The deficiencies: the most frequent, with the number of units sharing each.
    findings = page.locator(
        "figure[data-chart-card=findings] svg.chart rect[data-units]"
    ).evaluate_all("rects => rects.map(r => ({...r.dataset}))")
    frequent = api["frequent_findings"]
    assert frequent, "the world has deficiencies"
    assert [(b["item"] or None, int(b["units"])) for b in findings] == [
        (f["item_key"], f["units"]) for f in frequent[: len(findings)]
    ]
    assert len(findings) == min(len(frequent), 10)

    # The table names every unit, a row per visit.
    rows = table_rows(page)
    assert set(rows) == set(visits)
    for vid, visit in visits.items():
        assert visit["unit"] in rows[vid], (vid, rows[vid])

    # The filter controls are touch targets of their own.
    form = page.locator("form.filters")
    for control in ("select[name=status]", "select[name=area]", "button[type=submit]"):
        box = form.locator(control).bounding_box()
        assert box is not None, control
        assert box["height"] >= MIN_TARGET - SUBPIXEL, (control, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (control, box)

    # Filtering on a status keeps that status's visits only, in the table and the charts.
    for status, kept in (
        ("in_progress", {world.formula.id}),
        ("notice_issued", {world.issued.id, world.failed.id}),
        ("planned", {world.planned.id}),
    ):
        form.locator("select[name=status]").select_option(status)
        with page.expect_navigation(wait_until="load"):
            form.locator("button[type=submit]").click()
        assert f"status={status}" in page.url
        assert form.locator("select[name=status]").input_value() == status
        assert set(table_rows(page)) == kept, status
        filtered = overview_of(page, server.url, plan_id, f"?status={status}")
        assert {v["id"] for v in filtered["visits"]} == kept, status
        assert {int(b["visit"]) for b in bars_of(page, "totals")} == kept, status
        assert len(bars_of(page, "areas")) == len(kept) * len(area_keys), status
        assert page.evaluate("document.documentElement.scrollWidth") <= width, status
        assert check(page, f"overview {status} {size}").problems() == []

    # Filtering on an area (every status again): one area's column, one bar per visit.
    form.locator("select[name=status]").select_option("")
    form.locator("select[name=area]").select_option(AREA)
    with page.expect_navigation(wait_until="load"):
        form.locator("button[type=submit]").click()
    assert set(table_rows(page)) == set(visits)
    assert page.locator("tr[data-visit] td[data-area-score]").count() == len(visits)
    by_area = overview_of(page, server.url, plan_id, f"?area={AREA}")
    assert (
        {(int(b["visit"]), b["area"]): Decimal(b["score"]) for b in bars_of(page, "areas")}
        == {
            (v["id"], s["key"]): Decimal(str(s["score"]))
            for v in by_area["visits"]
            for s in v["sections"]
        }
        == {key: score for key, score in expected.items() if key[1] == AREA}
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert check(page, f"overview {AREA} {size}").problems() == []

    # "Show all" brings every visit back, and the filter's link goes.
    with page.expect_navigation(wait_until="load"):
        page.locator("form.filters a.button").click()
    assert set(table_rows(page)) == set(visits)
    assert page.locator("form.filters a.button").count() == 0
    page.context.close()
