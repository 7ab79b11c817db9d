"""The inspector's checklist page for one visit (the tablet screen).

The page works with plain form posts: each item is a small form whose answer buttons submit it.
`static/js/visit.js` upgrades the same forms to save through the JSON API as each answer is given.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from inspection.auth import can_fill_visit
from inspection.checklist import iter_items
from inspection.db import get_session
from inspection.errors import Conflict, DomainError
from inspection.formatting import decimal_separator, format_number, parse_number
from inspection.models import WRITABLE_STATES
from inspection.scoring import score_sheet
from inspection.services import answers
from inspection.views.visit_page import (
    TOKEN_MARK,
    ChecklistCache,
    page_model,
    render_checklist,
    value_hint,
)

bp = Blueprint("visits", __name__, url_prefix="/visits")


def _library():
    return current_app.extensions["inspection.library"]


@bp.get("/<int:visit_id>")
def view(visit_id: int):
    visit = g.visit
    locale = str(get_locale())
    writable = can_fill_visit(current_user, visit) and visit.status in WRITABLE_STATES
    cache: ChecklistCache = current_app.extensions["inspection.checklist_cache"]
    key = (visit.id, visit.revision, visit.status, writable, locale)
    cached = cache.get(key)
    if cached is None:
        template = answers.template_of(_library(), visit)
        stored = answers.answer_rows(get_session(), visit)
        sheet = score_sheet(template, answers.answer_values(stored))
        model = page_model(template, visit.plan.form_sha256, locale)
        action = url_for("visits.save_item", visit_id=visit.id, item_key="KEY")[: -len("KEY")]
        cached = (sheet, render_checklist(model, sheet, stored, action=action, writable=writable))
        cache.put(key, cached)
    sheet, html = cached
    checklist = Markup(html.replace(TOKEN_MARK, generate_csrf()))
    return render_template("visits/view.html", visit=visit, sheet=sheet, checklist=checklist,
                           writable=writable)  # fmt: skip


@bp.post("/<int:visit_id>/items/<item_key>")
def save_item(visit_id: int, item_key: str):
    """The same save as the API's PUT, from a plain form post (JavaScript off)."""
    visit = g.visit
    items = {i["key"]: i for _, i in iter_items(answers.template_of(_library(), visit))}
    item = items.get(item_key)
    anchor = url_for("visits.view", visit_id=visit.id, _anchor=f"item-{item_key}")
    if item is None:
        flash(_("This item is not in the checklist."), "error")
        return redirect(url_for("visits.view", visit_id=visit.id))
    current = answers.visit_answers(get_session(), visit).get(item_key)
    body = form_answer(item, request.form, current.value if current else None)
    entry = answers.parse_entry(body, item_key=item_key)
    try:
        answers.put_answer(get_session(), _library(), visit=visit, user=current_user, entry=entry)
    except Conflict as exc:
        if exc.code == "wrong_state":
            flash(_("This visit can no longer be changed."), "error")
        else:
            flash(_("Someone else changed this item a moment ago: here is the latest version."),
                  "error")  # fmt: skip
    except DomainError as exc:
        if "note" in exc.fields:
            hint = _(
                "A note holds at most %(count)s characters.", count=format_number(answers.MAX_NOTE)
            )
        else:
            hint = value_hint(item)
        flash(_("Not saved: %(why)s", why=hint), "error")
    else:
        flash(_("Saved."), "success")
    return redirect(anchor)


def form_answer(item: dict[str, Any], form, current: Any) -> dict[str, Any]:
    """Turn an item's form fields into the API's answer body."""
    body: dict[str, Any] = {"note": form.get("note", "")}
    if form.get("base_revision", "").isdigit():
        body["base_revision"] = int(form["base_revision"])
    action = form.get("value", "")
    if form.get("action") == "note":
        body["value"] = current
    elif action == "na":
        body["value"] = "na"
    elif item["type"] in ("yes_no", "choice"):
        body["value"] = action or None
    elif item["type"] == "ratio":
        body["value"] = _ratio(form.get("num", ""), form.get("den", ""))
    elif item["type"] in ("score", "number"):
        body["value"] = _number(form.get("number", ""))
    else:  # text, date
        text = form.get("text", "").strip()
        body["value"] = text or None
    return body


def _number(raw: str) -> Any:
    if not raw.strip():
        return None
    number = parse_number(raw, decimal_separator())
    return raw if number is None else number  # not a number: refused with the item's message


def _ratio(num: str, den: str) -> Any:
    num, den = num.strip(), den.strip()
    if not num and not den:
        return None
    if num.isascii() and num.isdigit() and den.isascii() and den.isdigit():
        return {"num": int(num), "den": int(den)}
    return {"num": num, "den": den}
