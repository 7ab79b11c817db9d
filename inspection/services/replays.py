"""Retried requests (API.md, "Idempotency"): a create or write that a tablet may send again
carries a client-generated id. The first result is remembered under it, in the write's own
transaction; the same id again with the same content returns that result, with other content
(or from another user) it is a conflict."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlmodel import Session

from inspection.errors import Conflict
from inspection.models import ClientRequest, User, stored_id


def payload_hash(content: dict[str, Any]) -> str:
    """What a client id stands for: the request's content, in one spelling."""
    data = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def replayed(
    session: Session, client_id: str | None, request_hash: str, user: User
) -> dict[str, Any] | None:
    """The first result of an already processed client id, or None if it is new. Raises
    Conflict when the id was used for other content or by another user (who never learns the
    first result)."""
    if client_id is None:
        return None
    seen = session.get(ClientRequest, client_id)
    if seen is None:
        return None
    if seen.payload_sha256 != request_hash or seen.user_id != user.id:
        raise Conflict(
            "this client_id was already used for other content", extra={"client_id": client_id}
        )
    return dict(seen.result)


def remember(
    session: Session,
    client_id: str | None,
    request_hash: str,
    user: User,
    *,
    scope: str,
    result: dict[str, Any],
) -> None:
    """Keep the result of a request carrying a client id (in the caller's transaction)."""
    if client_id is not None:
        session.add(
            ClientRequest(
                client_id=client_id,
                user_id=stored_id(user),
                scope=scope,
                payload_sha256=request_hash,
                result=result,
            )
        )
