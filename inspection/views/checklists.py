"""The checklist template library on pages: what is in it, each version's outline, and the
admin's upload of a new template file (the same rules as `forms import` and POST /api/v1/forms)."""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired

from inspection.checklist import item_max, template_max
from inspection.library import TemplateInvalid, TemplateLibrary, VersionExists
from inspection.views.forms import form_status

bp = Blueprint("checklists", __name__, url_prefix="/checklists")

MAX_TEMPLATE_BYTES = 1024 * 1024


class UploadForm(FlaskForm):
    file = FileField(
        _l("Checklist template file (JSON)"),
        validators=[FileRequired(_l("Choose a file.")),
                    FileAllowed(["json"], _l("The file must be a .json file."))],
    )  # fmt: skip


def library() -> TemplateLibrary:
    return current_app.extensions["inspection.library"]


def render_index(form: UploadForm, problems: list[str] | None = None, status: int = 200):
    templates = [(t, template_max(t.document)) for t in library().all()]
    refused = current_app.extensions["inspection.forms_report"].refused
    page = render_template("checklists/index.html", templates=templates, form=form,
                           problems=problems or [], refused=refused)  # fmt: skip
    return page, status


@bp.get("/")
def index():
    return render_index(UploadForm())


@bp.post("/upload")
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return render_index(form, status=form_status(form))
    data = form.file.data.read(MAX_TEMPLATE_BYTES + 1)
    if len(data) > MAX_TEMPLATE_BYTES:
        return render_index(form, [_("The file is larger than 1 MB.")], 413)
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return render_index(form, [_("The file is not valid JSON: %(why)s", why=str(exc))], 400)
    try:
        result = library().import_document(document, source=f"upload:{form.file.data.filename}")
    except TemplateInvalid as exc:
        return render_index(form, [str(p) for p in exc.problems], 400)
    except VersionExists:
        why = _("This key and version already exist with other content: raise the version.")
        return render_index(form, [why], 409)
    stored = result.template
    if result.created:
        flash(_("Imported %(title)s, version %(version)s.", title=stored.title,
                version=stored.version), "success")  # fmt: skip
    else:
        flash(_("This version is already in the library, identical."), "info")
    return redirect(url_for("checklists.view", key=stored.key, version=stored.version))


@bp.get("/<key>/<int:version>")
def view(key: str, version: int):
    stored = library().get(key, version)
    if stored is None:
        abort(404)
    return render_template("checklists/view.html", stored=stored, item_max=item_max,
                           total=template_max(stored.document))  # fmt: skip
