"""The page's inputs: how an item takes its answer on the checklist page and shows a stored one
(its form fields, its answer row's fragment under templates/visits/items/, and the `data-input`
that static/js/visit.js reads). An item type takes one of these; a type that reuses one needs no
script."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from inspection.checklist.fields import (
    is_number,
)
from inspection.checklist.item import NA, Item, Words
from inspection.formatting import parse_date, parse_number, parse_typed_date, parse_whole_number


class TapInput(Item):
    """Answered by a tap on one of its buttons."""

    input: ClassVar[str] = "tap"
    fragment: ClassVar[str] = "visits/items/tap.html"

    def read_form(self, form: Mapping[str, str], words: Words) -> Any:
        return form.get("value") or None


class NumberInput(Item):
    """A number typed the page's way (1.240,5 in Vietnamese)."""

    input: ClassVar[str] = "number"
    fragment: ClassVar[str] = "visits/items/number.html"

    def read_form(self, form: Mapping[str, str], words: Words) -> Any:
        raw = form.get("number", "")
        if not raw.strip():
            return None
        number = parse_number(raw, words.decimal_separator)
        return raw if number is None else number

    def form_fields(self, value: Any, words: Words) -> dict[str, str]:
        return {"number": words.number(value)} if is_number(value) else {}

    def describe(self, value: Any, words: Words) -> str:
        return words.number(value, places=6)


class RatioInput(Item):
    """Two whole numbers, numerator and denominator."""

    input: ClassVar[str] = "ratio"
    fragment: ClassVar[str] = "visits/items/ratio.html"

    def read_form(self, form: Mapping[str, str], words: Words) -> Any:
        num, den = form.get("num", "").strip(), form.get("den", "").strip()
        if not num and not den:
            return None
        whole_num, whole_den = parse_whole_number(num), parse_whole_number(den)
        if whole_num is not None and whole_den is not None:
            return {"num": whole_num, "den": whole_den}
        return {"num": num, "den": den}

    def form_fields(self, value: Any, words: Words) -> dict[str, str]:
        if not isinstance(value, dict):
            return {}
        percent = self.percent(value) if self.value_problem(value) is None else None
        return {
            "num": str(value.get("num", "")),
            "den": str(value.get("den", "")),
            "percent": "" if percent is None else words.number(percent) + " %",
        }


class DateInput(Item):
    """A day typed dd/mm/yyyy, stored YYYY-MM-DD."""

    input: ClassVar[str] = "date"
    fragment: ClassVar[str] = "visits/items/date.html"

    def read_form(self, form: Mapping[str, str], words: Words) -> Any:
        typed = form.get("text", "").strip()
        day = parse_typed_date(typed)
        return day.isoformat() if day else typed or None

    def form_fields(self, value: Any, words: Words) -> dict[str, str]:
        day = parse_date(value)
        return {"text": words.date(day)} if day else {}

    def describe(self, value: Any, words: Words) -> str:
        day = parse_date(value)
        return words.date(day) if day else str(value)


class TextInput(Item):
    """A text, on several lines."""

    input: ClassVar[str] = "text"
    fragment: ClassVar[str] = "visits/items/text.html"

    def read_form(self, form: Mapping[str, str], words: Words) -> Any:
        return form.get("text", "").strip() or None

    def form_fields(self, value: Any, words: Words) -> dict[str, str]:
        return {"text": value} if isinstance(value, str) and value != NA else {}
