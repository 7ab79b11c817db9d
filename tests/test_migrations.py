"""The migrations are the schema: an empty database upgraded to head is exactly the models."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from inspection import migrate
from inspection.db import make_engine


@pytest.fixture
def empty_database(databases, tmp_path):
    url = databases.create_empty(tmp_path / "empty")
    engine = make_engine(url)
    yield engine
    engine.dispose()
    databases.drop(url)


def differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_upgrading_an_empty_database_yields_exactly_the_models(empty_database):
    assert migrate.upgrade(empty_database) == migrate.head_revision()
    assert differences(empty_database) == []
    tables = set(inspect(empty_database).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables


def test_upgrade_is_idempotent_and_downgrade_returns_to_empty(empty_database):
    migrate.upgrade(empty_database)
    assert migrate.upgrade(empty_database) == migrate.head_revision()
    config = migrate.alembic_config(empty_database)
    with empty_database.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(empty_database).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(empty_database)
    assert differences(empty_database) == []


def test_a_database_made_before_migrations_is_adopted(empty_database):
    """Before Alembic, init-db ran create_all: the tables of the first revision, unversioned."""
    config = migrate.alembic_config(empty_database)
    with empty_database.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, migrate.BASELINE)
        connection.execute(text("DROP TABLE alembic_version"))
    assert migrate.current_revision(empty_database) is None
    assert migrate.upgrade(empty_database) == migrate.head_revision()
    assert differences(empty_database) == []
