"""Consistency checks (CHECKLIST-FORMAT.md, "Consistency checks"): each rule of the format, one
test each: what the validator refuses by key path, and when a check is raised on the score sheet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspection.checklist import parse, validate
from inspection.scoring import score_sheet
from tests.builders import item, section, template

ROOT = Path(__file__).resolve().parent.parent


def doc(*checks: dict) -> dict:
    """Every type a condition fits: a controller, a ratio, a number, a score, two dates."""
    return template(
        section(
            "a",
            item("tre-han", points=0),
            item("dung-han", "ratio", points=2),
            item("so-tthc", "number", points=None),
            item("diem", "score", points=10),
            item("ngay-ke-hoach", "date", points=None),
            item("ngay-bao-cao", "date", points=None),
            item("website", points=0),
            item("cap-nhat", points=1, show_if={"item": "website", "equals": "yes"}),
            item("ghi-chu", "text", points=None, required=False),
        ),
        checks=list(checks),
    )


def check(key: str = "c", **rest: object) -> dict:
    return {"key": key, "message": "Mâu thuẫn", **rest}


def errors(document: dict) -> dict[str, str]:
    return {p.path: p.code for p in validate(document).errors}


def raised(document: dict, answers: dict) -> list[str]:
    report = validate(document)
    assert report.ok, report.errors
    return [w.key for w in score_sheet(parse(document), answers).warnings]


LATE_BUT_100 = check(
    "khong-tre-han",
    when={"item": "tre-han", "equals": "no"},
    expect={"item": "dung-han", "min_percent": 100},
)


# What the validator refuses, by key path ------------------------------------------------------


def test_check_keys_are_unique():
    document = doc(
        check("c", expect={"item": "so-tthc", "min": 1}),
        check("c", expect={"item": "diem", "min": 1}),
    )
    assert errors(document) == {"checks[1].key": "duplicate"}


def test_message_is_required_and_message_en_optional():
    assert errors(doc({"key": "c", "expect": {"item": "so-tthc", "min": 1}})) == {
        "checks[0].message": "required"
    }
    assert errors(doc(check(expect={"item": "so-tthc", "min": 1}, message_en="Odd"))) == {}
    assert errors(doc(check(expect={"item": "so-tthc", "min": 1}, message="  "))) == {
        "checks[0].message": "not_text"
    }


def test_unknown_keys_in_a_check_are_refused_not_ignored():
    document = doc(
        check(
            when={"item": "tre-han", "equals": "no", "note": "?"},
            expect={"item": "so-tthc", "min": 1, "unit": "cái"},
            severity="high",
        )
    )
    assert errors(document) == {
        "checks[0].severity": "unknown_member",
        "checks[0].when.note": "unknown_member",
        "checks[0].expect.unit": "unknown_member",
    }


def test_expect_names_exactly_one_condition():
    two = doc(check(expect={"item": "so-tthc", "min": 1, "max": 9}))
    none = doc(check(expect={"item": "so-tthc"}))
    assert errors(two) == {"checks[0].expect": "one_condition"}
    assert errors(none) == {"checks[0].expect": "one_condition"}


def test_unknown_items_are_refused_where_they_are_named():
    document = doc(
        check(
            when={"item": "khong-co", "equals": "yes"},
            expect={"item": "cung-khong-co", "answered": True},
        ),
        check("d", expect={"item": "ngay-ke-hoach", "on_or_before": "ngay-khac"}),
    )
    assert errors(document) == {
        "checks[0].when.item": "unknown_item",
        "checks[0].expect.item": "unknown_item",
        "checks[1].expect.on_or_before": "unknown_item",
    }


@pytest.mark.parametrize(
    ("expect", "where"),
    [
        ({"item": "tre-han", "min_percent": 50}, "min_percent"),  # % of a yes_no
        ({"item": "so-tthc", "max_percent": 50}, "max_percent"),  # % of a number
        ({"item": "dung-han", "min": 1}, "min"),  # a ratio's bound is a %
        ({"item": "ngay-ke-hoach", "max": 1}, "max"),
        ({"item": "diem", "on_or_before": "ngay-bao-cao"}, "on_or_before"),
        ({"item": "ngay-ke-hoach", "on_or_after": "so-tthc"}, "on_or_after"),  # not a date
        ({"item": "tre-han", "equals": "maybe"}, "equals"),  # not a value of the item
        ({"item": "tre-han", "answered": False}, "answered"),  # only `answered: true`
    ],
)
def test_a_condition_that_does_not_fit_its_item_is_refused(expect, where):
    found = errors(doc(check(expect=expect)))
    assert list(found) == [f"checks[0].expect.{where}"]


def test_when_has_the_rules_of_show_if():
    not_a_controller = doc(
        check(when={"item": "dung-han", "equals": 1}, expect={"item": "diem", "min": 1})
    )
    wrong_value = doc(
        check(when={"item": "tre-han", "equals": "co"}, expect={"item": "diem", "min": 1})
    )
    no_equals = doc(check(when={"item": "tre-han"}, expect={"item": "diem", "min": 1}))
    assert errors(not_a_controller) == {"checks[0].when.item": "not_controller"}
    assert list(errors(wrong_value)) == ["checks[0].when.equals"]
    assert list(errors(no_equals)) == ["checks[0].when"]


def test_every_condition_of_the_format_is_accepted_on_its_type():
    document = doc(
        check("a", expect={"item": "tre-han", "equals": "yes"}),
        check("b", expect={"item": "ghi-chu", "answered": True}),
        check("c", expect={"item": "dung-han", "min_percent": 95}),
        check("d", expect={"item": "dung-han", "max_percent": 99.99}),
        check("e", expect={"item": "so-tthc", "min": 1}),
        check("f", expect={"item": "diem", "max": 9.5}),
        check("g", expect={"item": "ngay-ke-hoach", "on_or_before": "ngay-bao-cao"}),
        check("h", expect={"item": "ngay-bao-cao", "on_or_after": "ngay-ke-hoach"}),
    )
    report = validate(document)
    assert report.errors == [] and report.warnings == []


# When a check is raised ------------------------------------------------------------------------


def test_the_example_of_the_format_is_raised_and_clears():
    document = doc(LATE_BUT_100)
    answers = {"tre-han": "no", "dung-han": {"num": 199, "den": 200}}
    assert raised(document, answers) == ["khong-tre-han"]
    assert raised(document, {**answers, "dung-han": {"num": 200, "den": 200}}) == []


def test_a_check_without_when_always_applies():
    document = doc(check(expect={"item": "so-tthc", "min": 1}))
    assert raised(document, {"so-tthc": 0}) == ["c"]
    assert raised(document, {"so-tthc": 3}) == []


def test_a_check_is_evaluated_only_when_its_when_holds():
    document = doc(LATE_BUT_100)
    assert raised(document, {"tre-han": "yes", "dung-han": {"num": 1, "den": 2}}) == []
    assert raised(document, {"dung-han": {"num": 1, "den": 2}}) == []  # when unanswered


def test_a_check_naming_a_hidden_item_is_not_evaluated():
    document = doc(check(expect={"item": "cap-nhat", "answered": True}))
    assert raised(document, {"website": "no"}) == []  # cap-nhat hidden
    assert raised(document, {"website": "yes"}) == ["c"]


def test_bounds_are_inclusive():
    document = doc(
        check("lo", expect={"item": "diem", "min": 5}),
        check("hi", expect={"item": "diem", "max": 8}),
    )
    assert raised(document, {"diem": 5}) == [] and raised(document, {"diem": 8}) == []
    assert raised(document, {"diem": 4.99}) == ["lo"] and raised(document, {"diem": 8.01}) == ["hi"]


def test_a_ratio_is_compared_as_rounded_to_2_decimals():
    document = doc(check(expect={"item": "dung-han", "min_percent": 99.99}))
    # 99 985 of 100 000 is 99,985 %, shown (and compared) as 99,99 %
    assert raised(document, {"dung-han": {"num": 99985, "den": 100000}}) == []
    assert raised(document, {"dung-han": {"num": 99984, "den": 100000}}) == ["c"]


def test_not_applicable_counts_as_unanswered():
    skipped = doc(check(expect={"item": "diem", "min": 5}))
    demanded = doc(check(expect={"item": "diem", "answered": True}))
    assert raised(skipped, {"diem": "na"}) == []
    assert raised(demanded, {"diem": "na"}) == ["c"]
    assert raised(doc(LATE_BUT_100), {"tre-han": "na", "dung-han": {"num": 1, "den": 2}}) == []


def test_skipped_while_the_expected_or_compared_item_is_unanswered():
    document = doc(
        check("so", expect={"item": "so-tthc", "min": 1}),
        check("ngay", expect={"item": "ngay-bao-cao", "on_or_after": "ngay-ke-hoach"}),
    )
    assert raised(document, {}) == []
    assert raised(document, {"ngay-bao-cao": "2024-01-10"}) == []  # compared date unanswered
    both = {"ngay-bao-cao": "2024-01-10", "ngay-ke-hoach": "2024-02-01"}
    assert raised(document, both) == ["ngay"]


def test_a_ratio_of_no_dossiers_has_no_percent_and_is_skipped():
    document = doc(check(expect={"item": "dung-han", "min_percent": 100}))
    assert raised(document, {"dung-han": {"num": 0, "den": 0}}) == []


def test_answered_true_raises_while_the_item_is_unanswered():
    document = doc(
        check(
            when={"item": "tre-han", "equals": "yes"}, expect={"item": "ghi-chu", "answered": True}
        )
    )
    assert raised(document, {"tre-han": "yes"}) == ["c"]
    assert raised(document, {"tre-han": "yes", "ghi-chu": "Có 3 hồ sơ"}) == []


def test_equals_raises_when_the_answer_differs():
    document = doc(check(expect={"item": "so-tthc", "equals": 12}))
    assert raised(document, {"so-tthc": 12.0}) == []  # 12.0 is 12
    assert raised(document, {"so-tthc": 11}) == ["c"]


def test_dates_compare_on_or_before_and_on_or_after_inclusively():
    before = doc(check(expect={"item": "ngay-ke-hoach", "on_or_before": "ngay-bao-cao"}))
    after = doc(check(expect={"item": "ngay-bao-cao", "on_or_after": "ngay-ke-hoach"}))
    same = {"ngay-ke-hoach": "2024-03-01", "ngay-bao-cao": "2024-03-01"}
    assert raised(before, same) == [] and raised(after, same) == []
    later_plan = {**same, "ngay-ke-hoach": "2024-03-02"}
    assert raised(before, later_plan) == ["c"] and raised(after, later_plan) == ["c"]
    earlier_plan = {**same, "ngay-ke-hoach": "2024-02-29"}
    assert raised(before, earlier_plan) == [] and raised(after, earlier_plan) == []


def test_max_percent_raises_above_its_bound():
    document = doc(check(expect={"item": "dung-han", "max_percent": 99.99}))
    assert raised(document, {"dung-han": {"num": 100, "den": 100}}) == ["c"]
    assert raised(document, {"dung-han": {"num": 9999, "den": 10000}}) == []


def test_a_check_whose_when_item_is_hidden_is_not_evaluated():
    """cap-nhat applies only with a website: a check conditioned on it waits for it."""
    document = doc(
        check(when={"item": "cap-nhat", "equals": "no"}, expect={"item": "so-tthc", "min": 1})
    )
    stale = {"website": "no", "cap-nhat": "no", "so-tthc": 0}  # cap-nhat's answer, now hidden
    assert raised(document, stale) == []
    assert raised(document, {**stale, "website": "yes"}) == ["c"]


def test_the_score_sheet_lists_each_raised_check_with_its_items_and_messages():
    document = doc(
        check(
            "ngay",
            when={"item": "tre-han", "equals": "yes"},
            expect={"item": "ngay-ke-hoach", "on_or_before": "ngay-bao-cao"},
            message="Ngày kế hoạch sau ngày báo cáo",
            message_en="Plan dated after the report",
        )
    )
    answers = {"tre-han": "yes", "ngay-ke-hoach": "2024-05-01", "ngay-bao-cao": "2024-04-01"}
    sheet = score_sheet(parse(document), answers)
    assert sheet.as_dict()["warnings"] == [
        {
            "key": "ngay",
            "items": ["tre-han", "ngay-ke-hoach", "ngay-bao-cao"],
            "message": "Ngày kế hoạch sau ngày báo cáo",
            "message_en": "Plan dated after the report",
        }
    ]


def test_the_commune_template_version_2_ships_checks_on_version_1s_items():
    one = json.loads((ROOT / "forms" / "cchc-xa.json").read_text(encoding="utf-8"))
    two = json.loads((ROOT / "forms" / "cchc-xa.v2.json").read_text(encoding="utf-8"))
    assert (one["version"], two["version"]) == (1, 2)
    assert "checks" not in one and len(two["checks"]) >= 3
    assert two["sections"] == one["sections"]
    late = {"co-ho-so-tre-han": "no", "ty-le-dung-han": {"num": 995, "den": 1000}}
    assert "khong-tre-han-nhung-duoi-100" in raised(two, late)
    assert score_sheet(parse(one), late).warnings == []


def test_a_visit_pinned_to_version_1_keeps_it_and_raises_nothing(app, visit):
    """The fixture's plan pins the latest version (2); a plan made before version 2 existed
    pinned version 1, and keeps it: its sheet has no checks to raise."""
    from inspection.db import get_session
    from inspection.models import Plan
    from tests.factories import ApiClient, make_plan, make_unit, make_visit, user_named

    lead = user_named(app, "lead-a")
    older = make_plan(app, lead, number="1/KH-UBND", year=2023)
    with app.app_context():
        session = get_session()
        row = session.get(Plan, older.id)
        v1 = app.extensions["inspection.library"].get("cchc-xa", 1)
        row.form_version, row.form_sha256 = 1, v1.sha256
        session.add(row)
        session.commit()
    make_unit(app, code="ninh-da-2", name="UBND xã Ninh Đa 2")
    pinned = make_visit(app, older, ["insp-a"], unit_code="ninh-da-2")
    api = ApiClient(app, "insp-a")
    for visit_id in (pinned.id, visit.id):
        base = f"/api/v1/visits/{visit_id}/answers"
        api.put(f"{base}/co-ho-so-tre-han", json={"value": "no"})
        api.put(f"{base}/ty-le-dung-han", json={"value": {"num": 9, "den": 10}})
    old = api.get(f"/api/v1/visits/{pinned.id}").get_json()
    new = api.get(f"/api/v1/visits/{visit.id}").get_json()
    assert (old["form"]["version"], new["form"]["version"]) == (1, 2)
    assert old["score"]["warnings"] == []
    assert [w["key"] for w in new["score"]["warnings"]] == ["khong-tre-han-nhung-duoi-100"]


def test_an_english_page_says_the_check_in_english(app, visit):
    from tests.factories import ApiClient, logged_in, page_of

    api = ApiClient(app, "insp-a")
    api.put(f"/api/v1/visits/{visit.id}/answers/co-ho-so-tre-han", json={"value": "no"})
    api.put(
        f"/api/v1/visits/{visit.id}/answers/ty-le-dung-han", json={"value": {"num": 9, "den": 10}}
    )
    browser = logged_in(app, "insp-a")
    assert "tỷ lệ hồ sơ giải quyết đúng hạn dưới 100%" in page_of(browser, visit)
    browser.get("/lang/en")
    english = page_of(browser, visit)
    assert "No late dossiers was chosen, yet fewer than 100% of dossiers" in english
