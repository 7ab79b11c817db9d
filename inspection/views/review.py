"""The lead's review of a visit (plain forms; the same services as the API): everything the team
recorded on one page — the score table, the warnings and their explanations, the deficiencies,
every answer by section with its photos, who gave it and when, the comments — and the decisions:
return to the team with comments, approve, reopen. One item's page takes a comment on it and
the lead's correction of its answer, with the reason the team will read. The visit's history
(its audit trail) closes the page."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from inspection import formatting, workflow
from inspection.auth import leads_plan
from inspection.db import get_session
from inspection.errors import DomainError, http_status
from inspection.i18n import page_words
from inspection.library import get_library
from inspection.models import Role, Visit, stored_id
from inspection.scoring import ScoreSheet
from inspection.services import agency, answers, findings, history, notices, review
from inspection.views.visit_page import (
    TOKEN_MARK,
    ChecklistCache,
    item_state,
    labels,
    page_model,
    warning_remarks,
)
from inspection.views.visits import form_answer, item_thumbs

bp = Blueprint("review", __name__, url_prefix="/visits")

# How the history names each kind of event (the audit trail's actions).
EVENT_LABELS = {
    "visit.create": _l("planned the visit"),
    "visit.update": _l("changed the visit's plan"),
    "answer.update": _l("answered"),
    "answer.correct": _l("corrected an answer"),
    "answer.reason": _l("said why a failed item has no deficiency"),
    "photo.add": _l("added a photo"),
    "photo.link": _l("linked a photo"),
    "photo.caption": _l("captioned a photo"),
    "photo.unlink": _l("unlinked a photo"),
    "photo.remove": _l("removed a photo"),
    "finding.add": _l("recorded a deficiency"),
    "finding.update": _l("changed a deficiency"),
    "finding.review": _l("reworded a deficiency"),
    "finding.withdraw": _l("withdrew a deficiency"),
    "finding.restore": _l("restored a deficiency"),
    "check.explain": _l("explained a warning"),
    "check.clear": _l("a warning's explanation was cleared"),
    "comment.add": _l("commented"),
    "visit.submit": _l("submitted the visit"),
    "visit.return": _l("returned the visit to the team"),
    "visit.approve": _l("approved the visit"),
    "visit.reopen": _l("reopened the visit"),
}


def _timezone() -> str:
    return agency.agency_timezone(get_session(), default=current_app.config["TIMEZONE"])


@bp.get("/<int:visit_id>/review")
def view(visit_id: int) -> ResponseReturnValue:
    return _page(g.visit)


def _page(visit: Visit, error: str = "", status: int = 200) -> ResponseReturnValue:
    is_lead = leads_plan(current_user, visit.plan)
    can_comment = is_lead and workflow.can_review(visit)
    locale = str(get_locale())
    cache: ChecklistCache = current_app.extensions["inspection.review_cache"]
    # The plan's lead sees the comments not yet sent; the team sees them once they are.
    key = (stored_id(visit), visit.revision, visit.status, can_comment, is_lead, locale)
    cached = cache.get(key)
    if cached is None:
        cached = _record(visit, locale, can_comment, drafts=is_lead)
        cache.put(key, cached)
    sheet, html = cached
    page = render_template(
        "review/view.html",
        visit=visit,
        record=Markup(html.replace(TOKEN_MARK, generate_csrf())),
        drafts=review.unsent(get_session(), visit),
        may=lambda action: is_lead and workflow.can_decide(visit, action, current_user.role),
        Action=workflow.Action,
        notice_link=_notice_link(visit),
        error=error,
    )
    return page, status


def _notice_link(visit: Visit) -> str | None:
    """The visit's notice for whoever reads it once issued; its draft for the lead and admins
    while the visit is approved."""
    if workflow.has_notice(visit):
        issued = notices.current_notice(get_session(), visit)
        return url_for("notices.view", notice_id=issued.id) if issued is not None else None
    if workflow.can_draft_notice(visit) and current_user.role in (Role.LEAD, Role.ADMIN):
        return url_for("notices.draft", visit_id=visit.id)
    return None


def _record(
    visit: Visit, locale: str, can_comment: bool, *, drafts: bool
) -> tuple[ScoreSheet, str]:
    """The record's part of the page (review/_record.html), TOKEN_MARK where the CSRF token
    goes; `drafts`: with the lead's comments not yet sent."""
    session = get_session()
    record = review.read_record(session, get_library(), visit)
    timezone = _timezone()
    model = page_model(record.template, visit.plan.form_sha256, locale)
    rows = answers.answer_rows(session, visit)
    thumbs = item_thumbs(visit, record.photos)
    warned = warning_remarks(record.sheet, locale)
    comments = [c for c in review.visit_comments(session, visit) if drafts or c.sent_at is not None]
    by_item: dict[str, list[Any]] = {}
    on_findings: dict[int, list[Any]] = {}
    for comment in comments:
        if comment.finding_id is not None:
            on_findings.setdefault(comment.finding_id, []).append(comment)
        else:
            by_item.setdefault(comment.item_key, []).append(comment)
    states = {
        item.key: item_state(
            item,
            record.sheet.items[item.key],
            rows.get(item.key),
            locale,
            timezone=timezone,
            photos=thumbs.get(item.key, ()),
            remarks=warned.get(item.key, ()),
        )
        for section in model.sections
        for item in section.items
    }
    events = history.events(session, visit)
    html = render_template(
        "review/_record.html",
        visit=visit,
        sheet=record.sheet,
        sections=model.sections,
        states=states,
        L=labels(locale),
        record=record,
        findings=[f for f in record.findings if not f.withdrawn],
        withdrawn=[f for f in record.findings if f.withdrawn],
        finding_photos=findings.photo_ids(session, record.findings),
        comments=by_item,
        comments_on_findings=on_findings,
        warnings=[
            {
                "key": w.key,
                "message": w.message_en if locale == "en" and w.message_en else w.message,
                "expected": w.expected,
                "explanation": record.explanations.get(w.key),
            }
            for w in record.sheet.warnings
        ],
        texts={item.key: item.text for item in record.template.items()},
        corrected=history.corrections(session, visit),
        events=[(formatting.format_moment(e.at, timezone), e) for e in reversed(events)],
        event_labels=EVENT_LABELS,
        can_comment=can_comment,
        token=TOKEN_MARK,
    )
    return record.sheet, html


def _decided(visit: Visit, said: str) -> ResponseReturnValue:
    flash(said, "success")
    return redirect(url_for("review.view", visit_id=visit.id))


@bp.post("/<int:visit_id>/return")
def return_visit(visit_id: int) -> ResponseReturnValue:
    visit = g.visit
    data = review.ReturnWrite.parse({"comment": request.form.get("comment", "")})
    try:
        sent = review.return_visit(
            get_session(), get_library(), visit=visit, user=current_user, data=data
        )
    except DomainError as exc:
        return _page(visit, _refusal(exc), http_status(exc))
    return _decided(visit, _("Returned to the team with %(count)s comments.", count=sent))


@bp.post("/<int:visit_id>/approve")
def approve(visit_id: int) -> ResponseReturnValue:
    visit = g.visit
    try:
        review.approve(get_session(), get_library(), visit=visit, user=current_user)
    except DomainError as exc:
        return _page(visit, _refusal(exc), http_status(exc))
    return _decided(visit, _("The visit is approved: its record is frozen."))


@bp.post("/<int:visit_id>/reopen")
def reopen(visit_id: int) -> ResponseReturnValue:
    visit = g.visit
    data = review.ReopenWrite.parse(request.form)
    try:
        review.reopen(get_session(), visit=visit, user=current_user, data=data)
    except DomainError as exc:
        return _page(visit, _refusal(exc), http_status(exc))
    return _decided(visit, _("The visit is under review again."))


def _refusal(exc: DomainError) -> str:
    if exc.code == "wrong_state":
        return exc.translated()
    parts = [exc.translated()]
    if "comment" in exc.fields or "reason" in exc.fields:
        parts.append(_("Write it in the box."))
    return " ".join(parts)


# One item: a comment, a correction ----------------------------------------------------------------


@bp.route("/<int:visit_id>/review/items/<item_key>", methods=["GET"])
def item(visit_id: int, item_key: str) -> ResponseReturnValue:
    return _item_page(g.visit, item_key)


def _item_page(
    visit: Visit,
    item_key: str,
    error: str = "",
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    session = get_session()
    record = review.read_record(session, get_library(), visit)
    if record.template.item(item_key) is None:
        abort(404)
    locale = str(get_locale())
    model = page_model(record.template, visit.plan.form_sha256, locale)
    view = next(i for s in model.sections for i in s.items if i.key == item_key)
    row = answers.answer_rows(session, visit).get(item_key)
    state = item_state(view, record.sheet.items[item_key], row, locale, timezone=_timezone())
    page = render_template(
        "review/item.html",
        visit=visit,
        item=view,
        s=state,
        L=labels(locale),
        page={"writable": True, "action": "", "token": ""},
        comments=[c for c in review.visit_comments(session, visit) if c.item_key == item_key],
        can_comment=leads_plan(current_user, visit.plan) and workflow.can_review(visit),
        error=error,
        typed=typed or {},
    )
    return page, status


@bp.post("/<int:visit_id>/review/items/<item_key>/comment")
def comment(visit_id: int, item_key: str) -> ResponseReturnValue:
    visit = g.visit
    data = review.CommentWrite.parse({"item_key": item_key, "comment": request.form.get("comment")})
    try:
        review.add_comment(get_session(), get_library(), visit=visit, user=current_user, data=data)
    except DomainError as exc:
        return _item_page(visit, item_key, _refusal(exc), dict(request.form), http_status(exc))
    flash(_("The comment is kept; the team receives it when you return the visit."), "success")
    return redirect(url_for("review.view", visit_id=visit.id, _anchor=f"item-{item_key}"))


@bp.post("/<int:visit_id>/review/findings/<int:finding_id>/comment")
def comment_finding(visit_id: int, finding_id: int) -> ResponseReturnValue:
    visit = g.visit
    data = review.CommentWrite.parse(
        {"finding_id": finding_id, "comment": request.form.get("comment")}
    )
    try:
        review.add_comment(get_session(), get_library(), visit=visit, user=current_user, data=data)
    except DomainError as exc:
        return _page(visit, _refusal(exc), http_status(exc))
    flash(_("The comment is kept; the team receives it when you return the visit."), "success")
    return redirect(url_for("review.view", visit_id=visit.id, _anchor=f"finding-{finding_id}"))


@bp.post("/<int:visit_id>/review/items/<item_key>/correct")
def correct(visit_id: int, item_key: str) -> ResponseReturnValue:
    visit = g.visit
    item = answers.template_of(get_library(), visit).item(item_key)
    if item is None:
        abort(404)
    current = answers.visit_answers(get_session(), visit).get(item_key)
    body = form_answer(item, request.form, current.value if current else None, page_words())
    body["reason"] = request.form.get("reason", "")
    body["note"] = current.note if current else ""
    data = answers.AnswerWrite.parse(body, item_key=item_key)
    try:
        answers.put_answer(get_session(), get_library(), visit=visit, user=current_user, data=data)
    except DomainError as exc:
        said = (
            exc.translated()
            if exc.code == "wrong_state"
            else _(
                "Not corrected: give the reason and a valid answer (%(hint)s)",
                hint=item.hint(page_words()),
            )
        )
        return _item_page(visit, item_key, said, dict(request.form), http_status(exc))
    flash(_("The answer is corrected; the team sees why."), "success")
    return redirect(url_for("review.view", visit_id=visit.id, _anchor=f"item-{item_key}"))
