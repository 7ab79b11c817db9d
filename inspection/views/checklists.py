"""The checklist template library on pages: what is in it, each version's outline, and the
admin's upload of a new template file (the same rules as `forms import` and POST /api/v1/forms)."""

from __future__ import annotations

import json
import os
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired

from inspection import db
from inspection.checklist import MAX_TEMPLATE_BYTES, Problem, message
from inspection.i18n import format_number, page_words, translate
from inspection.library import (
    LibraryUnreadable,
    StoredVersionBroken,
    TemplateInvalid,
    TemplateTooLarge,
    VersionExists,
    get_library,
    parse_template,
)
from inspection.services import templates
from inspection.strict_json import StrictJSONError
from inspection.views.forms import form_status

bp = Blueprint("checklists", __name__, url_prefix="/checklists")


class UploadForm(FlaskForm):
    file = FileField(
        _l("Checklist template file (JSON)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["json"], _l("The file must be a .json file.")),
        ],
    )


def render_index(
    form: UploadForm,
    problems: list[Problem] | None = None,
    status: int = 200,
    *,
    from_checker: bool = False,
) -> tuple[str, int]:
    """The list and the upload form; `from_checker` when the problems are the template
    validator's (key path + English detail), not this page's own."""
    templates = [(t, t.form.max_points()) for t in get_library().all()]
    refused = current_app.extensions["inspection.forms_report"].refused
    page = render_template(
        "checklists/index.html",
        templates=templates,
        form=form,
        problems=problems or [],
        from_checker=from_checker,
        refused=refused,
        broken=get_library().broken(),
        unreadable=get_library().unreadable(),
        library_path=current_app.config["LIBRARY_PATH"],
    )
    return page, status


@bp.app_template_global()
def checklist_title(key: str, version: int) -> str:
    """What a person reads for a plan's checklist: its title (the key when the library has lost
    that version)."""
    stored = get_library().get(key, version)
    return stored.title if stored is not None else key


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_index(UploadForm())


@bp.post("/upload")
def upload() -> ResponseReturnValue:
    form = UploadForm()
    if not form.validate_on_submit():
        return render_index(form, status=form_status(form))
    data = form.file.data.read(MAX_TEMPLATE_BYTES + 1)
    try:
        document = parse_template(data)
    except TemplateTooLarge:
        size = format_number(upload_size(form.file.data.stream, len(data)), 0)
        limit = format_number(MAX_TEMPLATE_BYTES, 0)
        why = _(
            "The file is %(size)s bytes, over the limit of %(limit)s bytes.", size=size, limit=limit
        )
        return render_index(form, [Problem("", message("upload", why))], 413)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return render_index(form, [Problem("", message("upload", not_json(exc)))], 400)
    try:
        result = templates.import_template(
            db.get_session(),
            get_library(),
            document,
            source=f"upload:{form.file.data.filename}",
            actor_id=current_user.id,
        )
    except TemplateInvalid as exc:
        return render_index(form, exc.problems, 400, from_checker=True)
    except LibraryUnreadable:
        why = _("The template library file cannot be read: no import until it is repaired.")
        return render_index(form, [Problem("", message("upload", why))], 503)
    except StoredVersionBroken as exc:
        why = _(
            "This key and version are in the library already, but that copy cannot be used "
            "(%(why)s): raise the version.",
            why=exc.reason,
        )
        return render_index(form, [Problem("", message("upload", why))], 409)
    except VersionExists:
        why = _("This key and version already exist with other content: raise the version.")
        return render_index(form, [Problem("", message("upload", why))], 409)
    stored = result.template
    if result.created:
        flash(
            _(
                "Imported %(title)s, version %(version)s.",
                title=stored.title,
                version=stored.version,
            ),
            "success",
        )
    else:
        flash(_("This version is already in the library, identical."), "info")
    return redirect(url_for("checklists.view", key=stored.key, version=stored.version))


# Python's JSON parser says what it expected in English: each of its messages in a page's words.
PARSER_SAYS = {
    "Expecting value": _l("a value is missing or is not JSON"),
    "Expecting property name enclosed in double quotes": _l(
        "a member name in double quotes is expected"
    ),
    "Expecting ':' delimiter": _l("a colon (:) is expected"),
    "Expecting ',' delimiter": _l("a comma (,) is expected"),
    "Unterminated string starting at": _l("a text in quotes is not closed"),
    "Invalid control character at": _l("a control character inside a text in quotes"),
    "Invalid \\escape": _l("a backslash that starts no valid escape"),
    "Invalid \\uXXXX escape": _l("a backslash-u escape without four hexadecimal digits"),
    "Extra data": _l("more text after the end of the JSON document"),
    "Unexpected UTF-8 BOM (decode using utf-8-sig)": _l(
        "the file starts with a byte order mark (BOM): save it as UTF-8 without BOM"
    ),
    "Illegal trailing comma before end of object": _l("a comma before the closing brace"),
    "Illegal trailing comma before end of array": _l("a comma before the closing bracket"),
}


def not_json(exc: UnicodeDecodeError | json.JSONDecodeError) -> str:
    """Why an uploaded file is not JSON, in the page's language, with where when known."""
    if isinstance(exc, UnicodeDecodeError):
        return _("The file is not text in UTF-8 (byte %(place)s).", place=exc.start + 1)
    if isinstance(exc, StrictJSONError):
        why = translate(exc.said, exc.params)
        return _("The file is not valid JSON: %(why)s", why=why)
    said = PARSER_SAYS.get(exc.msg)
    return _(
        "The file is not valid JSON: %(why)s (line %(line)s, column %(column)s).",
        why=str(said) if said is not None else exc.msg,
        line=format_number(exc.lineno, 0),
        column=format_number(exc.colno, 0),
    )


def upload_size(stream: Any, read: int) -> int:  # noqa: ANN401
    """The size of an uploaded file of which `read` bytes were read (those when unknown)."""
    try:
        return max(read, stream.seek(0, os.SEEK_END))
    except (AttributeError, OSError, ValueError):
        return read


@bp.get("/<key>/<int:version>")
def view(key: str, version: int) -> str:
    stored = get_library().get(key, version)
    if stored is None:
        abort(404)
    return render_template("checklists/view.html", stored=stored, words=page_words())
