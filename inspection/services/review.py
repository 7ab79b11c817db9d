"""The review of a visit: the team submits it when nothing is missing, the lead returns it with
comments or approves it, and may reopen an approval until the notice is issued. The moves and who
makes them are workflow.py's; what "nothing is missing" means is here (`gaps`), with the lead's
comments and the explanations of raised consistency checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BeforeValidator
from sqlmodel import Session, col, select

from inspection import audit, workflow
from inspection.checklist import Template
from inspection.db import transaction
from inspection.errors import N_, Conflict, NotFound, ValidationError
from inspection.library import TemplateLibrary
from inspection.models import (
    CheckExplanation,
    Finding,
    Photo,
    ReviewComment,
    User,
    Visit,
    stored_id,
    utcnow,
)
from inspection.scoring import ScoreSheet, score_sheet
from inspection.services import findings as findings_service
from inspection.services import visit_photos
from inspection.services.answers import answer_values, template_of, visit_answers
from inspection.services.explanations import explained, explanation_public
from inspection.services.plans import lock_visit
from inspection.services.validation import Input, clean_id, clean_text, problem

MAX_COMMENT = 4000
MAX_EXPLANATION = 4000


UNANSWERED = "unanswered"  # a required item that applies has no answer
PHOTOS = "photos"  # a `photo: required` item that applies has too few photos
FINDING = "finding"  # a failed item has neither a deficiency nor a reason for none
WARNING = "warning"  # a raised consistency check is not explained


@dataclass(frozen=True)
class Missing:
    """One thing missing before submission, tied to the item where it is put right."""

    reason: str
    item_key: str
    check_key: str = ""
    needed: int = 0  # photos: how many more

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"reason": self.reason, "item_key": self.item_key}
        if self.check_key:
            found["check_key"] = self.check_key
        if self.needed:
            found["needed"] = self.needed
        return found


class Incomplete(Conflict):
    """A submission refused: it lists what is missing."""

    code = "incomplete"


class NotRaised(Conflict):
    """An explanation for a check the answers no longer raise."""

    code = "not_raised"


@dataclass(frozen=True)
class VisitRecord:
    """What the team recorded, read once: the template, the sheet, deficiencies, photos,
    explanations (the submission checks and the pages read the same)."""

    template: Template[Any]
    sheet: ScoreSheet
    reasons: dict[str, str]  # no_finding_reason by item key
    findings: list[Finding]
    photos: list[Photo]  # the visit's photos with their links to items and deficiencies
    explanations: dict[str, CheckExplanation]  # by check key


def read_record(session: Session, library: TemplateLibrary, visit: Visit) -> VisitRecord:
    template = template_of(library, visit)
    answers = visit_answers(session, visit)
    return VisitRecord(
        template=template,
        sheet=score_sheet(template, answer_values(answers)),
        reasons={k: a.no_finding_reason for k, a in answers.items() if a.no_finding_reason},
        findings=findings_service.visit_findings(session, visit),
        photos=visit_photos.visit_photos(session, visit),
        explanations=explained(session, visit),
    )


def gaps(record: VisitRecord) -> list[Missing]:
    """Everything missing before the visit can be submitted, in the checklist's order."""
    found: list[Missing] = []
    recorded = findings_service.active_by_item(record.findings)
    photo_counts = {k: len(v) for k, v in visit_photos.photos_by_item(record.photos).items()}
    for result in record.sheet.items.values():
        key = result.key
        if result.waiting:
            found.append(Missing(UNANSWERED, key))
        needed = record.template.by_key[key].photos_needed
        have = photo_counts.get(key, 0)
        if result.visible and not result.not_applicable and have < needed:
            found.append(Missing(PHOTOS, key, needed=needed - have))
        if result.failed and key not in recorded and not record.reasons.get(key, "").strip():
            found.append(Missing(FINDING, key))
    for warning in record.sheet.warnings:
        given = record.explanations.get(warning.key)
        if given is None or not given.explanation:
            found.append(Missing(WARNING, warning.expected, check_key=warning.key))
    return found


def _check_complete(session: Session, library: TemplateLibrary, visit: Visit, refusal: str) -> None:
    """Refuse (Incomplete, 409, listing each gap) unless nothing is missing."""
    missing = gaps(read_record(session, library, visit))
    if missing:
        session.rollback()
        raise Incomplete(refusal, extra={"missing": [m.as_dict() for m in missing]})


# The decisions -----------------------------------------------------------------------------------


def submit(session: Session, library: TemplateLibrary, *, visit: Visit, user: User) -> None:
    """Hand the visit in for review, or refuse with what is missing (Incomplete, 409)."""
    lock_visit(session, visit)
    with transaction(session):
        before = workflow.decide(visit, workflow.Action.SUBMIT, user.role)
        _check_complete(
            session,
            library,
            visit,
            N_("The visit cannot be submitted yet: complete what is listed."),
        )
        now = utcnow()
        for comment in _comments(session, visit, sent=True, closed=False):
            comment.closed_at = now
            session.add(comment)
        _audit_move(session, visit, user, "visit.submit", before)
        session.commit()


class CommentWrite(Input):
    """A comment of the lead on an item (`item_key`), a deficiency (`finding_id`) or, with
    neither, the visit."""

    item_key: Annotated[str, BeforeValidator(lambda v: _key(v))] = ""
    finding_id: Annotated[int | None, BeforeValidator(lambda v: _id(v))] = None
    comment: Annotated[
        str,
        BeforeValidator(lambda v: clean_text(v, limit=MAX_COMMENT, required=True, multiline=True)),
    ] = ""


def _key(value: Any) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or len(value) > 64:
        raise problem(N_("must be an item key"))
    return value


def _id(value: Any) -> int | None:
    return clean_id(value, N_("must be a deficiency's id"))


class VisitComment(Input):
    comment: Annotated[
        str, BeforeValidator(lambda v: clean_text(v, limit=MAX_COMMENT, multiline=True))
    ] = ""


@dataclass
class ReturnWrite:
    """`POST …/return`: `{"comment"?, "items": [{"item_key" or "finding_id", "comment"}]?}`."""

    comment: str = ""
    items: list[CommentWrite] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> ReturnWrite:
        general = VisitComment.parse(data)
        errors = dict(general.errors)
        raw = data.get("items")
        if raw is not None and not isinstance(raw, list):
            errors["items"] = N_("must be a list")
            raw = []
        entries: list[CommentWrite] = []
        for n, entry in enumerate(raw or []):
            if not isinstance(entry, Mapping):
                errors[f"items[{n}]"] = N_("must be an object")
                continue
            parsed = CommentWrite.parse(entry)
            for name, why in parsed.errors.items():
                errors[f"items[{n}].{name}"] = why
            entries.append(parsed)
        return cls(comment=general.comment, items=entries, errors=errors)


def return_visit(
    session: Session, library: TemplateLibrary, *, visit: Visit, user: User, data: ReturnWrite
) -> int:
    """Send the visit back to the team with the lead's comments (those written during review
    and those of the request). Returns how many comments the team receives."""
    if data.errors:
        raise ValidationError(N_("The visit was not returned: see the fields."), fields=data.errors)
    template = template_of(library, visit)
    lock_visit(session, visit)
    with transaction(session):
        before = workflow.decide(visit, workflow.Action.RETURN, user.role)
        new = [*data.items]
        if data.comment:
            new.append(CommentWrite(comment=data.comment))
        for n, entry in enumerate(new):
            _check_target(session, template, visit, entry, where=f"items[{n}]")
        for entry in new:
            session.add(_comment_row(visit, user, entry))
        session.flush()
        now = utcnow()
        unsent = _comments(session, visit, sent=False)
        if not unsent:
            session.rollback()
            raise ValidationError(
                N_("Say what the team should fix: write at least one comment."),
                fields={"comment": N_("is required")},
            )
        for comment in unsent:
            comment.sent_at = now
            session.add(comment)
        _audit_move(session, visit, user, "visit.return", before, comments=len(unsent))
        session.commit()
        return len(unsent)


def approve(session: Session, library: TemplateLibrary, *, visit: Visit, user: User) -> None:
    """The lead stands behind the visit: answers, photos and deficiencies are frozen. What a
    submission needs must still hold (a correction in review may have made an item fail)."""
    lock_visit(session, visit)
    with transaction(session):
        before = workflow.decide(visit, workflow.Action.APPROVE, user.role)
        _check_complete(
            session,
            library,
            visit,
            N_("The visit cannot be approved yet: complete what is listed."),
        )
        _audit_move(session, visit, user, "visit.approve", before)
        session.commit()


class ReopenWrite(Input):
    reason: Annotated[
        str,
        BeforeValidator(lambda v: clean_text(v, limit=MAX_COMMENT, required=True, multiline=True)),
    ] = ""


def reopen(session: Session, *, visit: Visit, user: User, data: ReopenWrite) -> None:
    """Take an approval back (until the notice is issued), saying why: the visit is under
    review again."""
    if data.errors:
        raise ValidationError(N_("The visit was not reopened: see the fields."), fields=data.errors)
    lock_visit(session, visit)
    with transaction(session):
        before = workflow.decide(visit, workflow.Action.REOPEN, user.role)
        _audit_move(session, visit, user, "visit.reopen", before, reason=data.reason)
        session.commit()


def _audit_move(
    session: Session, visit: Visit, user: User, action: str, before: str, **more: Any
) -> None:
    audit.record(
        session,
        actor_id=user.id,
        action=action,
        entity="visit",
        entity_id=visit.id,
        visit_id=visit.id,
        before={"status": str(before)},
        after={"status": visit.status, **more},
    )


# Comments ----------------------------------------------------------------------------------------


def add_comment(
    session: Session, library: TemplateLibrary, *, visit: Visit, user: User, data: CommentWrite
) -> ReviewComment:
    """A comment written during review; the team receives it with the return."""
    if data.errors:
        raise ValidationError(N_("The comment was not saved: see the fields."), fields=data.errors)
    template = template_of(library, visit)
    lock_visit(session, visit)
    with transaction(session):
        workflow.check_can_correct(visit)
        _check_target(session, template, visit, data, where="")
        comment = _comment_row(visit, user, data)
        session.add(comment)
        session.flush()
        audit.record(
            session,
            actor_id=user.id,
            action="comment.add",
            entity="comment",
            entity_id=comment.id,
            visit_id=visit.id,
            after=comment_public(comment),
        )
        session.commit()
        return comment


def _check_target(
    session: Session, template: Template[Any], visit: Visit, entry: CommentWrite, *, where: str
) -> None:
    prefix = f"{where}." if where else ""
    if entry.item_key and template.item(entry.item_key) is None:
        raise ValidationError(
            N_("No such item in this checklist."),
            fields={f"{prefix}item_key": f"no item '{entry.item_key}' in this checklist"},
        )
    if entry.finding_id is not None:
        finding = session.get(Finding, entry.finding_id)
        if finding is None or finding.visit_id != visit.id:
            raise ValidationError(
                N_("No such deficiency in this visit."),
                fields={f"{prefix}finding_id": "no such deficiency in this visit"},
            )


def _comment_row(visit: Visit, user: User, entry: CommentWrite) -> ReviewComment:
    return ReviewComment(
        visit_id=stored_id(visit),
        item_key=entry.item_key,
        finding_id=entry.finding_id,
        text=entry.comment,
        author_id=user.id,
    )


def _comments(
    session: Session, visit: Visit, *, sent: bool, closed: bool | None = None
) -> list[ReviewComment]:
    query = select(ReviewComment).where(ReviewComment.visit_id == visit.id)
    query = query.where(
        col(ReviewComment.sent_at).is_not(None) if sent else col(ReviewComment.sent_at).is_(None)
    )
    if closed is not None:
        query = query.where(
            col(ReviewComment.closed_at).is_not(None)
            if closed
            else col(ReviewComment.closed_at).is_(None)
        )
    return list(session.exec(query.order_by(col(ReviewComment.id))))


def visit_comments(session: Session, visit: Visit) -> list[ReviewComment]:
    query = (
        select(ReviewComment)
        .where(ReviewComment.visit_id == visit.id)
        .order_by(col(ReviewComment.id))
    )
    return list(session.exec(query))


def unsent(session: Session, visit: Visit) -> list[ReviewComment]:
    """The lead's comments written during this review, to go with the next return."""
    return _comments(session, visit, sent=False)


def to_do(session: Session, visit: Visit) -> list[ReviewComment]:
    """The comments the team received with the last return and has not yet answered by
    submitting again."""
    return _comments(session, visit, sent=True, closed=False)


def comment_public(comment: ReviewComment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "item_key": comment.item_key or None,
        "finding_id": comment.finding_id,
        "comment": comment.text,
        "author": comment.author.username if comment.author else None,
        "created_at": comment.created_at.isoformat(),
        "sent_at": comment.sent_at.isoformat() if comment.sent_at else None,
        "closed_at": comment.closed_at.isoformat() if comment.closed_at else None,
    }


# Explanations of raised consistency checks -------------------------------------------------------


class ExplanationWrite(Input):
    explanation: Annotated[
        str, BeforeValidator(lambda v: clean_text(v, limit=MAX_EXPLANATION, multiline=True))
    ] = ""


def explain(
    session: Session,
    library: TemplateLibrary,
    *,
    visit: Visit,
    user: User,
    check_key: str,
    data: ExplanationWrite,
) -> dict[str, Any]:
    """Say why a raised check is not an error (an empty explanation removes it)."""
    if data.errors:
        raise ValidationError(
            N_("The explanation was not saved: see the fields."), fields=data.errors
        )
    template = template_of(library, visit)
    if not any(c.key == check_key for c in template.checks):
        raise NotFound(N_("No such consistency check in this checklist."))
    revision = lock_visit(session, visit)
    with transaction(session):
        workflow.check_can_record_findings(visit, user.role)
        sheet = score_sheet(template, answer_values(visit_answers(session, visit)))
        if data.explanation and not any(w.key == check_key for w in sheet.warnings):
            session.rollback()
            raise NotRaised(N_("This warning no longer applies: the answers changed."))
        row = explained(session, visit).get(check_key)
        before = explanation_public(row) if row else None
        if not data.explanation:
            if row is not None:
                session.delete(row)
        else:
            row = row or CheckExplanation(
                visit_id=stored_id(visit), check_key=check_key, explanation=data.explanation
            )
            row.explanation = data.explanation
            row.explained_by_id = user.id
            row.explained_at = utcnow()
            row.revision = revision
            session.add(row)
        session.flush()
        after = explanation_public(row) if data.explanation and row else None
        audit.record(
            session,
            actor_id=user.id,
            action="check.explain",
            entity="check",
            entity_id=check_key,
            visit_id=visit.id,
            before=before,
            after=after,
        )
        workflow.record(visit, workflow.Action.FINDING)
        session.commit()
        return after or {"check_key": check_key, "explanation": ""}
