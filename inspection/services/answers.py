"""Answers to a visit's checklist: validation against the pinned template, idempotent client ids,
the visit revision and the per-record conflict rule of API.md.

A write takes the visit's row lock first (it bumps the visit revision), then checks the client id
and the record's revision, so two writers never both pass a check that only one may pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, NamedTuple

import sqlalchemy as sa
from pydantic import BeforeValidator, ValidationInfo
from sqlmodel import Session, col, select

from inspection import audit, workflow
from inspection import text as texts
from inspection.checklist import Template
from inspection.db import transaction
from inspection.errors import N_, Conflict, NotFound, ValidationError
from inspection.library import TemplateLibrary
from inspection.models import (
    Answer,
    Role,
    User,
    Visit,
    stored_id,
    utcnow,
)
from inspection.scoring import ScoreSheet, score_sheet
from inspection.services import explanations, findings
from inspection.services.plans import lock_visit, pinned_template
from inspection.services.replays import payload_hash, remember, replayed
from inspection.services.validation import (
    ERRORS,
    FIRST_YEAR,
    LAST_YEAR,
    Input,
    clean_client_id,
    clean_revision,
    problem,
)

MAX_NOTE = 4000
MAX_BATCH = 500


def _item_key(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise problem("is required")
    return value


def _note(value: Any) -> str | None:
    """A note as typed (not trimmed: it is shown back as it was written)."""
    if value is not None and (why := texts.text_problem(value, limit=MAX_NOTE)):
        raise problem(why)
    return value


def _client_id(value: Any, info: ValidationInfo) -> str | None:
    """A UUID in its canonical spelling; a batch's entries must carry one."""
    return clean_client_id(value, required=_in_batch(info))


def _answered_at(value: Any, info: ValidationInfo) -> dt.datetime | None:
    """When the answer was given, with its offset; a batch's entries must say."""
    if value is None:
        if _in_batch(info):
            raise problem("is required")
        return None
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        raise problem("must be an ISO 8601 time with its offset")
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        # Year 1 at +14:00 is not even a datetime in UTC; no answer was given before 2000.
        raise problem(f"must be a time from {FIRST_YEAR} to {LAST_YEAR}")
    return moment


def _in_batch(info: ValidationInfo) -> bool:
    return isinstance(info.context, dict) and bool(info.context.get(BATCH))


BATCH = "batch"  # the validation context's flag: the entry came in a batch


class AnswerWrite(Input):
    """One answer write, as a request sends it. `value` is checked against its item by the
    service (check_entry), which adds to `errors`."""

    item_key: Annotated[str, BeforeValidator(_item_key)] = ""
    value: Any
    note: Annotated[str | None, BeforeValidator(_note)] = None
    no_finding_reason: Annotated[str | None, BeforeValidator(_note)] = None
    # Why the lead corrects an answer during review (required then; audited, shown to the team).
    reason: Annotated[str | None, BeforeValidator(_note)] = None
    client_id: Annotated[str | None, BeforeValidator(_client_id)] = None
    base_revision: Annotated[int | None, BeforeValidator(clean_revision)] = None
    answered_at: Annotated[dt.datetime | None, BeforeValidator(_answered_at)] = None

    @classmethod
    def parse(cls, data: Any, *, item_key: str | None = None, batch: bool = False) -> AnswerWrite:
        """Read one write from a JSON object (`item_key` from the address when given; in a
        `batch`, client_id and answered_at are required); problems go to `errors` by field."""
        if not isinstance(data, Mapping):
            write = cls.model_construct(item_key=item_key or "", value=None)
            write._errors = {"": "must be a JSON object"}
            return write
        values = {name: data.get(name) for name in cls.model_fields}
        if item_key is not None:
            values["item_key"] = item_key
        errors: dict[str, str] = {}
        write = cls.model_validate(values, context={ERRORS: errors, BATCH: batch})
        if "value" not in data:
            errors["value"] = "is required (null clears the answer)"
        write._errors = errors
        return write

    def content(self, visit_id: int) -> dict[str, Any]:
        """What a client id stands for (payload_hash): a retry must send the same."""
        return {
            "visit_id": visit_id,
            "item_key": self.item_key,
            "value": self.value,
            "note": self.note,
            "no_finding_reason": self.no_finding_reason,
            # (Named only when given, so that the ids remembered before it existed still match.)
            **({"reason": self.reason} if self.reason is not None else {}),
        }


def template_of(library: TemplateLibrary, visit: Visit) -> Template[Any]:
    """The checklist the visit's plan pinned (its hash checked)."""
    return pinned_template(library, visit.plan).form


def check_entry(entry: AnswerWrite, template: Template[Any]) -> None:
    """Validate the value against the item's type (adds to entry.errors)."""
    if "item_key" in entry.errors or "value" in entry.errors:
        return
    item = template.item(entry.item_key)
    if item is None:
        entry.errors["item_key"] = f"no item '{entry.item_key}' in this checklist"
        return
    if problem := item.answer_problem(entry.value):
        entry.errors["value"] = str(problem)


def answer_public(answer: Answer, sheet: ScoreSheet | None = None) -> dict[str, Any]:
    result = sheet.items.get(answer.item_key) if sheet else None
    return {
        "item_key": answer.item_key,
        "value": answer.value,
        "note": answer.note,
        "no_finding_reason": answer.no_finding_reason,
        "score": float(result.score) if result and result.score is not None else None,
        "max": float(result.max) if result and result.max is not None else None,
        "answered_by": answer.answered_by.username if answer.answered_by else None,
        "answered_at": answer.answered_at.isoformat(),
        "revision": answer.revision,
        "client_id": answer.client_id,
    }


def visit_answers(session: Session, visit: Visit) -> dict[str, Answer]:
    rows = session.exec(select(Answer).where(Answer.visit_id == visit.id))
    return {a.item_key: a for a in rows}


class AnswerRow(NamedTuple):
    """An answer read for display only (answer_rows)."""

    item_key: str
    value: Any
    note: str
    revision: int
    answered_by: str | None = None  # the full name of who gave it
    answered_at: dt.datetime | None = None


def answer_rows(session: Session, visit: Visit) -> dict[str, AnswerRow]:
    """A visit's answers for reading only, with who gave each and when (much cheaper than ORM
    objects on the checklist page)."""
    query = (
        sa.select(  # six columns: more than sqlmodel's select is typed for
            col(Answer.item_key),
            col(Answer.value),
            col(Answer.note),
            col(Answer.revision),
            col(User.full_name),
            col(Answer.answered_at),
        )
        .join(User, col(User.id) == Answer.answered_by_id, isouter=True)
        .where(col(Answer.visit_id) == visit.id)
    )
    return {row[0]: AnswerRow(*row) for row in session.execute(query)}


def answer_values(answers: Mapping[str, Answer | AnswerRow]) -> dict[str, Any]:
    return {k: a.value for k, a in answers.items() if a.value is not None}


def visit_sheet(session: Session, library: TemplateLibrary, visit: Visit) -> ScoreSheet:
    return score_sheet(template_of(library, visit), answer_values(visit_answers(session, visit)))


# Writing --------------------------------------------------------------------------------------


def _replayed(
    session: Session, entry: AnswerWrite, visit: Visit, user: User
) -> dict[str, Any] | None:
    """The first result of an already processed client id, or None if it is new.
    Raises Conflict when the id was used for other content."""
    request_hash = payload_hash(entry.content(stored_id(visit)))
    return replayed(session, entry.client_id, request_hash, user)


def _conflict(entry: AnswerWrite, current: Answer | None) -> bool:
    return (
        entry.base_revision is not None
        and current is not None
        and current.revision > entry.base_revision
    )


def _store(
    session: Session,
    *,
    visit: Visit,
    user: User,
    entry: AnswerWrite,
    current: Answer | None,
    revision: int,
) -> Answer:
    before = _snapshot(current)
    answer = current or Answer(visit_id=stored_id(visit), item_key=entry.item_key)
    answer.value = entry.value
    if entry.note is not None:
        answer.note = entry.note
    if entry.no_finding_reason is not None:
        answer.no_finding_reason = entry.no_finding_reason
    answer.answered_by_id = user.id
    answer.answered_at = entry.answered_at or utcnow()
    answer.updated_at = utcnow()
    answer.client_id = entry.client_id
    answer.revision = revision
    session.add(answer)
    session.flush()
    correction = _is_correction(visit, user)
    after = _snapshot(answer)
    if correction and after is not None:
        after["reason"] = entry.reason
    audit.record(
        session,
        actor_id=user.id,
        action="answer.correct" if correction else "answer.update",
        entity="answer",
        entity_id=answer.id,
        visit_id=visit.id,
        before=before,
        after=after,
    )
    return answer


def _changed(keys: list[str], before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The keys whose answer is not what it was."""
    return [key for key in keys if before.get(key) != after.get(key)]


def _is_correction(visit: Visit, user: User) -> bool:
    """The lead changing an answer during review (not the team while it works)."""
    return user.role == Role.LEAD and workflow.can_review(visit)


NEEDS_REASON = N_("a correction during review needs a reason")


def _check_writer(visit: Visit, user: User, entry: AnswerWrite) -> None:
    """The team answers while the visit is theirs; the lead corrects during review, saying why
    (API.md: "the lead during review"), and not otherwise."""
    if _is_correction(visit, user):
        if not (entry.reason or "").strip():
            raise ValidationError(NEEDS_REASON, fields={"reason": NEEDS_REASON})
        return
    if user.role == Role.LEAD:
        raise workflow.WrongState(LEAD_IN_REVIEW)
    workflow.check_can_answer(visit)


LEAD_IN_REVIEW = N_("The team lead corrects answers while reviewing a submitted visit.")


def _after_answers(
    session: Session,
    *,
    visit: Visit,
    user: User,
    template: Template[Any],
    before: ScoreSheet,
    after: ScoreSheet,
    keys: list[str],
    changed: list[str],
    revision: int,
) -> None:
    """What follows from answers written to `keys`, in their transaction: deficiencies of items
    that stop (or start again) failing; the explanations of the checks naming an item whose
    value `changed` (a note saved alone, or the same value sent again, keeps them)."""
    findings.follow_answers(
        session, visit=visit, user=user, before=before, after=after, keys=keys, revision=revision
    )
    explanations.clear_explanations(
        session, visit=visit, template=template, keys=changed, user=user
    )


def _snapshot(answer: Answer | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    return {
        "item_key": answer.item_key,
        "value": answer.value,
        "note": answer.note,
        "no_finding_reason": answer.no_finding_reason,
        "revision": answer.revision,
    }


def _remember(
    session: Session, entry: AnswerWrite, visit: Visit, user: User, result: dict[str, Any]
) -> None:
    request_hash = payload_hash(entry.content(stored_id(visit)))
    scope = f"answer:{visit.id}:{entry.item_key}"
    remember(session, entry.client_id, request_hash, user, scope=scope, result=result)


def put_answer(
    session: Session, library: TemplateLibrary, *, visit: Visit, user: User, data: AnswerWrite
) -> tuple[dict[str, Any], bool]:
    """Store one answer. Returns (the answer as JSON, replayed?)."""
    template = template_of(library, visit)
    if template.item(data.item_key) is None and "item_key" not in data.errors:
        raise NotFound(f"no item '{data.item_key}' in this checklist")
    check_entry(data, template)
    if data.errors:
        raise ValidationError("invalid answer", fields=data.errors)
    revision = lock_visit(session, visit)
    with transaction(session):
        if (first := _replayed(session, data, visit, user)) is not None:
            session.rollback()
            return first, True
        _check_writer(visit, user, data)
        answers = visit_answers(session, visit)
        current = answers.get(data.item_key)
        values_before = answer_values(answers)
        before = score_sheet(template, values_before)
        if current is not None and _conflict(data, current):
            copy = answer_public(current, before)
            session.rollback()
            raise Conflict("this answer changed since your copy", extra={"current": copy})
        answer = _store(
            session, visit=visit, user=user, entry=data, current=current, revision=revision
        )
        answers[data.item_key] = answer
        if not _is_correction(visit, user):
            workflow.record(visit, workflow.Action.ANSWER)
        sheet = score_sheet(template, answer_values(answers))
        _after_answers(
            session,
            visit=visit,
            user=user,
            template=template,
            before=before,
            after=sheet,
            keys=[data.item_key],
            changed=_changed([data.item_key], values_before, answer_values(answers)),
            revision=revision,
        )
        result = {**answer_public(answer, sheet), "visit": _visit_state(visit, sheet)}
        _remember(session, data, visit, user, result)
        session.commit()
        return result, False


def _visit_state(visit: Visit, sheet: ScoreSheet) -> dict[str, Any]:
    return {"revision": visit.revision, "status": visit.status, "score": sheet.as_dict()}


def set_no_finding_reason(
    session: Session,
    library: TemplateLibrary,
    *,
    visit: Visit,
    user: User,
    item_key: str,
    reason: str,
) -> None:
    """Why a failed item has no deficiency: only the answer's reason changes (who answered it,
    and when, stay as they were)."""
    if template_of(library, visit).item(item_key) is None:
        raise NotFound(f"no item '{item_key}' in this checklist")
    if why := texts.text_problem(reason, limit=MAX_NOTE):
        raise ValidationError(REASON_REFUSED, fields={"no_finding_reason": why})
    revision = lock_visit(session, visit)
    with transaction(session):
        workflow.check_can_answer(visit)
        answer = visit_answers(session, visit).get(item_key)
        if answer is None or answer.value is None:
            raise ValidationError(REASON_REFUSED, fields={"no_finding_reason": ANSWER_FIRST})
        before = _snapshot(answer)
        answer.no_finding_reason = reason
        answer.updated_at = utcnow()
        answer.revision = revision
        session.add(answer)
        audit.record(
            session,
            actor_id=user.id,
            action="answer.reason",
            entity="answer",
            entity_id=answer.id,
            visit_id=visit.id,
            before=before,
            after=_snapshot(answer),
        )
        session.commit()


REASON_REFUSED = N_("The reason was not saved: see the fields.")
ANSWER_FIRST = N_("answer the item first")


class BatchResult(StrEnum):
    """What became of a batch as a whole."""

    APPLIED = "applied"  # every entry stored (or replayed)
    INVALID = "invalid"  # nothing stored: some entry is invalid
    CONFLICT = "conflict"  # nothing stored: some entry conflicts with a newer answer


@dataclass
class BatchOutcome:
    result: BatchResult
    results: list[dict[str, Any]]
    visit: dict[str, Any] | None = None


def apply_batch(
    session: Session,
    library: TemplateLibrary,
    *,
    visit: Visit,
    user: User,
    data: list[AnswerWrite],
) -> BatchOutcome:
    """All or nothing: every entry is stored, or none and each is marked ok/invalid/conflict.
    Conflicts are judged against the answers as they were before the batch, so a tablet's queue
    of several edits to one item, all made from the same copy, goes through in order."""
    template = template_of(library, visit)
    seen_ids: set[str] = set()
    for entry in data:
        check_entry(entry, template)
        if entry.client_id in seen_ids:
            entry.errors["client_id"] = "repeated within the batch"
        if entry.client_id:
            seen_ids.add(entry.client_id)
    revision = lock_visit(session, visit)
    with transaction(session):
        answers = visit_answers(session, visit)
        before = dict(answers)
        results: list[dict[str, Any]] = []
        pending: list[AnswerWrite] = []
        for entry in data:
            results.append(_classify(session, entry, visit, user, before, pending))
        statuses = {r["status"] for r in results}
        if statuses - {"ok"}:
            sheet = score_sheet(template, answer_values(answers))
            for r in results:
                if "current" in r and isinstance(r["current"], Answer):
                    r["current"] = answer_public(r["current"], sheet)
            session.rollback()
            failed = BatchResult.INVALID if "invalid" in statuses else BatchResult.CONFLICT
            return BatchOutcome(failed, results)
        for entry in pending:
            _check_writer(visit, user, entry)
        values_before = answer_values(answers)
        before_sheet = score_sheet(template, values_before)
        for entry in pending:
            answers[entry.item_key] = _store(
                session,
                visit=visit,
                user=user,
                entry=entry,
                current=answers.get(entry.item_key),
                revision=revision,
            )
        if not pending:
            session.rollback()
            sheet = score_sheet(template, answer_values(answers))
            _with_answers(results, answers, sheet)
            return BatchOutcome(BatchResult.APPLIED, results, _visit_state(visit, sheet))
        if not _is_correction(visit, user):
            workflow.record(visit, workflow.Action.ANSWER)
        sheet = score_sheet(template, answer_values(answers))
        written = list(dict.fromkeys(e.item_key for e in pending))
        _after_answers(
            session,
            visit=visit,
            user=user,
            template=template,
            before=before_sheet,
            after=sheet,
            keys=written,
            changed=_changed(written, values_before, answer_values(answers)),
            revision=revision,
        )
        for entry in pending:
            _remember(session, entry, visit, user, {"status": "ok", "client_id": entry.client_id})
        session.commit()
        _with_answers(results, answers, sheet)
        return BatchOutcome(BatchResult.APPLIED, results, _visit_state(visit, sheet))


def _with_answers(
    results: list[dict[str, Any]], answers: Mapping[str, Answer], sheet: ScoreSheet
) -> None:
    """Each stored entry's result carries its item's answer as it now stands (its revision and
    score), as a single write returns it: a tablet bases its next write of the item on it. A
    replayed entry carries it only while the answer is still that entry's write: based on
    someone else's later answer, which the tablet never showed, its next write would overwrite
    it without a conflict."""
    for result in results:
        answer = answers.get(result["item_key"])
        if answer is not None and (
            not result.get("replayed") or answer.client_id == result["client_id"]
        ):
            result["answer"] = answer_public(answer, sheet)


def _classify(
    session: Session,
    entry: AnswerWrite,
    visit: Visit,
    user: User,
    before: dict[str, Answer],
    pending: list[AnswerWrite],
) -> dict[str, Any]:
    result: dict[str, Any] = {"client_id": entry.client_id, "item_key": entry.item_key}
    if entry.errors:
        return {
            **result,
            "status": "invalid",
            "error": {"code": "validation_error", "fields": entry.errors},
        }
    try:
        if _replayed(session, entry, visit, user) is not None:
            return {**result, "status": "ok", "replayed": True}
    except Conflict as exc:
        return {
            **result,
            "status": "conflict",
            "current": before.get(entry.item_key),
            "error": {"code": "conflict", "message": exc.message},
        }
    current = before.get(entry.item_key)
    if _conflict(entry, current):
        return {**result, "status": "conflict", "current": current}
    pending.append(entry)
    return {**result, "status": "ok"}
