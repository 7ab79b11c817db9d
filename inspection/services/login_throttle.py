"""Failed-login throttling: the one rule, per username and per client address.

Each key (a username as typed, or the client's address) counts its failed logins. Once a key
reaches its limit, every further failure locks it for longer: `LOGIN_LOCK_SECONDS`, doubled with
each failure, up to `LOGIN_LOCK_MAX_SECONDS`. A key that sees no failure for a whole
`LOGIN_WINDOW_MINUTES` is forgotten, and a successful login forgets its username at once.

- The username limit is tight (5): guessing one account's password is what it stops.
- The address limit is loose (100): an inspection team of 10–20 tablets often shares one office
  NAT address, and a few typos each must never lock the whole team out. It bounds a sweep across
  many usernames from one place.
- While a key is locked, the attempt is refused before the password is checked: no hash is
  computed (no cost, no timing), nothing is counted, nothing is written. Unknown usernames are
  counted and locked like real ones, so a lock says nothing about whether an account exists.

The state is a table (LoginThrottle), so every worker process sees the same counts. Usernames
are stored hashed: people type their password into the username field, and the table must not
keep it. Each lock imposed is recorded in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select

from inspection import audit
from inspection.models import LoginThrottle, User, utcnow
from inspection.services import users

# The time, read through this name so that tests can move it (no sleeping in tests).
clock: Callable[[], dt.datetime] = utcnow

# Growth of the lock stops here long before the cap matters; this only bounds the arithmetic.
MAX_DOUBLINGS = 30


@dataclass(frozen=True)
class Limits:
    user_failures: int = 5
    address_failures: int = 100
    window: dt.timedelta = dt.timedelta(minutes=60)
    lock: dt.timedelta = dt.timedelta(seconds=30)
    lock_max: dt.timedelta = dt.timedelta(minutes=15)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        return cls(
            user_failures=int(config["LOGIN_USER_FAILURES"]),
            address_failures=int(config["LOGIN_ADDRESS_FAILURES"]),
            window=dt.timedelta(minutes=float(config["LOGIN_WINDOW_MINUTES"])),
            lock=dt.timedelta(seconds=float(config["LOGIN_LOCK_SECONDS"])),
            lock_max=dt.timedelta(seconds=float(config["LOGIN_LOCK_MAX_SECONDS"])),
        )

    def lock_for(self, failures: int, limit: int) -> dt.timedelta:
        """How long a key is locked after its `failures`-th failure (from the limit on)."""
        doublings = min(failures - limit, MAX_DOUBLINGS)
        return min(self.lock * 2**doublings, self.lock_max)


@dataclass(frozen=True)
class Attempt:
    """The outcome of a login attempt: the user, or None; `retry_after` (seconds) when it was
    refused unchecked because the username or the address is locked."""

    user: User | None
    retry_after: int | None = None


def attempt_login(
    session: Session, *, username: str, password: str, address: str | None, limits: Limits
) -> Attempt:
    """Check the credentials unless the username or the address is locked; count a failure,
    forget the username's failures on success."""
    now = clock()
    wait = retry_after(session, username=username, address=address, now=now)
    if wait is not None:
        return Attempt(user=None, retry_after=wait)
    user = users.authenticate(session, username, password)
    if user is None:
        record_failure(session, username=username, address=address, limits=limits, now=now)
    else:
        forget_username(session, username)
    return Attempt(user=user)


def user_key(username: str) -> str:
    typed = (username or "").strip().lower()
    return "user:" + hashlib.sha256(typed.encode("utf-8", "surrogatepass")).hexdigest()


def address_key(address: str | None) -> str:
    return "addr:" + client_network(address)


def client_network(address: str | None) -> str:
    """The address as counted: IPv4 as is, IPv6 by its /64 (one subscriber's usual share, which
    an attacker can walk through freely)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def retry_after(
    session: Session, *, username: str, address: str | None, now: dt.datetime
) -> int | None:
    """Seconds until neither the username nor the address is locked, or None when neither is."""
    keys = (user_key(username), address_key(address))
    query = select(LoginThrottle.locked_until).where(
        col(LoginThrottle.key).in_(keys), col(LoginThrottle.locked_until) > now
    )
    ends = [end for end in session.exec(query) if end is not None]
    if not ends:
        return None
    return max(1, math.ceil((max(ends) - now).total_seconds()))


def record_failure(
    session: Session, *, username: str, address: str | None, limits: Limits, now: dt.datetime
) -> None:
    """Count a failed login against the username and the address; audit any lock it imposes."""
    session.exec(
        delete(LoginThrottle).where(
            col(LoginThrottle.last_failure_at) < now - limits.window - limits.lock_max
        )
    )  # keys long quiet: nothing to remember about them
    network = client_network(address)
    user_lock = _count(session, user_key(username), limits.user_failures, limits, now)
    address_lock = _count(session, address_key(address), limits.address_failures, limits, now)
    if user_lock is not None:
        account = session.exec(select(User.id).where(User.username == _typed(username))).first()
        audit.record(
            session,
            actor_id=None,
            action="login.throttle",
            entity="user" if account is not None else "login",
            entity_id=account if account is not None else "unknown-username",
            after={"scope": "username", "address": network, **user_lock},
        )
    if address_lock is not None:
        audit.record(
            session,
            actor_id=None,
            action="login.throttle",
            entity="address",
            entity_id=network,
            after={"scope": "address", "address": network, **address_lock},
        )
    session.commit()


def verify_key(address: str | None) -> str:
    """The notice verification page's count of unknown tokens from one address."""
    return "verify:" + client_network(address)


def locked_seconds(session: Session, key: str, now: dt.datetime) -> int | None:
    """Seconds until `key` is unlocked, or None when it is not locked."""
    query = select(LoginThrottle.locked_until).where(
        LoginThrottle.key == key, col(LoginThrottle.locked_until) > now
    )
    end = session.exec(query).first()
    return None if end is None else max(1, math.ceil((end - now).total_seconds()))


def record_miss(
    session: Session, *, key: str, limit: int, limits: Limits, now: dt.datetime
) -> None:
    """Count a failed guess other than a login (an unknown verification token) under the same
    rule as failed logins; audit the lock it imposes."""
    locked = _count(session, key, limit, limits, now)
    if locked is not None:
        audit.record(
            session,
            actor_id=None,
            action="verify.throttle",
            entity="address",
            entity_id=key.split(":", 1)[1],
            after={"scope": "verify", **locked},
        )
    session.commit()


def forget_username(session: Session, username: str) -> None:
    """A successful login, or a new password set by the admin: the username starts afresh."""
    session.exec(delete(LoginThrottle).where(col(LoginThrottle.key) == user_key(username)))
    session.commit()


def _typed(username: str) -> str:
    return (username or "").strip().lower()


def _count(
    session: Session, key: str, limit: int, limits: Limits, now: dt.datetime
) -> dict[str, Any] | None:
    """One more failure for `key`; returns what to audit when it locks the key."""
    _insert_missing(session, key, now)
    query = (
        select(LoginThrottle)
        .where(LoginThrottle.key == key)
        .with_for_update()  # PostgreSQL: concurrent failures of one key count one by one
        .execution_options(populate_existing=True)
    )
    row = session.exec(query).one()
    if now - row.last_failure_at >= limits.window:
        row.failures, row.window_started_at = 0, now
    row.failures += 1
    row.last_failure_at = now
    locked = None
    if row.failures >= limit:
        lock = limits.lock_for(row.failures, limit)
        row.locked_until = now + lock
        locked = {"failures": row.failures, "locked_seconds": math.ceil(lock.total_seconds())}
    session.add(row)
    session.flush()
    return locked


def _insert_missing(session: Session, key: str, now: dt.datetime) -> None:
    """The key's row, created if missing; two workers creating it at once both succeed."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(LoginThrottle).values(
        key=key, failures=0, window_started_at=now, last_failure_at=now
    )
    session.exec(statement.on_conflict_do_nothing(index_elements=["key"]))
