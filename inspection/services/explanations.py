"""Explanations of raised consistency checks (CHECKLIST-FORMAT.md): why contradicting answers
are right after all. Written through the review (services/review.py, `explain`); removed here
when one of a check's items changes, so that the explanation is asked for again."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, delete, select

from inspection import audit
from inspection.checklist import Template
from inspection.models import CheckExplanation, User, Visit, stored_id


def explained(session: Session, visit: Visit) -> dict[str, CheckExplanation]:
    """The visit's explanations by check key."""
    rows = session.exec(select(CheckExplanation).where(CheckExplanation.visit_id == visit.id))
    return {row.check_key: row for row in rows}


def explanation_public(row: CheckExplanation) -> dict[str, Any]:
    return {
        "check_key": row.check_key,
        "explanation": row.explanation,
        "explained_by": row.explained_by.username if row.explained_by else None,
        "explained_at": row.explained_at.isoformat(),
        "revision": row.revision,
    }


def clear_explanations(
    session: Session, *, visit: Visit, template: Template[Any], keys: Iterable[str], user: User
) -> None:
    """After answers to `keys` changed (in their transaction): the explanations of the checks
    naming one of them are removed, to be asked for again."""
    changed = set(keys)
    stale = [c.key for c in template.checks if changed & set(c.items)]
    if not stale:
        return
    rows = session.exec(
        select(CheckExplanation).where(
            CheckExplanation.visit_id == visit.id, col(CheckExplanation.check_key).in_(stale)
        )
    ).all()
    for row in rows:
        audit.record(
            session,
            actor_id=user.id,
            action="check.clear",
            entity="check",
            entity_id=row.check_key,
            visit_id=visit.id,
            before=explanation_public(row),
        )
    if rows:
        session.execute(
            delete(CheckExplanation).where(
                col(CheckExplanation.id).in_([stored_id(r) for r in rows])
            )
        )
