"""Login sessions: a row per login, named by a random id kept in the signed session cookie.

The cookie alone would stay valid after logging out (Flask's sessions live in the cookie), so a
copy of it, from a shared tablet or a stolen one, would still open the account. With a row per
login, logging out ends that session on the server, and only that one: the same inspector's other
devices stay logged in. A new password ends them all (see User.session_token).
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlmodel import Session, col, delete, or_, select, update

from inspection.models import LoginSession, User, utcnow

KEEP_ENDED = dt.timedelta(days=30)  # ended rows are kept a while (when did this tablet log out?)
# A session older than this is dropped at the user's next login elsewhere: a tablet left logged
# in for half a year has to log in again.
MAX_AGE = dt.timedelta(days=180)


def start(session: Session, user: User) -> str:
    """A new session for this user; returns its id. The user's long-ended and too old rows are
    pruned, so the table holds about one row per device in use."""
    now = utcnow()
    session.exec(
        delete(LoginSession).where(
            col(LoginSession.user_id) == user.id,
            or_(col(LoginSession.ended_at) < now - KEEP_ENDED,
                col(LoginSession.created_at) < now - MAX_AGE),
        )
    )  # fmt: skip
    row = LoginSession(id=secrets.token_urlsafe(32), user_id=user.id, created_at=now)
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


def open_user(session: Session, user_id: int, session_id: str) -> User | None:
    """The user of an open session: one query, on every request."""
    query = (
        select(User)
        .join(LoginSession, col(LoginSession.user_id) == User.id)
        .where(
            User.id == user_id,
            col(LoginSession.id) == session_id,
            col(LoginSession.ended_at).is_(None),
        )
    )
    return session.exec(query).first()
