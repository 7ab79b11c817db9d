"""The item types of the format (CHECKLIST-FORMAT.md, "Item types"): one class each, in a union
discriminated on `type`. Each owns what is particular to its type: its members and their rules,
what a valid answer is, its score, what the page says a valid answer looks like.

A new type is one class registered with `@item_type`, taking its answer like one of the page's
inputs (inputs.py), and, for the page, its answer row's fragment (templates/visits/items/). The
validator, the scoring engine, the services and the views ask the item; none names a type."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator

from inspection import text
from inspection.checklist.fields import (
    MAX_TEXT_ANSWER,
    NON_EMPTY_LIST,
    OPTION_LABEL,
    OPTION_VALUE,
    Percent,
    Points,
    Target,
    is_number,
    is_whole,
    list_rule,
    list_schema,
    message,
    not_null,
    one_of,
    rule,
    schema_default,
    shown,
    text_message,
    text_problem,
    text_rule,
    text_schema,
    to_decimal,
)
from inspection.checklist.inputs import DateInput, NumberInput, RatioInput, TapInput, TextInput
from inspection.checklist.item import (
    HUNDRED,
    N_,
    NA,
    Choice,
    Item,
    Words,
    item_type,
    percent_of,
    raise_at,
    round2,
)
from inspection.checklist.problems import Message
from inspection.formatting import parse_date


@item_type
class YesNo(TapInput):
    """Pass or fail: the points, or 0. Worth 0 points, a plain question (Yes / No)."""

    type: Literal["yes_no"]
    label: ClassVar[str] = N_("Pass / fail")
    points: Points
    can_control: ClassVar[bool] = True

    def max_points(self) -> Decimal:
        return self.points

    @property
    def question(self) -> bool:
        return self.points == 0

    def value_problem(self, value: Any) -> Message | None:
        if value in ("yes", "no"):
            return None
        return message("yes_no", 'must be "yes", "no" or "na"')

    def equals_problem(self, value: Any) -> Message | None:
        return None if value in ("yes", "no") else message("yes_no", 'must be "yes" or "no"')

    def score(self, value: Any) -> Decimal:
        return self.points if value == "yes" else Decimal(0)

    def hint(self, words: Words) -> str:
        return words(N_("Choose Yes or No.") if self.question else N_("Choose Pass or Fail."))

    def type_label(self, words: Words) -> str:
        if self.question:
            return words(N_("Yes / no question, not scored"))
        return super().type_label(words)

    def choices(self, words: Words) -> list[Choice]:
        if self.question:
            return [("yes", words(N_("Yes")), "", ""), ("no", words(N_("No")), "", "")]
        return [("yes", words(N_("Pass")), "yes", ""), ("no", words(N_("Fail")), "no", "")]

    def describe(self, value: Any, words: Words) -> str:
        return next((label for v, label, _, _ in self.choices(words) if v == value), str(value))


def _option_value(value: Any, info: ValidationInfo) -> Any:
    if not isinstance(value, str) or not value:
        return message("not_text", "must be a non-empty string")
    if problem := text_problem(value, OPTION_VALUE):
        return problem
    if value == NA:
        return message("reserved", "'na' is reserved for 'not applicable'")
    return value


class Option(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    value: Annotated[str, rule(_option_value)]
    label: Annotated[
        str, text_rule(OPTION_LABEL, required=True), text_schema(OPTION_LABEL, required=True)
    ]
    points: Points

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise message("not_object", "must be an object with value, label and points").error()
        return data


@item_type
class ChoiceItem(TapInput):
    """One of several options, each worth its points."""

    type: Literal["choice"]
    label: ClassVar[str] = N_("One of several options")
    points: Points | None = None
    options: Annotated[
        tuple[Option, ...],
        list_rule(message("options", "must be a list of at least 2 options"), least=2),
        list_schema(2),
    ]
    can_control: ClassVar[bool] = True

    @model_validator(mode="after")
    def _options_fit(self) -> ChoiceItem:
        problems: list[tuple[tuple[str | int, ...], Message]] = []
        seen: set[str] = set()
        best: Decimal | None = None
        for o, option in enumerate(self.options):
            if option.value in seen:
                found = message(
                    "duplicate", "duplicate option value '%(value)s'", value=option.value
                )
                problems.append((("options", o, "value"), found))
            seen.add(option.value)
            if self.points is not None and option.points > self.points:
                found = points_above(self.points)
                problems.append((("options", o, "points"), found))
            else:
                best = option.points if best is None else max(best, option.points)
        if self.points is not None and best is not None and best < self.points:
            found = message(
                "best_option", "the best option must be worth exactly the item's points"
            )
            problems.append((("options",), found))
        raise_at(problems)
        return self

    def max_points(self) -> Decimal:
        return self.points if self.points is not None else max(o.points for o in self.options)

    def value_problem(self, value: Any) -> Message | None:
        values = [o.value for o in self.options]
        if value in values:
            return None
        return message("choice", "must be one of: %(values)s", values=", ".join(values))

    def equals_problem(self, value: Any) -> Message | None:
        if value in [o.value for o in self.options]:
            return None
        return message("choice", "must be one of the controlling item's option values")

    def score(self, value: Any) -> Decimal:
        return round2(next(o.points for o in self.options if o.value == value))

    def hint(self, words: Words) -> str:
        return words(N_("Choose one of the options."))

    def choices(self, words: Words) -> list[Choice]:
        return [(o.value, o.label, "", words.number(o.points)) for o in self.options]

    def describe(self, value: Any, words: Words) -> str:
        return next((o.label for o in self.options if o.value == value), str(value))


@item_type
class ScoreItem(NumberInput):
    """Points the team awards, from 0 to the item's."""

    type: Literal["score"]
    label: ClassVar[str] = N_("Points given by the team")
    conditions: ClassVar[frozenset[str]] = Item.conditions | {"min", "max"}
    points: Points

    def max_points(self) -> Decimal:
        return self.points

    def value_problem(self, value: Any) -> Message | None:
        if is_number(value) and 0 <= to_decimal(value) <= self.points:
            return None
        return message("score", "must be a number from 0 to %(most)s", most=self.points)

    def score(self, value: Any) -> Decimal:
        return round2(to_decimal(value))

    def measure(self, value: Any) -> Decimal:
        return to_decimal(value)

    def hint(self, words: Words) -> str:
        return words(N_("Enter points from 0 to %(max)s."), max=words.number(self.points))


class Step(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    min: Percent
    points: Points

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise message("not_object", "must be an object with min and points").error()
        return data


def points_above(most: Decimal) -> Message:
    return message(
        "number_range", "must be a number %(lower)s and ≤ %(high)s", lower="≥ 0", high=shown(most)
    )


@item_type
class RatioItem(RatioInput):
    """A share in %, from two whole numbers: points by steps, or pro rata up to a target."""

    type: Literal["ratio"]
    label: ClassVar[str] = N_("Percentage")
    conditions: ClassVar[frozenset[str]] = Item.conditions | {"min_percent", "max_percent"}
    points: Points
    target: Annotated[Target, schema_default(100)] = Decimal(100)
    steps: Annotated[
        Annotated[tuple[Step, ...], list_rule(), list_schema()] | None, not_null(NON_EMPTY_LIST)
    ] = None
    on_empty: Annotated[Literal["na", "full", "zero"], one_of("na", "full", "zero")] = "na"

    @model_validator(mode="after")
    def _steps_descend(self) -> RatioItem:
        problems: list[tuple[tuple[str | int, ...], Message]] = []
        previous: Step | None = None
        for s, step in enumerate(self.steps or ()):
            if step.points > self.points:
                found = points_above(self.points)
                problems.append((("steps", s, "points"), found))
                previous = None
                continue
            if previous is not None:
                if step.min >= previous.min:
                    found = message(
                        "step_order", "must be strictly lower than the previous step's min"
                    )
                    problems.append((("steps", s, "min"), found))
                if step.points > previous.points:
                    found = message("step_points", "must not exceed the previous step's points")
                    problems.append((("steps", s, "points"), found))
            previous = step
        raise_at(problems)
        return self

    def max_points(self) -> Decimal:
        return self.points

    def warnings(self, raw: Mapping[str, Any]) -> list[tuple[str, Message]]:
        found = super().warnings(raw)
        if self.steps and "target" in raw:
            found.append(("target", message("unused", "ignored because the item has steps")))
        if self.steps and self.steps[0].points < self.points:
            found.append(("steps", message("unreached", "no step reaches the item's points")))
        return found

    def value_problem(self, value: Any) -> Message | None:
        if not isinstance(value, dict) or set(value) != {"num", "den"}:
            return message("ratio", 'must be {"num": whole number, "den": whole number}')
        num, den = value["num"], value["den"]
        if not all(is_whole(v) and is_number(v) for v in (num, den)):
            return message("ratio_whole", "num and den must be whole numbers")
        if not 0 <= num <= den:
            return message("ratio_range", "must have 0 ≤ num ≤ den")
        return None

    def percent(self, value: Any) -> Decimal | None:
        return percent_of(value["num"], value["den"]) if value["den"] else None

    def measure(self, value: Any) -> Decimal | None:
        return self.percent(value)

    def score(self, value: Any) -> Decimal | None:
        num, den = value["num"], value["den"]
        if den == 0:
            if self.on_empty == "na":
                return None
            return self.points if self.on_empty == "full" else Decimal(0)
        if self.steps:
            # Steps compare the percentage as shown (2 decimals), so 97,996% shows 98,00% and
            # earns the 98% step.
            percent = percent_of(num, den)
            return next((round2(s.points) for s in self.steps if s.min <= percent), Decimal(0))
        share = min(Decimal(num) * HUNDRED / (Decimal(den) * self.target), Decimal(1))
        return round2(self.points * share)

    def hint(self, words: Words) -> str:
        return words(N_("Enter whole numbers, the numerator not above the denominator."))

    def describe(self, value: Any, words: Words) -> str:
        fraction = f"{words.number(value['num'])}/{words.number(value['den'])}"
        percent = self.percent(value)
        return fraction if percent is None else f"{fraction} ({words.number(percent)} %)"

    def points_label(self, words: Words) -> str:
        label = super().points_label(words)
        if self.steps:
            steps = ", ".join(
                f"≥ {words.number(s.min)} %: {words.number(s.points)}" for s in self.steps
            )
            return f"{label} ({steps})"
        return words(
            N_("%(label)s, target %(target)s %%"), label=label, target=words.number(self.target)
        )


@item_type
class NumberItem(NumberInput):
    """A figure recorded, not scored (it may control other items)."""

    type: Literal["number"]
    label: ClassVar[str] = N_("Number")
    can_control: ClassVar[bool] = True
    conditions: ClassVar[frozenset[str]] = Item.conditions | {"min", "max"}

    def value_problem(self, value: Any) -> Message | None:
        return None if is_number(value) else message("number", "must be a number")

    def measure(self, value: Any) -> Decimal:
        return to_decimal(value)

    def hint(self, words: Words) -> str:
        return words(N_("Enter a number."))


@item_type
class TextItem(TextInput):
    """A text recorded, not scored."""

    type: Literal["text"]
    label: ClassVar[str] = N_("Free text")
    can_control: ClassVar[bool] = True

    def value_problem(self, value: Any) -> Message | None:
        return text_message(text.text_fault(value, limit=MAX_TEXT_ANSWER))

    def hint(self, words: Words) -> str:
        return words(
            N_("Enter a text of at most %(count)s characters."),
            count=words.number(MAX_TEXT_ANSWER),
        )


@item_type
class DateItem(DateInput):
    """A day recorded, not scored."""

    type: Literal["date"]
    label: ClassVar[str] = N_("Date")
    can_control: ClassVar[bool] = True
    conditions: ClassVar[frozenset[str]] = Item.conditions | {"on_or_before", "on_or_after"}

    def value_problem(self, value: Any) -> Message | None:
        return None if parse_date(value) else message("date", "must be a date YYYY-MM-DD")

    def measure(self, value: Any) -> dt.date | None:
        return parse_date(value)

    def hint(self, words: Words) -> str:
        return words(N_("Enter a date as dd/mm/yyyy."))


__all__ = [
    "ChoiceItem",
    "DateItem",
    "NumberItem",
    "RatioItem",
    "ScoreItem",
    "TextItem",
    "YesNo",
]
