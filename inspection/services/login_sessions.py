"""Login sessions: a row per login, named by a random id kept in the signed session cookie.

The cookie alone would stay valid after logging out (Flask's sessions live in the cookie), so a
copy of it, from a shared tablet or a stolen one, would still open the account. With a row per
login, logging out ends that session on the server, and only that one: the same inspector's other
devices stay logged in. A new password ends them all (see User.session_stamp).

A session also ends by itself: after `SESSION_IDLE_HOURS` without a request, and
`SESSION_MAX_DAYS` after the login whatever its use. An expired session is refused like an ended
one; the tablet keeps its unsaved answers and sends them after the next login.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, delete, or_, select, update

from inspection.models import LoginSession, User, stored_id, utcnow

KEEP_ENDED = dt.timedelta(days=30)  # ended rows are kept a while (when did this tablet log out?)
# How stale `last_seen_at` may get: refreshing it costs a write, which every request would
# otherwise pay. An idle session may therefore end up to this much before its full idle time.
TOUCH_EVERY = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Lifetime:
    """How long a login session lives (configuration: SESSION_IDLE_HOURS, SESSION_MAX_DAYS)."""

    idle: dt.timedelta
    absolute: dt.timedelta

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Lifetime:
        return cls(
            idle=dt.timedelta(hours=float(config["SESSION_IDLE_HOURS"])),
            absolute=dt.timedelta(days=float(config["SESSION_MAX_DAYS"])),
        )

    def is_over(
        self, *, created_at: dt.datetime, last_seen_at: dt.datetime, now: dt.datetime
    ) -> bool:
        return now - last_seen_at > self.idle or now - created_at > self.absolute


def start(session: Session, user: User, *, lifetime: Lifetime) -> str:
    """A new session for this user; returns its id. The user's long-ended and too old rows are
    pruned, so the table holds about one row per device in use."""
    now = utcnow()
    session.exec(
        delete(LoginSession).where(
            col(LoginSession.user_id) == user.id,
            or_(
                col(LoginSession.ended_at) < now - KEEP_ENDED,
                col(LoginSession.created_at) < now - lifetime.absolute,
            ),
        )
    )
    row = LoginSession(
        id=secrets.token_urlsafe(32), user_id=stored_id(user), created_at=now, last_seen_at=now
    )
    session.add(row)
    session.commit()
    return row.id


def end(session: Session, session_id: str) -> None:
    """Ends the session (already ended or unknown: nothing to do)."""
    session.exec(
        update(LoginSession)
        .where(col(LoginSession.id) == session_id, col(LoginSession.ended_at).is_(None))
        .values(ended_at=utcnow())
    )
    session.commit()


def open_user(
    session: Session, user_id: int, session_id: str, *, stamp: str, lifetime: Lifetime
) -> User | None:
    """The user of an open, unexpired session whose password stamp still matches: one query on
    every request, and a write only every TOUCH_EVERY."""
    query = (
        select(User, LoginSession.created_at, LoginSession.last_seen_at)
        .join(LoginSession, col(LoginSession.user_id) == User.id)
        .where(
            User.id == user_id,
            col(LoginSession.id) == session_id,
            col(LoginSession.ended_at).is_(None),
        )
    )
    found = session.exec(query).first()
    if found is None:
        return None
    user, created_at, last_seen_at = found
    now = utcnow()
    if not secrets.compare_digest(user.session_stamp.encode(), stamp.encode()):
        return None
    if lifetime.is_over(created_at=created_at, last_seen_at=last_seen_at, now=now):
        return None
    if now - last_seen_at >= TOUCH_EVERY:
        session.exec(
            update(LoginSession).where(col(LoginSession.id) == session_id).values(last_seen_at=now)
        )
        session.commit()
    return user
