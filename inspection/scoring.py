"""The scoring engine: (template, answers) → score sheet. Pure functions: no Flask, no database.

Decimal arithmetic throughout: each item's score is rounded half-up to 2 decimals, sections and the
total are sums of those, the percentage is rounded half-up to 2 decimals and bands compare that
rounded percentage (CHECKLIST-FORMAT.md, "The score sheet").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from inspection.checklist import (
    DEFAULT_BANDS,
    SCORED_TYPES,
    answer_error,
    item_max,
    iter_items,
    to_decimal,
)

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
NA = "na"


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


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

    @property
    def scorable(self) -> bool:
        """Counts towards "n of m at full marks": applicable, scored, worth more than 0."""
        return self.max is not None and self.max > 0

    @property
    def full_marks(self) -> bool:
        return self.scorable and self.score == self.max

    @property
    def failed(self) -> bool:
        """Answered (not `na`), applicable and scored below its points."""
        return (
            self.answered
            and self.max is not None
            and self.score is not None
            and self.score < self.max
        )


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


@dataclass(frozen=True)
class ScoreSheet:
    total: Decimal
    max: Decimal
    percent: Decimal | None
    band: str | None
    full_marks: int  # n of "n of m at full marks"
    scorable: int  # m
    answered: int  # x of "answered x of y"
    answerable: int  # y
    sections: list[SectionResult]

    @property
    def items(self) -> dict[str, ItemResult]:
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
            "full_marks": self.full_marks,
            "scorable": self.scorable,
            "answered": self.answered,
            "answerable": self.answerable,
            "sections": [
                {"key": s.key, "title": s.title, "score": float(s.score), "max": float(s.max)}
                for s in self.sections
            ],
            "failed": [r.key for r in self.failed],
        }


def visible_keys(template: Mapping[str, Any], answers: Mapping[str, Any]) -> set[str]:
    """Items that apply given the answers: no `show_if`, or a visible controller answered with
    the expected value (an unanswered, `na` or hidden controller hides its dependants)."""
    items = {item["key"]: item for _, item in iter_items(template)}
    memo: dict[str, bool] = {}

    def visible(key: str) -> bool:
        if key not in memo:
            rule = items[key].get("show_if")
            if rule is None:
                memo[key] = True
            else:
                controller = rule["item"]
                value = answers.get(controller)
                memo[key] = (
                    visible(controller)
                    and value is not None
                    and value != NA
                    and _same(value, rule["equals"])
                )
        return memo[key]

    return {key for key in items if visible(key)}


def _same(value: Any, expected: Any) -> bool:
    if isinstance(value, bool) or isinstance(expected, bool):
        return value is expected
    if isinstance(value, int | float) and isinstance(expected, int | float):
        return to_decimal(value) == to_decimal(expected)
    return value == expected


def ratio_percent(num: int, den: int) -> Decimal | None:
    return _percent(num, den) if den else None


def _percent(num: int, den: int) -> Decimal:
    return round2(Decimal(num) / Decimal(den) * HUNDRED)


def item_score(item: Mapping[str, Any], value: Any) -> Decimal | None:
    """Score of one applicable answered item, rounded; None means "not applicable" (leaves both
    the score and the maximum). An unanswered item scores 0."""
    points = item_max(item)
    if points is None:
        return None
    if value is None or answer_error(item, value) is not None:
        return Decimal(0)
    if value == NA:
        return None
    kind = item["type"]
    if kind == "yes_no":
        return points if value == "yes" else Decimal(0)
    if kind == "choice":
        return round2(next(to_decimal(o["points"]) for o in item["options"] if o["value"] == value))
    if kind == "score":
        return round2(to_decimal(value))
    return _ratio_score(item, points, value["num"], value["den"])


def _ratio_score(item: Mapping[str, Any], points: Decimal, num: int, den: int) -> Decimal | None:
    if den == 0:
        on_empty = item.get("on_empty", "na")
        return None if on_empty == "na" else (points if on_empty == "full" else Decimal(0))
    if "steps" in item:
        # Steps compare the percentage as shown (2 decimals), so 97,996% shows 98,00% and
        # earns the 98% step.
        percent = _percent(num, den)
        for step in item["steps"]:
            if to_decimal(step["min"]) <= percent:
                return round2(to_decimal(step["points"]))
        return Decimal(0)
    target = to_decimal(item.get("target", 100))
    share = min(Decimal(num) * HUNDRED / (Decimal(den) * target), Decimal(1))
    return round2(points * share)


def band_for(percent: Decimal | None, bands: list[Mapping[str, Any]] | None) -> str | None:
    if percent is None:
        return None
    for band in bands or DEFAULT_BANDS:
        if to_decimal(band["min"]) <= percent:
            return band["label"]
    return None


def score_sheet(template: Mapping[str, Any], answers: Mapping[str, Any]) -> ScoreSheet:
    """The whole score sheet of a (validated) template for answers keyed by item key."""
    shown = visible_keys(template, answers)
    sections = []
    for section in template["sections"]:
        results = [_item_result(section["key"], item, answers, shown) for item in section["items"]]
        sections.append(
            SectionResult(
                key=section["key"],
                title=section["title"],
                score=sum((r.score for r in results if r.score is not None), Decimal(0)),
                max=sum((r.max for r in results if r.max is not None), Decimal(0)),
                items=results,
            )
        )
    total = sum((s.score for s in sections), Decimal(0))
    maximum = sum((s.max for s in sections), Decimal(0))
    percent = round2(total / maximum * HUNDRED) if maximum else None
    every = [r for s in sections for r in s.items]
    applicable = [r for r in every if r.visible]
    return ScoreSheet(
        total=total,
        max=maximum,
        percent=percent,
        band=band_for(percent, template.get("bands")),
        full_marks=sum(1 for r in every if r.full_marks),
        scorable=sum(1 for r in every if r.scorable),
        answered=sum(1 for r in applicable if r.answered or r.not_applicable),
        answerable=len(applicable),
        sections=sections,
    )


def _item_result(
    section_key: str, item: Mapping[str, Any], answers: Mapping[str, Any], shown: set[str]
) -> ItemResult:
    key, kind = item["key"], item["type"]
    value = answers.get(key)
    valid = value is not None and answer_error(item, value) is None
    visible = key in shown
    base = {"key": key, "section": section_key, "type": kind, "visible": visible}
    if not visible:
        return ItemResult(**base, answered=False, not_applicable=False, score=None, max=None)
    is_na = valid and value == NA
    percent = None
    if kind == "ratio" and valid and value is not None and not is_na:
        percent = ratio_percent(value["num"], value["den"])
    if kind not in SCORED_TYPES:
        return ItemResult(**base, answered=valid, not_applicable=False, score=None, max=None)
    score = item_score(item, value if valid else None)
    if score is None:  # `na`, or a ratio with den = 0 scored as not applicable
        return ItemResult(
            **base,
            answered=valid and not is_na,
            not_applicable=True,
            score=None,
            max=None,
            percent=percent,
        )
    return ItemResult(
        **base,
        answered=valid,
        not_applicable=False,
        score=score,
        max=item_max(item),
        percent=percent,
    )
