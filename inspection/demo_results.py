"""Demo visits carried through the whole process, for `make run`: Ninh Xuân and Ninh Hưng
answered in full (a few items failed, as the seeds tell), with photos of the public postings,
their deficiencies in the template's words, submitted and approved; Ninh Xuân's conclusion
notice issued (the unit account `ninhxuan` reads it), Ninh Hưng's left for the lead to draft
and issue. Idempotent: a visit past `planned` is left as it is.

It uses the services as the tablets and the lead do, so what it makes is what they make."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from PIL import Image, ImageDraw
from sqlmodel import Session, select

from inspection.library import TemplateLibrary
from inspection.models import Plan, User, Visit, VisitStatus, utcnow
from inspection.services import answers, findings, notices, review, units, users, visit_photos
from inspection.services.agency import agency_timezone
from inspection.storage import PhotoStore

INSPECTOR, LEAD = "thanhvien1", "truongdoan"
ANSWERED_AT = "T09:30:00+07:00"  # on the visit's day


@dataclass(frozen=True)
class Result:
    """What one unit's visit found: answers differing from full marks, and whether its notice
    is issued in the demo."""

    unit_code: str
    answers: dict[str, Any]
    issued: bool


RESULTS = (
    Result(
        "ninh-xuan",
        {
            "niem-yet-qr": "no",
            "co-ho-so-tre-han": "yes",
            "ty-le-dung-han": {"num": 483, "den": 486},
            "thu-xin-loi": "no",
            "ty-le-so-hoa": {"num": 312, "den": 520},
        },
        issued=True,
    ),
    Result(
        "ninh-hung",
        {"bao-cao-cchc": "no", "ty-le-thanh-toan": {"num": 41, "den": 260}},
        issued=False,
    ),
)
FACTS = {"number": 126, "date": "2024-01-15"}
NARRATIVE = (
    "{unit} quan tâm chỉ đạo công tác cải cách hành chính; Bộ phận Một cửa bố trí đủ trang thiết"
    " bị, công chức tiếp nhận hồ sơ đúng quy định. Một số nội dung còn hạn chế như nêu tại mục II."
)


def record_results(
    session: Session, library: TemplateLibrary, store: PhotoStore, *, plan: Plan
) -> None:
    inspector, lead = (
        users.find_by_username(session, INSPECTOR),
        users.find_by_username(session, LEAD),
    )
    if inspector is None or lead is None:
        return
    for result in RESULTS:
        visit = _visit_of(session, plan, result.unit_code)
        if visit is None or visit.status != VisitStatus.PLANNED:
            continue
        _answer(session, library, visit, inspector, result)
        _photograph(session, library, store, visit, inspector)
        _record_findings(session, library, visit, inspector)
        review.submit(session, library, visit=visit, user=inspector)
        review.approve(session, library, visit=visit, user=lead)
        if result.issued:
            _issue(session, library, store, visit, lead)


def _visit_of(session: Session, plan: Plan, unit_code: str) -> Visit | None:
    unit = units.get_by_code(session, unit_code)
    if unit is None:
        return None
    query = select(Visit).where(Visit.plan_id == plan.id, Visit.unit_id == unit.id)
    return session.exec(query).first()


def _answer(
    session: Session, library: TemplateLibrary, visit: Visit, user: User, result: Result
) -> None:
    template = answers.template_of(library, visit)
    at = f"{visit.scheduled_on.isoformat()}{ANSWERED_AT}"
    entries = []
    for item in template.items():
        value = result.answers.get(item.key, _best(item))
        if value is None:
            continue
        body = {"item_key": item.key, "value": value, "client_id": str(uuid.uuid4())}
        entries.append(answers.AnswerWrite.parse({**body, "answered_at": at}, batch=True))
    outcome = answers.apply_batch(session, library, visit=visit, user=user, data=entries)
    if outcome.result != answers.BatchResult.APPLIED:
        raise RuntimeError(f"the demo answers of {visit.unit.name} were refused: {outcome}")
    for warning in answers.visit_sheet(session, library, visit).warnings:
        explanation = review.ExplanationWrite(explanation="Đã đối chiếu với sổ theo dõi.")
        review.explain(
            session, library, visit=visit, user=user, check_key=warning.key, data=explanation
        )


def _best(item: Any) -> Any:
    """Full marks for a scored item, a plausible fact for a required one (None: unanswered)."""
    kind = item.type
    if kind == "yes_no":
        return "yes"
    if kind == "choice":
        return max(item.options, key=lambda option: option.points).value
    if kind == "score":
        return int(item.points) if item.points == int(item.points) else float(item.points)
    if kind == "ratio":
        return {"num": 250, "den": 250}
    return FACTS.get(kind) if item.required else None


def _photograph(
    session: Session, library: TemplateLibrary, store: PhotoStore, visit: Visit, user: User
) -> None:
    """The photos the template requires: a drawn posting board for each."""
    template = answers.template_of(library, visit)
    timezone = agency_timezone(session, default=current_app.config["TIMEZONE"])
    for n, item in enumerate(i for i in template.items() if i.photos_needed):
        for copy in range(item.photos_needed):
            data = visit_photos.PhotoUpload.parse(
                {
                    "item_key": item.key,
                    "caption": f"Bảng niêm yết tại Bộ phận Một cửa ({copy + 1})",
                    "client_id": str(uuid.uuid4()),
                    "taken_at": f"{visit.scheduled_on.isoformat()}T09:{10 + 3 * n:02d}:00+07:00",
                }
            )
            visit_photos.upload_photo(
                session,
                library,
                store,
                visit=visit,
                user=user,
                data=data,
                content=_board(visit.id or 0, n, copy),
                max_bytes=current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024,
                timezone=timezone,
            )


def _board(visit_id: int, n: int, copy: int) -> bytes:
    """A posting board as a camera would see it: a wall, a board, sheets pinned on it."""
    image = Image.new("RGB", (1280, 960), (200 - 9 * n, 196, 188 + 5 * visit_id))
    draw = ImageDraw.Draw(image)
    draw.rectangle(
        (140, 120, 1140, 840), fill=(40, 90 + 20 * n, 60), outline=(90, 60, 30), width=18
    )
    for row in range(3):
        for column in range(4):
            left, top = 190 + column * 235, 170 + row * 215
            draw.rectangle((left, top, left + 190, top + 170), fill=(250, 250, 245))
            for line in range(6):
                y = top + 25 + line * 22
                draw.line(
                    (left + 15, y, left + 175 - 9 * ((line + copy) % 4), y),
                    fill=(60, 60, 70),
                    width=4,
                )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _record_findings(session: Session, library: TemplateLibrary, visit: Visit, user: User) -> None:
    """Each failed item's deficiency, in the template's words."""
    record = review.read_record(session, library, visit)
    for proposal in findings.proposals(
        record.template, record.sheet, record.findings, record.reasons
    ):
        data = findings.FindingWrite(
            item_key=proposal["item_key"],
            text=proposal["text"] or "Chưa đạt yêu cầu",
            remedy=proposal["remedy"],
            responsible="Văn phòng - Thống kê",
            client_id=str(uuid.uuid4()),
        )
        findings.create_finding(session, library, visit=visit, user=user, data=data)


def _issue(
    session: Session, library: TemplateLibrary, store: PhotoStore, visit: Visit, lead: User
) -> None:
    """The notice as the lead issues it, dated today with deadlines a month or two ahead."""
    timezone = agency_timezone(session, default=current_app.config["TIMEZONE"])
    today = utcnow().astimezone(ZoneInfo(timezone)).date()
    active = [f for f in findings.visit_findings(session, visit) if not f.withdrawn]
    draft = notices.DraftWrite(
        results=NARRATIVE.format(unit=visit.unit.name),
        due_dates={
            f.id or 0: today + dt.timedelta(days=30 * (1 + n % 2)) for n, f in enumerate(active)
        },
        report_due_on=today + dt.timedelta(days=60),
        photo_annex=True,
    )
    notices.save_draft(session, library, visit=visit, user=lead, data=draft)
    base = current_app.config.get("BASE_URL") or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base):
        rendering = notices.Rendering(
            store=store,
            verify_url=lambda token: base.rstrip("/") + url_for("notices.verify", token=token),
            timezone=timezone,
            today=today,
        )
        notices.issue(session, library, visit=visit, user=lead, rendering=rendering)
