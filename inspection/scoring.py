"""The scoring engine: (template, answers) → score sheet. Pure functions: no Flask, no database.

Decimal arithmetic throughout: each item's score is rounded half-up to 2 decimals, sections and the
total are sums of those, the percentage is rounded half-up to 2 decimals and bands compare that
rounded percentage (CHECKLIST-FORMAT.md, "The score sheet"). The sheet is provisional (no
percentage, no band) while an applicable `required` item is unanswered. It lists the raised
consistency checks (checklist/checks.py) as warnings.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from inspection.checklist import NA, Band, Item, Template
from inspection.checklist.checks import RaisedCheck, raised
from inspection.checklist.item import HUNDRED, round2


@dataclass(frozen=True)
class ItemResult:
    key: str
    section: str
    type: str
    visible: bool
    answered: bool
    not_applicable: bool
    score: Decimal | None  # None: unscored type, hidden, or not applicable
    max: Decimal | None  # None: unscored type, hidden, or not applicable
    percent: Decimal | None = None  # a ratio's %, rounded to 2 decimals
    failed: bool = False  # answered (not `na`), applicable, and failed by its type's rule
    required: bool = False  # the item's `required` flag

    @property
    def waiting(self) -> bool:
        """Keeps the sheet provisional: applicable, required, neither answered nor `na`."""
        return self.visible and self.required and not (self.answered or self.not_applicable)

    @property
    def settled(self) -> bool:
        """Answered, or answered "not applicable": nothing more is asked of it."""
        return self.answered or self.not_applicable

    @property
    def scorable(self) -> bool:
        """Counts towards "n of m at full marks": applicable, scored, worth more than 0."""
        return self.max is not None and self.max > 0

    @property
    def full_marks(self) -> bool:
        return self.scorable and self.score == self.max


@dataclass(frozen=True)
class SectionResult:
    key: str
    title: str
    score: Decimal
    max: Decimal
    items: list[ItemResult] = field(default_factory=list)

    @property
    def percent(self) -> Decimal | None:
        return round2(self.score / self.max * HUNDRED) if self.max else None

    @property
    def answerable(self) -> int:
        """Its applicable items (shown, given the answers)."""
        return sum(1 for r in self.items if r.visible)

    @property
    def answered(self) -> int:
        """Its applicable items answered (`na` included)."""
        return sum(1 for r in self.items if r.visible and r.settled)


@dataclass(frozen=True)
class ScoreSheet:
    """`percent` and `band` are None while the sheet is provisional (`complete` false: `waiting`
    applicable required items unanswered) and when the maximum is 0."""

    total: Decimal
    max: Decimal
    percent: Decimal | None
    band: str | None
    complete: bool
    waiting: int  # applicable required items neither answered nor `na`
    full_marks: int  # n of "n of m at full marks"
    scorable: int  # m
    answered: int  # x of "answered x of y"
    answerable: int  # y
    sections: list[SectionResult]
    warnings: list[RaisedCheck] = field(default_factory=list)  # raised consistency checks

    @functools.cached_property
    def items(self) -> dict[str, ItemResult]:
        """Every item's result by key (made once: the page asks for each of its items)."""
        return {r.key: r for s in self.sections for r in s.items}

    @property
    def failed(self) -> list[ItemResult]:
        return [r for s in self.sections for r in s.items if r.failed]

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `GET /api/v1/visits/<id>/score`."""
        return {
            "total": float(self.total),
            "max": float(self.max),
            "percent": None if self.percent is None else float(self.percent),
            "band": self.band,
            "complete": self.complete,
            "waiting": self.waiting,
            "full_marks": self.full_marks,
            "scorable": self.scorable,
            "answered": self.answered,
            "answerable": self.answerable,
            "sections": [
                {"key": s.key, "title": s.title, "score": float(s.score), "max": float(s.max)}
                for s in self.sections
            ],
            "failed": [r.key for r in self.failed],
            "warnings": [w.as_dict() for w in self.warnings],
        }


def visible_keys(template: Template[Any], answers: Mapping[str, Any]) -> set[str]:
    """Items that apply given the answers: no `show_if`, or a visible controller answered with
    the expected value (an unanswered, `na` or hidden controller hides its dependants)."""
    items = template.by_key
    memo: dict[str, bool] = {}

    def visible(key: str) -> bool:
        if key not in memo:
            rule = items[key].show_if
            memo[key] = rule is None or (visible(rule.item) and rule.holds(answers.get(rule.item)))
        return memo[key]

    return {key for key in items if visible(key)}


def item_score(item: Item, value: Any) -> Decimal | None:
    """Score of one applicable answered item, rounded; None means "not applicable" (leaves both
    the score and the maximum). An unanswered item scores 0."""
    if item.max_points() is None:
        return None
    if value is None or item.answer_problem(value) is not None:
        return Decimal(0)
    if value == NA:
        return None
    return item.score(value)


def band_for(percent: Decimal | None, bands: Iterable[Band]) -> str | None:
    if percent is None:
        return None
    return next((band.label for band in bands if band.min <= percent), None)


def score_sheet(template: Template[Any], answers: Mapping[str, Any]) -> ScoreSheet:
    """The whole score sheet of a (validated) template for answers keyed by item key."""
    shown = visible_keys(template, answers)
    sections = []
    for section in template.sections:
        results = [_item_result(section.key, item, answers, shown) for item in section.items]
        sections.append(
            SectionResult(
                key=section.key,
                title=section.title,
                score=sum((r.score for r in results if r.score is not None), Decimal(0)),
                max=sum((r.max for r in results if r.max is not None), Decimal(0)),
                items=results,
            )
        )
    total = sum((s.score for s in sections), Decimal(0))
    maximum = sum((s.max for s in sections), Decimal(0))
    every = [r for s in sections for r in s.items]
    applicable = [r for r in every if r.visible]
    waiting = sum(1 for r in applicable if r.waiting)
    percent = round2(total / maximum * HUNDRED) if maximum and not waiting else None
    return ScoreSheet(
        total=total,
        max=maximum,
        percent=percent,
        band=band_for(percent, template.bands),
        complete=not waiting,
        waiting=waiting,
        full_marks=sum(1 for r in every if r.full_marks),
        scorable=sum(1 for r in every if r.scorable),
        answered=sum(1 for r in applicable if r.answered or r.not_applicable),
        answerable=len(applicable),
        sections=sections,
        warnings=raised(template.checks, answers, shown, template.by_key),
    )


def _item_result(
    section_key: str, item: Item, answers: Mapping[str, Any], shown: set[str]
) -> ItemResult:
    key = item.key
    value = answers.get(key)
    valid = value is not None and item.answer_problem(value) is None
    visible = key in shown

    def result(**rest: Any) -> ItemResult:
        return ItemResult(
            key=key,
            section=section_key,
            type=item.type,
            visible=visible,
            required=item.required,
            **rest,
        )

    if not visible:
        return result(answered=False, not_applicable=False, score=None, max=None)
    is_na = valid and value == NA
    percent = item.percent(value) if valid and not is_na else None
    if not item.scored:
        return result(answered=valid, not_applicable=False, score=None, max=None)
    score = item_score(item, value if valid else None)
    if score is None:  # `na`, or a ratio with den = 0 scored as not applicable
        return result(
            answered=valid and not is_na,
            not_applicable=True,
            score=None,
            max=None,
            percent=percent,
        )
    most = item.max_points()
    return result(
        answered=valid,
        not_applicable=False,
        score=score,
        max=most,
        percent=percent,
        failed=valid and most is not None and item.fails(score, most),
    )
