"""The plan's results (issue 18): the overview API and page, its filters, the charts' SVG, the
spreadsheet, against the visits' own scores."""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from inspection.db import get_session
from inspection.models import Visit
from inspection.results import spreadsheet
from tests.factories import ApiClient, logged_in, make_plan, make_user, user_named
from tests.results_world import FAILED_ITEM, World, build_world

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def world(app, plan, visit) -> World:
    return build_world(app, plan, visit)


def overview(world: World, **query) -> dict:
    answer = world.lead.get(f"/api/v1/plans/{world.plan.id}/overview", query_string=query)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def score_of(world: World, visit_id: int) -> dict:
    answer = world.lead.get(f"/api/v1/visits/{visit_id}/score")
    assert answer.status_code == 200
    return answer.get_json()


def test_the_overview_lists_every_visit_with_the_scores_the_visit_reports(world):
    body = overview(world)
    by_id = {v["id"]: v for v in body["visits"]}
    assert set(by_id) == {world.issued.id, world.failed.id, world.formula.id, world.planned.id}
    for visit_id, row in by_id.items():
        score = score_of(world, visit_id)
        assert row["score"] == score["total"] and row["max"] == score["max"]
        assert row["complete"] == score["complete"]
        assert row["percent"] == score["percent"] and row["band"] == score["band"]
        assert [(s["key"], s["score"], s["max"]) for s in row["sections"]] == [
            (s["key"], s["score"], s["max"]) for s in score["sections"]
        ]
    assert by_id[world.issued.id]["status"] == "notice_issued"
    assert by_id[world.formula.id]["status"] == "in_progress"
    assert by_id[world.formula.id]["complete"] is False
    assert by_id[world.formula.id]["percent"] is None  # provisional: no percentage, no band
    assert by_id[world.planned.id]["findings"] == 0
    assert by_id[world.issued.id]["findings"] == 2
    # The last audited change: the planned visit's creation, the answers given after it
    assert by_id[world.planned.id]["last_activity"] < by_id[world.formula.id]["last_activity"]
    assert body["progress"]["visits"] == 4
    assert body["progress"]["by_status"] == {"notice_issued": 2, "in_progress": 1, "planned": 1}
    frequent = body["frequent_findings"][0]
    assert frequent["item_key"] == FAILED_ITEM and frequent["units"] == 2
    assert sorted(frequent["unit_names"]) == ["=1+1", "UBND xã Ninh Xuân"]


def test_charts_draw_the_api_scores(world):
    body = overview(world)
    svg = world.lead.get(f"/api/v1/plans/{world.plan.id}/charts/areas.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    root = ET.fromstring(svg.data)
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("data-score") is not None]
    expected = {
        (str(v["id"]), s["key"]): (s["score"], s["max"])
        for v in body["visits"]
        if v["sections"]
        for s in v["sections"]
    }
    drawn = {}
    for bar in bars:
        drawn[(bar.get("data-visit"), bar.get("data-area"))] = bar
    assert set(drawn) == set(expected)
    for key, (score, maximum) in expected.items():
        bar = drawn[key]
        assert float(bar.get("data-score")) == score and float(bar.get("data-max")) == maximum
    rooms = {float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.get("data-score") is None}
    (room,) = rooms
    for key, (score, maximum) in expected.items():
        width = float(drawn[key].get("width"))
        assert width == pytest.approx(score / maximum * room if maximum else 0, abs=0.01), key


def test_the_spreadsheet_holds_the_api_scores_item_by_item(world):
    body = overview(world)
    answer = world.lead.get(f"/api/v1/plans/{world.plan.id}/scores.xlsx")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.data)).active
    heading = [c.value for c in sheet[1]]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=3)}
    assert set(rows) == {v["unit"] for v in body["visits"]}
    for v in body["visits"]:
        row = {heading[n]: cell for n, cell in enumerate(rows[v["unit"]])}
        visit = world.lead.get(f"/api/v1/visits/{v['id']}").get_json()
        for a in visit["answers"]:
            cell = row[a["item_key"]].value
            expected = a["score"]
            assert (None if cell is None else float(cell)) == expected, (v["unit"], a["item_key"])
        assert float(row["Tổng điểm"].value) == v["score"]
        for s in v["sections"]:
            assert float(row[f"Cộng {s['key']}"].value) == s["score"]
    formula = rows["=1+1"][0]
    assert formula.value == "=1+1" and formula.data_type == "s" and formula.quotePrefix


def test_filters_keep_a_status_and_an_area(world):
    body = overview(world, status="notice_issued", area="the-che")
    assert {v["id"] for v in body["visits"]} == {world.issued.id, world.failed.id}
    assert all([s["key"] for s in v["sections"]] == ["the-che"] for v in body["visits"])
    refused = world.lead.get(f"/api/v1/plans/{world.plan.id}/overview?status=lost&area=x")
    assert refused.status_code == 400
    assert set(refused.get_json()["error"]["fields"]) == {"status", "area"}


def test_the_overview_page_shows_every_visit_the_progress_and_the_charts(app, world):
    page = logged_in(app, "lead-a").get(f"/plans/{world.plan.id}/overview")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name in ("UBND xã Ninh Đa", "UBND xã Ninh Xuân", "=1+1", "UBND xã Ninh Hưng"):
        assert html.count(f">{name}</a>") == 1, name
    assert "2/4 cuộc kiểm tra đã có thông báo kết luận" in html
    for name in ("totals", "findings"):
        assert html.count(f'data-chart="{name}"') == 1
    # One chart per area, numbered as the checklist numbers them (each prints whole)
    assert [html.count(f'data-chart="area-{n}"') for n in range(1, 10)] == [1] * 9
    assert "<script" not in html.split("<main", 1)[1]  # charts drawn on the server
    filtered = logged_in(app, "lead-a").get(f"/plans/{world.plan.id}/overview?status=in_progress")
    rows = filtered.get_data(as_text=True).count("<tr data-visit=")
    assert rows == 1 and ">=1+1</a>" in filtered.get_data(as_text=True)


def test_a_filter_the_page_does_not_offer_is_a_clear_error(app, world):
    page = logged_in(app, "lead-a").get(f"/plans/{world.plan.id}/overview?area=khong-co")
    assert page.status_code == 400
    assert "Không hiểu bộ lọc" in page.get_data(as_text=True)


def test_only_the_plans_lead_and_admins_read_its_results(app, world):
    make_user(app, "lead-b", "lead")
    make_user(app, "admin1", "admin")
    make_user(app, "unit-da", "unit", unit_code="ninh-da")
    urls = [
        f"/api/v1/plans/{world.plan.id}/overview",
        f"/api/v1/plans/{world.plan.id}/charts/totals.svg",
        f"/api/v1/plans/{world.plan.id}/scores.xlsx",
        f"/api/v1/plans/{world.plan.id}/report.html",
    ]
    for user, status in (("lead-b", 403), ("insp-a", 403), ("unit-da", 403), ("admin1", 200)):
        client = ApiClient(app, user)
        for url in urls:
            assert client.get(url).status_code == status, (user, url)
    assert logged_in(app, "lead-b").get(f"/plans/{world.plan.id}/overview").status_code == 403
    assert (
        ApiClient(app, "lead-a").get(f"/api/v1/plans/{world.plan.id}/charts/nope.svg").status_code
        == 404
    )


def test_frequent_deficiencies_count_units_within_the_area_filtered(world):
    everywhere = overview(world)["frequent_findings"]
    assert [f["units"] for f in everywhere] == sorted(
        (f["units"] for f in everywhere), reverse=True
    )
    in_area = overview(world, area="tthc-mot-cua")["frequent_findings"]
    assert [(f["item_key"], f["units"]) for f in in_area] == [(FAILED_ITEM, 2)]
    assert overview(world, area="the-che")["frequent_findings"] == []
    svg = world.lead.get(f"/api/v1/plans/{world.plan.id}/charts/findings.svg?area=tthc-mot-cua")
    bars = [
        r for r in ET.fromstring(svg.data).iter(f"{SVG}rect") if r.get("data-units") is not None
    ]
    assert [(b.get("data-item"), b.get("data-units")) for b in bars] == [(FAILED_ITEM, "2")]


def test_unanswered_items_are_empty_and_a_provisional_row_says_so(world):
    answer = world.lead.get(f"/api/v1/plans/{world.plan.id}/scores.xlsx")
    sheet = load_workbook(io.BytesIO(answer.data)).active
    heading = [c.value for c in sheet[1]]
    rows = {
        row[0].value: {heading[n]: c for n, c in enumerate(row)}
        for row in sheet.iter_rows(min_row=3)
    }
    formula = rows["=1+1"]
    answered = {"kh-cchc", "bao-cao-cchc", "quy-che-lam-viec"}
    assert formula["kh-cchc"].value == 2 and formula["bao-cao-cchc"].value == 0
    assert formula["kh-cchc-hoan-thanh"].value is None  # not answered: empty, not 0
    form = world.lead.get(f"/api/v1/visits/{world.formula.id}").get_json()["form"]
    items = [item["key"] for section in form["sections"] for item in section["items"]]
    assert set(items) <= set(heading)
    assert {k for k in items if formula[k].value is not None} == answered
    assert formula["Xếp loại"].value == "Tạm tính"
    assert rows["UBND xã Ninh Đa"]["Xếp loại"].value == "Tốt"
    visited = rows["UBND xã Ninh Đa"]["Ngày kiểm tra"]
    assert visited.is_date and visited.value.date().isoformat() == "2024-06-28"
    assert visited.number_format == "DD/MM/YYYY"


def test_no_text_cell_can_become_a_formula_or_break_the_file():
    columns = [
        spreadsheet.Column("a", "-a", '=HYPERLINK("http://x")', "item"),
        spreadsheet.Column("area:a", "Cộng a", "@SUM(A1)\x0b", "area"),
    ]
    rows = [
        spreadsheet.Row(
            name, "ma\x01", "+đang kiểm tra", dt.date(2024, 6, 28), {"a": Decimal("1.5")}, "-", 0
        )
        for name in ("=1+1", "+84 912", "-2", "@cmd", "\tTab", "UBND xã Ninh Đa")
    ]
    sheet = load_workbook(io.BytesIO(spreadsheet.workbook("Bảng điểm", columns, rows))).active
    texts = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert texts
    for cell in texts:
        assert cell.data_type == "s", cell.coordinate
        assert cell.quotePrefix == cell.value.startswith(("=", "+", "-", "@", "\t")), cell.value
        assert "\x0b" not in cell.value and "\x01" not in cell.value
    assert [sheet.cell(row=r, column=1).value for r in range(3, 9)] == [
        "=1+1",
        "+84 912",
        "-2",
        "@cmd",
        "\tTab",
        "UBND xã Ninh Đa",
    ]
    assert sheet.cell(row=3, column=5).value == 1.5  # numbers stay numbers


def test_a_unit_name_with_markup_is_text_in_the_charts(app, world):
    with app.app_context():
        unit = get_session().get(Visit, world.formula.id).unit
        unit.name = "<script>alert('x')</script> & \"Ninh\""
        get_session().commit()
    svg = world.lead.get(f"/api/v1/plans/{world.plan.id}/charts/totals.svg")
    root = ET.fromstring(svg.data)  # well-formed: the name is escaped
    assert not list(root.iter(f"{SVG}script"))
    units = {r.get("data-unit") for r in root.iter(f"{SVG}rect") if r.get("data-unit")}
    assert "<script>alert('x')</script> & \"Ninh\"" in units


def test_an_area_filtered_keeps_its_number_and_the_standalone_html_its_stylesheet(world):
    svg = world.lead.get(f"/api/v1/plans/{world.plan.id}/charts/areas.svg?area=tthc-mot-cua")
    headings = ["".join(t.itertext()) for t in ET.fromstring(svg.data).iter(f"{SVG}text")]
    assert headings[0].startswith("3. Cải cách thủ tục hành chính")
    for url in (
        f"/api/v1/visits/{world.formula.id}/record.html",
        f"/api/v1/plans/{world.plan.id}/report.html",
    ):
        html = world.lead.get(url).get_data(as_text=True)
        assert '<link rel="stylesheet" href="/static/css/notice.css' in html, url


def test_a_plan_without_visits_has_empty_results_and_no_report(app, world):
    other = make_plan(app, user_named(app, "lead-a"), number="23/KH-UBND")
    body = world.lead.get(f"/api/v1/plans/{other.id}/overview").get_json()
    assert body["visits"] == [] and body["frequent_findings"] == []
    assert body["progress"] == {"visits": 0, "by_status": {}}
    for name in ("totals", "areas", "findings"):
        chart = world.lead.get(f"/api/v1/plans/{other.id}/charts/{name}.svg")
        assert chart.status_code == 200 and "Chưa có" in chart.get_data(as_text=True)
    sheet = load_workbook(io.BytesIO(world.lead.get(f"/api/v1/plans/{other.id}/scores.xlsx").data))
    assert sheet.active.max_row == 2  # the two heading rows
    refused = world.lead.get(f"/api/v1/plans/{other.id}/report.pdf")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "no_notices"
