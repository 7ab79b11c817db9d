"""The `flask --app app …` commands of API.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from inspection import db
from inspection.checklist import template_max, validate
from inspection.library import TemplateInvalid, TemplateLibrary, VersionExists

forms_cli = AppGroup("forms", help="The checklist template library.")


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db_command)
    app.cli.add_command(forms_cli)


def _library() -> TemplateLibrary:
    return current_app.extensions["inspection.library"]


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Bring the database schema to the latest version (idempotent)."""
    db.create_schema(db.get_engine())
    click.echo("Database ready.")


def _read_json(path: str) -> object:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path}: not readable JSON: {exc}") from exc


@forms_cli.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
def forms_check(file: str) -> None:
    """Validate a template file without importing it (exit 1 with every problem)."""
    document = _read_json(file)
    report = validate(document)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not report.ok:
        for problem in report.errors:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    click.echo(f"{file}: valid, {template_max(document)} points")


@forms_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
def forms_import(file: str) -> None:
    """Import a template file into the library."""
    document = _read_json(file)
    try:
        result = _library().import_document(document, source=Path(file).name)
    except TemplateInvalid as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    except VersionExists as exc:
        raise click.ClickException(str(exc)) from exc
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    t = result.template
    state = "imported" if result.created else "already in the library (identical)"
    click.echo(f"{t.key} v{t.version}: {state}")


@forms_cli.command("list")
def forms_list() -> None:
    """Every template version in the library."""
    for t in _library().all():
        click.echo(f"{t.key}\tv{t.version}\t{template_max(t.document)}\t{t.title}")
    for name, reason in current_app.extensions["inspection.forms_report"].refused:
        click.echo(f"refused forms/{name}: {reason}", err=True)
