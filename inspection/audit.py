"""Append-only audit trail: who changed what, when, before → after.

Events are only ever added, in the transaction of the change they describe; the ORM refuses
to update or delete one (a programming error, never a user's)."""

from typing import Any

from sqlalchemy import event
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


class AppendOnly(RuntimeError):
    """Code tried to change or delete an audit event: the trail only grows."""


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    raise AppendOnly(f"audit event {target.id} cannot be changed or deleted")
