"""The database a test runs on: a fresh SQLite file by default, or a fresh PostgreSQL database
when INSPECTION_TEST_DATABASE_URL names a server (`make test-postgres` does).

Either way the schema comes from the migrations, once per test session, into a template that each
test copies: a file copy for SQLite, CREATE DATABASE … TEMPLATE for PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from inspection.db import create_schema, make_engine

SERVER_URL = os.environ.get("INSPECTION_TEST_DATABASE_URL", "")
BACKEND = "postgresql" if SERVER_URL.startswith("postgresql") else "sqlite"


class SQLiteDatabases:
    def __init__(self, folder: Path):
        self.template = folder / "template.db"
        engine = make_engine(f"sqlite:///{self.template}")
        create_schema(engine)
        engine.dispose()  # the last connection checkpoints the WAL into the file

    def create(self, folder: Path) -> str:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "test.db"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def create_empty(self, folder: Path) -> str:
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'empty.db'}"

    def drop(self, url: str) -> None:
        """Files go with the test's temporary folder."""

    def close(self) -> None:
        pass


class PostgresDatabases:
    def __init__(self, server_url: str, worker: str):
        self.server = make_url(server_url)
        self.admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        self.template_name = f"inspection_template_{worker}"
        self._execute(f'DROP DATABASE IF EXISTS "{self.template_name}"')
        self._execute(f"CREATE DATABASE \"{self.template_name}\" ENCODING 'UTF8'")
        engine = make_engine(self._url(self.template_name))
        create_schema(engine)
        engine.dispose()

    def _url(self, name: str) -> str:
        return self.server.set(database=name).render_as_string(hide_password=False)

    def _execute(self, statement: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(statement))

    def create(self, folder: Path) -> str:
        name = f"inspection_test_{uuid.uuid4().hex[:12]}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template_name}"')
        return self._url(name)

    def create_empty(self, folder: Path) -> str:
        name = f"inspection_empty_{uuid.uuid4().hex[:12]}"
        self._execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8'")
        return self._url(name)

    def drop(self, url: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def close(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)')
        self.admin.dispose()


def open_databases(folder: Path, worker: str) -> SQLiteDatabases | PostgresDatabases:
    if BACKEND == "postgresql":
        return PostgresDatabases(SERVER_URL, worker)
    return SQLiteDatabases(folder)
