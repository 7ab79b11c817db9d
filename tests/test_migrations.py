"""The migrations are the schema: an empty database upgraded to head is exactly the models.
Also the private PostgreSQL cluster that `make test-postgres` runs the suite on."""

from __future__ import annotations

import re
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

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


def set_revision(engine, revision: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_the_status_names_each_state(empty_database):
    head = migrate.head_revision()
    assert migrate.schema_status(empty_database) == migrate.SchemaStatus(None, head, "empty")
    config = migrate.alembic_config(empty_database)
    with empty_database.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, migrate.BASELINE)
    baseline = "current" if head == migrate.BASELINE else "behind"
    assert migrate.schema_status(empty_database).state == baseline
    with empty_database.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    assert migrate.schema_status(empty_database) == migrate.SchemaStatus(None, head, "behind")
    migrate.upgrade(empty_database)
    assert migrate.schema_status(empty_database) == migrate.SchemaStatus(head, head, "current")
    set_revision(empty_database, "0099")
    assert migrate.schema_status(empty_database) == migrate.SchemaStatus("0099", head, "newer")


def test_a_database_of_a_newer_version_is_refused_untouched(empty_database):
    """Not Alembic's "Can't locate revision identified by '0099'", and no upgrade attempted."""
    migrate.upgrade(empty_database)
    set_revision(empty_database, "0099")
    tables = set(inspect(empty_database).get_table_names())
    with pytest.raises(migrate.SchemaTooNew) as refused:
        migrate.upgrade(empty_database)
    head = migrate.head_revision()
    assert (refused.value.revision, refused.value.head) == ("0099", head)
    assert str(refused.value) == (
        "The database was made by a newer version of Inspection: its schema is at revision "
        f"0099, this version's latest is {head}. Install the version that made it (or a newer "
        "one) to use this database."
    )
    assert migrate.current_revision(empty_database) == "0099"
    assert set(inspect(empty_database).get_table_names()) == tables


# tests/pg_cluster.py ----------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
CLUSTER_UP_S = 60


def processes_using(folder: Path) -> list[str]:
    """Command lines of the live processes that name `folder` (the postmaster does: -D …)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:  # gone meanwhile
            continue
        if any(str(folder).encode() in arg for arg in args):
            found.append(b" ".join(args).decode(errors="replace"))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_stops_the_private_cluster_and_removes_its_folder(signum):
    """A CI job's timeout sends SIGTERM: no PostgreSQL server and no data folder may outlive it.
    Needs the Debian `postgresql` package (`make system-deps`); runs on either backend."""
    command = [sys.executable, "-m", "tests.pg_cluster", "sleep", "60"]
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as cluster:
        try:
            ready, _, _ = select.select([cluster.stdout], [], [], CLUSTER_UP_S)
            line = cluster.stdout.readline() if ready else ""
            up = re.fullmatch(r"PostgreSQL on 127\.0\.0\.1:(\d+) \((.+)\)\n", line)
            if not up:
                cluster.kill()
                pytest.fail(f"no cluster: {line!r} {cluster.communicate()[1]}")
            port, data = int(up[1]), Path(up[2])
            assert data.is_dir() and processes_using(data)
            cluster.send_signal(signum)
            _, err = cluster.communicate(timeout=CLUSTER_UP_S)
        finally:
            if cluster.poll() is None:
                cluster.kill()
    assert cluster.returncode == 128 + signum, err
    assert f"stopped by {signal.Signals(signum).name}" in err
    assert not data.parent.exists()
    assert processes_using(data) == []
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
