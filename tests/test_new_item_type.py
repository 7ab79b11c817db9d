"""A new item type is one class (and one page fragment): `count` (tests/count_item.py) validates,
scores, renders and saves without JavaScript with no change to the validator, the scoring engine,
the services or the views. (With JavaScript: tests/browser/test_new_item_type.py.)"""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from inspection.checklist import json_schema, parse, validate
from inspection.scoring import score_sheet
from tests.count_item import DOCUMENT, serve_fragment
from tests.factories import (
    ApiClient,
    logged_in,
    make_plan,
    make_unit,
    make_user,
    make_visit,
    page_of,
    post_item,
    stored_answers,
)

D = Decimal
COUNT = "so-may-tra-cuu"


def with_count(**changes):
    doc = copy.deepcopy(DOCUMENT)
    doc["sections"][0]["items"][1].update(changes)
    return doc


def test_a_template_with_the_new_type_validates_with_its_own_rules(count_type):
    report = validate(DOCUMENT)
    assert report.ok and report.warnings == []
    assert [str(p) for p in validate(with_count(expected=0)).errors] == [
        "sections[0].items[1].expected: must be a whole number ≥ 1"
    ]
    assert [str(p) for p in validate(with_count(points=-1)).errors] == [
        "sections[0].items[1].points: must be a number ≥ 0"
    ]
    # The rules every item has apply to it, and members of other types are refused on it.
    assert [str(p) for p in validate(with_count(target=90, pionts=2)).errors] == [
        "sections[0].items[1].target: is not used by a 'count' item"
    ]
    assert [str(p) for p in validate(with_count(pionts=2)).warnings] == [
        "sections[0].items[1].pionts: unknown key, ignored"
    ]


def test_without_the_class_the_type_is_unknown():
    assert [str(p) for p in validate(DOCUMENT).errors] == [
        "sections[0].items[1].type: must be one of choice, date, number, ratio, score, text, yes_no"
    ]


def test_the_json_schema_describes_the_new_type(count_type):
    schema = json_schema()
    count = schema["$defs"]["CountItem"]
    assert count["properties"]["type"]["const"] == "count"
    assert set(count["required"]) == {"type", "key", "text", "points", "expected"}
    mapping = schema["$defs"]["Section"]["properties"]["items"]["items"]["discriminator"]
    assert mapping["mapping"]["count"] == "#/$defs/CountItem"


@pytest.mark.parametrize(
    ("counted", "score"),
    [(0, D(0)), (3, D("2.40")), (5, D(4)), (9, D(4)), (1, D("0.80"))],
)
def test_the_new_type_scores_by_its_own_rule(count_type, counted, score):
    sheet = score_sheet(parse(DOCUMENT), {"co-may-tinh": "yes", COUNT: counted})
    assert sheet.items[COUNT].score == score
    assert (sheet.total, sheet.max) == (D(1) + score, D(5))
    assert sheet.items[COUNT].failed is (score < 4)


@pytest.fixture
def count_visit(app, count_type):
    serve_fragment(app)
    assert app.extensions["inspection.library"].import_document(DOCUMENT).created
    lead = make_user(app, "lead-a", "lead")
    make_user(app, "insp-a", "inspector")
    make_unit(app)
    return make_visit(app, make_plan(app, lead, form_key="dem-may"), ["insp-a"])


def item_html(page: str, key: str) -> str:
    start = page.index(f'id="item-{key}"')
    return page[start : page.index("</article>", start)]


def test_the_page_shows_the_new_type_through_its_fragment(app, count_visit):
    html = item_html(page_of(logged_in(app, "insp-a"), count_visit), COUNT)
    assert 'data-input="number"' in html  # the page's script reads the input, never the type
    assert "data-count" in html and "Enter how many, a whole number." in html
    assert "<span data-item-score>0 / 4</span>" in html  # scored like any other item


def test_the_new_type_saves_from_the_page_without_javascript(app, count_visit):
    client = logged_in(app, "insp-a")
    saved = post_item(client, count_visit, COUNT, {"number": "3", "value": ""})
    assert saved.status_code == 302
    assert stored_answers(app, count_visit) == {COUNT: 3}
    score = ApiClient(app, "insp-a").get(f"/api/v1/visits/{count_visit.id}/score").get_json()
    assert (score["total"], score["max"], score["failed"]) == (2.4, 5.0, [COUNT])
    page = page_of(client, count_visit)
    assert 'name="number" value="3"' in item_html(page, COUNT)
    assert "2,4 / 4" in item_html(page, COUNT)

    refused = post_item(client, count_visit, COUNT, {"number": "3,5", "value": ""})
    assert refused.status_code == 400
    html = item_html(refused.get_data(as_text=True), COUNT)
    assert "Enter how many, a whole number." in html and 'value="3,5"' in html
    assert stored_answers(app, count_visit) == {COUNT: 3}


def test_the_api_checks_an_answer_by_the_new_type(app, count_visit):
    api = ApiClient(app, "insp-a")
    url = f"/api/v1/visits/{count_visit.id}/answers/{COUNT}"
    refused = api.put(url, json={"value": -2})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["fields"] == {"value": "must be a whole number ≥ 0"}
    assert api.put(url, json={"value": 7}).status_code == 200
    assert stored_answers(app, count_visit) == {COUNT: 7}
