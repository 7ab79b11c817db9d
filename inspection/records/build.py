"""The on-site record's content from the visit as it stands: its people, every applicable item
with its answer in words and its points, the score sheet and the deficiencies not withdrawn."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from inspection.documents.decree import code_with
from inspection.notices.build import Draft as NoDraft
from inspection.notices.build import Record, deficiencies_of, team, unit_people
from inspection.notices.content import vn_number
from inspection.records.content import NOT_ANSWERED, Answered, AreaResult, Noted, RecordContent
from inspection.scoring import ItemResult

NOT_APPLICABLE = "Không áp dụng"


def build_record(
    record: Record, described: Mapping[str, str], *, now: dt.datetime | None
) -> RecordContent:
    """`described`: each answered item's answer in words (Vietnamese); `now`: the moment of
    printing in the agency's time zone, written as the record's time when it is the visit's day
    (on another day the time is left blank, to be written by hand)."""
    visit, agency, sheet = record.visit, record.agency, record.sheet
    plan = visit.plan
    people = unit_people(visit)
    made_at = ""
    if now is not None and now.date() == visit.scheduled_on:
        made_at = f"{now.hour:02d} giờ {now.minute:02d}"
    areas = []
    by_key = record.template.by_key
    for number, section in enumerate(sheet.sections, start=1):
        items = []
        shown = [r for r in section.items if r.visible]
        for index, result in enumerate(shown, start=1):
            item = by_key[result.key]
            items.append(
                Answered(
                    number=f"{number}.{index}",
                    text=str(item.text),
                    answer=NOT_APPLICABLE
                    if result.not_applicable
                    else described.get(result.key, NOT_ANSWERED),
                    points=_points(result),
                )
            )
        areas.append(
            AreaResult(
                key=section.key,
                title=section.title,
                score=str(section.score),
                max=str(section.max),
                items=items,
            )
        )
    return RecordContent(
        parent_body=agency.parent_body,
        issuer=agency.issuer_name,
        code=code_with("BB", agency.notice_code),
        place_name=agency.place_name,
        made_at=made_at,
        unit_name=visit.unit.name,
        plan_number=plan.number,
        plan_issued_on=plan.issued_on,
        plan_title=plan.title,
        decision_number=plan.decision_number,
        decision_on=plan.decision_on,
        visited_on=visit.scheduled_on,
        place=visit.place,
        team=team(record),
        unit_people=people,
        form_title=record.template.title,
        areas=areas,
        total=str(sheet.total),
        max=str(sheet.max),
        percent=None if sheet.percent is None else str(sheet.percent),
        band=sheet.band or "",
        complete=sheet.complete,
        waiting=sheet.waiting,
        deficiencies=[Noted(text=d.text) for d in deficiencies_of(record, NoDraft())],
        lead_name=record.lead.full_name,
        unit_signer=people[0].name if people else "",
    )


def _points(result: ItemResult) -> str:
    if result.not_applicable or not result.max or result.score is None:
        return ""  # not applicable (the answer says so), or worth no points
    return f"{vn_number(str(result.score))}/{vn_number(str(result.max))}"
