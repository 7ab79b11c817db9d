"""The notice's content from the approved record and the lead's draft.

Figures and deficiencies come from the record; the lead's paragraphs, the deadlines the notice
sets, the recipients and the signer from the draft, each with a default a clerk would write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inspection.checklist import Template
from inspection.documents.decree import keeper, on_behalf
from inspection.formatting import format_moment
from inspection.models import Agency, Finding, Photo, User, Visit
from inspection.notices.content import AnnexPhoto, Area, Deficiency, NoticeContent, Person
from inspection.scoring import ScoreSheet

SUMMARY = "Kết luận kiểm tra công tác cải cách hành chính tại {unit}"


@dataclass(frozen=True)
class Draft:
    """The lead's part of a notice (from its NoticeDraft row)."""

    narrative: Mapping[str, Any] = field(default_factory=dict)
    due_dates: Mapping[int, dt.date] = field(default_factory=dict)
    texts: Mapping[int, Mapping[str, str]] = field(
        default_factory=dict
    )  # finding id → text, remedy
    report_due_on: dt.date | None = None
    recipients: str = ""
    signer_name: str = ""
    photo_annex: bool = False


@dataclass(frozen=True)
class Record:
    """What the approved visit holds, read by the service."""

    visit: Visit
    agency: Agency
    lead: User
    inspectors: list[User]
    template: Template[Any]
    sheet: ScoreSheet
    findings: list[Finding]
    photos: list[Photo]
    timezone: str


def build_content(record: Record, draft: Draft, *, issued_on: dt.date) -> NoticeContent:
    """The notice as issued on `issued_on`, without its number (given when it is issued)."""
    visit, agency, sheet = record.visit, record.agency, record.sheet
    plan, unit_name = visit.plan, visit.unit.name
    narrative = draft.narrative
    deficiencies = deficiencies_of(record, draft)
    return NoticeContent(
        parent_body=agency.parent_body,
        issuer=agency.issuer_name,
        code=agency.notice_code,
        place_name=agency.place_name,
        issued_on=issued_on,
        unit_name=unit_name,
        summary=SUMMARY.format(unit=unit_name),
        plan_number=plan.number,
        plan_issued_on=plan.issued_on,
        plan_title=plan.title,
        decision_number=plan.decision_number,
        decision_on=plan.decision_on,
        visited_on=visit.scheduled_on,
        place=visit.place,
        team=team(record),
        unit_people=unit_people(visit),
        opening=str(narrative.get("opening", "")),
        areas=[
            Area(
                key=s.key,
                title=s.title,
                score=str(s.score),
                max=str(s.max),
                narrative=str(narrative.get("areas", {}).get(s.key, "")),
            )
            for s in sheet.sections
        ],
        total=str(sheet.total),
        max=str(sheet.max),
        percent=None if sheet.percent is None else str(sheet.percent),
        band=sheet.band or "",
        results=str(narrative.get("results", "")),
        deficiencies=deficiencies,
        requirements=str(
            narrative.get("requirements") or default_requirements(unit_name, deficiencies)
        ),
        implementation=str(narrative.get("implementation", "")),
        report_due_on=draft.report_due_on or default_report_due(deficiencies),
        signer_on_behalf=on_behalf(agency.issuer_name),
        signer_title=agency.signer_title,
        signer_name=draft.signer_name or record.lead.full_name or agency.signer_name,
        recipients=recipient_lines(draft.recipients)
        or default_recipients(unit_name, agency.notice_code),
        annex=annex(record) if draft.photo_annex else [],
    )


def team(record: Record) -> list[Person]:
    lead = record.lead
    members = [Person(name=lead.full_name, position=_joined(lead.position, "Trưởng đoàn"))]
    for user in sorted(record.inspectors, key=lambda u: u.full_name):
        if user.id != lead.id:
            members.append(
                Person(name=user.full_name, position=_joined(user.position, "Thành viên"))
            )
    return members


def unit_people(visit: Visit) -> list[Person]:
    """The unit's participants as the plan's lead listed them on the visit."""
    return [
        Person(name=p.get("name", ""), position=p.get("position", "")) for p in visit.participants
    ]


def deficiencies_of(record: Record, draft: Draft) -> list[Deficiency]:
    """The deficiencies not withdrawn, in the checklist's order (those tied to no item last)."""
    order = {key: n for n, key in enumerate(record.template.by_key)}
    active = [f for f in record.findings if not f.withdrawn and f.id is not None]
    active.sort(key=lambda f: (order.get(f.item_key, len(order)), f.id or 0))
    found = []
    for f in active:
        fid = f.id or 0
        item = record.template.by_key.get(f.item_key)
        found.append(
            Deficiency(
                finding_id=fid,
                item_key=f.item_key,
                item_title=item.text if item is not None else "",
                text=f.text,
                remedy=f.remedy,
                severity=f.severity,
                responsible=f.responsible,
                due_on=draft.due_dates.get(fid, f.due_on),
            )
        )
    return found


def annex(record: Record) -> list[AnnexPhoto]:
    titles = {key: item.text for key, item in record.template.by_key.items()}
    texts = {f.id: f.text for f in record.findings}
    photos = []
    for photo in record.photos:
        subjects = [titles.get(link.item_key, "") for link in photo.links if link.item_key]
        subjects += [texts.get(link.finding_id, "") for link in photo.finding_links]
        photos.append(
            AnnexPhoto(
                photo_id=photo.id or 0,
                sha256=photo.sha256,
                caption=photo.caption,
                subject="; ".join(s for s in subjects if s),
                taken_at=photo.taken_at,
                taken_at_text=format_moment(photo.taken_at, record.timezone)
                if photo.taken_at
                else "",
            )
        )
    return photos


def default_requirements(unit_name: str, deficiencies: Iterable[Deficiency]) -> str:
    if not list(deficiencies):
        return f"Đề nghị {unit_name} tiếp tục phát huy những kết quả đạt được."
    return f"Đề nghị Chủ tịch {unit_name} chỉ đạo khắc phục các hạn chế, tồn tại nêu trên, cụ thể:"


def default_report_due(deficiencies: Iterable[Deficiency]) -> dt.date | None:
    dates = [d.due_on for d in deficiencies if d.due_on is not None]
    return max(dates) if dates else None


def default_recipients(unit_name: str, code: str) -> list[str]:
    return [f"{unit_name};", "Thành viên Đoàn kiểm tra;", f"Lưu: VT, {keeper(code)}."]


def recipient_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _joined(position: str, role: str) -> str:
    return f"{position} - {role}" if position else role
