"""The JSON API under /api/v1 (API.md). Access is checked before each request (auth.ACCESS);
views parse JSON, call one service and answer JSON."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, g, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from inspection import checklist, db, strict_json, text
from inspection.auth import authenticate, log_in, log_out
from inspection.checklist import MAX_TEMPLATE_BYTES
from inspection.errors import ValidationError, VersionExistsError, json_error
from inspection.library import (
    LibraryUnreadable,
    StoredTemplate,
    TemplateInvalid,
    TemplateTooLarge,
    VersionExists,
    get_library,
)
from inspection.models import Plan, Visit
from inspection.services import (
    answers,
    findings,
    plans,
    review,
    templates,
    units,
    users,
    visit_photos,
)
from inspection.services.explanations import explained, explanation_public

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_body(kind: type = dict) -> Any:
    """The request's JSON body, or a 400 that says why it is not usable."""
    if not request.is_json:
        raise ValidationError("send a JSON body with Content-Type: application/json")
    try:
        body = strict_json.loads(request.get_data(cache=True))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        why = exc.msg if isinstance(exc, json.JSONDecodeError) else "it is not UTF-8"
        raise ValidationError(f"the body is not valid JSON: {why}") from None
    if not isinstance(body, kind):
        raise ValidationError(f"the body must be a JSON {'object' if kind is dict else 'list'}")
    if (where := text.surrogate_path(body)) is not None:
        raise ValidationError(
            f"{where}: {text.NOT_UNICODE} (an unpaired surrogate)", fields={where: text.NOT_UNICODE}
        )
    return body


@bp.get("/health")
def health() -> ResponseReturnValue:
    if db.ping(db.get_engine()):
        return jsonify(status="ok", db="ok")
    return jsonify(status="error", db="unreachable"), 503


# Session ----------------------------------------------------------------------------------------


@bp.post("/login")
def login() -> Response:
    body = json_body()
    credentials = {name: body.get(name) for name in ("username", "password")}
    problems = {
        name: problem
        for name, value in credentials.items()
        if (problem := text.text_problem(value, limit=users.LOGIN_FIELD_MAX, multiline=False))
    }
    if problems:
        raise ValidationError("username and password must be one-line texts", fields=problems)
    username, password = credentials["username"], credentials["password"]
    attempt = authenticate(username, password)
    if attempt.retry_after is not None:
        wait = attempt.retry_after
        response = json_error(429, "too_many_requests", f"too many failed logins: wait {wait} s")
        response.headers["Retry-After"] = str(wait)
        return response
    if attempt.user is None:
        return json_error(401, "invalid_credentials", "wrong username or password")
    log_in(attempt.user)  # renews the CSRF token: the one below is the session's new token
    return jsonify(user=users.user_public(attempt.user), csrf_token=generate_csrf())


@bp.post("/logout")
def logout() -> Response:
    log_out()
    return jsonify(status="ok")


@bp.get("/me")
def me() -> Response:
    return jsonify(user=users.user_public(current_user), csrf_token=generate_csrf())


# Templates --------------------------------------------------------------------------------------


def form_summary(stored: StoredTemplate) -> dict[str, Any]:
    return {
        "key": stored.key,
        "version": stored.version,
        "title": stored.title,
        "sha256": stored.sha256,
    }


@bp.get("/forms")
def list_forms() -> Response:
    return jsonify(forms=[form_summary(t) for t in get_library().all()])


@bp.get("/forms/schema")
def forms_schema() -> Response:
    """The JSON Schema of the checklist format (the same document as `flask forms schema`), for
    template authors' editors: public, as the format is."""
    return jsonify(checklist.json_schema())


@bp.get("/forms/<key>")
def get_form(key: str) -> Response:
    stored = get_library().get(key)
    if stored is None:
        return json_error(404, "not_found", f"no template '{key}'")
    return jsonify(stored.document)


@bp.get("/forms/<key>/<int:version>")
def get_form_version(key: str, version: int) -> Response:
    stored = get_library().get(key, version)
    if stored is None:
        return json_error(404, "not_found", f"no template '{key}' version {version}")
    return jsonify(stored.document)


@bp.post("/forms")
def import_form() -> ResponseReturnValue:
    if (size := len(request.get_data(cache=True))) > MAX_TEMPLATE_BYTES:
        too_large = TemplateTooLarge(size)
        return json_error(413, "too_large", str(too_large), max_bytes=too_large.limit)
    document = json_body()  # nesting deeper than a template's is the validator's to name
    try:
        result = templates.import_template(
            db.get_session(),
            get_library(),
            document,
            source=f"api:{current_user.username}",
            actor_id=current_user.id,
        )
    except TemplateInvalid as exc:
        fields = {p.path or "$": p.message for p in exc.problems}
        # Each problem also as its code and parameters, for a client that words it itself.
        problems = [
            {"path": p.path, "code": p.code, "params": dict(p.found.params), "message": p.message}
            for p in exc.problems
        ]
        raise ValidationError(
            "the template has problems", fields=fields, extra={"problems": problems}
        ) from exc
    except LibraryUnreadable as exc:
        return json_error(503, "unavailable", f"the template library cannot be read: {exc}")
    except VersionExists as exc:
        raise VersionExistsError(str(exc)) from exc
    stored = result.template
    body = {
        "key": stored.key,
        "version": stored.version,
        "sha256": stored.sha256,
        "warnings": [str(w) for w in result.warnings],
    }
    return jsonify(body), 201 if result.created else 200


# Units -----------------------------------------------------------------------------------------


@bp.get("/units")
def list_units() -> Response:
    return jsonify(units=[units.unit_public(u) for u in units.list_units(db.get_session())])


@bp.post("/units")
def create_unit() -> tuple[Response, int]:
    data = units.UnitCreate.parse(json_body())
    unit = units.create_unit(db.get_session(), actor_id=current_user.id, data=data)
    return jsonify(units.unit_public(unit)), 201


# Plans and visits ------------------------------------------------------------------------------


def plan_public(plan: Plan, with_visits: bool = False) -> dict[str, Any]:
    data = {**plans.plan_fields(plan), "url": url_for("plans.view", plan_id=plan.id)}
    if with_visits:
        rows = plans.plan_visits_with_scores(db.get_session(), get_library(), plan)
        data["visits"] = [
            {**visit_summary(v), "score": sheet.as_dict() if sheet else None} for v, sheet in rows
        ]
    return data


def visit_summary(visit: Visit) -> dict[str, Any]:
    """A visit's fields with the address of its tablet page (API.md: objects carry their url)."""
    return {**plans.visit_fields(visit), "url": url_for("visits.view", visit_id=visit.id)}


@bp.get("/plans")
def list_plans() -> Response:
    return jsonify(plans=[plan_public(p) for p in plans.list_plans(db.get_session())])


@bp.post("/plans")
def create_plan() -> tuple[Response, int]:
    data = plans.PlanCreate.parse(json_body())
    plan = plans.create_plan(db.get_session(), get_library(), lead=current_user, data=data)
    return jsonify(plan_public(plan, with_visits=True)), 201


@bp.get("/plans/<int:plan_id>")
def get_plan(plan_id: int) -> Response:
    return jsonify(plan_public(g.plan, with_visits=True))


@bp.post("/plans/<int:plan_id>/visits")
def create_visit(plan_id: int) -> tuple[Response, int]:
    data = plans.VisitCreate.parse(json_body())
    visit = plans.create_visit(db.get_session(), lead=current_user, plan=g.plan, data=data)
    return jsonify(visit_summary(visit)), 201


def visit_public(visit: Visit) -> dict[str, Any]:
    session = db.get_session()
    pinned = plans.pinned_template(get_library(), visit.plan)
    current = answers.visit_answers(session, visit)
    sheet = answers.score_sheet(pinned.form, answers.answer_values(current))
    return {
        **visit_summary(visit),
        "plan": plan_public(visit.plan),
        "form": pinned.document,  # as its author wrote it
        "answers": [answers.answer_public(a, sheet) for a in current.values()],
        "photos": visit_photo_list(visit),
        "findings": findings.findings_public(session, visit),
        "review_comments": [
            review.comment_public(c) for c in review.visit_comments(session, visit)
        ],
        "explanations": [explanation_public(e) for e in explained(session, visit).values()],
        "score": sheet.as_dict(),
    }


PHOTO_FILES = ("original", "display", "thumb")


def photo_urls(photo_id: int) -> dict[str, str]:
    """The addresses of a photo's files (original, display, thumb): the one place they are made."""
    return {kind: url_for("api.photo_file", photo_id=photo_id, kind=kind) for kind in PHOTO_FILES}


def photo_public(fields: dict[str, Any]) -> dict[str, Any]:
    """A photo's fields (services/visit_photos.py) with the addresses of its files."""
    return {**fields, "urls": photo_urls(fields["id"])}


def visit_photo_list(visit: Visit) -> list[dict[str, Any]]:
    photos = visit_photos.visit_photos(db.get_session(), visit)
    return [photo_public(visit_photos.photo_fields(p)) for p in photos]


@bp.get("/visits/<int:visit_id>")
def get_visit(visit_id: int) -> Response:
    return jsonify(visit_public(g.visit))


@bp.get("/visits/<int:visit_id>/score")
def get_score(visit_id: int) -> Response:
    return jsonify(answers.visit_sheet(db.get_session(), get_library(), g.visit).as_dict())


@bp.put("/visits/<int:visit_id>/answers/<item_key>")
def put_answer(visit_id: int, item_key: str) -> Response:
    data = answers.AnswerWrite.parse(json_body(), item_key=item_key)
    result, replayed = answers.put_answer(
        db.get_session(), get_library(), visit=g.visit, user=current_user, data=data
    )
    return jsonify({**result, "replayed": replayed})


@bp.post("/visits/<int:visit_id>/answers")
def batch_answers(visit_id: int) -> Response:
    body = json_body()
    raw = body.get("answers")
    if not isinstance(raw, list) or not raw:
        raise ValidationError("answers must be a non-empty list", fields={"answers": "required"})
    if len(raw) > answers.MAX_BATCH:
        raise ValidationError(f"send at most {answers.MAX_BATCH} answers at once")
    data = [answers.AnswerWrite.parse(item, batch=True) for item in raw]
    outcome = answers.apply_batch(
        db.get_session(), get_library(), visit=g.visit, user=current_user, data=data
    )
    if outcome.result in BATCH_REFUSALS:
        status, code = BATCH_REFUSALS[outcome.result]
        message = "nothing was stored: some answers are invalid or in conflict"
        return json_error(status, code, message, results=outcome.results)
    return jsonify(results=outcome.results, visit=outcome.visit)


# A refused batch's status and error code; an applied one is a 200.
BATCH_REFUSALS = {
    answers.BatchResult.INVALID: (400, "validation_error"),
    answers.BatchResult.CONFLICT: (409, "conflict"),
}
