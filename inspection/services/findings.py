"""Deficiencies (findings) of a visit: recorded by the team, tied to the item that failed or to
none, with severity, remedy, who is responsible and by when; worded again by the lead in review.

An item that fails proposes a deficiency pre-filled from the template's `deficiency` and
`remedy` (`proposals`); the inspector records it (`create_finding`), or says in the answer's
`no_finding_reason` why there is none. A deficiency whose item stops failing is withdrawn
(kept, shown struck through, never on the notice) and comes back if the item fails again
(`follow_answers`, called in the answer's transaction). Writes follow API.md: client ids,
the visit revision, a conflict only when this record changed after `base_revision`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Self

from pydantic import BeforeValidator
from sqlmodel import Session, col, select

from inspection import audit, workflow
from inspection.checklist import Template
from inspection.db import transaction
from inspection.errors import N_, Conflict, NotFound, ValidationError
from inspection.library import TemplateLibrary
from inspection.models import (
    Answer,
    Finding,
    FindingPhoto,
    Role,
    Severity,
    User,
    Visit,
    stored_id,
    utcnow,
)
from inspection.scoring import ScoreSheet, score_sheet
from inspection.services.agency import get_agency
from inspection.services.plans import lock_visit, pinned_template
from inspection.services.replays import payload_hash, remember, replayed
from inspection.services.validation import (
    Input,
    clean_client_id,
    clean_revision,
    clean_text,
    date_rule,
    problem,
)

MAX_FINDING_TEXT = 4000  # a deficiency or its remedy: a paragraph of the notice
MAX_RESPONSIBLE = 200
NO_ITEM = ""  # a deficiency tied to no item
NOT_SAVED = N_("The deficiency was not saved: see the fields.")


def _item_key(value: Any) -> str:
    if value is None or value == "":
        return NO_ITEM
    if not isinstance(value, str) or len(value) > 64:
        raise problem(N_("must be an item key"))
    return value


def _responsible(value: Any) -> str:
    return clean_text(value, limit=MAX_RESPONSIBLE)


def _flag(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise problem(N_("must be true or false"))


def _severity(value: Any) -> str:
    if value is None or value == "":
        return Severity.MEDIUM
    if not isinstance(value, str) or value not in set(Severity):
        raise problem(N_("must be low, medium or high"))
    return value


def _text(value: Any) -> str:
    return clean_text(value, limit=MAX_FINDING_TEXT, required=True, multiline=True)


def _optional(rule: Callable[[Any], Any]) -> BeforeValidator:
    """A PATCH field: absent (None) changes nothing, anything else must pass `rule`."""
    return BeforeValidator(lambda value: None if value is None else rule(value))


Text = Annotated[str, BeforeValidator(_text)]


class FindingWrite(Input):
    """A new deficiency. `severity` defaults to medium, `due_on` to the visit's date plus the
    agency's remediation period."""

    item_key: Annotated[str, BeforeValidator(_item_key)] = NO_ITEM
    text: Text = ""
    remedy: Text = ""
    severity: Annotated[str, BeforeValidator(_severity)] = Severity.MEDIUM
    responsible: Annotated[str, BeforeValidator(_responsible)] = ""
    due_on: Annotated[dt.date | None, date_rule()] = None
    client_id: Annotated[str | None, BeforeValidator(clean_client_id)] = None

    def content(self, visit_id: int) -> dict[str, Any]:
        """What a client id stands for: a retry must send the same."""
        return {
            "visit_id": visit_id,
            **self.model_dump(mode="json", exclude={"client_id"}),
        }


class FindingUpdate(Input):
    """A change to a deficiency (PATCH): only the fields the request names change."""

    text: Annotated[str | None, _optional(_text)] = None
    remedy: Annotated[str | None, _optional(_text)] = None
    severity: Annotated[str | None, _optional(_severity)] = None
    responsible: Annotated[str | None, _optional(_responsible)] = None
    due_on: Annotated[dt.date | None, date_rule()] = None
    withdrawn: Annotated[bool | None, BeforeValidator(_flag)] = None
    base_revision: Annotated[int | None, BeforeValidator(clean_revision)] = None

    _named: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self:
        values = {k: v for k, v in data.items() if k in cls.model_fields and v is not None}
        if "due_on" in data:
            values["due_on"] = data["due_on"]
        update = super().parse(values)
        update._named = frozenset(values) - {"base_revision"}
        if not update._named and not update.errors:
            update.errors[""] = N_("name at least one field to change")
        return update

    @property
    def changes(self) -> dict[str, Any]:
        """The fields to change, with their new values (a null `due_on` clears the date)."""
        return {name: getattr(self, name) for name in self._named}


# Reading ----------------------------------------------------------------------------------------


def visit_findings(session: Session, visit: Visit) -> list[Finding]:
    query = select(Finding).where(Finding.visit_id == visit.id).order_by(col(Finding.id))
    return list(session.exec(query))


def photo_ids(session: Session, findings: Iterable[Finding]) -> dict[int, list[int]]:
    """The photos of each deficiency, by deficiency id."""
    ids = [stored_id(f) for f in findings]
    found: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        query = (
            select(FindingPhoto)
            .where(col(FindingPhoto.finding_id).in_(ids))
            .order_by(col(FindingPhoto.photo_id))
        )
        for link in session.exec(query):
            found[link.finding_id].append(link.photo_id)
    return found


def finding_public(finding: Finding, photos: list[int] | None = None) -> dict[str, Any]:
    return {
        "id": finding.id,
        "item_key": finding.item_key or None,
        "text": finding.text,
        "remedy": finding.remedy,
        "severity": finding.severity,
        "responsible": finding.responsible,
        "due_on": finding.due_on.isoformat() if finding.due_on else None,
        "status": finding.status,
        "withdrawn": finding.withdrawn,
        "revision": finding.revision,
        "client_id": finding.client_id,
        "created_by": finding.created_by.username if finding.created_by else None,
        "created_at": finding.created_at.isoformat(),
        "photos": photos or [],
    }


def findings_public(session: Session, visit: Visit) -> list[dict[str, Any]]:
    findings = visit_findings(session, visit)
    photos = photo_ids(session, findings)
    return [finding_public(f, photos[stored_id(f)]) for f in findings]


def active_by_item(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """The deficiencies not withdrawn, by item key (NO_ITEM for those tied to none)."""
    found: dict[str, list[Finding]] = {}
    for finding in findings:
        if not finding.withdrawn:
            found.setdefault(finding.item_key, []).append(finding)
    return found


def proposals(
    template: Template[Any],
    sheet: ScoreSheet,
    findings: Iterable[Finding],
    reasons: Mapping[str, str],
) -> list[dict[str, str]]:
    """What each failed item without a deficiency (and without a reason for none) proposes:
    the template's wording, for the inspector to record or change."""
    recorded = active_by_item(findings)
    found = []
    for result in sheet.failed:
        if result.key in recorded or reasons.get(result.key, "").strip():
            continue
        item = template.by_key[result.key]
        found.append({"item_key": result.key, "text": item.deficiency, "remedy": item.remedy})
    return found


def default_due(session: Session, visit: Visit) -> dt.date:
    """The visit's date plus the agency's remediation period."""
    return visit.scheduled_on + dt.timedelta(days=get_agency(session).remediation_days)


# Writing ----------------------------------------------------------------------------------------


def create_finding(
    session: Session, library: TemplateLibrary, *, visit: Visit, user: User, data: FindingWrite
) -> tuple[dict[str, Any], bool]:
    """Record a deficiency. Returns (it as JSON, replayed?)."""
    if data.item_key and pinned_template(library, visit.plan).form.item(data.item_key) is None:
        data.errors["item_key"] = f"no item '{data.item_key}' in this checklist"
    if data.errors:
        raise ValidationError(
            N_("The deficiency was not saved: see the fields."), fields=data.errors
        )
    request_hash = payload_hash(data.content(stored_id(visit)))
    if (first := replayed(session, data.client_id, request_hash, user)) is not None:
        return first, True
    revision = lock_visit(session, visit)
    with transaction(session):
        if (first := replayed(session, data.client_id, request_hash, user)) is not None:
            session.rollback()
            return first, True
        workflow.check_can_record_findings(visit, user.role)
        now = utcnow()
        finding = Finding(
            visit_id=stored_id(visit),
            item_key=data.item_key,
            text=data.text,
            remedy=data.remedy,
            severity=data.severity,
            responsible=data.responsible,
            due_on=data.due_on or default_due(session, visit),
            created_by_id=user.id,
            created_at=now,
            updated_at=now,
            client_id=data.client_id,
            revision=revision,
        )
        session.add(finding)
        session.flush()
        _audit(session, finding, user, "finding.add", after=snapshot(finding))
        workflow.record(visit, workflow.Action.FINDING)
        result = finding_public(finding)
        remember(
            session,
            data.client_id,
            request_hash,
            user,
            scope=f"finding:{visit.id}",
            result=result,
        )
        session.commit()
        return result, False


def update_finding(
    session: Session,
    library: TemplateLibrary,
    *,
    visit: Visit,
    finding: Finding,
    user: User,
    data: FindingUpdate,
) -> dict[str, Any]:
    """Change a deficiency's wording, severity, responsible, due date or withdrawal. One tied to
    an item that passes (or does not apply) cannot be brought back: it would reach the notice
    for an item that did not fail."""
    if data.errors:
        raise ValidationError(
            N_("The deficiency was not saved: see the fields."), fields=data.errors
        )
    revision = lock_visit(session, visit)
    with transaction(session):
        session.refresh(finding)
        workflow.check_can_record_findings(visit, user.role)
        if data.base_revision is not None and finding.revision > data.base_revision:
            current = finding_public(finding, photo_ids(session, [finding])[stored_id(finding)])
            session.rollback()
            raise Conflict(
                N_("This deficiency was changed by someone else since you opened it."),
                extra={"current": current},
            )
        if data.changes.get("withdrawn") is False and finding.withdrawn:
            _check_restorable(session, library, visit, finding)
        before = snapshot(finding)
        for name, value in data.changes.items():
            setattr(finding, name, value)
        finding.updated_at = utcnow()
        finding.revision = revision
        session.add(finding)
        action = "finding.review" if user.role == Role.LEAD and workflow.can_review(visit) else None
        _audit(
            session,
            finding,
            user,
            action or "finding.update",
            before=before,
            after=snapshot(finding),
        )
        result = finding_public(finding, photo_ids(session, [finding])[stored_id(finding)])
        session.commit()
        return result


class ItemPasses(Conflict):
    code = "item_passes"


def _check_restorable(
    session: Session, library: TemplateLibrary, visit: Visit, finding: Finding
) -> None:
    """A deficiency of a scored item comes back only while the item fails."""
    if not finding.item_key:
        return
    template = pinned_template(library, visit.plan).form
    values = {
        a.item_key: a.value
        for a in session.exec(select(Answer).where(Answer.visit_id == visit.id))
        if a.value is not None
    }
    result = score_sheet(template, values).items.get(finding.item_key)
    if result is None:
        return
    if not result.visible or result.not_applicable or (result.scorable and not result.failed):
        raise ItemPasses(N_("Its item does not fail now: the deficiency stays withdrawn."))


def follow_answers(
    session: Session,
    *,
    visit: Visit,
    user: User,
    before: ScoreSheet,
    after: ScoreSheet,
    keys: Iterable[str],
    revision: int,
) -> None:
    """After answers to `keys` changed (in their transaction): withdraw the deficiencies of an
    item that no longer fails, bring back those of an item that fails again."""
    changed = {
        key: after.items[key].failed
        for key in keys
        if key in after.items and before.items[key].failed != after.items[key].failed
    }
    if not changed:
        return
    query = select(Finding).where(
        Finding.visit_id == visit.id, col(Finding.item_key).in_(list(changed))
    )
    for finding in session.exec(query):
        fails = changed[finding.item_key]
        if finding.withdrawn != fails:
            continue  # already as it should be
        before_snapshot = snapshot(finding)
        finding.withdrawn = not fails
        finding.updated_at = utcnow()
        finding.revision = revision
        session.add(finding)
        action = "finding.restore" if fails else "finding.withdraw"
        _audit(session, finding, user, action, before=before_snapshot, after=snapshot(finding))


def snapshot(finding: Finding) -> dict[str, Any]:
    return {
        "item_key": finding.item_key,
        "text": finding.text,
        "remedy": finding.remedy,
        "severity": finding.severity,
        "responsible": finding.responsible,
        "due_on": finding.due_on.isoformat() if finding.due_on else None,
        "withdrawn": finding.withdrawn,
        "revision": finding.revision,
    }


def _audit(session: Session, finding: Finding, user: User, action: str, **change: Any) -> None:
    audit.record(
        session,
        actor_id=user.id,
        action=action,
        entity="finding",
        entity_id=finding.id,
        visit_id=finding.visit_id,
        **change,
    )


def get_finding(session: Session, finding_id: int) -> Finding:
    finding = session.get(Finding, finding_id)
    if finding is None:
        raise NotFound(N_("No such deficiency."))
    return finding
