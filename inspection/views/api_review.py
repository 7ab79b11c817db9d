"""The review routes of the JSON API (API.md): deficiencies, explanations of consistency
warnings, the lead's comments, and the decisions (submit, return, approve, reopen).

Access is checked before each request (auth.ACCESS); the state of the visit and who may decide
what, by the services and workflow.py."""

from __future__ import annotations

from flask import Response, g, jsonify
from flask_login import current_user

from inspection import db
from inspection.library import get_library
from inspection.services import findings, history, review
from inspection.views.api import bp, json_body, visit_summary


@bp.get("/visits/<int:visit_id>/findings")
def list_findings(visit_id: int) -> Response:
    """The deficiencies, and what each failed item without one proposes (`proposed`)."""
    session = db.get_session()
    record = review.read_record(session, get_library(), g.visit)
    proposed = findings.proposals(record.template, record.sheet, record.findings, record.reasons)
    return jsonify(findings=findings.findings_public(session, g.visit), proposed=proposed)


@bp.post("/visits/<int:visit_id>/findings")
def create_finding(visit_id: int) -> tuple[Response, int]:
    data = findings.FindingWrite.parse(json_body())
    result, replayed = findings.create_finding(
        db.get_session(), get_library(), visit=g.visit, user=current_user, data=data
    )
    return jsonify({**result, "replayed": replayed}), 200 if replayed else 201


@bp.patch("/findings/<int:finding_id>")
def update_finding(finding_id: int) -> Response:
    data = findings.FindingUpdate.parse(json_body())
    result = findings.update_finding(
        db.get_session(),
        get_library(),
        visit=g.visit,
        finding=g.finding,
        user=current_user,
        data=data,
    )
    return jsonify(result)


@bp.put("/visits/<int:visit_id>/checks/<check_key>")
def explain_check(visit_id: int, check_key: str) -> Response:
    data = review.ExplanationWrite.parse(json_body())
    result = review.explain(
        db.get_session(),
        get_library(),
        visit=g.visit,
        user=current_user,
        check_key=check_key,
        data=data,
    )
    return jsonify(result)


@bp.post("/visits/<int:visit_id>/submit")
def submit_visit(visit_id: int) -> Response:
    review.submit(db.get_session(), get_library(), visit=g.visit, user=current_user)
    return jsonify(visit_summary(g.visit))


@bp.post("/visits/<int:visit_id>/return")
def return_visit(visit_id: int) -> Response:
    data = review.ReturnWrite.parse(json_body())
    sent = review.return_visit(
        db.get_session(), get_library(), visit=g.visit, user=current_user, data=data
    )
    return jsonify({**visit_summary(g.visit), "comments_sent": sent})


@bp.post("/visits/<int:visit_id>/approve")
def approve_visit(visit_id: int) -> Response:
    review.approve(db.get_session(), get_library(), visit=g.visit, user=current_user)
    return jsonify(visit_summary(g.visit))


@bp.post("/visits/<int:visit_id>/reopen")
def reopen_visit(visit_id: int) -> Response:
    data = review.ReopenWrite.parse(json_body())
    review.reopen(db.get_session(), visit=g.visit, user=current_user, data=data)
    return jsonify(visit_summary(g.visit))


@bp.post("/visits/<int:visit_id>/comments")
def add_comment(visit_id: int) -> tuple[Response, int]:
    data = review.CommentWrite.parse(json_body())
    comment = review.add_comment(
        db.get_session(), get_library(), visit=g.visit, user=current_user, data=data
    )
    return jsonify(review.comment_public(comment)), 201


@bp.get("/visits/<int:visit_id>/history")
def visit_history(visit_id: int) -> Response:
    return jsonify(events=history.events_public(db.get_session(), g.visit))
