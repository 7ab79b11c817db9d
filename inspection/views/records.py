"""The on-site record's page: the sheet as it stands, to print at the commune before the team
leaves, with its PDF and Word copy (the API's record routes, views/api_documents.py)."""

from __future__ import annotations

from flask import Blueprint, g, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from inspection import workflow
from inspection.db import get_session
from inspection.library import get_library
from inspection.models import Role, Visit
from inspection.records import render
from inspection.records.content import RecordContent
from inspection.services import records
from inspection.views.notices import now, timezone

bp = Blueprint("records", __name__)
bp.add_app_template_global(workflow.can_print_record, "can_print_record")


def record_of(visit: Visit) -> RecordContent:
    """The record as printed now, in the agency's time zone."""
    return records.record_content(
        get_session(), get_library(), visit, timezone=timezone(), now=now()
    )


@bp.get("/visits/<int:visit_id>/record")
def view(visit_id: int) -> ResponseReturnValue:
    visit = g.visit
    content = record_of(visit)
    urls = {kind: url_for(f"api.record_{kind}", visit_id=visit.id) for kind in ("pdf", "docx")}
    back = "visits.view" if current_user.role == Role.INSPECTOR else "review.view"
    return render_template(
        "records/view.html",
        visit=visit,
        urls=urls,
        back=url_for(back, visit_id=visit.id),
        **render.document_context(content),
    )
