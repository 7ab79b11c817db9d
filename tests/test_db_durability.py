"""An acknowledged write survives a power cut: every SQLite connection commits with
synchronous=FULL (in WAL mode NORMAL may roll back the last commits; bench/durability.py measures
what FULL costs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from inspection.db import get_session, make_engine

pytestmark = pytest.mark.sqlite_only

FULL, NORMAL = 2, 1  # what `PRAGMA synchronous` reads back


def pragmas(connection) -> tuple[int, str]:  # noqa: ANN001  (a Connection)
    return (
        connection.execute(text("PRAGMA synchronous")).scalar(),
        connection.execute(text("PRAGMA journal_mode")).scalar(),
    )


def test_every_new_connection_of_the_app_commits_durably(app):
    engine = app.extensions["inspection.engine"]
    with engine.connect() as first, engine.connect() as second:  # two at once: two connections
        assert first.connection.dbapi_connection is not second.connection.dbapi_connection
        assert pragmas(first) == pragmas(second) == (FULL, "wal")
    engine.dispose()
    with engine.connect() as fresh:
        assert pragmas(fresh) == (FULL, "wal")
    with app.app_context():  # the session a request uses
        assert get_session().exec(text("PRAGMA synchronous")).scalar() == FULL


def test_engines_made_outside_the_app_commit_durably_too(tmp_path: Path):
    """`init-db` and the migrations, the CLI, the test databases: all go through make_engine."""
    engine = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    with engine.connect() as connection:
        assert pragmas(connection) == (FULL, "wal")
    engine.dispose()


def test_normal_only_when_asked_for_and_nothing_else(tmp_path: Path):
    baseline = make_engine(f"sqlite:///{tmp_path / 'bench.db'}", synchronous="NORMAL")
    with baseline.connect() as connection:  # bench/durability.py's comparison
        assert pragmas(connection) == (NORMAL, "wal")
    baseline.dispose()
    with pytest.raises(ValueError, match="synchronous"):
        make_engine(f"sqlite:///{tmp_path / 'off.db'}", synchronous="OFF")
