"""Alembic environment: runs on the connection handed over by inspection.migrate (the app's
engine), or on INSPECTION_DATABASE_URL when called from the alembic command line."""

from alembic import context
from sqlmodel import SQLModel

from inspection import models  # noqa: F401  (registers the tables)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        import os

        from inspection.db import make_engine

        url = config.get_main_option("sqlalchemy.url") or os.environ.get("INSPECTION_DATABASE_URL")
        if not url:
            raise SystemExit(
                "Set INSPECTION_DATABASE_URL, or run `flask --app app init-db`, which knows the "
                "instance's default database."
            )
        with make_engine(url).connect() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE on SQLite
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
