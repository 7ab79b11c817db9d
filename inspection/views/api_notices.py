"""The conclusion notice's routes of the JSON API (API.md): the lead's draft, issuing, the
issued notice, and its superseding correction. Access is auth.ACCESS's; states, workflow.py's."""

from __future__ import annotations

from flask import Response, g, jsonify
from flask_login import current_user

from inspection import db
from inspection.library import get_library
from inspection.models import Notice, Role
from inspection.services import notices
from inspection.views.api import bp, json_body
from inspection.views.notices import notice_urls, rendering, timezone, today


def _public(notice: Notice) -> dict[str, object]:
    urls = notice_urls(notice)
    if current_user.role == Role.UNIT:  # the Word copy is the team's (auth.ACCESS)
        urls.pop("docx")
    return notices.notice_public(notice, urls)


@bp.get("/visits/<int:visit_id>/notice/draft")
def get_notice_draft(visit_id: int) -> Response:
    """The lead's draft and the notice it makes today (`content`), with the requirements whose
    deadline is already past (`past_deadlines`: flagged before issuing)."""
    session = db.get_session()
    content = notices.draft_content(
        session, get_library(), g.visit, timezone=timezone(), today=today()
    )
    return jsonify(
        draft=notices.draft_public(notices.get_draft(session, g.visit)),
        content=content.model_dump(mode="json"),
        past_deadlines=[d.finding_id for d in content.past_deadlines()],
    )


@bp.put("/visits/<int:visit_id>/notice/draft")
def put_notice_draft(visit_id: int) -> Response:
    data = notices.DraftWrite.parse(json_body())
    row = notices.save_draft(
        db.get_session(), get_library(), visit=g.visit, user=current_user, data=data
    )
    return jsonify(draft=notices.draft_public(row))


@bp.post("/visits/<int:visit_id>/notice")
def issue_notice(visit_id: int) -> tuple[Response, int]:
    notice = notices.issue(
        db.get_session(), get_library(), visit=g.visit, user=current_user, rendering=rendering()
    )
    return jsonify(_public(notice)), 201


@bp.get("/notices/<int:notice_id>")
def get_notice(notice_id: int) -> Response:
    return jsonify(_public(g.notice))


@bp.post("/notices/<int:notice_id>/supersede")
def supersede_notice(notice_id: int) -> tuple[Response, int]:
    data = notices.SupersedeWrite.parse(json_body())
    notice = notices.supersede(
        db.get_session(),
        get_library(),
        notice=g.notice,
        user=current_user,
        data=data,
        rendering=rendering(),
    )
    return jsonify(_public(notice)), 201
