"""Every scoring rule of CHECKLIST-FORMAT.md, with fractional points and the edge cases."""

from decimal import Decimal

import pytest

from inspection import scoring
from inspection.checklist import parse, parse_item
from tests.builders import item, section, template, valid_template

D = Decimal


def answer_error(item_doc, value):
    problem = parse_item(item_doc).answer_problem(value)
    return None if problem is None else str(problem)


def item_score(item_doc, value):
    return scoring.item_score(parse_item(item_doc), value)


def score_sheet(doc, answers):
    return scoring.score_sheet(parse(doc), answers)


def sheet_of(items, answers, **extra):
    return score_sheet(template(section("a", *items), **extra), answers)


@pytest.mark.parametrize(("value", "score"), [("yes", D("1.5")), ("no", D(0)), (None, D(0))])
def test_yes_no(value, score):
    assert item_score(item("x", points=1.5), value) == score


def test_na_leaves_score_and_maximum_even_on_a_required_item():
    items = [item("x", points=2, required=True), item("y", points=3)]
    sheet = sheet_of(items, {"x": "na", "y": "yes"})
    assert (sheet.total, sheet.max, sheet.percent) == (D(3), D(3), D("100.00"))
    assert (sheet.answered, sheet.answerable) == (2, 2)
    assert (sheet.full_marks, sheet.scorable) == (1, 1)


@pytest.mark.parametrize("kind", ["choice", "score", "ratio"])
def test_na_leaves_score_and_maximum_on_every_scored_type(kind):
    options = [
        {"value": "du", "label": "Đủ", "points": 2},
        {"value": "khong", "label": "Không", "points": 0},
    ]
    extra = {"options": options} if kind == "choice" else {}
    items = [item("x", kind, points=2, **extra), item("y", points=3)]
    sheet = sheet_of(items, {"x": "na", "y": "yes"})
    assert (sheet.total, sheet.max, sheet.percent) == (D(3), D(3), D("100.00"))
    result = sheet.items["x"]
    assert (result.score, result.max, result.percent, result.failed) == (None, None, None, False)
    assert result.not_applicable and (sheet.answered, sheet.answerable) == (2, 2)


def test_na_is_refused_when_allow_na_is_false_and_then_counts_as_unanswered():
    strict = item("x", points=2, allow_na=False)
    assert answer_error(strict, "na") == "this item cannot be answered 'not applicable'"
    sheet = sheet_of([strict], {"x": "na"})
    assert (sheet.total, sheet.max, sheet.answered) == (D(0), D(2), 0)


def test_choice_scores_the_option_and_defaults_points_to_best_option():
    options = [
        {"value": "du", "label": "Đủ", "points": 1},
        {"value": "mot-phan", "label": "Một phần", "points": 0.5},
    ]
    choice = item("c", "choice", points=None, options=options)
    sheet = sheet_of([choice], {"c": "mot-phan"})
    assert (sheet.total, sheet.max) == (D("0.50"), D(1))
    assert [r.key for r in sheet.failed] == ["c"]
    assert answer_error(choice, "tot") == "must be one of: du, mot-phan"


def test_score_item_rounds_half_up_to_hundredths():
    points = item("s", "score", points=3)
    assert item_score(points, 2.855) == D("2.86")
    assert item_score(points, 2.845) == D("2.85")
    assert answer_error(points, 3.01) == "must be a number from 0 to 3"
    assert answer_error(points, -0.5) == "must be a number from 0 to 3"


@pytest.mark.parametrize(
    ("num", "den", "score"),
    [
        (199, 200, D("1.99")),  # 99.5 % of a 100 % target: 2 × 0.995
        (25, 100, D("1.00")),  # half of a 50 % target
        (60, 100, D("2.00")),  # above target: capped at the item's points
        (1, 3, D("1.33")),  # 2 × 33.33… / 50, rounded once at the end
        (0, 10, D(0)),
    ],
)
def test_ratio_proportional_to_target(num, den, score):
    target = 50 if den != 200 else 100
    ratio = item("r", "ratio", points=2, target=target)
    assert item_score(ratio, {"num": num, "den": den}) == score


STEPS = [{"min": 98, "points": 3}, {"min": 95, "points": 2}, {"min": 90, "points": 0.5}]


@pytest.mark.parametrize(
    ("num", "den", "score"),
    [
        (98, 100, D(3)),  # exactly on a step's min
        (979, 1000, D(2)),  # 97.9 % just below it
        (24499, 25000, D(3)),  # 97.996 % shows as 98,00 % and earns the 98 % step
        (24498, 25000, D(2)),  # 97.992 % shows as 97,99 %
        (95, 100, D(2)),
        (90, 100, D("0.5")),
        (899, 1000, D(0)),  # below the lowest step
        (100, 100, D(3)),
    ],
)
def test_ratio_steps_boundaries(num, den, score):
    ratio = item("r", "ratio", points=3, steps=STEPS)
    assert item_score(ratio, {"num": num, "den": den}) == score


@pytest.mark.parametrize(
    ("on_empty", "total", "maximum", "failed"),
    [
        (None, D(1), D(1), []),
        ("na", D(1), D(1), []),
        ("full", D(3), D(3), []),
        ("zero", D(1), D(3), ["r"]),
    ],
)
def test_ratio_with_zero_denominator_follows_on_empty(on_empty, total, maximum, failed):
    extra = {"on_empty": on_empty} if on_empty else {}
    items = [item("r", "ratio", points=2, **extra), item("y", points=1)]
    sheet = sheet_of(items, {"r": {"num": 0, "den": 0}, "y": "yes"})
    assert (sheet.total, sheet.max) == (total, maximum)
    assert [r.key for r in sheet.failed] == failed
    assert sheet.answered == 2


@pytest.mark.parametrize(
    "value",
    [
        {"num": 5, "den": 4},
        {"num": -1, "den": 4},
        {"num": 1.5, "den": 4},
        {"num": 1},
        {"num": True, "den": 4},
        [1, 2],
        "90%",
    ],
)
def test_ratio_answer_must_be_whole_numbers_with_num_at_most_den(value):
    assert answer_error(item("r", "ratio", points=2), value) is not None


def test_unscored_items_do_not_score_but_count_as_answered():
    items = [item("n", "number"), item("t", "text"), item("d", "date"), item("y", points=1)]
    sheet = sheet_of(items, {"n": 12, "t": "ghi chú", "d": "2024-02-22"})
    assert (sheet.total, sheet.max, sheet.scorable) == (D(0), D(1), 1)
    assert (sheet.answered, sheet.answerable) == (3, 4)
    assert answer_error(items[2], "22/02/2024") == "must be a date YYYY-MM-DD"
    assert answer_error(items[0], "12") == "must be a number"


def test_hidden_item_is_not_scored_not_required_never_failed_and_its_answer_ignored():
    doc = valid_template()
    answers = {"tre-han": "no", "thu-xin-loi": "no"}
    sheet = score_sheet(doc, answers)
    result = sheet.items["thu-xin-loi"]
    assert not result.visible and result.max is None and not result.failed
    assert not result.answered and not result.not_applicable  # neither: it is not asked
    assert "thu-xin-loi" not in [r.key for r in sheet.failed]
    assert sheet.max == D(11)  # 2 + 1 + 3 + 3 + 2 + 0, without the hidden 1 point
    # The controller changes: the kept answer counts again.
    shown = score_sheet(doc, {**answers, "tre-han": "yes"})
    assert shown.items["thu-xin-loi"].failed and shown.max == D(12)


@pytest.mark.parametrize("controller_answer", [None, "na"])
def test_unanswered_or_na_controller_hides_dependants(controller_answer):
    items = [
        item("c", points=1),
        item("d", points=1, show_if={"item": "c", "equals": "yes"}),
    ]
    answers = {"d": "yes"} | ({"c": controller_answer} if controller_answer else {})
    assert sheet_of(items, answers).items["d"].visible is False


def test_hidden_controller_hides_its_own_dependants():
    items = [
        item("a", points=1),
        item("b", points=1, show_if={"item": "a", "equals": "yes"}),
        item("c", points=1, show_if={"item": "b", "equals": "yes"}),
    ]
    sheet = sheet_of(items, {"a": "no", "b": "yes", "c": "yes"})
    assert [k for k, r in sheet.items.items() if r.visible] == ["a"]
    assert (sheet.total, sheet.max, sheet.answerable) == (D(0), D(1), 1)


def test_show_if_on_number_choice_and_text():
    items = [
        item("n", "number"),
        item("by-n", show_if={"item": "n", "equals": 3}),
        item("t", "text"),
        item("by-t", show_if={"item": "t", "equals": "có"}),
    ]
    visible = {k for k, r in sheet_of(items, {"n": 3.0, "t": "có"}).items.items() if r.visible}
    assert visible == {"n", "by-n", "t", "by-t"}


def test_section_subtotals_total_percentage_band_and_counts():
    doc = valid_template()
    answers = {
        "kh-cchc": "yes",  # 2 / 2
        "luu-tru": "mot-phan",  # 0.5 / 1
        "sipas": 2.85,  # 2.85 / 3
        "dung-han": {"num": 96, "den": 100},  # 2 / 3
        "truc-tuyen": {"num": 50, "den": 100},  # 2 / 2 (at its 50 % target)
        "tre-han": "yes",  # 0 / 0
        "so-tthc": 12,
        "ngay-kh": "2024-06-28",
        # ghi-chu (optional) unanswered
        "thu-xin-loi": "no",  # 0 / 1
    }
    sheet = score_sheet(doc, answers)
    assert [(s.key, s.score, s.max) for s in sheet.sections] == [
        ("chi-dao", D("5.35"), D(6)),
        ("mot-cua", D(4), D(6)),
    ]
    assert (sheet.total, sheet.max, sheet.percent, sheet.band) == (
        D("9.35"),
        D(12),
        D("77.92"),
        "Khá",
    )
    assert (sheet.complete, sheet.waiting) == (True, 0)
    assert (sheet.full_marks, sheet.scorable) == (2, 6)
    assert (sheet.answered, sheet.answerable) == (9, 10)
    assert [r.key for r in sheet.failed] == ["luu-tru", "sipas", "dung-han", "thu-xin-loi"]
    assert sheet.items["dung-han"].percent == D("96.00")


@pytest.mark.parametrize(
    ("awarded", "percent", "band"),
    [
        (159.99, D("80.00"), "Tốt"),  # 79.995 % rounds half-up onto the edge
        (159.98, D("79.99"), "Khá"),
        (120, D("60.00"), "Trung bình"),
        (119.99, D("60.00"), "Trung bình"),
        (119.98, D("59.99"), "Thấp"),
        (0, D("0.00"), "Thấp"),
    ],
)
def test_band_compares_the_rounded_percentage(awarded, percent, band):
    sheet = sheet_of([item("s", "score", points=200)], {"s": awarded})
    assert (sheet.percent, sheet.band) == (percent, band)


def test_custom_bands():
    bands = [
        {"min": 90, "label": "Xuất sắc"},
        {"min": 50, "label": "Đạt"},
        {"min": 0, "label": "Chưa đạt"},
    ]
    sheet = sheet_of([item("s", "score", points=10)], {"s": 9}, bands=bands)
    assert sheet.band == "Xuất sắc"


def test_zero_maximum_gives_no_percentage_and_no_band():
    items = [item("x", points=0), item("n", "number")]
    sheet = sheet_of(items, {"x": "yes"})
    assert (sheet.max, sheet.percent, sheet.band) == (D(0), None, None)
    assert (sheet.full_marks, sheet.scorable) == (0, 0)
    all_na = sheet_of([item("x", points=4)], {"x": "na"})
    assert (all_na.max, all_na.percent, all_na.band) == (D(0), None, None)


def test_score_sheet_as_api_json():
    body = score_sheet(valid_template(), {"kh-cchc": "yes"}).as_dict()
    assert body["total"] == 2.0 and body["max"] == 11.0
    # Provisional: 7 required items shown and unanswered (tre-han unanswered hides thu-xin-loi).
    assert (body["complete"], body["waiting"]) == (False, 7)
    assert body["percent"] is None and body["band"] is None
    assert body["sections"][0] == {
        "key": "chi-dao",
        "title": "Lĩnh vực chi-dao",
        "score": 2.0,
        "max": 6.0,
    }


def test_the_api_json_of_a_sheet_names_every_figure():
    """valid_template() (12 points when every item shows) with three answers, by hand:
    kh-cchc yes 2 of 2; luu-tru "mot-phan" 0,5 of 1; tre-han no 0 of 0, which hides
    thu-xin-loi. Shown: 2 + 1 + 3 (sipas) in chi-dao, 3 + 2 + 0 in mot-cua: 11 points.
    Total 2,5 of 11 so far. Answered 3 of the 9 shown (thu-xin-loi hidden); of the 6 unanswered,
    ghi-chu is optional, so 5 required items wait: the sheet is provisional, with no percentage
    and no band. Full marks: kh-cchc (and tre-han is worth nothing), of the 5 shown items worth
    points; failed: luu-tru."""
    answers = {"kh-cchc": "yes", "luu-tru": "mot-phan", "tre-han": "no"}
    assert score_sheet(valid_template(), answers).as_dict() == {
        "total": 2.5,
        "max": 11.0,
        "percent": None,
        "band": None,
        "complete": False,
        "waiting": 5,
        "full_marks": 1,
        "scorable": 5,
        "answered": 3,
        "answerable": 9,
        "sections": [
            {"key": "chi-dao", "title": "Lĩnh vực chi-dao", "score": 2.5, "max": 6.0},
            {"key": "mot-cua", "title": "Lĩnh vực mot-cua", "score": 0.0, "max": 5.0},
        ],
        "failed": ["luu-tru"],
        "warnings": [],
    }


def test_the_api_json_of_a_sheet_that_cannot_score_has_no_percentage():
    body = sheet_of([item("x", points=4)], {"x": "na"}).as_dict()
    assert (body["total"], body["max"], body["percent"], body["band"]) == (0.0, 0.0, None, None)


# Provisional sheets: no percentage and no band while a required item waits --------------------


def test_a_required_item_unanswered_keeps_the_sheet_provisional_with_points_so_far():
    items = [item("a", points=2), item("b", points=3)]
    sheet = sheet_of(items, {"a": "yes"})
    assert (sheet.total, sheet.max) == (D(2), D(5))  # points so far, and the maximum
    assert (sheet.complete, sheet.waiting, sheet.percent, sheet.band) == (False, 1, None, None)
    done = sheet_of(items, {"a": "yes", "b": "no"})
    assert (done.complete, done.waiting, done.percent, done.band) == (True, 0, D("40.00"), "Thấp")


def test_an_optional_item_unanswered_does_not_keep_the_sheet_provisional():
    items = [item("a", points=2), item("b", points=3, required=False)]
    sheet = sheet_of(items, {"a": "yes"})
    # The optional item's 3 points stay in the maximum at 0: 2 of 5.
    assert (sheet.complete, sheet.waiting, sheet.percent, sheet.band) == (
        True,
        0,
        D("40.00"),
        "Thấp",
    )


def test_unscored_required_items_wait_too():
    items = [item("a", points=2), item("n", "number"), item("t", "text", required=False)]
    waiting = sheet_of(items, {"a": "yes"})
    assert (waiting.complete, waiting.waiting, waiting.band) == (False, 1, None)
    done = sheet_of(items, {"a": "yes", "n": 0})
    assert (done.complete, done.percent, done.band) == (True, D("100.00"), "Tốt")


def test_na_answers_a_required_item():
    items = [item("a", points=2), item("b", points=3), item("r", "ratio", points=2)]
    sheet = sheet_of(items, {"a": "yes", "b": "na", "r": "na"})
    assert (sheet.complete, sheet.waiting, sheet.max, sheet.percent, sheet.band) == (
        True,
        0,
        D(2),
        D("100.00"),
        "Tốt",
    )


def test_a_required_item_hidden_by_show_if_does_not_wait():
    items = [
        item("co-web", points=0, allow_na=False),
        item("cap-nhat", points=2, show_if={"item": "co-web", "equals": "yes"}),
        item("a", points=2),
    ]
    hidden = sheet_of(items, {"co-web": "no", "a": "yes"})
    assert hidden.items["cap-nhat"].visible is False
    assert (hidden.complete, hidden.percent, hidden.band) == (True, D("100.00"), "Tốt")
    # The same item shown by its controller waits until answered.
    shown = sheet_of(items, {"co-web": "yes", "a": "yes"})
    assert (shown.complete, shown.waiting, shown.percent, shown.band) == (False, 1, None, None)
    answered = sheet_of(items, {"co-web": "yes", "a": "yes", "cap-nhat": "yes"})
    assert (answered.complete, answered.band) == (True, "Tốt")


def test_an_unanswered_controller_hides_its_required_dependant_but_itself_waits():
    items = [
        item("co-web", points=0, allow_na=False),
        item("cap-nhat", points=2, show_if={"item": "co-web", "equals": "yes"}),
    ]
    sheet = sheet_of(items, {})
    assert (sheet.complete, sheet.waiting) == (False, 1)  # co-web only


def test_an_answer_that_is_no_longer_valid_counts_as_unanswered_and_waits():
    items = [item("a", points=2, allow_na=False), item("b", points=1)]
    sheet = sheet_of(items, {"a": "na", "b": "yes"})
    assert (sheet.complete, sheet.waiting, sheet.band) == (False, 1, None)


def test_the_api_json_of_a_complete_sheet_has_percentage_and_band():
    items = [item("a", points=2), item("b", points=2), item("c", points=1, required=False)]
    body = sheet_of(items, {"a": "yes", "b": "no"}).as_dict()
    assert (body["total"], body["max"], body["percent"], body["band"]) == (2.0, 5.0, 40.0, "Thấp")
    assert (body["complete"], body["waiting"]) == (True, 0)
    body = sheet_of(items, {"a": "yes"}).as_dict()
    assert (body["total"], body["max"], body["percent"], body["band"]) == (2.0, 5.0, None, None)
    assert (body["complete"], body["waiting"]) == (False, 1)


def test_an_answer_the_item_cannot_take_scores_nothing_and_fails_nothing():
    options = [
        {"value": "du", "label": "Đủ", "points": 2},
        {"value": "khong", "label": "Không", "points": 0},
    ]
    choice = item("c", "choice", points=None, options=options)
    assert item_score(choice, "tot") == D(0)  # a value no option has
    assert item_score(item("r", "ratio", points=2), {"num": 5, "den": 4}) == D(0)


def test_each_result_names_its_section_and_an_empty_ratio_counts_as_answered():
    items = [item("r", "ratio", points=2), item("y", points=1)]
    sheet = score_sheet(template(section("dau", *items[:1]), section("sau", *items[1:])), {})
    assert [(r.key, r.section) for s in sheet.sections for r in s.items] == [
        ("r", "dau"),
        ("y", "sau"),
    ]
    empty = sheet_of(items, {"r": {"num": 0, "den": 0}})
    result = empty.items["r"]
    assert (result.answered, result.not_applicable, result.score, result.max) == (
        True,
        True,
        None,
        None,
    )
