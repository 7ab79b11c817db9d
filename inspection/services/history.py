"""A visit's history: its audit events in order, as the timeline on the visit shows them and
`GET /api/v1/visits/<id>/history` lists them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from inspection.models import AuditEvent, User, Visit


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    action: str  # e.g. "answer.update", "visit.submit"
    entity: str
    entity_id: str
    username: str | None
    full_name: str | None
    before: Any
    after: Any

    @property
    def item_key(self) -> str:
        """The item the event concerns, when it names one."""
        for side in (self.after, self.before):
            if isinstance(side, dict) and isinstance(side.get("item_key"), str):
                return str(side["item_key"])
        return ""


def events(session: Session, visit: Visit, *, action: str | None = None) -> list[Event]:
    """The visit's events (of one `action`, or all), oldest first, with who did each."""
    query = (
        sa.select(
            col(AuditEvent.at),
            col(AuditEvent.action),
            col(AuditEvent.entity),
            col(AuditEvent.entity_id),
            col(User.username),
            col(User.full_name),
            col(AuditEvent.before),
            col(AuditEvent.after),
        )
        .join(User, col(User.id) == AuditEvent.actor_id, isouter=True)
        .where(col(AuditEvent.visit_id) == visit.id)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    if action is not None:
        query = query.where(col(AuditEvent.action) == action)
    return [Event(*row) for row in session.execute(query)]


def events_public(session: Session, visit: Visit) -> list[dict[str, Any]]:
    return [
        {
            "at": e.at.isoformat(),
            "action": e.action,
            "entity": e.entity,
            "entity_id": e.entity_id,
            "by": e.username,
            "before": e.before,
            "after": e.after,
        }
        for e in events(session, visit)
    ]


def corrections(session: Session, visit: Visit) -> dict[str, Event]:
    """The lead's latest correction of each item's answer during review (shown to the team)."""
    found: dict[str, Event] = {}
    for event in events(session, visit, action="answer.correct"):
        if event.item_key:
            found[event.item_key] = event
    return found
