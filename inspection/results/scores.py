"""One unit's scores, per area and in total, whatever they were read from: a visit's live score
sheet (the overview, the spreadsheet) or an issued notice's frozen content (the report). The
charts and tables take these, so the same unit shows the same figures everywhere."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from inspection.checklist.item import HUNDRED, round2
from inspection.notices.content import NoticeContent
from inspection.scoring import ScoreSheet


@dataclass(frozen=True)
class AreaScore:
    key: str
    title: str
    score: Decimal
    max: Decimal

    @property
    def share(self) -> Decimal | None:
        """The area's points as a percentage of its maximum (None for a maximum of 0)."""
        return round2(self.score / self.max * HUNDRED) if self.max else None


@dataclass(frozen=True)
class UnitScore:
    visit_id: int
    unit: str
    total: Decimal
    max: Decimal
    percent: Decimal | None  # None while provisional
    band: str
    complete: bool
    areas: tuple[AreaScore, ...]

    def area(self, key: str) -> AreaScore | None:
        return next((a for a in self.areas if a.key == key), None)

    @property
    def share(self) -> Decimal | None:
        return round2(self.total / self.max * HUNDRED) if self.max else None


def from_sheet(visit_id: int, unit: str, sheet: ScoreSheet) -> UnitScore:
    return UnitScore(
        visit_id=visit_id,
        unit=unit,
        total=sheet.total,
        max=sheet.max,
        percent=sheet.percent,
        band=sheet.band or "",
        complete=sheet.complete,
        areas=tuple(AreaScore(s.key, s.title, s.score, s.max) for s in sheet.sections),
    )


def from_notice(visit_id: int, content: NoticeContent) -> UnitScore:
    return UnitScore(
        visit_id=visit_id,
        unit=content.unit_name,
        total=Decimal(content.total),
        max=Decimal(content.max),
        percent=None if content.percent is None else Decimal(content.percent),
        band=content.band,
        complete=True,
        areas=tuple(
            AreaScore(a.key, a.title, Decimal(a.score), Decimal(a.max)) for a in content.areas
        ),
    )


def ranked(scores: Iterable[UnitScore]) -> list[UnitScore]:
    """Highest share of the maximum first (provisional ones after the complete), then by name."""
    return sorted(
        scores,
        key=lambda s: (not s.complete, -(s.share or Decimal(0)), s.unit.casefold()),
    )


@dataclass(frozen=True)
class Frequent:
    """A deficiency found at several units: the checklist item it is tied to (its words), or the
    deficiency's own words when tied to none, with the units that share it."""

    item_key: str
    text: str
    units: tuple[str, ...]


@dataclass(frozen=True)
class Found:
    """One deficiency as the grouping reads it."""

    unit: str
    item_key: str
    text: str


def frequent(
    found: Iterable[Found], titles: Mapping[str, str], order: Sequence[str]
) -> list[Frequent]:
    """Deficiencies grouped by item (or, untied, by their words), most units first, then in the
    checklist's order."""
    groups: dict[tuple[str, str], tuple[str, set[str]]] = {}
    for f in found:
        if f.item_key and f.item_key in titles:
            key, text = ("item", f.item_key), titles[f.item_key]
        else:
            key, text = ("text", _plain(f.text)), " ".join(f.text.split())
        groups.setdefault(key, (text, set()))[1].add(f.unit)
    position = {k: n for n, k in enumerate(order)}
    items = sorted(
        groups.items(),
        key=lambda kv: (
            -len(kv[1][1]),
            position.get(kv[0][1], len(position)) if kv[0][0] == "item" else len(position),
            kv[1][0].casefold(),
        ),
    )
    return [
        Frequent(
            item_key=key[1] if key[0] == "item" else "",
            text=text,
            units=tuple(sorted(units, key=str.casefold)),
        )
        for key, (text, units) in items
    ]


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold().rstrip(".")
