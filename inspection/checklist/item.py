"""What every checklist item is (CHECKLIST-FORMAT.md, "Items"): the base class `Item`, with the
members all types share and the questions every type answers (is this a valid answer, what does
it score, does it fail, how does the page show it), `show_if`, and the registry of item types.

The types themselves are in item_types.py; the page's ways of taking an answer in inputs.py."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, ClassVar, Literal, Protocol, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from inspection.catalog import N_
from inspection.checklist.fields import (
    FINDING_TEXT,
    GUIDANCE,
    ITEM_TEXT,
    LEGAL_BASIS,
    WHOLE_AT_LEAST_1,
    Flag,
    Key,
    WholeAtLeast1,
    message,
    not_null,
    one_of,
    rule,
    text_rule,
    text_schema,
    to_decimal,
)
from inspection.checklist.problems import Message

NA = "na"
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(num: int, den: int) -> Decimal:
    """num / den in %, rounded as shown (den > 0)."""
    return round2(Decimal(num) / Decimal(den) * HUNDRED)


class Words(Protocol):
    """The page's language, given by the view: its translation and its way with numbers."""

    decimal_separator: str

    def __call__(self, text: str, **params: Any) -> str: ...  # gettext

    def number(self, value: Any, places: int = 2) -> str: ...

    def date(self, value: dt.date) -> str: ...


# A choice as the page's answer buttons show it: (value, label, class, small note).
Choice = tuple[str, str, str, str]

ItemText = Annotated[
    str, text_rule(ITEM_TEXT, required=True), text_schema(ITEM_TEXT, required=True)
]
Guidance = Annotated[
    str, text_rule(GUIDANCE, required=False), text_schema(GUIDANCE, required=False)
]
LegalBasis = Annotated[
    str, text_rule(LEGAL_BASIS, required=False), text_schema(LEGAL_BASIS, required=False)
]
FindingText = Annotated[
    str, text_rule(FINDING_TEXT, required=False), text_schema(FINDING_TEXT, required=False)
]
PhotoMode = Annotated[
    Literal["none", "optional", "required"], one_of("none", "optional", "required")
]
SHOW_IF_SHAPE = message("not_object", 'must be an object {"item": key, "equals": value}')


def _show_if_item(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str):
        return value
    return message("unknown_item", "unknown item key %(key)s", key=repr(value))


class ShowIf(BaseModel):
    """The item applies only when another (`item`) is answered `equals`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    item: Annotated[str, rule(_show_if_item)]
    equals: Any

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "item" not in data or "equals" not in data:
            raise SHOW_IF_SHAPE.error()
        return data

    def holds(self, value: Any) -> bool:
        """Whether the controller's answer `value` is the one expected."""
        return same_answer(value, self.equals)


def same_answer(value: Any, expected: Any) -> bool:
    """Whether an answer (`na` and None count as unanswered, so never) is the value a rule
    expects: true is not 1, 2.50 is 2.5."""
    if value is None or value == NA:
        return False
    if isinstance(value, bool) or isinstance(expected, bool):
        return value is expected
    if isinstance(value, int | float) and isinstance(expected, int | float):
        return to_decimal(value) == to_decimal(expected)
    return bool(value == expected)


def raise_at(problems: list[tuple[tuple[str | int, ...], Message]]) -> None:
    """Raise each problem at its place below the model being validated."""
    if problems:
        details = [
            InitErrorDetails(type=found.error(), loc=loc, input=None) for loc, found in problems
        ]
        raise ValidationError.from_exception_data("item", details)


class Item(BaseModel):
    """What every item has (CHECKLIST-FORMAT.md), and the answers of a type that is not scored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: str
    key: Key
    text: ItemText
    guidance: Guidance = ""
    legal_basis: LegalBasis = ""
    deficiency: FindingText = ""
    remedy: FindingText = ""
    required: Flag = True
    allow_na: Flag = True
    photo: PhotoMode = "none"
    photos_min: Annotated[WholeAtLeast1 | None, not_null(WHOLE_AT_LEAST_1)] = None
    show_if: ShowIf | None = None

    # How the page takes the answer (a name the page's script knows) and the Jinja fragment of
    # the answer row.
    input: ClassVar[str]
    fragment: ClassVar[str]
    # What the library's outline calls the type (English, translated where shown).
    label: ClassVar[str]
    # May other items depend on its answer (show_if)?
    can_control: ClassVar[bool] = False
    # The conditions a consistency check may set on its answer (checks.py); `measure` gives
    # what the bounds compare.
    conditions: ClassVar[frozenset[str]] = frozenset({"equals", "answered"})

    @model_validator(mode="wrap")
    @classmethod
    def _members_of_other_types(cls, data: Any, handler: Any) -> Any:
        """A member another type uses is refused here (points on a text, options on a ratio),
        with whatever else the item has wrong."""
        misplaced: list[tuple[tuple[str | int, ...], Message]] = []
        if isinstance(data, dict):
            own = set(cls.model_fields)
            for name in data:
                if name in own or name not in every_item_member():
                    continue
                kind = data.get("type")
                if name == "points":
                    found = message(
                        "not_scored", "a '%(type)s' item is not scored: remove points", type=kind
                    )
                else:
                    found = message("not_used", "is not used by a '%(type)s' item", type=kind)
                misplaced.append(((name,), found))
        try:
            model = handler(data)
        except ValidationError as exc:
            if not misplaced:
                raise
            details = [_again(e) for e in exc.errors()]
            details += [
                InitErrorDetails(type=found.error(), loc=loc, input=None)
                for loc, found in misplaced
            ]
            raise ValidationError.from_exception_data("item", details) from None
        raise_at(misplaced)
        return model

    # The answer and its score.

    def max_points(self) -> Decimal | None:
        """The most the item can score; None when it is not scored."""
        return None

    @property
    def scored(self) -> bool:
        return self.max_points() is not None

    @property
    def question(self) -> bool:
        """Asked, not judged: answered but never failed (a yes_no worth 0 points)."""
        return False

    @property
    def may_be_na(self) -> bool:
        return self.scored and self.allow_na

    @property
    def photos_needed(self) -> int:
        return (self.photos_min or 1) if self.photo == "required" else 0

    def answer_problem(self, value: Any) -> Message | None:
        """Why `value` is not a valid answer (None when it is). None clears an answer."""
        if value is None:
            return None
        if value == NA:
            if self.may_be_na:
                return None
            return message("no_na", "this item cannot be answered 'not applicable'")
        return self.value_problem(value)

    def value_problem(self, value: Any) -> Message | None:
        """Why `value` (neither None nor "na") is not an answer of this type."""
        raise NotImplementedError

    def equals_problem(self, value: Any) -> Message | None:
        """Why `value` cannot be what another item's show_if expects of this one."""
        return self.value_problem(value)

    def score(self, value: Any) -> Decimal | None:
        """The score of a valid answer (not None, not "na"), rounded; None: not applicable."""
        return None

    def percent(self, value: Any) -> Decimal | None:
        """The percentage an answer shows (a ratio's), rounded."""
        return None

    def measure(self, value: Any) -> Decimal | dt.date | None:
        """What a consistency check's bounds compare of a valid answer (not None, not "na"):
        a ratio's %, a number, a date. None: nothing to compare (a ratio of 0 / 0)."""
        return None

    def fails(self, score: Decimal, most: Decimal) -> bool:
        """Whether an answer scoring `score` of `most` fails the item (and calls for a
        deficiency): below its points."""
        return score < most

    # What the page shows.

    def hint(self, words: Words) -> str:
        """What a valid answer looks like."""
        raise NotImplementedError

    def type_label(self, words: Words) -> str:
        return words(self.label)

    def points_label(self, words: Words) -> str:
        points = self.max_points()
        if points is None:
            return ""
        return words(N_("%(points)s points"), points=words.number(points))

    def choices(self, words: Words) -> list[Choice]:
        """The answer buttons of an item answered by a tap."""
        return []

    def describe(self, value: Any, words: Words) -> str:
        """A valid answer as a page shows it in a sentence."""
        return f"“{value}”"

    def read_form(self, form: Mapping[str, str], words: Words) -> Any:
        """The answer the item's form fields hold (None: nothing typed); what cannot be read is
        returned as typed, to be refused with the item's message."""
        raise NotImplementedError

    def form_fields(self, value: Any, words: Words) -> dict[str, str]:
        """A stored answer in the item's form fields."""
        return {}

    def warnings(self, raw: Mapping[str, Any]) -> list[tuple[str, Message]]:
        """What the author wrote that the item will not use (by member, as written in `raw`)."""
        if "photos_min" in raw and self.photo != "required":
            return [("photos_min", message("unused", "only applies when photo is 'required'"))]
        return []


def _again(error: Any) -> InitErrorDetails:
    """A pydantic error raised once more, unchanged."""
    ctx = error.get("ctx") or {}
    return InitErrorDetails(
        type=PydanticCustomError(error["type"], error["msg"], ctx),
        loc=error["loc"],
        input=error.get("input"),
    )


# The item types by name, in the order the format lists them.
ITEM_TYPES: dict[str, type[Item]] = {}
ItemType = TypeVar("ItemType", bound=type[Item])


def item_type(cls: ItemType) -> ItemType:
    """Register an item class under the name its `type` field holds."""
    fields: dict[str, Any] = cls.__pydantic_fields__
    (name,) = get_args(fields["type"].annotation)  # Literal["count"] → "count"
    ITEM_TYPES[name] = cls
    every_item_member.cache_clear()
    return cls


def forget_item_type(name: str) -> None:
    """Undo `item_type` (a test's own type, once the test is over)."""
    ITEM_TYPES.pop(name, None)
    every_item_member.cache_clear()


@functools.cache
def every_item_member() -> frozenset[str]:
    """The members some item type has (another's are refused, none's are warned about)."""
    return frozenset(name for cls in ITEM_TYPES.values() for name in cls.model_fields)
