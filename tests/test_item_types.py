"""What each item type says and how the page's fields hold its answer, type by type, in a plain
English `Words` (the page gives its own language): the hint, the label, the buttons, how an answer
reads, and that the fields a stored answer fills read back as the same answer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from inspection import formatting
from inspection.checklist import parse_item
from tests.builders import item

D = Decimal
OPTIONS = [
    {"value": "du", "label": "Đủ", "points": 2},
    {"value": "mot-phan", "label": "Một phần", "points": 0.5},
]


class English:
    decimal_separator = "."

    def __call__(self, text: str, **params) -> str:
        return text % params if params else text

    def number(self, value, places: int = 2) -> str:
        return formatting.format_number(value, places, locale="en")

    def date(self, value: dt.date) -> str:
        return value.strftime("%d/%m/%Y")


class Vietnamese(English):
    decimal_separator = ","

    def number(self, value, places: int = 2) -> str:
        return formatting.format_number(value, places, locale="vi")


WORDS = English()
ITEMS = {
    "criterion": item("a", points=1.5),
    "question": item("q", points=0),
    "choice": item("c", "choice", points=None, options=OPTIONS),
    "score": item("s", "score", points=3),
    "ratio": item("r", "ratio", points=3, target=90),
    "steps": item(
        "st", "ratio", points=3, steps=[{"min": 98, "points": 3}, {"min": 95, "points": 2}]
    ),
    "number": item("n", "number", points=None),
    "text": item("t", "text", points=None),
    "date": item("d", "date", points=None),
}


def model(name: str):
    return parse_item(ITEMS[name])


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("criterion", "Choose Pass or Fail."),
        ("question", "Choose Yes or No."),
        ("choice", "Choose one of the options."),
        ("score", "Enter points from 0 to 3."),
        ("ratio", "Enter whole numbers, the numerator not above the denominator."),
        ("number", "Enter a number."),
        ("text", "Enter a text of at most 10,000 characters."),
        ("date", "Enter a date as dd/mm/yyyy."),
    ],
)
def test_each_type_says_what_a_valid_answer_looks_like(name, hint):
    assert model(name).hint(WORDS) == hint


@pytest.mark.parametrize(
    ("name", "label", "points"),
    [
        ("criterion", "Pass / fail", "1.5 points"),
        ("question", "Yes / no question, not scored", "0 points"),
        ("choice", "One of several options", "2 points"),
        ("score", "Points given by the team", "3 points"),
        ("ratio", "Percentage", "3 points, target 90 %"),
        ("steps", "Percentage", "3 points (≥ 98 %: 3, ≥ 95 %: 2)"),
        ("number", "Number", ""),
        ("text", "Free text", ""),
        ("date", "Date", ""),
    ],
)
def test_each_type_names_itself_and_its_points(name, label, points):
    assert (model(name).type_label(WORDS), model(name).points_label(WORDS)) == (label, points)


def test_the_buttons_of_the_types_answered_by_a_tap():
    assert model("criterion").choices(WORDS) == [
        ("yes", "Pass", "yes", ""),
        ("no", "Fail", "no", ""),
    ]
    assert model("question").choices(WORDS) == [("yes", "Yes", "", ""), ("no", "No", "", "")]
    assert model("choice").choices(Vietnamese()) == [
        ("du", "Đủ", "", "2"),
        ("mot-phan", "Một phần", "", "0,5"),
    ]
    assert model("number").choices(WORDS) == []


@pytest.mark.parametrize(
    ("name", "value", "reads"),
    [
        ("criterion", "yes", "Pass"),
        ("criterion", "no", "Fail"),
        ("question", "no", "No"),
        ("choice", "mot-phan", "Một phần"),
        ("number", 1240.5, "1,240.5"),
        ("number", 0.125, "0.125"),
        ("date", "2024-02-22", "22/02/2024"),
        ("text", "có", "“có”"),
        ("ratio", {"num": 6, "den": 7}, "6/7 (85.71 %)"),
        ("ratio", {"num": 1240, "den": 1240}, "1,240/1,240 (100 %)"),
        ("ratio", {"num": 0, "den": 0}, "0/0"),
    ],
)
def test_an_answer_reads_as_a_page_says_it(name, value, reads):
    assert model(name).describe(value, WORDS) == reads


@pytest.mark.parametrize(
    ("name", "value", "fields"),
    [
        ("score", 2.5, {"number": "2.5"}),
        ("number", 1240, {"number": "1,240"}),
        ("ratio", {"num": 61, "den": 62}, {"num": "61", "den": "62", "percent": "98.39 %"}),
        ("ratio", {"num": 0, "den": 0}, {"num": "0", "den": "0", "percent": ""}),
        ("date", "2024-02-22", {"text": "22/02/2024"}),
        ("text", "Đoàn làm việc", {"text": "Đoàn làm việc"}),
        ("text", "na", {}),
        ("criterion", "yes", {}),
    ],
)
def test_a_stored_answer_fills_its_fields_and_reads_back_the_same(name, value, fields):
    shown = model(name).form_fields(value, WORDS)
    assert shown == fields
    if fields:
        assert model(name).read_form(shown, WORDS) == value


@pytest.mark.parametrize(
    ("name", "form", "value"),
    [
        ("criterion", {"value": "no"}, "no"),
        ("criterion", {"value": ""}, None),
        ("number", {"number": "1.240,5"}, "1.240,5"),  # English reads it as typed: refused
        ("number", {"number": "  "}, None),
        ("ratio", {"num": "3", "den": ""}, {"num": "3", "den": ""}),
        ("ratio", {"num": " ", "den": ""}, None),
        ("date", {"text": "22.02.2024"}, "2024-02-22"),
        ("date", {"text": "30/02/2024"}, "30/02/2024"),
        ("text", {"text": "  "}, None),
    ],
)
def test_what_the_fields_hold_is_the_answer_or_what_was_typed(name, form, value):
    assert model(name).read_form(form, WORDS) == value


def test_vietnamese_fields_read_the_vietnamese_way():
    assert model("number").read_form({"number": "1.240,5"}, Vietnamese()) == 1240.5
    assert model("score").form_fields(2.5, Vietnamese()) == {"number": "2,5"}


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("criterion", "na", None),
        ("number", "na", "this item cannot be answered 'not applicable'"),
        ("text", "na", "this item cannot be answered 'not applicable'"),
        ("criterion", "maybe", 'must be "yes", "no" or "na"'),
        ("ratio", {"num": 3}, 'must be {"num": whole number, "den": whole number}'),
        ("ratio", {"num": 3.5, "den": 4}, "num and den must be whole numbers"),
        ("ratio", {"num": 5, "den": 4}, "must have 0 ≤ num ≤ den"),
        ("ratio", {"num": -1, "den": 4}, "must have 0 ≤ num ≤ den"),
        ("number", True, "must be a number"),
        ("date", "2024-02-30", "must be a date YYYY-MM-DD"),
    ],
)
def test_each_type_checks_its_answers(name, value, problem):
    found = model(name).answer_problem(value)
    assert (None if found is None else str(found)) == problem


def test_a_question_is_never_failed_and_a_criterion_below_its_points_is():
    criterion, question = model("criterion"), model("question")
    assert criterion.fails(D(0), D("1.5")) and not criterion.fails(D("1.5"), D("1.5"))
    assert not question.fails(question.score("no"), question.max_points())


def test_photos_needed_and_which_types_may_be_not_applicable():
    assert parse_item(item("p", photo="required", photos_min=2)).photos_needed == 2
    assert parse_item(item("p", photo="required")).photos_needed == 1
    assert parse_item(item("p", photo="optional")).photos_needed == 0
    assert [name for name in ITEMS if model(name).may_be_na] == [
        "criterion",
        "question",
        "choice",
        "score",
        "ratio",
        "steps",
    ]
    assert not parse_item(item("x", allow_na=False)).may_be_na


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("number", "na", "no_na"),
        ("criterion", "maybe", "yes_no"),
        ("choice", "tot", "choice"),
        ("score", 3.5, "score"),
        ("ratio", {"num": 3}, "ratio"),
        ("ratio", {"num": 3.5, "den": 4}, "ratio_whole"),
        ("ratio", {"num": 5, "den": 4}, "ratio_range"),
        ("number", "12", "number"),
        ("text", "x" * 10_001, "text"),
        ("date", "22/02/2024", "date"),
    ],
)
def test_each_refusal_has_a_code_a_page_can_word(name, value, code):
    """The code, not the English text, is what a page in another language looks up."""
    assert model(name).answer_problem(value).code == code


def test_a_text_answer_is_held_to_the_text_rules():
    text = model("text")
    assert text.answer_problem("x" * 10_000) is None
    assert str(text.answer_problem("x" * 10_001)) == "must be at most 10000 characters"
    assert text.answer_problem("dòng 1\ndòng 2") is None
    assert text.answer_problem("a\x00b") is not None


def test_points_from_zero_to_the_items_are_an_award():
    score = model("score")
    assert [score.answer_problem(v) for v in (0, 0.5, 2.99, 3)] == [None] * 4
    assert [str(score.answer_problem(v)) for v in (-0.01, 3.01)] == [
        "must be a number from 0 to 3"
    ] * 2


def test_a_choice_never_taken_reads_as_written():
    assert model("choice").describe("khac", WORDS) == "khac"
    assert model("criterion").describe("maybe", WORDS) == "maybe"


def test_what_a_ratio_will_not_use_is_warned_about():
    steps = [{"min": 98, "points": 2}, {"min": 95, "points": 1}]
    raw = item("r", "ratio", points=3, target=90, steps=steps)
    found = [(where, m.code, str(m)) for where, m in parse_item(raw).warnings(raw)]
    assert found == [
        ("target", "unused", "ignored because the item has steps"),
        ("steps", "unreached", "no step reaches the item's points"),
    ]
    reached = item("r", "ratio", points=2, steps=steps)
    assert parse_item(reached).warnings(reached) == []
    plain = item("r", "ratio", points=3, target=90)
    assert parse_item(plain).warnings(plain) == []
    photo = item("p", photos_min=2)
    assert [(w, m.code) for w, m in parse_item(photo).warnings(photo)] == [("photos_min", "unused")]
