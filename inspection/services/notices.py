"""The conclusion notice: the lead's draft of an approved visit, issuing it (number, frozen
snapshot, PDF and DOCX rendered once and stored, the visit and its deficiencies moved on), a
superseding correction, and reading an issued notice (by its team, its unit, or its token).

Issuing is one transaction: the visit's row lock first (services/plans.lock_visit), then the
series row's, so two leads issuing at once on two app servers take consecutive numbers, and a
failure anywhere (a rendering error, a stop) leaves no number taken and nothing stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from inspection import audit, workflow
from inspection.db import transaction
from inspection.errors import N_, Conflict, NotFound, ValidationError
from inspection.library import TemplateLibrary
from inspection.models import (
    Finding,
    FindingStatus,
    Notice,
    NoticeDraft,
    NoticeFile,
    NoticeSeries,
    Photo,
    User,
    Visit,
    VisitInspector,
    VisitStatus,
    stored_id,
    utcnow,
)
from inspection.models.notices import new_token
from inspection.notices import render, word
from inspection.notices.build import Draft, Record, build_content
from inspection.notices.content import Deficiency, Earlier, NoticeContent
from inspection.notices.qr import qr_png
from inspection.services import answers, findings, login_throttle, review
from inspection.services.agency import get_agency
from inspection.services.findings import MAX_FINDING_TEXT
from inspection.services.plans import lock_visit
from inspection.services.validation import (
    Input,
    clean_date,
    clean_id,
    clean_revision,
    clean_text,
    date_rule,
    problem,
    text_rule,
)
from inspection.storage import THUMB, PhotoStore

MAX_PARAGRAPH = 8000
MAX_RECIPIENTS = 2000
NARRATIVE_KEYS = ("opening", "results", "requirements", "implementation")
PDF, DOCX = "pdf", "docx"
MEDIA_TYPES = {
    PDF: "application/pdf",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

VerifyUrl = Callable[[str], str]  # token → the verification page's absolute address


class DraftConflict(Conflict):
    """The draft changed since the copy the edit was made from."""

    code = "conflict"


# Input --------------------------------------------------------------------------------------------


def _paragraph(value: Any) -> str:
    return clean_text(value, limit=MAX_PARAGRAPH, multiline=True)


def _areas(value: Any) -> dict[str, str]:
    """{section key: the lead's paragraph}; keys are checked against the template later."""
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise problem(N_("must be an object of texts by area key"))
    return {k[:64]: _paragraph(v) for k, v in value.items()}


def _due_dates(value: Any) -> dict[int, dt.date]:
    """{deficiency id: the deadline the notice sets}."""
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping):
        raise problem(N_("must be an object of dates by deficiency id"))
    found: dict[int, dt.date] = {}
    for key, day in value.items():
        fid = clean_id(key, N_("must be an object of dates by deficiency id"))
        date = clean_date(day, required=True)
        if fid is not None and date is not None:
            found[fid] = date
    return found


def _flag(value: Any) -> bool:
    if value in (None, "", False, "0", "off", "false"):
        return False
    if value in (True, "1", "on", "true", "y"):
        return True
    raise problem(N_("must be true or false"))


class DraftWrite(Input):
    """The lead's draft, whole (a save replaces it)."""

    opening: Annotated[str, BeforeValidator(_paragraph)] = ""
    results: Annotated[str, BeforeValidator(_paragraph)] = ""
    requirements: Annotated[str, BeforeValidator(_paragraph)] = ""
    implementation: Annotated[str, BeforeValidator(_paragraph)] = ""
    areas: Annotated[dict[str, str], BeforeValidator(_areas)] = {}
    due_dates: Annotated[dict[int, dt.date], BeforeValidator(_due_dates)] = {}
    report_due_on: Annotated[dt.date | None, date_rule()] = None
    recipients: Annotated[str, text_rule(MAX_RECIPIENTS, multiline=True)] = ""
    signer_name: Annotated[str, text_rule(120)] = ""
    photo_annex: Annotated[bool, BeforeValidator(_flag)] = False
    base_revision: Annotated[int | None, BeforeValidator(clean_revision)] = None


def _finding_text(value: Any) -> str:
    """A corrected deficiency or remedy: the deficiencies' own limit."""
    return clean_text(value, limit=MAX_FINDING_TEXT, multiline=True)


class FindingCorrection(Input):
    id: Annotated[int | None, BeforeValidator(lambda v: clean_id(v, N_("is not a deficiency")))]
    text: Annotated[str, BeforeValidator(_finding_text)] = ""
    remedy: Annotated[str, BeforeValidator(_finding_text)] = ""
    due_on: Annotated[dt.date | None, date_rule()] = None


def _corrections(value: Any) -> list[FindingCorrection]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise problem(N_("must be a list of deficiencies"))
    found = [FindingCorrection.parse(v) for v in value]
    for entry in found:
        if entry.errors or entry.id is None:
            raise problem(N_("each entry needs a deficiency id and valid texts and dates"))
    return found


def _narrative(value: Any) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping):
        raise problem(N_("must be an object of paragraphs"))
    unknown = set(value) - set(NARRATIVE_KEYS)
    if unknown:
        raise problem(N_("holds an unknown part"))
    return {k: _paragraph(v) for k, v in value.items()}


class SupersedeWrite(Input):
    """A correction of an issued notice (API.md): what changes, and why."""

    reason: Annotated[str, text_rule(4000, required=True, multiline=True)] = ""
    narrative: Annotated[dict[str, str], BeforeValidator(_narrative)] = {}
    findings: Annotated[list[FindingCorrection], BeforeValidator(_corrections)] = []


# Reading ------------------------------------------------------------------------------------------


def read_record(
    session: Session, library: TemplateLibrary, visit: Visit, *, timezone: str
) -> Record:
    record = review.read_record(session, library, visit)
    inspectors = list(
        session.exec(
            select(User)
            .join(VisitInspector, col(VisitInspector.user_id) == col(User.id))
            .where(VisitInspector.visit_id == visit.id)
        )
    )
    return Record(
        visit=visit,
        agency=get_agency(session),
        lead=visit.plan.lead,
        inspectors=inspectors,
        template=record.template,
        sheet=record.sheet,
        findings=record.findings,
        photos=record.photos,
        timezone=timezone,
    )


def get_draft(session: Session, visit: Visit) -> NoticeDraft | None:
    return session.get(NoticeDraft, visit.id)


def as_draft(row: NoticeDraft | None) -> Draft:
    if row is None:
        return Draft()
    return Draft(
        narrative=row.narrative or {},
        due_dates={int(k): dt.date.fromisoformat(v) for k, v in (row.due_dates or {}).items()},
        report_due_on=row.report_due_on,
        recipients=row.recipients,
        signer_name=row.signer_name,
        photo_annex=row.photo_annex,
    )


def draft_content(
    session: Session, library: TemplateLibrary, visit: Visit, *, timezone: str, today: dt.date
) -> NoticeContent:
    """The notice as it would be issued today, without a number (the preview)."""
    record = read_record(session, library, visit, timezone=timezone)
    return build_content(record, as_draft(get_draft(session, visit)), issued_on=today)


def current_notice(session: Session, visit: Visit) -> Notice | None:
    """The visit's notice in force (the last, not superseded)."""
    query = select(Notice).where(
        Notice.visit_id == visit.id, col(Notice.superseded_by_id).is_(None)
    )
    return session.exec(query).first()


def visit_notices(session: Session, visit: Visit) -> list[Notice]:
    query = select(Notice).where(Notice.visit_id == visit.id).order_by(col(Notice.id))
    return list(session.exec(query))


def unit_notices(session: Session, unit_id: int) -> list[tuple[Notice, Visit]]:
    """Every notice issued to a unit, newest first."""
    query = (
        select(Notice, Visit)
        .join(Visit, col(Visit.id) == col(Notice.visit_id))
        .where(Visit.unit_id == unit_id)
        .order_by(col(Notice.issued_at).desc(), col(Notice.id).desc())
    )
    return [(n, v) for n, v in session.exec(query)]


def content_of(notice: Notice) -> NoticeContent:
    return NoticeContent.model_validate(notice.content)


def stored_file(session: Session, notice: Notice, kind: str) -> NoticeFile:
    found = session.get(NoticeFile, (notice.id, kind))
    if found is None:
        raise NotFound(N_("This notice has no such file."))
    return found


def by_token(session: Session, token: str) -> Notice | None:
    if not token or len(token) > 64:
        return None
    return session.exec(select(Notice).where(Notice.token == token)).first()


@dataclass(frozen=True)
class Verification:
    """What the public verification page says: the notice, or that the address must wait."""

    notice: Notice | None
    retry_after: int | None = None


def verify(
    session: Session,
    token: str,
    *,
    address: str | None,
    limits: login_throttle.Limits,
    limit: int,
) -> Verification:
    """The notice a printed QR code names. Unknown tokens are counted per address like failed
    logins (login_throttle's rule); a locked address is told to wait, even with a right token."""
    key = login_throttle.verify_key(address)
    now = login_throttle.clock()
    wait = login_throttle.locked_seconds(session, key, now)
    if wait is not None:
        return Verification(None, retry_after=wait)
    notice = by_token(session, token)
    if notice is None:
        login_throttle.record_miss(session, key=key, limit=limit, limits=limits, now=now)
    return Verification(notice)


# The draft ----------------------------------------------------------------------------------------


def save_draft(
    session: Session, library: TemplateLibrary, *, visit: Visit, user: User, data: DraftWrite
) -> NoticeDraft:
    """Keep the lead's draft (while the visit is approved and has no notice)."""
    if data.errors:
        raise ValidationError(N_("The draft was not saved: see the fields."), fields=data.errors)
    lock_visit(session, visit)
    with session.no_autoflush:
        workflow.check_can_draft_notice(visit)
        row = get_draft(session, visit) or NoticeDraft(visit_id=stored_id(visit))
        if data.base_revision is not None and data.base_revision != row.revision:
            session.rollback()
            raise DraftConflict(
                N_("Someone else saved this draft meanwhile: reload it and edit again."),
                extra={"current": draft_public(row)},
            )
        _check_draft(session, library, visit, data)
    row.narrative = {k: getattr(data, k) for k in NARRATIVE_KEYS if getattr(data, k)}
    if data.areas:
        row.narrative["areas"] = {k: v for k, v in data.areas.items() if v}
    row.due_dates = {str(k): v.isoformat() for k, v in sorted(data.due_dates.items())}
    row.report_due_on = data.report_due_on
    row.recipients = data.recipients
    row.signer_name = data.signer_name
    row.photo_annex = data.photo_annex
    row.updated_by_id = user.id
    row.updated_at = utcnow()
    row.revision += 1
    session.add(row)
    audit.record(
        session,
        actor_id=user.id,
        action="notice.draft",
        entity="visit",
        entity_id=visit.id,
        visit_id=visit.id,
        after={"revision": row.revision},
    )
    session.commit()
    return row


def _check_draft(
    session: Session, library: TemplateLibrary, visit: Visit, data: DraftWrite
) -> None:
    sections = {s.key for s in answers.visit_sheet(session, library, visit).sections}
    active = {f.id for f in findings.visit_findings(session, visit) if not f.withdrawn}
    fields = {f"areas.{k}": N_("is not an area of this checklist") for k in data.areas}
    fields = {k: v for k, v in fields.items() if k.removeprefix("areas.") not in sections}
    for fid in data.due_dates:
        if fid not in active:
            fields[f"due_dates.{fid}"] = N_("is not a deficiency of this visit")
    if fields:
        session.rollback()
        raise ValidationError(N_("The draft was not saved: see the fields."), fields=fields)


def draft_public(row: NoticeDraft | None) -> dict[str, Any]:
    """The draft as the API and the page show it (empty fields before the first save)."""
    row = row or NoticeDraft(visit_id=0)
    narrative = dict(row.narrative or {})
    return {
        **{k: narrative.get(k, "") for k in NARRATIVE_KEYS},
        "areas": narrative.get("areas", {}),
        "due_dates": row.due_dates or {},
        "report_due_on": row.report_due_on.isoformat() if row.report_due_on else None,
        "recipients": row.recipients,
        "signer_name": row.signer_name,
        "photo_annex": row.photo_annex,
        "revision": row.revision,
        "updated_at": row.updated_at.isoformat() if row.revision else None,
    }


# Issuing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendering:
    """What issuing needs besides the record: where photos and the verification page are."""

    store: PhotoStore
    verify_url: VerifyUrl
    timezone: str
    today: dt.date


class PastDeadlines(Conflict):
    """Issuing was asked to confirm deadlines already past on the notice's date, and they were
    not confirmed."""

    code = "past_deadlines"


def issue(
    session: Session,
    library: TemplateLibrary,
    *,
    visit: Visit,
    user: User,
    rendering: Rendering,
    past_deadlines_confirmed: bool = True,
) -> Notice:
    """Issue the visit's notice: 409 unless it is approved and has none yet; 409
    `past_deadlines` when deadlines already past are not confirmed (the page asks; the API's
    client reads `past_deadlines` from the draft beforehand)."""
    get_agency(session)  # created (and committed) now if missing, not inside the transaction

    def content(*, locked: bool) -> tuple[NoticeContent, list[Finding], Draft, VisitStatus]:
        with session.no_autoflush:
            record = read_record(session, library, visit, timezone=rendering.timezone)
            draft = as_draft(get_draft(session, visit))
            active = [f for f in record.findings if not f.withdrawn]
            if locked:
                before = workflow.issue_notice(visit, user.role, deficiencies=len(active))
            else:  # refused before rendering, as it would be under the lock
                before = workflow.check(visit, workflow.Action.ISSUE, user.role)
        built = build_content(record, draft, issued_on=rendering.today)
        late = built.past_deadlines()
        if late and not past_deadlines_confirmed:
            raise PastDeadlines(
                N_("Some deadlines are already past: change them, or confirm that they stand."),
                extra={"past_deadlines": [d.finding_id for d in late]},
            )
        return built, active, draft, before

    def write(ahead: Ahead) -> Notice:
        _locked(session, visit)
        with transaction(session):
            built, active, draft, before = content(locked=True)
            notice = _store(
                session, visit=visit, user=user, content=built, rendering=rendering, ahead=ahead
            )
            for finding in active:
                finding.status = FindingStatus.OPEN
                finding.due_on = draft.due_dates.get(stored_id(finding), finding.due_on)
                finding.updated_at = utcnow()
                finding.revision = visit.revision
                session.add(finding)
            _audit_issue(session, visit, user, notice, "notice.issue", {"status": str(before)})
            session.commit()
        return notice

    return _rendered_ahead(session, rendering, lambda: content(locked=False)[0], write)


def supersede(
    session: Session,
    library: TemplateLibrary,
    *,
    notice: Notice,
    user: User,
    data: SupersedeWrite,
    rendering: Rendering,
) -> Notice:
    """A corrected notice with a new number in place of the one in force, which stays readable
    and is marked superseded. Its deficiencies take the corrected texts and deadlines."""
    if data.errors:
        raise ValidationError(
            N_("The notice was not corrected: see the fields."), fields=data.errors
        )
    visit = session.get(Visit, notice.visit_id)
    if visit is None:
        raise NotFound(N_("This notice's visit does not exist."))
    found: Visit = visit

    def content(*, locked: bool) -> NoticeContent:
        session.refresh(notice)
        with session.no_autoflush:
            if notice.superseded_by_id is not None:
                raise workflow.WrongState(workflow.REFUSED[workflow.Action.SUPERSEDE])
            move = workflow.decide if locked else workflow.check
            move(found, workflow.Action.SUPERSEDE, user.role)
            old = content_of(notice)
            corrected = _corrected_deficiencies(old, data)
        earlier = Earlier(number=notice.number, issued_on=notice.issued_on, reason=data.reason)
        update = {"deficiencies": corrected, "issued_on": rendering.today, "supersedes": earlier}
        return old.model_copy(update={**data.narrative, **update})

    def write(ahead: Ahead) -> Notice:
        _locked(session, found)
        with transaction(session):
            corrected = content(locked=True)
            new = _store(
                session,
                visit=found,
                user=user,
                content=corrected,
                rendering=rendering,
                ahead=ahead,
                supersedes=notice,
                reason=data.reason,
            )
            notice.superseded_by_id = new.id
            notice.superseded_at = utcnow()
            session.add(notice)
            changed = _apply_corrections(session, found, corrected.deficiencies)
            _audit_issue(
                session,
                found,
                user,
                new,
                "notice.supersede",
                {"number": notice.number},
                reason=data.reason,
                findings=changed,
            )
            session.commit()
        return new

    return _rendered_ahead(session, rendering, lambda: content(locked=False), write)


def _corrected_deficiencies(old: NoticeContent, data: SupersedeWrite) -> list[Deficiency]:
    by_id = {d.finding_id: d for d in old.deficiencies}
    unknown = {
        f"findings.{c.id}": N_("is not a deficiency of this notice")
        for c in data.findings
        if c.id not in by_id
    }
    if unknown:
        raise ValidationError(N_("The notice was not corrected: see the fields."), fields=unknown)
    changes = {c.id: c for c in data.findings}
    found = []
    for d in old.deficiencies:
        change = changes.get(d.finding_id)
        if change is None:
            found.append(d)
            continue
        found.append(
            d.model_copy(
                update={
                    "text": change.text or d.text,
                    "remedy": change.remedy or d.remedy,
                    "due_on": change.due_on or d.due_on,
                }
            )
        )
    return found


def _apply_corrections(session: Session, visit: Visit, corrected: list[Deficiency]) -> list[int]:
    """The deficiencies take the corrected notice's texts and deadlines; returns their ids."""
    rows = {f.id: f for f in session.exec(select(Finding).where(Finding.visit_id == visit.id))}
    changed = []
    for d in corrected:
        row = rows.get(d.finding_id)
        if row is not None and (row.text, row.remedy, row.due_on) != (d.text, d.remedy, d.due_on):
            row.text, row.remedy, row.due_on = d.text, d.remedy, d.due_on
            row.updated_at = utcnow()
            row.revision = visit.revision
            session.add(row)
            changed.append(d.finding_id)
    return changed


# Rendering a notice takes seconds (WeasyPrint, python-docx). Under the write lock, that is seconds
# in which every other write waits (on SQLite the lock is the whole database's: every tablet's
# saves). So it is rendered before, on the number its series would give then, and kept if, once
# locked, that is still the number and the content is unchanged; else rendered again, and the
# last time under the lock, to be sure of an end.
RENDER_AHEAD_TRIES = 3


@dataclass(frozen=True)
class Ahead:
    """A notice rendered before the write lock (`content` None: to render under it)."""

    token: str
    content: NoticeContent | None = None
    pdf: bytes = b""
    docx: bytes = b""


class _Moved(Exception):
    """The series or the record changed since the notice was rendered ahead."""


def _rendered_ahead(
    session: Session,
    rendering: Rendering,
    content: Callable[[], NoticeContent],
    write: Callable[[Ahead], Notice],
) -> Notice:
    """`content()` reads (and refuses) what would be issued now, outside the lock; `write`
    locks (lock_visit ends the reads' transaction first), reads it again, stores (through
    _store) and commits."""
    token = new_token()
    for _ in range(RENDER_AHEAD_TRIES - 1):
        now = content()
        frozen = _frozen(now, _next_number(session, now, rendering), token, rendering)
        pdf, docx = render_files(session, frozen, rendering.store)
        try:
            return write(Ahead(token, frozen, pdf, docx))
        except _Moved:
            continue
    return write(Ahead(token))


def _locked(session: Session, visit: Visit) -> None:
    """The visit locked, and everything read before forgotten: the content is built again from
    what is committed now (the unit, the plan, the lead may have been edited while rendering)."""
    lock_visit(session, visit)
    session.expire_all()


def _frozen(
    content: NoticeContent, sequence: int, token: str, rendering: Rendering
) -> NoticeContent:
    number = format_number(sequence, content.code)
    return content.model_copy(update={"number": number, "verify_url": rendering.verify_url(token)})


def _store(
    session: Session,
    *,
    visit: Visit,
    user: User,
    content: NoticeContent,
    rendering: Rendering,
    ahead: Ahead,
    supersedes: Notice | None = None,
    reason: str = "",
) -> Notice:
    """Take the next number, freeze the content, keep the PDF and DOCX rendered ahead (or
    render them now): raises _Moved when what was rendered ahead is no longer the notice."""
    year = rendering.today.year
    sequence = take_number(session, issuer=content.issuer, code=content.code, year=year)
    frozen = _frozen(content, sequence, ahead.token, rendering)
    if ahead.content is None:
        pdf, docx = render_files(session, frozen, rendering.store)
    elif ahead.content == frozen:
        pdf, docx = ahead.pdf, ahead.docx
    else:
        raise _Moved
    notice = Notice(
        visit_id=stored_id(visit),
        issuer=content.issuer,
        code=content.code,
        year=year,
        sequence=sequence,
        number=format_number(sequence, content.code),
        issued_on=rendering.today,
        issued_by_id=user.id,
        content=frozen.model_dump(mode="json"),
        sha256=hashlib.sha256(pdf).hexdigest(),
        token=ahead.token,
        supersedes_id=supersedes.id if supersedes is not None else None,
        reason=reason,
    )
    session.add(notice)
    session.flush()
    for kind, data in ((PDF, pdf), (DOCX, docx)):
        session.add(
            NoticeFile(
                notice_id=stored_id(notice),
                kind=kind,
                media_type=MEDIA_TYPES[kind],
                data=data,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
            )
        )
    return notice


def render_pdf(session: Session, content: NoticeContent, store: PhotoStore) -> bytes:
    """The notice's PDF: the record once issued, a preview while a draft."""
    return render.notice_pdf(content, annex_thumbnails(session, content, store))


def render_files(
    session: Session, content: NoticeContent, store: PhotoStore
) -> tuple[bytes, bytes]:
    """The PDF (the record) and the DOCX (a copy for layout in Word) of a notice."""
    thumbs = annex_thumbnails(session, content, store)
    png = qr_png(content.verify_url) if content.verify_url else None
    return render.notice_pdf(content, thumbs), word.render_docx(content, qr_png=png, photos=thumbs)


def annex_thumbnails(
    session: Session, content: NoticeContent, store: PhotoStore
) -> dict[str, bytes]:
    """The annex photos' thumbnails by SHA-256 (a file missing from the store is left out)."""
    ids = [p.photo_id for p in content.annex]
    if not ids:
        return {}
    found: dict[str, bytes] = {}
    for photo in session.exec(select(Photo).where(col(Photo.id).in_(ids))):
        try:
            found[photo.sha256] = store.file(photo.visit_id, photo.folder, THUMB).read_bytes()
        except OSError:
            continue
    return found


def take_number(session: Session, *, issuer: str, code: str, year: int) -> int:
    """The next number of the series (issuer, code, year), under the series row's lock."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(NoticeSeries).values(issuer=issuer, code=code, year=year, last=0)
    session.exec(statement.on_conflict_do_nothing(index_elements=["issuer", "code", "year"]))
    query = (
        select(NoticeSeries)
        .where(NoticeSeries.issuer == issuer, NoticeSeries.code == code, NoticeSeries.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = session.exec(query).one()
    row.last += 1
    session.add(row)
    session.flush()
    return row.last


def _next_number(session: Session, content: NoticeContent, rendering: Rendering) -> int:
    """The number take_number would give now (a read: no lock, nothing taken)."""
    query = select(NoticeSeries.last).where(
        NoticeSeries.issuer == content.issuer,
        NoticeSeries.code == content.code,
        NoticeSeries.year == rendering.today.year,
    )
    return (session.exec(query).first() or 0) + 1


def format_number(sequence: int, code: str) -> str:
    """ "05/TB-ĐKT": numbers below 10 take a leading zero."""
    return f"{sequence:02d}/{code}"


def _audit_issue(
    session: Session,
    visit: Visit,
    user: User,
    notice: Notice,
    action: str,
    before: dict[str, Any],
    **more: Any,
) -> None:
    audit.record(
        session,
        actor_id=user.id,
        action=action,
        entity="notice",
        entity_id=notice.id,
        visit_id=visit.id,
        before=before,
        after={"number": notice.number, "sha256": notice.sha256, "status": visit.status, **more},
    )


def notice_public(notice: Notice, urls: Mapping[str, str]) -> dict[str, Any]:
    """The notice as the API gives it: `url` its page (API.md), `urls` its renderings."""
    return {
        "url": urls["html"],
        "id": notice.id,
        "visit_id": notice.visit_id,
        "number": notice.number,
        "issued_on": notice.issued_on.isoformat(),
        "issued_at": notice.issued_at.isoformat(),
        "sha256": notice.sha256,
        "superseded_by": notice.superseded_by_id,
        "supersedes": notice.supersedes_id,
        "content": notice.content,
        "urls": dict(urls),
    }
