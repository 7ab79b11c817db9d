"""What the plan report (báo cáo kết quả kiểm tra, DOMAIN.md) says, built from the plan's issued
notices (their frozen figures and deficiencies) and, for the follow-up, the deficiencies still
open today. Every sentence the HTML, PDF and DOCX print is here, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

from inspection.checklist.item import HUNDRED, round2
from inspection.documents.dates import long_date, place_and_date, short_date
from inspection.documents.decree import blank_number, issuer_words, keeper, plan_basis
from inspection.notices.content import vn_number
from inspection.results.charts import Chart, areas_chart, findings_chart, totals_chart
from inspection.results.scores import Frequent, UnitScore

TITLE = "BÁO CÁO"
SECTION_ROUND = "I. TÌNH HÌNH TRIỂN KHAI KIỂM TRA"
SECTION_RESULTS = "II. KẾT QUẢ KIỂM TRA"
SECTION_DEFICIENCIES = "III. HẠN CHẾ, TỒN TẠI"
SECTION_PROPOSALS = "IV. KIẾN NGHỊ, ĐỀ XUẤT VÀ THEO DÕI KHẮC PHỤC"
NO_DEFICIENCIES = "Các đơn vị được kiểm tra không có hạn chế, tồn tại."
ALL_REMEDIED = "Các đơn vị đã hoàn thành việc khắc phục hạn chế, tồn tại."
STRONG = 80  # an area's share of its maximum (%, all units together) counted as a strength
STRONGEST = 3


@dataclass(frozen=True)
class Issued:
    """A unit's notice the report is made from."""

    visit_id: int
    unit: str
    number: str
    issued_on: dt.date
    visited_on: dt.date


@dataclass(frozen=True)
class FollowUp:
    """A unit with deficiencies not yet remedied."""

    unit: str
    notice_number: str
    open: int
    report_due_on: dt.date | None


@dataclass(frozen=True)
class ReportContent:
    parent_body: str
    issuer: str
    code: str  # "BC-ĐKT"
    place_name: str
    issued_on: dt.date
    year: int
    plan_number: str
    plan_issued_on: dt.date | None
    plan_title: str
    decision_number: str
    decision_on: dt.date | None
    planned_visits: int
    issued: tuple[Issued, ...]
    scores: tuple[UnitScore, ...]  # ranked
    areas: tuple[tuple[str, str], ...]  # key, title in the checklist's order
    frequent: tuple[Frequent, ...]
    follow_up: tuple[FollowUp, ...]
    signer_on_behalf: str
    signer_title: str
    signer_name: str
    recipients: tuple[str, ...]

    @property
    def number_line(self) -> str:
        return blank_number(self.code)

    @property
    def place_and_date(self) -> str:
        return place_and_date(self.place_name, self.issued_on)

    @property
    def summary(self) -> str:
        return f"Kết quả kiểm tra công tác cải cách hành chính năm {self.year}"

    @property
    def round_lines(self) -> list[str]:
        """I.: the plan, how many units were visited and when."""
        basis = "Thực hiện " + plan_basis(
            plan_number=self.plan_number,
            plan_issued_on=self.plan_issued_on,
            plan_title=self.plan_title,
            decision_number=self.decision_number,
            decision_on=self.decision_on,
            issuer=self.issuer,
        )
        days = sorted(i.visited_on for i in self.issued)
        span = (
            long_date(days[0])
            if days[0] == days[-1]
            else f"từ {long_date(days[0])} đến {long_date(days[-1])}"
        )
        body = issuer_words(self.issuer)
        return [
            f"{basis}, {body} đã tiến hành kiểm tra công tác cải cách hành chính tại"
            f" {len(self.issued)}/{self.planned_visits} đơn vị theo kế hoạch, {span}.",
            f"Sau mỗi cuộc kiểm tra, {body} đã ban hành Thông báo kết luận kiểm tra: "
            + "; ".join(f"{i.unit} (Thông báo số {i.number})" for i in self.issued)
            + ".",
        ]

    @property
    def results_intro(self) -> str:
        return (
            "Kết quả chấm điểm của các đơn vị theo từng lĩnh vực (xếp theo tỷ lệ điểm đạt"
            " từ cao đến thấp):"
        )

    @property
    def strengths(self) -> list[str]:
        """The highest-ranked unit, the areas the units did best in together, and the one
        where they did least well (when below full marks)."""
        lines = []
        if self.scores:
            best = self.scores[0]
            lines.append(f"Đơn vị đạt kết quả cao nhất: {best.unit} ({_points(best)}).")
        shares = [
            (share, title)
            for key, title in self.areas
            if (share := self.area_share(key)) is not None
        ]
        strong = sorted((x for x in shares if x[0] >= STRONG), key=lambda x: -x[0])[:STRONGEST]
        if strong:
            listed = "; ".join(f"{title} ({vn_number(share)}%)" for share, title in strong)
            lines.append(
                f"Các lĩnh vực các đơn vị thực hiện tốt nhất (tỷ lệ điểm đạt chung): {listed}."
            )
        weakest = min(shares, default=None, key=lambda x: x[0])
        if weakest is not None and weakest[0] < 100:
            lines.append(
                f"Lĩnh vực có tỷ lệ điểm đạt thấp nhất: {weakest[1]} ({vn_number(weakest[0])}%)."
            )
        return lines

    def area_share(self, key: str) -> Decimal | None:
        """The units' points in an area over their maximum, together, in % (None: no maximum)."""
        cells = [a for s in self.scores if (a := s.area(key)) is not None]
        maximum = sum((a.max for a in cells), start=Decimal(0))
        if not maximum:
            return None
        return round2(sum((a.score for a in cells), start=Decimal(0)) / maximum * HUNDRED)

    @property
    def deficiencies_intro(self) -> str:
        return (
            "Qua kiểm tra, các hạn chế, tồn tại được ghi nhận như sau (số đơn vị có cùng"
            " hạn chế trong ngoặc):"
        )

    @property
    def proposals(self) -> str:
        return (
            f"Đề nghị các đơn vị được kiểm tra khắc phục dứt điểm các hạn chế, tồn tại theo"
            f" Thông báo kết luận kiểm tra và báo cáo kết quả về {issuer_words(self.issuer)}"
            f" đúng thời hạn; các đơn vị chưa được kiểm tra chủ động rà soát, khắc phục các"
            f" hạn chế thường gặp nêu tại Mục III."
        )

    @property
    def follow_up_intro(self) -> str:
        if not self.follow_up:
            return ALL_REMEDIED
        return "Các đơn vị chưa hoàn thành khắc phục:"

    def follow_up_line(self, entry: FollowUp) -> str:
        line = (
            f"{entry.unit}: còn {entry.open} hạn chế, tồn tại theo Thông báo số"
            f" {entry.notice_number}"
        )
        if entry.report_due_on:
            line += f", hạn báo cáo {short_date(entry.report_due_on)}"
        return line + "."

    def charts(self) -> ReportCharts[Chart]:
        """The report's charts: the totals; the areas, one chart each (so that they flow from
        page to page); the most frequent deficiencies."""
        return ReportCharts(
            totals=totals_chart(self.scores),
            areas=tuple(
                areas_chart(self.scores, [area], first=n, name=f"area-{n}")
                for n, area in enumerate(self.areas, start=1)
            ),
            findings=findings_chart(self.frequent, len(self.scores)),
        )


T = TypeVar("T")
U = TypeVar("U")

AREAS_TITLE = "Điểm của các đơn vị theo lĩnh vực"


@dataclass(frozen=True)
class ReportCharts(Generic[T]):
    """The report's charts, as charts or as what they are drawn into (SVG, PNG)."""

    totals: T
    areas: tuple[T, ...]
    findings: T

    def map(self, draw: Callable[[T], U]) -> ReportCharts[U]:
        return ReportCharts(
            draw(self.totals), tuple(draw(a) for a in self.areas), draw(self.findings)
        )


def report_recipients(parent_body: str, notice_code: str) -> list[str]:
    """ "Nơi nhận": the body the report goes to, the units inspected, the archive."""
    above = parent_body.strip() or "Cơ quan cấp trên"
    return [
        f"{above} (để báo cáo);",
        "Các đơn vị được kiểm tra;",
        f"Lưu: VT, {keeper(notice_code)}.",
    ]


def _points(score: UnitScore) -> str:
    text = f"{vn_number(score.total)}/{vn_number(score.max)} điểm"
    if score.percent is not None:
        text += f", {vn_number(score.percent)}%"
    if score.band:
        text += f", xếp loại {score.band}"
    return text
