"""Schema versions with Alembic: `init-db` brings any database to the latest revision.

Every schema change ships as a migration in inspection/migrations/versions (write it with
`make migration MESSAGE="..."`, which autogenerates from the models, then read and adjust it).

A database at a revision this code does not know was made by a newer version of Inspection:
`upgrade` refuses it with `SchemaTooNew` (one clear sentence) instead of Alembic's "Can't locate
revision". `check_at_start` logs, when a server starts, that the schema needs `init-db`.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import click
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The first revision: databases made by create_all() before migrations existed are stamped there.
BASELINE = "0001"
INIT_DB = "flask --app app init-db"
# A database server that does not answer must not hold up a worker's start (gunicorn would kill
# it as hung): the check at start gives up after this long, and the health check reports 503.
START_CHECK_TIMEOUT_S = 5

log = logging.getLogger(__name__)


class SchemaTooNew(RuntimeError):
    """The database is at a revision this version does not know: a newer version made it, and
    this one can neither upgrade nor safely use it."""

    def __init__(self, revision: str, head: str):
        super().__init__(
            f"The database was made by a newer version of Inspection: its schema is at revision "
            f"{revision}, this version's latest is {head}. Install the version that made it (or "
            "a newer one) to use this database."
        )
        self.revision = revision
        self.head = head


class MigrationRefused(RuntimeError):
    """A migration found stored data it cannot carry over (e.g. two plans with one number, which
    a new unique index forbids). Nothing was changed: the whole upgrade is one transaction. The
    message names the records to correct, in one line."""


SchemaState = Literal["current", "behind", "empty", "newer"]


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database stands against this version's migrations.

    state: `current` (at head), `behind` (an older revision, or tables made before migrations
    existed: init-db upgrades it), `empty` (no tables: init-db creates them) or `newer` (a
    revision this version does not know).
    """

    current: str | None
    head: str
    state: SchemaState


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    return _shipped()[0]


@functools.cache
def _shipped() -> tuple[str, frozenset[str]]:
    """(head, every revision) of the migrations this code ships; read once per process (~35 ms,
    which every `create_app` would otherwise pay)."""
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS}")
    return head, frozenset(s.revision for s in script.walk_revisions())


def _status(connection: Connection) -> SchemaStatus:
    head, known = _shipped()
    tables = set(inspect(connection).get_table_names())
    current = MigrationContext.configure(connection).get_current_revision()
    state: SchemaState
    if current is None:
        state = "behind" if tables - {"alembic_version"} else "empty"
    elif current not in known:
        state = "newer"
    else:
        state = "current" if current == head else "behind"
    return SchemaStatus(current=current, head=head, state=state)


def schema_status(engine: Engine) -> SchemaStatus:
    with engine.connect() as connection:
        return _status(connection)


def upgrade(engine: Engine) -> str:
    """Upgrade to head (idempotent); returns the revision the database is now at.

    Raises SchemaTooNew, touching nothing, when a newer version of Inspection made the database,
    and MigrationRefused, touching nothing, when stored data stops a migration.
    """
    config = alembic_config(engine)
    with engine.begin() as connection:
        status = _status(connection)
        if status.state == "newer" and status.current is not None:  # "newer" names a revision
            raise SchemaTooNew(status.current, status.head)
        config.attributes["connection"] = connection
        tables = set(inspect(connection).get_table_names())
        if "users" in tables and "alembic_version" not in tables:
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
    revision = current_revision(engine)
    if revision is None:  # alembic_version holds head after the upgrade
        raise RuntimeError("the database has no schema revision after the upgrade")
    return revision


def building_to_serve() -> bool:
    """True when the app is built to serve (gunicorn, waitress, any WSGI host, `flask run`),
    False for the other `flask` commands: init-db, seed-demo and restore bring the schema up
    themselves, and init-db says in one line what it found, so a warning telling to run init-db
    would only be noise there."""
    context = click.get_current_context(silent=True)
    return context is None or context.command.name == "run"


def check_at_start(engine: Engine) -> SchemaStatus | None:
    """Log when the database is not at this version's schema (a forgotten `init-db` after an
    upgrade, or a newer version's database): requests would fail with SQL errors otherwise.

    Never fails the start: an unreachable database is the health check's to report (503), and a
    SQLite file that does not exist yet is not created just to look at it. Returns the status,
    or None when it could not be read.
    """
    path = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if path and path != ":memory:" and not path.startswith("file:") and not Path(path).exists():
        status = SchemaStatus(current=None, head=_shipped()[0], state="empty")
    else:
        probe = engine
        if engine.url.get_backend_name() == "postgresql":
            timeout = {"connect_timeout": START_CHECK_TIMEOUT_S}
            probe = create_engine(engine.url, poolclass=NullPool, connect_args=timeout)
        try:
            status = schema_status(probe)
        except SQLAlchemyError as exc:
            reason = " ".join(str(getattr(exc, "orig", None) or exc).split())  # one line
            log.warning("could not read the database schema's revision at start: %s", reason)
            return None
        finally:
            if probe is not engine:
                probe.dispose()
    if status.state == "empty":
        log.warning(
            "the database has no tables yet: run `%s` to create the schema (revision %s) "
            "before serving; until then every request that needs the database fails",
            INIT_DB,
            status.head,
        )
    elif status.state == "behind":
        log.warning(
            "the database schema is at revision %s but this version needs %s: stop the server, "
            "run `%s`, then start it again; until then requests may fail",
            status.current or "(none: made before migrations)",
            status.head,
            INIT_DB,
        )
    elif status.state == "newer" and status.current is not None:  # "newer" names a revision
        log.error("%s", SchemaTooNew(status.current, status.head))
    return status


def new_revision(message: str) -> None:
    """Autogenerate the next migration: a scratch SQLite database at head, compared with the
    models. Read the result before committing it (renames and data moves need a hand)."""
    import tempfile

    from inspection.db import make_engine

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/scratch.db")
        upgrade(engine)
        config = alembic_config(engine)
        number = f"{int(head_revision()) + 1:04d}"
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message=message, autogenerate=True, rev_id=number)
        engine.dispose()


if __name__ == "__main__":
    import sys

    new_revision(" ".join(sys.argv[1:]))
