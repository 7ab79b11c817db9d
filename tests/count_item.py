"""A new item type, `count`, as a template author's organisation would add one: one class and
one page fragment, registered; nothing else in the app changes. Used by test_new_item_type.py and
the browser test of the same name."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Literal

from flask import Flask
from jinja2 import ChoiceLoader, DictLoader

from inspection.checklist import Message, message
from inspection.checklist.fields import MAX_NUMBER, Points, WholeAtLeast1, is_whole
from inspection.checklist.inputs import NumberInput
from inspection.checklist.item import Words, forget_item_type, item_type, round2


class CountItem(NumberInput):
    """How many of something the team counted: full points from `expected` on, pro rata below."""

    type: Literal["count"]
    label: ClassVar[str] = "Count"
    fragment: ClassVar[str] = "visits/items/count.html"
    points: Points
    expected: WholeAtLeast1

    def max_points(self) -> Decimal:
        return self.points

    def value_problem(self, value: Any) -> Message | None:
        if is_whole(value) and 0 <= value <= MAX_NUMBER:
            return None
        return message("count", "must be a whole number ≥ 0")

    def score(self, value: Any) -> Decimal:
        return round2(self.points * min(Decimal(value) / self.expected, Decimal(1)))

    def hint(self, words: Words) -> str:
        return words("Enter how many, a whole number.")


FRAGMENT = """<label class="compact">{{ item.hint }}<input type="text" inputmode="numeric" \
name="number" value="{{ s.number }}" autocomplete="off" data-count></label>
<button type="submit" name="value" value="" class="save">{{ L.save }}</button>
"""

DOCUMENT = {
    "key": "dem-may",
    "version": 1,
    "title": "Kiểm tra trang thiết bị bộ phận một cửa",
    "sections": [
        {
            "key": "thiet-bi",
            "title": "Trang thiết bị",
            "items": [
                {
                    "key": "co-may-tinh",
                    "text": "Có máy tính tra cứu",
                    "type": "yes_no",
                    "points": 1,
                },
                {
                    "key": "so-may-tra-cuu",
                    "text": "Số máy tính tra cứu cho người dân",
                    "type": "count",
                    "points": 4,
                    "expected": 5,
                },
            ],
        }
    ],
}


def register() -> None:
    item_type(CountItem)


def forget() -> None:
    forget_item_type("count")


def serve_fragment(app: Flask) -> None:
    """The fragment, where the app's templates are looked up first."""
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({CountItem.fragment: FRAGMENT}), app.jinja_env.loader]
    )
