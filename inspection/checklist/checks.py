"""Consistency checks (CHECKLIST-FORMAT.md, "Consistency checks"): answers that contradict each
other ("no late dossiers" with 99.52 % on time), stated by the template's author and shown to the
inspector as warnings. A check never blocks a save; at submission a raised one must be explained.

`Check` is the model of one check, `Check.raised` its evaluation; `check_problems` what spans
items (the validator calls it). Which conditions an item takes, and what they compare, the item
says (`Item.conditions`, `Item.measure`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator

from inspection.checklist.fields import (
    MAX_KEY,
    Key,
    Percent,
    is_number,
    rule,
    text_problem,
    text_rule,
    text_schema,
    to_decimal,
)
from inspection.checklist.item import NA, Item, ShowIf, same_answer
from inspection.checklist.problems import Message, message

CHECK_MESSAGE = (1000, True)
# The conditions of `expect`, in the format's order; exactly one per check.
CONDITIONS = (
    "equals",
    "answered",
    "min_percent",
    "max_percent",
    "min",
    "max",
    "on_or_before",
    "on_or_after",
)
ONE_CONDITION = message(
    "one_condition",
    "must name an item and exactly one condition: %(conditions)s",
    conditions=", ".join(CONDITIONS),
)
CheckMessage = Annotated[
    str, text_rule(CHECK_MESSAGE, required=True), text_schema(CHECK_MESSAGE, required=True)
]
CheckMessageEn = Annotated[
    str, text_rule(CHECK_MESSAGE, required=False), text_schema(CHECK_MESSAGE, required=False)
]


def _item_key(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str) and value:
        return value
    return message("unknown_item", "unknown item key %(key)s", key=repr(value))


def _answered(value: Any, info: ValidationInfo) -> Any:
    return value if value is True else message("answered", "must be true")


def _bound(value: Any, info: ValidationInfo) -> Any:
    return to_decimal(value) if is_number(value) else message("number", "must be a number")


ItemRef = Annotated[str, rule(_item_key)]
Bound = Annotated[Decimal, rule(_bound)]


class Expect(BaseModel):
    """What a check expects of one item: exactly one condition."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item: ItemRef
    equals: Any = None
    answered: Annotated[bool | None, rule(_answered)] = None
    min_percent: Percent | None = None
    max_percent: Percent | None = None
    min: Bound | None = None
    max: Bound | None = None
    on_or_before: ItemRef | None = None
    on_or_after: ItemRef | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_condition(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "item" not in data:
            raise ONE_CONDITION.error()
        if sum(1 for name in CONDITIONS if name in data) != 1:
            raise ONE_CONDITION.error()
        return data

    @property
    def condition(self) -> tuple[str, Any]:
        """(its condition's name, its bound)."""
        name = next(n for n in CONDITIONS if n in self.model_fields_set)
        return name, getattr(self, name)

    @property
    def compared(self) -> str | None:
        """The other date item a date condition compares with."""
        name, bound = self.condition
        return bound if name in ("on_or_before", "on_or_after") else None


class When(ShowIf):
    """`when` has the form of `show_if`; as everywhere in a check, an unknown key is refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Check(BaseModel):
    """One consistency check of a template."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: Key
    when: When | None = None
    expect: Expect
    message: CheckMessage
    message_en: CheckMessageEn = ""

    @property
    def items(self) -> tuple[str, ...]:
        """The items it names: the `when` item, the expected item, the compared item."""
        named = [self.when.item if self.when else None, self.expect.item, self.expect.compared]
        return tuple(dict.fromkeys(k for k in named if k))

    def raised(
        self, answers: Mapping[str, Any], visible: set[str], items: Mapping[str, Item]
    ) -> bool:
        """Whether the answers contradict the check (evaluated only when `when` holds and
        every item it names applies)."""
        if any(key not in visible or key not in items for key in self.items):
            return False
        if self.when is not None and not self.when.holds(answers.get(self.when.item)):
            return False
        name, bound = self.expect.condition
        item = items[self.expect.item]
        value = _given(item, answers.get(self.expect.item))
        if name == "answered":
            return value is None
        if value is None:
            return False
        if name == "equals":
            return not same_answer(value, bound)
        measure = item.measure(value)
        if measure is None:  # a ratio of 0 / 0: no %
            return False
        if name in ("min_percent", "min"):
            return bool(measure < bound)
        if name in ("max_percent", "max"):
            return bool(measure > bound)
        other = items[bound]
        other_value = _given(other, answers.get(bound))
        other_measure = other.measure(other_value) if other_value is not None else None
        if not isinstance(measure, dt.date) or not isinstance(other_measure, dt.date):
            return False
        if name == "on_or_before":
            return measure > other_measure
        return measure < other_measure


def _given(item: Item, value: Any) -> Any:
    """A valid answer, or None (`na` counts as unanswered)."""
    if value is None or value == NA or item.answer_problem(value) is not None:
        return None
    return value


@dataclass(frozen=True)
class RaisedCheck:
    """A raised check, as the score sheet lists it."""

    key: str
    items: tuple[str, ...]
    message: str
    message_en: str
    expected: str  # the item the check expects something of

    @classmethod
    def of(cls, check: Check) -> RaisedCheck:
        return cls(check.key, check.items, check.message, check.message_en, check.expect.item)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "items": list(self.items),
            "message": self.message,
            "message_en": self.message_en,
        }


def raised(
    checks: tuple[Check, ...],
    answers: Mapping[str, Any],
    visible: set[str],
    items: Mapping[str, Item],
) -> list[RaisedCheck]:
    return [RaisedCheck.of(c) for c in checks if c.raised(answers, visible, items)]


# What spans items: the validator's part ------------------------------------------------------

Found = list[tuple[str, Message]]
UNKNOWN_ITEM = "unknown item key %(key)s"


def check_problems(doc_checks: Any, models: Mapping[str, Item | None], *, stored: bool) -> Found:
    """Problems of the document's `checks` that no single check sees: duplicate keys, items
    that do not exist, conditions that do not fit their item's type. `models`: the template's
    items by key, None for one that is itself invalid (its own problems say enough)."""
    found: Found = []
    if not isinstance(doc_checks, list):
        return found
    first: dict[str, str] = {}
    for c, raw in enumerate(doc_checks):
        path = f"checks[{c}]"
        if not isinstance(raw, dict):
            continue
        key = raw.get("key")
        if isinstance(key, str):
            if key in first:
                found.append(
                    (
                        f"{path}.key",
                        message(
                            "duplicate",
                            "duplicate check key '%(key)s' (also %(other)s)",
                            key=key,
                            other=first[key],
                        ),
                    )
                )
            else:
                first[key] = path
        found += _when_problems(path, raw.get("when"), models, stored=stored)
        found += _expect_problems(path, raw.get("expect"), models, stored=stored)
    return found


def _reference(
    path: str, key: Any, models: Mapping[str, Item | None], *, stored: bool
) -> Found | None:
    """Problems of a reference to an item; None when there is nothing more to check (the key
    is not a string, or names an invalid item: their own problems say what is wrong)."""
    if not isinstance(key, str):
        return None
    if not stored and (problem := text_problem(key, (MAX_KEY, False))):
        return [(path, problem)]
    if key not in models:
        return [(path, message("unknown_item", UNKNOWN_ITEM, key=repr(key)))]
    return None if models[key] is None else []


def _when_problems(
    path: str, when: Any, models: Mapping[str, Item | None], *, stored: bool
) -> Found:
    if not isinstance(when, dict) or "item" not in when or "equals" not in when:
        return []
    found = _reference(f"{path}.when.item", when["item"], models, stored=stored)
    if found is None or found:
        return found or []
    controller = models[when["item"]]
    assert controller is not None
    if not controller.can_control:
        return [
            (
                f"{path}.when.item",
                message(
                    "not_controller",
                    "'%(key)s' is a %(type)s item: `when` needs an item that can control others",
                    key=when["item"],
                    type=repr(controller.type),
                ),
            )
        ]
    if problem := controller.equals_problem(when["equals"]):
        return [(f"{path}.when.equals", problem)]
    return []


def _expect_problems(
    path: str, expect: Any, models: Mapping[str, Item | None], *, stored: bool
) -> Found:
    if not isinstance(expect, dict) or "item" not in expect:
        return []
    named = [n for n in CONDITIONS if n in expect]
    found = _reference(f"{path}.expect.item", expect["item"], models, stored=stored)
    if found is None or found or len(named) != 1:
        return found or []
    (name,) = named
    item = models[expect["item"]]
    assert item is not None
    where = f"{path}.expect.{name}"
    if name not in item.conditions:
        fits = ", ".join(n for n in CONDITIONS if n in item.conditions)
        return [
            (
                where,
                message(
                    "condition_type",
                    "does not fit a %(type)s item (it takes %(fits)s)",
                    type=repr(item.type),
                    fits=fits,
                ),
            )
        ]
    bound = expect[name]
    if name == "equals" and (problem := item.equals_problem(bound)):
        return [(where, problem)]
    if name in ("on_or_before", "on_or_after"):
        found = _reference(where, bound, models, stored=stored)
        if found is None or found:
            return found or []
        other = models[bound]
        assert other is not None
        if name not in other.conditions:
            return [
                (
                    where,
                    message(
                        "condition_type",
                        "must name another date item ('%(key)s' is a %(type)s item)",
                        key=bound,
                        type=repr(other.type),
                    ),
                )
            ]
        if bound == expect["item"]:
            return [(where, message("self", "must name another item"))]
    return []
