"""The inspector's checklist page for one visit (the tablet screen).

The page works with plain form posts: each item is a small form whose answer buttons submit it.
`static/js/visit.js` upgrades the same forms to save through the JSON API as each answer is given.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from inspection import workflow
from inspection.auth import can_fill_visit
from inspection.checklist import NA, Item
from inspection.db import get_session
from inspection.errors import Conflict, DomainError
from inspection.formatting import parse_whole_number
from inspection.i18n import PageWords, format_number, page_words
from inspection.labels import band_label
from inspection.library import get_library
from inspection.models import Photo, Visit, stored_id
from inspection.scoring import score_sheet
from inspection.services import agency, answers, findings, history, review, visit_photos
from inspection.views.api import photo_urls
from inspection.views.visit_page import (
    TOKEN_MARK,
    ChecklistCache,
    Outcome,
    Remark,
    Thumb,
    head_words,
    page_model,
    photo_words,
    render_checklist,
    script_words,
)

bp = Blueprint("visits", __name__, url_prefix="/visits")


OUTCOME_KEY = "visit_item_outcome"  # in the session: a saved item, until the page shows it


@bp.get("/<int:visit_id>")
def view(visit_id: int) -> str:
    outcome = session.pop(OUTCOME_KEY) if OUTCOME_KEY in session else None  # no cookie otherwise
    if isinstance(outcome, dict) and outcome.get("visit") == visit_id:
        return _page(g.visit, _stored_outcome(outcome["item"], outcome["state"]))
    return _page(g.visit)


def _page(visit: Visit, outcome: Outcome | None = None) -> str:
    """The checklist page; `outcome` shows what became of one item's form post inside it."""
    locale = str(get_locale())
    writable = can_fill_visit(current_user, visit) and workflow.can_answer(visit)
    cache: ChecklistCache = current_app.extensions["inspection.checklist_cache"]
    key = (stored_id(visit), visit.revision, visit.status, writable, locale)
    action = url_for("visits.save_item", visit_id=visit.id, item_key="KEY")[: -len("KEY")]
    cached = None if outcome is not None else cache.get(key)
    if cached is None:
        template = answers.template_of(get_library(), visit)
        model = page_model(template, visit.plan.form_sha256, locale)
        stored = answers.answer_rows(get_session(), visit)
        sheet = score_sheet(template, answers.answer_values(stored))
        timezone = agency.agency_timezone(get_session(), default=current_app.config["TIMEZONE"])
        html = render_checklist(
            model,
            sheet,
            stored,
            action=action,
            writable=writable,
            locale=locale,
            timezone=timezone,
            band_names={b.label: band_label(b.label, template.bands) for b in template.bands},
            outcome=outcome,
            photos=item_thumbs(visit),
            remarks=_remarks(visit),
            findings_url=url_for("findings.view", visit_id=visit.id),
        )
        cached = (sheet, html)
        if outcome is None:  # an item showing its form post's outcome is this viewer's alone
            cache.put(key, cached)
    sheet, html = cached
    checklist = Markup(html.replace(TOKEN_MARK, generate_csrf()))
    words = head_words(locale)
    return render_template(
        "visits/view.html",
        visit=visit,
        sheet=sheet,
        to_do=review.to_do(get_session(), visit),
        checklist=checklist,
        writable=writable,
        H=words,
        S=script_words(locale),
        P=photo_words(locale, current_app.config["MAX_UPLOAD_MB"]),
        back=_way_back(visit, words),
    )


def _remarks(visit: Visit) -> dict[str, list[Remark]]:
    """Under each item: the lead's comments the team is to act on, the lead's corrections."""
    session = get_session()
    found: dict[str, list[Remark]] = {}
    item_of = {f.id: f.item_key for f in findings.visit_findings(session, visit)}
    for comment in review.to_do(session, visit):
        key = comment.item_key or item_of.get(comment.finding_id or 0, "")
        if key:
            said = _("Team lead: %(comment)s", comment=comment.text)
            found.setdefault(key, []).append(Remark("review", "", said))
    for key, event in history.corrections(session, visit).items():
        reason = event.after.get("reason", "") if isinstance(event.after, dict) else ""
        said = _("Corrected by the team lead: %(reason)s", reason=reason)
        found.setdefault(key, []).append(Remark("correction", "", said))
    return found


def item_thumbs(visit: Visit, photos: list[Photo] | None = None) -> dict[str, list[Thumb]]:
    """Each item's photos as the checklist shows them (`photos`: the visit's, if already read)."""
    if photos is None:
        photos = visit_photos.visit_photos(get_session(), visit)
    by_item = visit_photos.photos_by_item(photos)
    shown: dict[str, list[Thumb]] = {}
    for key, linked in by_item.items():
        for photo in linked:
            urls = photo_urls(stored_id(photo))
            thumb = Thumb(stored_id(photo), urls["thumb"], urls["display"], photo.caption)
            shown.setdefault(key, []).append(thumb)
    return shown


def _way_back(visit: Visit, words: dict[str, str]) -> tuple[str, str]:
    """Where the page's "back" link goes: an inspector's visits, or the visit's plan."""
    if current_user.role == "inspector":
        return url_for("main.index"), words["my_visits"]
    return url_for("plans.view", plan_id=visit.plan_id), words["to_plan"]


def _stored_outcome(item_key: str, state: str) -> Outcome:
    messages = {
        "saved": _("Saved."),
        "conflict": _("Someone else changed this item a moment ago: here is the latest version."),
        "locked": _("This visit can no longer be changed."),
    }
    return Outcome(item_key, state, messages.get(state, ""))


TYPED_FIELDS = ("num", "den", "number", "text", "note")


@bp.route("/<int:visit_id>/items/<item_key>", methods=["GET", "POST"])
def save_item(visit_id: int, item_key: str) -> ResponseReturnValue:
    """The same save as the API's PUT, from a plain form post (JavaScript off). Saved, or
    refused as someone else's newer change: back to the item, which says so. A refused value:
    the page at once, at this address, the item showing why with the fields as typed (a GET
    here, e.g. the language switch of that page, goes back to the item)."""
    visit = g.visit
    if request.method == "GET":
        return redirect(url_for("visits.view", visit_id=visit.id, _anchor=f"item-{item_key}"))
    item = answers.template_of(get_library(), visit).item(item_key)
    anchor = url_for("visits.view", visit_id=visit.id, _anchor=f"item-{item_key}")
    if item is None:
        flash(_("This item is not in the checklist."), "error")
        return redirect(url_for("visits.view", visit_id=visit.id))
    current = answers.visit_answers(get_session(), visit).get(item_key)
    words = page_words()
    body = form_answer(item, request.form, current.value if current else None, words)
    data = answers.AnswerWrite.parse(body, item_key=item_key)
    try:
        answers.put_answer(get_session(), get_library(), visit=visit, user=current_user, data=data)
    except Conflict as exc:
        state = "locked" if exc.code == "wrong_state" else "conflict"
    except DomainError as exc:
        if "note" in exc.fields:
            hint = _(
                "A note holds at most %(count)s characters.", count=format_number(answers.MAX_NOTE)
            )
        else:
            hint = item.hint(words)
        typed = {name: request.form[name] for name in TYPED_FIELDS if name in request.form}
        outcome = Outcome(
            item_key,
            "invalid",
            _("Not saved: %(why)s", why=hint),
            typed,
            "note" if "note" in exc.fields else "value",
        )
        return _page(visit, outcome), 400  # shown again, refused, as every form here
    else:
        state = "saved"
    session[OUTCOME_KEY] = {"visit": visit.id, "item": item_key, "state": state}
    return redirect(anchor)


def form_answer(
    item: Item, form: Mapping[str, str], current: Any, words: PageWords
) -> dict[str, Any]:
    """Turn an item's form fields into the API's answer body. The note's own button posts the
    whole form too: an answer typed in it is saved with the note (or refused, as typed); with
    nothing typed the stored answer stays (a choice, "not applicable")."""
    body: dict[str, Any] = {"note": form.get("note", "")}
    base = form.get("base_revision", "")
    if base:
        revision = parse_whole_number(base)
        if revision is None:
            abort(400)  # not the page's hidden field: no form of ours sends this
        body["base_revision"] = revision
    typed = item.read_form(form, words)
    if form.get("action") == "note":
        body["value"] = current if typed is None else typed
    elif form.get("value") == NA:
        body["value"] = NA
    else:
        body["value"] = typed
    return body
