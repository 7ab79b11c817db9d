"""A plan's results, read from the database: the overview of its visits (live score sheets,
deficiencies, last activity), its charts, the spreadsheet, and the report over its issued
notices. The figures come from one place (results/scores.py) for all of them."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import force_locale
from sqlmodel import Session, col, func, select

from inspection.checklist import Template
from inspection.documents.decree import code_with, on_behalf
from inspection.errors import N_, Conflict, ValidationError
from inspection.labels import band_label, status_labels_all
from inspection.library import TemplateLibrary
from inspection.models import (
    AuditEvent,
    Finding,
    FindingStatus,
    Notice,
    Plan,
    Visit,
    VisitStatus,
    stored_id,
)
from inspection.results import spreadsheet
from inspection.results.charts import Chart, areas_chart, findings_chart, totals_chart
from inspection.results.report import FollowUp, Issued, ReportContent, report_recipients
from inspection.results.scores import (
    Found,
    Frequent,
    UnitScore,
    frequent,
    from_notice,
    from_sheet,
    ranked,
)
from inspection.scoring import ScoreSheet
from inspection.services.agency import get_agency
from inspection.services.notices import content_of
from inspection.services.plans import TemplateUnavailable, pinned_template, plan_visits_with_scores
from inspection.workflow import NOTICE_STATES

DOCUMENT = "vi"  # the report and the spreadsheet are in Vietnamese, whatever the page's language
STILL_OPEN = (FindingStatus.OPEN, FindingStatus.REPORTED)
PROVISIONAL = "Tạm tính"


class NoNotices(Conflict):
    code = "no_notices"

    def __init__(self) -> None:
        super().__init__(
            N_("The plan report is made from issued notices: none is issued in this plan yet.")
        )


# The overview ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitRow:
    visit: Visit
    sheet: ScoreSheet | None  # None while the plan's checklist is unavailable
    findings: int  # deficiencies not withdrawn
    last_activity: dt.datetime | None

    @property
    def score(self) -> UnitScore | None:
        if self.sheet is None:
            return None
        return from_sheet(stored_id(self.visit), self.visit.unit.name, self.sheet)


@dataclass(frozen=True)
class Overview:
    plan: Plan
    template: Template[Any] | None
    rows: list[VisitRow]  # the visits the filters keep
    progress: dict[str, int]  # every visit of the plan, by status
    status: str  # the filters ("" keeps all)
    area: str
    frequent: list[Frequent]

    @property
    def areas(self) -> list[tuple[str, str]]:
        """Every area of the checklist (key, title), or only the one filtered on."""
        if self.template is None:
            return []
        return [(s.key, s.title) for s in self.template.sections if self.area in ("", s.key)]

    @property
    def first_area(self) -> int:
        """The number of the first area shown, as the checklist numbers it."""
        if self.template is None or not self.area:
            return 1
        keys = [s.key for s in self.template.sections]
        return keys.index(self.area) + 1

    @property
    def visits(self) -> int:
        """How many visits the plan has (whatever the filters)."""
        return sum(self.progress.values())

    @property
    def with_notice(self) -> int:
        """How many of them have their conclusion notice."""
        return sum(n for status, n in self.progress.items() if status in NOTICE_STATES)

    @property
    def scores(self) -> list[UnitScore]:
        return [s for row in self.rows if (s := row.score) is not None]

    def chart(self, name: str) -> Chart:
        """One of charts.NAMES (KeyError for another)."""
        draw: dict[str, Callable[[], Chart]] = {
            "totals": lambda: totals_chart(self.scores),
            "areas": lambda: areas_chart(self.scores, self.areas, first=self.first_area),
            "findings": lambda: findings_chart(self.frequent, len(self.rows)),
        }
        return draw[name]()

    def area_charts(self) -> list[Chart]:
        """The areas chart cut in one chart per area, as a page shows and prints it (a chart
        never splits across printed pages)."""
        return [
            areas_chart(self.scores, [area], first=n, name=f"area-{n}")
            for n, area in enumerate(self.areas, start=self.first_area)
        ]


def overview(
    session: Session, library: TemplateLibrary, plan: Plan, *, status: str = "", area: str = ""
) -> Overview:
    """The plan's visits with their scores, deficiencies and last activity; `status` keeps the
    visits in that state, `area` that area's scores and frequent deficiencies (each visit's
    count of deficiencies stays whole); 400 for a state or area there is not."""
    template = _template(library, plan)
    fields: dict[str, str] = {}
    if status and status not in set(VisitStatus):
        fields["status"] = N_("is not a visit status")
    sections = {s.key: s for s in template.sections} if template else {}
    if area and area not in sections:
        fields["area"] = N_("is not an area of the plan's checklist")
    if fields:
        raise ValidationError(N_("The filter was not understood."), fields=fields)
    pairs = plan_visits_with_scores(session, library, plan)
    progress = Counter(v.status for v, _ in pairs)
    kept = [(v, s) for v, s in pairs if status in ("", v.status)]
    ids = [stored_id(v) for v, _ in kept]
    counts = _finding_counts(session, ids)
    activity = _last_activity(session, ids)
    rows = [
        VisitRow(v, s, counts.get(stored_id(v), 0), activity.get(stored_id(v))) for v, s in kept
    ]
    in_area = {i.key for i in sections[area].items} if area else None
    units = {stored_id(v): v.unit.name for v, _ in kept}
    found = [
        Found(units[f.visit_id], f.item_key, f.text)
        for f in _active_findings(session, ids)
        if in_area is None or f.item_key in in_area
    ]
    grouped = _frequent(found, template)
    return Overview(plan, template, rows, dict(progress), status, area, grouped)


def overview_public(view: Overview, urls: Callable[[Visit], str]) -> dict[str, Any]:
    """API.md's overview, with the filters, the progress and each visit's band and page."""
    visits = []
    for row in view.rows:
        sheet = row.sheet
        sections = [] if sheet is None else sheet.sections
        visits.append(
            {
                "id": row.visit.id,
                "unit": row.visit.unit.name,
                "unit_code": row.visit.unit.code,
                "status": row.visit.status,
                "scheduled_on": row.visit.scheduled_on.isoformat(),
                "score": None if sheet is None else float(sheet.total),
                "max": None if sheet is None else float(sheet.max),
                "percent": None if sheet is None or sheet.percent is None else float(sheet.percent),
                "band": None if sheet is None else sheet.band,
                "complete": False if sheet is None else sheet.complete,
                "sections": [
                    {"key": s.key, "title": s.title, "score": float(s.score), "max": float(s.max)}
                    for s in sections
                    if view.area in ("", s.key)
                ],
                "findings": row.findings,
                "last_activity": None
                if row.last_activity is None
                else row.last_activity.isoformat(),
                "url": urls(row.visit),
            }
        )
    return {
        "plan": {"id": view.plan.id, "number": view.plan.number, "title": view.plan.title},
        "filters": {"status": view.status or None, "area": view.area or None},
        "progress": {"visits": view.visits, "by_status": view.progress},
        "visits": visits,
        "frequent_findings": [
            {
                "text": f.text,
                "item_key": f.item_key or None,
                "units": len(f.units),
                "unit_names": list(f.units),
            }
            for f in view.frequent
        ],
    }


def _template(library: TemplateLibrary, plan: Plan) -> Template[Any] | None:
    try:
        return pinned_template(library, plan).form
    except TemplateUnavailable:
        return None


def _finding_counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    query = (
        select(Finding.visit_id, func.count())
        .where(col(Finding.visit_id).in_(ids), col(Finding.withdrawn).is_(False))
        .group_by(col(Finding.visit_id))
    )
    return dict(session.exec(query).all())


def _last_activity(session: Session, ids: list[int]) -> dict[int, dt.datetime]:
    """The time of each visit's last audited change, in one query."""
    if not ids:
        return {}
    query = (
        select(AuditEvent.visit_id, func.max(AuditEvent.at))
        .where(col(AuditEvent.visit_id).in_(ids))
        .group_by(col(AuditEvent.visit_id))
    )
    found: dict[int, dt.datetime] = {}
    for visit_id, at in session.exec(query).all():
        if visit_id is not None and at is not None:
            found[visit_id] = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return found


def _active_findings(session: Session, ids: list[int]) -> list[Finding]:
    if not ids:
        return []
    query = select(Finding).where(col(Finding.visit_id).in_(ids), col(Finding.withdrawn).is_(False))
    return list(session.exec(query.order_by(col(Finding.id))))


def _frequent(found: list[Found], template: Template[Any] | None) -> list[Frequent]:
    titles = {} if template is None else {k: str(i.text) for k, i in template.by_key.items()}
    return frequent(found, titles, list(titles))


# The spreadsheet -------------------------------------------------------------------------------


def scores_workbook(view: Overview) -> bytes:
    """Every visit of the overview, item by item (the filters apply)."""
    template = view.template
    if template is None:
        raise TemplateUnavailable(view.plan)
    columns: list[spreadsheet.Column] = []
    for section in template.sections:
        if view.area not in ("", section.key):
            continue
        for item in section.items:
            columns.append(spreadsheet.Column(item.key, item.key, str(item.text), "item"))
        columns.append(
            spreadsheet.Column(f"area:{section.key}", f"Cộng {section.key}", section.title, "area")
        )
    columns += [
        spreadsheet.Column("total", "Tổng điểm", "", "total"),
        spreadsheet.Column("max", "Điểm tối đa", "", "total"),
        spreadsheet.Column("percent", "Tỷ lệ (%)", "", "total"),
    ]
    with force_locale(DOCUMENT):
        statuses = status_labels_all()
        rows = [_sheet_row(row, statuses, template) for row in view.rows]
    title = f"Bảng điểm {view.plan.number} {view.plan.title}"
    return spreadsheet.workbook(title, columns, rows)


def _sheet_row(
    row: VisitRow, statuses: Mapping[str, str], template: Template[Any]
) -> spreadsheet.Row:
    sheet = row.sheet
    values: dict[str, Decimal | None] = {}
    if sheet is not None:
        for key, result in sheet.items.items():  # empty: not answered, not applicable, hidden
            values[key] = result.score if result.visible and result.answered else None
        for section in sheet.sections:
            values[f"area:{section.key}"] = section.score
        values.update(total=sheet.total, max=sheet.max, percent=sheet.percent)
    visit = row.visit
    return spreadsheet.Row(
        unit=visit.unit.name,
        unit_code=visit.unit.code,
        status=statuses.get(visit.status, visit.status),
        scheduled_on=visit.scheduled_on,
        values=values,
        band=_band(sheet, template),
        findings=row.findings,
    )


def _band(sheet: ScoreSheet | None, template: Template[Any]) -> str:
    """The band, or "tạm tính" while the sheet is provisional (its total is points so far)."""
    if sheet is None:
        return ""
    if not sheet.complete:
        return PROVISIONAL
    return band_label(sheet.band, template.bands) or ""


# The report -----------------------------------------------------------------------------------


def report_content(
    session: Session, library: TemplateLibrary, plan: Plan, *, today: dt.date
) -> ReportContent:
    """The report over the plan's notices in force (a superseded one gives way to its
    correction); 409 `no_notices` before the first is issued."""
    query = (
        select(Notice, Visit)
        .join(Visit, col(Visit.id) == col(Notice.visit_id))
        .where(Visit.plan_id == plan.id, col(Notice.superseded_by_id).is_(None))
        .order_by(col(Visit.scheduled_on), col(Visit.id))
    )
    pairs = list(session.exec(query).all())
    if not pairs:
        raise NoNotices()
    contents = {stored_id(v): content_of(n) for n, v in pairs}
    issued = tuple(
        Issued(stored_id(v), v.unit.name, n.number, n.issued_on, v.scheduled_on) for n, v in pairs
    )
    scores = tuple(ranked(from_notice(vid, c) for vid, c in contents.items()))
    template = _template(library, plan)
    areas = _report_areas(template, contents.values())
    found = [
        Found(c.unit_name, d.item_key, d.text) for c in contents.values() for d in c.deficiencies
    ]
    titles = {
        d.item_key: d.item_title for c in contents.values() for d in c.deficiencies if d.item_key
    }
    order = list(template.by_key) if template is not None else sorted(titles)
    agency = get_agency(session)
    planned = session.exec(select(func.count()).where(Visit.plan_id == plan.id)).one()
    return ReportContent(
        parent_body=agency.parent_body,
        issuer=agency.issuer_name,
        code=code_with("BC", agency.notice_code),
        place_name=agency.place_name,
        issued_on=today,
        year=plan.year,
        plan_number=plan.number,
        plan_issued_on=plan.issued_on,
        plan_title=plan.title,
        decision_number=plan.decision_number,
        decision_on=plan.decision_on,
        planned_visits=int(planned),
        issued=issued,
        scores=scores,
        areas=tuple(areas),
        frequent=tuple(frequent(found, titles, order)),
        follow_up=tuple(_follow_up(session, pairs, contents)),
        signer_on_behalf=on_behalf(agency.issuer_name),
        signer_title=agency.signer_title,
        signer_name=agency.signer_name or plan.lead.full_name,
        recipients=tuple(report_recipients(agency.parent_body, agency.notice_code)),
    )


def _report_areas(template: Template[Any] | None, contents: Any) -> list[tuple[str, str]]:
    """The checklist's areas in its order (or, with the checklist unavailable, as the first
    notice lists them)."""
    if template is not None:
        return [(s.key, s.title) for s in template.sections]
    seen: dict[str, str] = {}
    for content in contents:
        for a in content.areas:
            seen.setdefault(a.key, a.title)
    return list(seen.items())


def _follow_up(
    session: Session, pairs: list[tuple[Notice, Visit]], contents: Mapping[int, Any]
) -> list[FollowUp]:
    ids = [stored_id(v) for _, v in pairs]
    query = (
        select(Finding.visit_id, func.count())
        .where(
            col(Finding.visit_id).in_(ids),
            col(Finding.withdrawn).is_(False),
            col(Finding.status).in_([str(s) for s in STILL_OPEN]),
        )
        .group_by(col(Finding.visit_id))
    )
    still = dict(session.exec(query).all())
    return [
        FollowUp(v.unit.name, n.number, still[stored_id(v)], contents[stored_id(v)].report_due_on)
        for n, v in pairs
        if still.get(stored_id(v))
    ]
