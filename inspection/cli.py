"""The `flask --app app …` commands of API.md."""

from __future__ import annotations

import functools
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from inspection import backup, db, migrate
from inspection.checklist import json_schema, parse, validate
from inspection.demo import demo_plan, seed_demo
from inspection.demo_results import record_results
from inspection.errors import DomainError
from inspection.library import (
    LibraryUnreadable,
    TemplateInvalid,
    TemplateTooLarge,
    VersionExists,
    get_library,
    read_template_file,
)
from inspection.models import Role
from inspection.services import templates, users
from inspection.storage import get_store

forms_cli = AppGroup("forms", help="The checklist template library.")


users_cli = AppGroup("users", help="User accounts.")

P = ParamSpec("P")
R = TypeVar("R")


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(forms_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(photos_cli)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Bring the database schema to the latest version (idempotent).

    A database made by a newer version of Inspection is refused in one line, exit 1, untouched.
    """
    engine = db.get_engine()
    before = migrate.schema_status(engine)
    try:
        revision = db.create_schema(engine)
    except (migrate.SchemaTooNew, migrate.MigrationRefused) as exc:
        raise click.ClickException(str(exc)) from None
    upgraded = f", upgraded from {before.current}" if before.current not in (None, revision) else ""
    click.echo(f"Database ready (schema revision {revision}{upgraded}).")


@click.command("seed-demo")
@click.option(
    "--with-results",
    is_flag=True,
    help="Also carry two visits through: answered, approved, and one notice issued.",
)
@with_appcontext
def seed_demo_command(with_results: bool) -> None:
    """Demo agency, units, users, a plan and its visits (safe to run twice)."""
    try:
        db.create_schema(db.get_engine())
    except (migrate.SchemaTooNew, migrate.MigrationRefused) as exc:
        raise click.ClickException(str(exc)) from None
    logins = seed_demo(db.get_session(), get_library())
    if with_results:
        record_results(
            db.get_session(), get_library(), get_store(), plan=demo_plan(db.get_session())
        )
        click.echo("Ninh Xuân's notice is issued; Ninh Hưng's visit waits for its notice.")
    click.echo("Demo logins (unless changed since):")
    for username, password, role in logins:
        click.echo(f"  {role:<10} {username:<12} {password}")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--password", help="Without it, a strong password is generated and printed.")
@click.option("--unit", "unit_code", help="The unit code of a unit user.")
@click.option("--full-name", help="Printed on documents; defaults to the username.")
@click.option("--position", default="", help="Position printed on documents.")
def users_create(
    username: str,
    role: str,
    password: str | None,
    unit_code: str | None,
    full_name: str | None,
    position: str,
) -> None:
    """Create a user account."""
    generated = password is None
    password = password or users.generate_password()
    data = users.UserCreate.parse(
        {
            "username": username,
            "role": role,
            "full_name": full_name or username,
            "position": position,
            "password": password,
            "unit_code": unit_code,
        }
    )
    try:
        user = users.create_user(db.get_session(), actor_id=None, data=data)
    except DomainError as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        raise click.ClickException(f"{exc.message}" + (f" ({details})" if details else "")) from exc
    click.echo(f"Created {user.role} '{user.username}'.")
    if generated:
        click.echo(f"Password: {password}")


def _read_json(path: str) -> object:
    try:
        return read_template_file(path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path}: not readable JSON: {exc}") from exc
    except TemplateTooLarge as exc:
        raise click.ClickException(f"{path}: {exc}") from exc


@forms_cli.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
def forms_check(file: str) -> None:
    """Validate a template file without importing it (exit 1 with every problem)."""
    document = _read_json(file)
    report = validate(document)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not report.ok or not isinstance(document, dict):  # a valid template is an object
        for problem in report.errors:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    click.echo(f"{file}: valid, {parse(document, stored=False).max_points()} points")


@forms_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
def forms_import(file: str) -> None:
    """Import a template file into the library."""
    document = _read_json(file)
    try:
        result = templates.import_template(
            db.get_session(), get_library(), document, source=Path(file).name, actor_id=None
        )
    except TemplateInvalid as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    except LibraryUnreadable as exc:
        raise click.ClickException(f"the template library cannot be read: {exc}") from exc
    except VersionExists as exc:
        raise click.ClickException(str(exc)) from exc
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    t = result.template
    state = "imported" if result.created else "already in the library (identical)"
    click.echo(f"{t.key} v{t.version}: {state}")


@forms_cli.command("schema")
def forms_schema() -> None:
    """Print the JSON Schema of the checklist format (for template authors' editors)."""
    click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


@forms_cli.command("list")
def forms_list() -> None:
    """Every template version in the library."""
    for t in get_library().all():
        click.echo(f"{t.key}\tv{t.version}\t{t.form.max_points()}\t{t.title}")
    for name, reason in current_app.extensions["inspection.forms_report"].refused:
        click.echo(f"refused forms/{name}: {reason}", err=True)
    for broken in get_library().broken():
        click.echo(f"broken in the library: {broken.name}: {broken.reason}", err=True)
    if why := get_library().unreadable():
        click.echo(f"the template library cannot be read: {why}", err=True)


def _stops_cleanly(command: Callable[P, R]) -> Callable[P, R]:
    """A SIGTERM (systemd stopping a timer's job) unwinds like Ctrl+C, so the temporary archive
    and the work folder holding a database copy are removed instead of left behind."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if threading.current_thread() is not threading.main_thread():
            return command(*args, **kwargs)

        def terminate(signum: int, _frame: object) -> None:
            raise SystemExit(128 + signum)

        previous = signal.signal(signal.SIGTERM, terminate)
        try:
            return command(*args, **kwargs)
        finally:
            signal.signal(signal.SIGTERM, previous)

    return run


@click.command("backup")
@click.argument("dest", type=click.Path())
@with_appcontext
@_stops_cleanly
def backup_command(dest: str) -> None:
    """Write one archive of the database, photos and template library (safe while serving).

    DEST is the archive's file name (ending in .tar.gz), or else a folder (created when missing)
    that receives inspection-backup-YYYYmmdd-HHMMSS.tar.gz. The archive is read back and verified.
    """
    config = current_app.config
    began = time.monotonic()
    try:
        path = backup.create_backup(
            engine=db.get_engine(),
            database_url=config["DATABASE_URL"],
            library_path=config["LIBRARY_PATH"],
            upload_dir=config["UPLOAD_DIR"],
            dest=dest,
        )
        written = time.monotonic()
        manifest = backup.verify_backup(path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    photos = sum(1 for name in manifest["files"] if name.startswith(backup.UPLOADS_PREFIX))
    database = manifest["database"]
    click.echo(f"Backup written to {path}")
    click.echo(
        f"  {database['backend']} database (schema revision {database['revision']}), "
        f"template library, {photos} upload files; {path.stat().st_size:,} bytes; "
        f"written in {written - began:.2f} s, verified in {time.monotonic() - written:.2f} s"
    )


@click.command("restore")
@click.argument("src", type=click.Path())
@with_appcontext
@_stops_cleanly
def restore_command(src: str) -> None:
    """Restore an archive made by `backup` into this instance, which must be empty.

    SRC is the archive, or a folder holding exactly one. Stop the server first. The archive is
    verified in full before anything is written; the database is then brought to this version's
    schema.
    """
    config = current_app.config
    began = time.monotonic()
    try:
        report = backup.restore_backup(
            src=src,
            engine=db.get_engine(),
            database_url=config["DATABASE_URL"],
            library_path=config["LIBRARY_PATH"],
            upload_dir=config["UPLOAD_DIR"],
            forms_dir=config["FORMS_DIR"],
        )
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    elapsed = time.monotonic() - began
    click.echo(f"Restored {report.archive} (made {report.created_at}) in {elapsed:.2f} s:")
    click.echo(
        f"  {report.backend} database at schema revision {report.revision}: {report.tables} "
        f"tables, {report.rows} rows; {report.templates} template versions; "
        f"{report.files} upload files"
    )


photos_cli = AppGroup("photos", help="The photo store.")


@photos_cli.command("sweep")
def sweep_command() -> None:
    """Remove photo folders that no photo row names (left by a crash between file and row),
    older than the grace period. Safe while the server runs."""
    from flask import current_app

    from inspection import sweeper

    removed = sweeper.sweep_once(current_app)
    click.echo(f"{len(removed)} orphan photo folders removed")
    for path in removed:
        click.echo(f"  {path}")
