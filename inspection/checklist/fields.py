"""The field rules of the checklist format, each stated once as an annotated type: what a key, a
title, a number of points or a percentage may be, and what is said when it is not.

A rule checks the JSON value as the author wrote it (so `"2"` is not a number, `true` not a 1) and
raises its own message (problems.py). The text rules (length, line breaks, valid Unicode) are a
condition of import: a document already in the library was stored under the rules of its day and
is read with `context={"stored": True}`, which leaves them out."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo, WithJsonSchema

from inspection import text
from inspection.checklist.problems import Message, message

KEY_PATTERN = re.compile(r"^[a-z0-9-]+$")
MAX_NUMBER = 10**15  # beyond any count, rate or points here, and exact in a browser's double
MAX_VERSION = 1_000_000
MAX_TEXT_ANSWER = 10_000  # a few pages: a finding, not a report

# What a template may hold (listed for authors in README, "Writing a checklist"). A file of at most
# 1 MB: the shipped ones are 12 KB and 48 KB. At most 10 levels of lists and objects: the format
# needs 7 (template, sections, section, items, item, options or steps, option or step), so 3 spare.
MAX_TEMPLATE_BYTES = 1024 * 1024
MAX_TEMPLATE_DEPTH = 10
# Texts: (limit in characters, may span lines). Keys fit the 64-character columns that store them
# (Plan.form_key, Answer.item_key); the texts allow ten times and more what the shipped templates
# use (the longest: a title of 75, an item text of 172, a guidance of 244, a remedy of 153).
MAX_KEY = 64
TITLE = (300, False)
DESCRIPTION = (5000, True)
ITEM_TEXT = (1000, True)
GUIDANCE = (5000, True)
LEGAL_BASIS = (1000, True)
FINDING_TEXT = (2000, True)  # deficiency and remedy: pre-fill a finding, whose texts hold 4000
OPTION_LABEL = (300, False)
OPTION_VALUE = (100, False)
BAND_LABEL = (100, False)

NOT_AN_OBJECT = message("not_object", "must be an object")
REQUIRED = message("required", "is required")
NON_EMPTY_LIST = message("not_a_list", "must be a non-empty list")
BAD_KEY = message("key_pattern", "must use only lowercase letters a-z, digits and '-'")
NOT_BOOL = message("not_bool", "must be true or false")
WHOLE_AT_LEAST_1 = message("whole_number", "must be a whole number ≥ 1")


def is_number(value: Any) -> bool:
    """A JSON number an item can hold: not a bool, not NaN or infinite, at most 10^15 in size."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return -MAX_NUMBER <= value <= MAX_NUMBER  # False for NaN and ±inf as well


def is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def to_decimal(value: int | float | str | Decimal) -> Decimal:
    """Decimal of a JSON number as written (2.85 stays 2.85, not its binary neighbour)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def shown(value: float | Decimal) -> str:
    """A bound as the messages write it: 100, 1.5 (no trailing zeros)."""
    return f"{float(value):g}"


def text_rules(info: ValidationInfo) -> bool:
    return not (info.context or {}).get("stored", False)


def text_problem(value: str, limits: tuple[int, bool]) -> Message | None:
    return text_message(text.text_fault(value, limit=limits[0], multiline=limits[1]))


def text_message(fault: text.Fault | None) -> Message | None:
    """text.py's finding as a message (its English text and parameters kept apart)."""
    return None if fault is None else message("text", fault[0], **fault[1])


def number_problem(
    value: Any, *, low: float = 0, high: float | Decimal | None = None, low_open: bool = False
) -> Message | None:
    """Why `value` is not a number in [low, high] (or (low, high] when `low_open`)."""
    ok = is_number(value) and (value > low if low_open else value >= low)
    ok = ok and (high is None or to_decimal(value) <= to_decimal(high))
    if ok:
        return None
    lower = f"> {shown(low)}" if low_open else f"≥ {shown(low)}"
    if high is None:
        return message("number_range", "must be a number %(lower)s", lower=lower)
    return message(
        "number_range", "must be a number %(lower)s and ≤ %(high)s", lower=lower, high=shown(high)
    )


def points_problem(value: Any, *, high: float | Decimal | None = None) -> Message | None:
    """Points: a number ≥ 0 with at most 2 decimals, as every score is rounded to 2 decimals
    (a 0.125-point item could never be reached, and its sheet would add up past 100%)."""
    problem = number_problem(value, high=high)
    if problem is not None:
        return problem
    exponent = to_decimal(value).as_tuple().exponent  # an int: the number is finite
    if isinstance(exponent, int) and exponent < -2:
        return message("decimals", "must have at most 2 decimal places")
    return None


def rule(check: Callable[[Any, ValidationInfo], Any]) -> BeforeValidator:
    """A validator from `check(value, info)`, which returns the value or a Message."""

    def validate(value: Any, info: ValidationInfo) -> Any:
        result = check(value, info)
        if isinstance(result, Message):
            raise result.error()
        return result

    return BeforeValidator(validate)


def text_rule(limits: tuple[int, bool], *, required: bool) -> BeforeValidator:
    """A text of at most limits[0] characters, on one line unless limits[1]; `required`: not
    blank."""

    def check(value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str) or (required and not value.strip()):
            if required:
                return message("not_text", "must be a non-empty string")
            return message("not_text", "must be a string")
        if text_rules(info) and (problem := text_problem(value, limits)):
            return problem
        return value

    return rule(check)


def text_schema(limits: tuple[int, bool], *, required: bool) -> WithJsonSchema:
    schema: dict[str, Any] = {"type": "string", "maxLength": limits[0]}
    if required:
        schema["minLength"] = 1
    return WithJsonSchema(schema)


def _key(value: Any, info: ValidationInfo) -> Any:
    if not isinstance(value, str) or not KEY_PATTERN.fullmatch(value):
        return BAD_KEY
    if text_rules(info) and (problem := text_problem(value, (MAX_KEY, False))):
        return problem
    return value


def _flag(value: Any, info: ValidationInfo) -> Any:
    return value if isinstance(value, bool) else NOT_BOOL


def _whole_at_least_1(value: Any, info: ValidationInfo) -> Any:
    return value if is_whole(value) and value >= 1 else WHOLE_AT_LEAST_1


def _points(value: Any, info: ValidationInfo) -> Any:
    return points_problem(value) or to_decimal(value)


def _percent(value: Any, info: ValidationInfo) -> Any:
    return number_problem(value, high=100) or to_decimal(value)


def _target(value: Any, info: ValidationInfo) -> Any:
    return number_problem(value, high=100, low_open=True) or to_decimal(value)


def _version(value: Any, info: ValidationInfo) -> Any:
    if not (is_whole(value) and value >= 1):
        return WHOLE_AT_LEAST_1
    if value > MAX_VERSION:
        return message("too_large", "must be at most %(most)s", most=MAX_VERSION)
    return value


def one_of(*choices: str) -> BeforeValidator:
    """One of a few words (`photo`, `on_empty`); the field's Literal type lists them too."""
    problem = message("one_of", "must be one of %(choices)s", choices=", ".join(choices))

    def check(value: Any, info: ValidationInfo) -> Any:
        return value if isinstance(value, str) and value in choices else problem

    return rule(check)


def not_null(problem: Message) -> BeforeValidator:
    """An optional member that, when written, is not null (left out, it takes its default)."""

    def check(value: Any, info: ValidationInfo) -> Any:
        return problem if value is None else value

    return rule(check)


def list_schema(least: int = 1) -> Any:
    """What the JSON Schema says of a list `list_rule` checks."""
    return Field(json_schema_extra={"minItems": least})


def schema_default(value: Any) -> Any:
    """A default as the JSON Schema writes it (a number, not the Decimal's string)."""
    return Field(json_schema_extra={"default": value})


def list_rule(problem: Message = NON_EMPTY_LIST, *, least: int = 1) -> BeforeValidator:
    """A list of at least `least` members, else `problem`."""

    def check(value: Any, info: ValidationInfo) -> Any:
        return value if isinstance(value, list) and len(value) >= least else problem

    return rule(check)


Key = Annotated[
    str,
    rule(_key),
    WithJsonSchema({"type": "string", "pattern": KEY_PATTERN.pattern, "maxLength": MAX_KEY}),
]
Flag = Annotated[bool, rule(_flag), WithJsonSchema({"type": "boolean"})]
WholeAtLeast1 = Annotated[
    int, rule(_whole_at_least_1), WithJsonSchema({"type": "integer", "minimum": 1})
]
Version = Annotated[
    int,
    rule(_version),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_VERSION}),
]
Points = Annotated[
    Decimal,
    rule(_points),
    # (Not "multipleOf": 0.01: editors test it in binary floating point, and 2.85 would fail.)
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": MAX_NUMBER}),
]
Percent = Annotated[
    Decimal, rule(_percent), WithJsonSchema({"type": "number", "minimum": 0, "maximum": 100})
]
Target = Annotated[
    Decimal,
    rule(_target),
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0, "maximum": 100}),
]
Title = Annotated[str, text_rule(TITLE, required=True), text_schema(TITLE, required=True)]
Description = Annotated[
    str, text_rule(DESCRIPTION, required=False), text_schema(DESCRIPTION, required=False)
]

# What a missing member is told when it is not simply "is required" (by the member's name).
MISSING = {
    "version": WHOLE_AT_LEAST_1,
    "sections": NON_EMPTY_LIST,
    "items": NON_EMPTY_LIST,
    "points": message("number_range", "must be a number %(lower)s", lower="≥ 0"),
}
