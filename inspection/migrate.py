"""Schema versions with Alembic: `init-db` brings any database to the latest revision.

Every schema change ships as a migration in inspection/migrations/versions (write it with
`make migration MESSAGE="..."`, which autogenerates from the models, then read and adjust it).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The first revision: databases made by create_all() before migrations existed are stamped there.
BASELINE = "0001"


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
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(engine: Engine) -> str:
    """Upgrade to head (idempotent); returns the revision the database is now at."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        tables = set(inspect(connection).get_table_names())
        if "users" in tables and "alembic_version" not in tables:
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
    return current_revision(engine)


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
