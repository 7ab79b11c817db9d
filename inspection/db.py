"""One engine per application, one session per request (kept on `g`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

ENGINE_KEY = "inspection.engine"


# SQLite's `synchronous` settings this module accepts. FULL is what the app runs with: in WAL mode
# NORMAL syncs the log only at checkpoints, so a power cut can roll back the last commits that the
# server already acknowledged (https://sqlite.org/pragma.html#pragma_synchronous). NORMAL is kept
# for bench/durability.py, which measures what FULL costs.
SYNCHRONOUS = ("FULL", "NORMAL")


def make_engine(url: str, *, busy_timeout_ms: int = 15000, synchronous: str = "FULL") -> Engine:
    if synchronous not in SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {SYNCHRONOUS}, not {synchronous!r}")
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    return engine


def init_app(app: Flask) -> None:
    app.extensions[ENGINE_KEY] = make_engine(
        app.config["DATABASE_URL"], busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"]
    )
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    return current_app.extensions[ENGINE_KEY]


def get_session() -> Session:
    """The session of the current request (or app context), created on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """A service's write: whatever stops it part-way (a refusal, an error, a stop signal) rolls
    back everything it did, so that no half-written record is ever committed or left pending."""
    try:
        yield session
    except BaseException:
        session.rollback()
        raise


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def create_schema(engine: Engine) -> str:
    """Bring the database to the latest schema revision (idempotent); returns the revision."""
    from inspection import migrate

    return migrate.upgrade(engine)


def ping(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001  (any failure means unreachable)
        return False
