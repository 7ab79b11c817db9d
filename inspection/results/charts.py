"""The plan's charts as SVG, laid out here and drawn by one Jinja template
(results/chart.svg): no chart library, nothing run in the browser. Each bar carries what it
shows as data attributes (`data-unit`, `data-area`, `data-score`, `data-max`), and its length
is its value over its maximum, so a reader (or a test) can check the figures against the API.

Sized for a phone: 360 units wide, labels of 13 units, so the chart reads at 390 px and scales
up to a page or a printed A4 column.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from inspection.notices.content import vn_number
from inspection.results.scores import Frequent, UnitScore, ranked

WIDTH = 360
LABEL_WIDTH = 124  # unit names left of the bars
BAR_X = LABEL_WIDTH + 4
BAR_ROOM = WIDTH - BAR_X - 56  # what a full bar spans; the rest holds its value
ROW = 22
BAR = 14
HEADING = 26
LABEL_CHARS = 18  # about what fits in LABEL_WIDTH at 13 units
LINE_CHARS = 52  # a full-width label line
HEADING_CHARS = 46  # a full-width heading line (bold, larger)
NAMES = ("totals", "areas", "findings")
MOST_FREQUENT = 10


@dataclass(frozen=True)
class Bar:
    label: str  # as shown (shortened)
    full: str  # the whole label, in a <title>
    value: Decimal
    max: Decimal
    text: str  # the figure written after the bar
    y: float
    x: float = BAR_X
    room: float = BAR_ROOM
    lines: tuple[str, ...] = ()  # a label above the bar, on its own lines
    data: dict[str, str] = field(default_factory=dict)

    @property
    def length(self) -> float:
        if not self.max:
            return 0.0
        return round(float(self.value / self.max) * self.room, 2)


@dataclass(frozen=True)
class Heading:
    text: str
    y: float


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    headings: tuple[Heading, ...]
    bars: tuple[Bar, ...]
    height: float
    empty: str = ""  # what the chart says when it has nothing to show
    width: int = WIDTH

    @property
    def label_x(self) -> int:
        return LABEL_WIDTH


def totals_chart(scores: Sequence[UnitScore]) -> Chart:
    """Each unit's total over its maximum, ranked."""
    bars, y = [], 6.0
    for s in ranked(scores):
        text = f"{vn_number(s.total)}/{vn_number(s.max)}"
        if not s.complete:
            text += " *"
        bars.append(_unit_bar(s, s.total, s.max, text, y, area=""))
        y += ROW
    return Chart(
        name="totals",
        title="Tổng điểm của các đơn vị",
        headings=(),
        bars=tuple(bars),
        height=max(y, ROW) + 6,
        empty="Chưa có điểm.",
    )


def areas_chart(
    scores: Sequence[UnitScore],
    areas: Sequence[tuple[str, str]],
    *,
    first: int = 1,
    name: str = "areas",
) -> Chart:
    """Per area (`areas`: key, title; numbered from `first`), each unit's points over the
    area's maximum."""
    bars, headings, y = [], [], 4.0
    for number, (key, title) in enumerate(areas, start=first):
        for line in textwrap.wrap(
            f"{number}. {title}", HEADING_CHARS, max_lines=2, placeholder=" …"
        ):
            headings.append(Heading(line, y + 15))
            y += 17
        y += HEADING - 17
        for s in ranked(scores):
            area = s.area(key)
            if area is None:
                continue
            text = f"{vn_number(area.score)}/{vn_number(area.max)}"
            bars.append(_unit_bar(s, area.score, area.max, text, y, area=key))
            y += ROW
        y += 6
    return Chart(
        name=name,
        title="Điểm của các đơn vị theo lĩnh vực",
        headings=tuple(headings),
        bars=tuple(bars),
        height=max(y, ROW) + 4,
        empty="Chưa có điểm.",
    )


def findings_chart(found: Sequence[Frequent], units: int) -> Chart:
    """The most frequent deficiencies: how many of the `units` share each."""
    bars, y = [], 4.0
    for group in found[:MOST_FREQUENT]:
        lines = tuple(textwrap.wrap(group.text, LINE_CHARS, max_lines=2, placeholder=" …"))
        y += 15 * len(lines)
        bars.append(
            Bar(
                label="",
                full=f"{group.text} ({', '.join(group.units)})",
                value=Decimal(len(group.units)),
                max=Decimal(max(units, 1)),
                text=f"{len(group.units)}/{units} đơn vị",
                y=y,
                x=0,
                room=WIDTH - 96,
                lines=lines,
                data={"item": group.item_key, "units": str(len(group.units))},
            )
        )
        y += ROW + 4
    return Chart(
        name="findings",
        title="Các hạn chế, tồn tại thường gặp",
        headings=(),
        bars=tuple(bars),
        height=max(y, ROW) + 2,
        empty="Chưa có hạn chế, tồn tại.",
    )


def _unit_bar(
    s: UnitScore, value: Decimal, maximum: Decimal, text: str, y: float, *, area: str
) -> Bar:
    return Bar(
        label=_shorten(_without_committee(s.unit), LABEL_CHARS),
        full=s.unit,
        value=value,
        max=maximum,
        text=text,
        y=y,
        data={
            "visit": str(s.visit_id),
            "unit": s.unit,
            "area": area,
            "score": str(value),
            "max": str(maximum),
        },
    )


def _without_committee(unit: str) -> str:
    """A unit's name without the "UBND " every commune's name begins with, so that what tells
    communes apart fits the label ("xã Ninh Xuân")."""
    return unit[5:] if unit.upper().startswith("UBND ") and len(unit) > 5 else unit


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
