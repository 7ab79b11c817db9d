"""Append-only audit trail: who changed what, when, before → after."""

from typing import Any

from sqlmodel import Session

from inspection.models import AuditEvent


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: object,
    before: Any = None,
    after: Any = None,
    visit_id: int | None = None,
) -> AuditEvent:
    """Add an event to the caller's transaction (it commits with the change it describes)."""
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        visit_id=visit_id,
        before=before,
        after=after,
    )
    session.add(event)
    return event
