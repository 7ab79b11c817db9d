"""The team's page of a visit's deficiencies and its submission (plain forms; the same services
as the API): what is still missing before the visit can be submitted, each linking to where it
is put right; the lead's comments sent back with the visit; the consistency warnings and their
explanations; each failed item's deficiency (proposed from the template, or recorded), or why
there is none; deficiencies tied to no item; and the submit button.

The lead reads it, and edits the deficiencies' wording while reviewing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from inspection import body_limits, workflow
from inspection.auth import can_fill_visit, can_write_visit
from inspection.db import get_session
from inspection.errors import DomainError, http_status
from inspection.formatting import typed_iso_date
from inspection.library import get_library
from inspection.models import Photo, Visit, stored_id
from inspection.services import answers, findings, review
from inspection.services.history import corrections
from inspection.views.api import photo_urls
from inspection.views.api_photos import upload
from inspection.views.photos import chosen_files, form_client_ids, refusal
from inspection.views.visit_page import Thumb

bp = Blueprint("findings", __name__, url_prefix="/visits")


@dataclass
class Refused:
    """A form post refused: where (the form's anchor), why, and what was typed (shown again)."""

    anchor: str
    message: str
    typed: dict[str, str] = field(default_factory=dict)


@bp.get("/<int:visit_id>/findings")
def view(visit_id: int) -> ResponseReturnValue:
    return _page(g.visit)


def _page(visit: Visit, refused: Refused | None = None, status: int = 200) -> ResponseReturnValue:
    session = get_session()
    record = review.read_record(session, get_library(), visit)
    team = can_fill_visit(current_user, visit) and workflow.can_record_findings(visit)
    lead_edits = can_write_visit(current_user, visit) and current_user.role == "lead"
    editable = team or (lead_edits and workflow.can_review(visit))
    locale = str(get_locale())
    by_item = findings.active_by_item(record.findings)
    withdrawn = [f for f in record.findings if f.withdrawn]
    photos = _finding_thumbs(record.photos)
    failed = [
        {
            "key": r.key,
            "text": record.template.by_key[r.key].text,
            "findings": by_item.get(r.key, []),
            "reason": record.reasons.get(r.key, ""),
            "proposal": record.template.by_key[r.key],
        }
        for r in record.sheet.failed
    ]
    failed_keys = {f["key"] for f in failed}
    elsewhere = [  # tied to an item that does not fail (or to none)
        f for key, listed in by_item.items() if key not in failed_keys for f in listed
    ]
    warnings = [
        {
            "key": w.key,
            "message": w.message_en if locale == "en" and w.message_en else w.message,
            "items": [(k, record.template.by_key[k].text) for k in w.items],
            "explanation": record.explanations.get(w.key),
        }
        for w in record.sheet.warnings
    ]
    texts = {item.key: item.text for item in record.template.items()}
    page = render_template(
        "findings/view.html",
        visit=visit,
        missing=review.gaps(record) if workflow.can_record_findings(visit) else [],
        to_do=review.to_do(session, visit),
        failed=failed,
        elsewhere=elsewhere,
        withdrawn=withdrawn,
        warnings=warnings,
        texts=texts,
        photos=photos,
        editable=editable,
        team=team,
        can_submit=workflow.can_decide(visit, workflow.Action.SUBMIT, current_user.role)
        and can_fill_visit(current_user, visit),
        default_due=findings.default_due(session, visit),
        corrected=corrections(session, visit),
        refused=refused,
        checklist=url_for("visits.view", visit_id=visit.id),
        new_client_id=lambda: str(uuid.uuid4()),
    )
    return page, status


def _finding_thumbs(photos: list[Photo]) -> dict[int, list[Thumb]]:
    """Each deficiency's photos, by its id."""
    shown: dict[int, list[Thumb]] = {}
    for photo in photos:
        urls = photo_urls(stored_id(photo))
        for link in photo.finding_links:
            thumb = Thumb(stored_id(photo), urls["thumb"], urls["display"], photo.caption)
            shown.setdefault(link.finding_id, []).append(thumb)
    return shown


def _back(visit: Visit, anchor: str) -> ResponseReturnValue:
    return redirect(url_for("findings.view", visit_id=visit.id, _anchor=anchor))


def _refused(visit: Visit, exc: DomainError, anchor: str) -> ResponseReturnValue:
    typed = {k: v for k, v in request.form.items() if k != "csrf_token"}
    return _page(visit, Refused(anchor, _said(exc), typed), http_status(exc))


# The form fields a refusal may name, as the page labels them.
FIELD_LABELS = {
    "text": _l("Deficiency"),
    "remedy": _l("Remedy required"),
    "severity": _l("Severity"),
    "responsible": _l("Responsible person or office"),
    "explanation": _l("Explanation"),
    "no_finding_reason": _l("Why there is no deficiency"),
}


def _said(exc: DomainError) -> str:
    """A refusal in the page's language: what was refused, and why for each field."""
    if exc.code in ("wrong_state", "too_large", "unsupported_media_type") or "reason" in exc.extra:
        return refusal(exc)
    parts = [exc.translated()]
    if "due_on" in exc.fields:
        parts.append(_("Enter the due date as dd/mm/yyyy."))
    parts += [
        f"{FIELD_LABELS[name]}: {_(why)}"
        for name, why in exc.fields.items()
        if name in FIELD_LABELS
    ]
    return " ".join(parts)


def _due(form: Any) -> str | None:
    """The due date typed dd/mm/yyyy, as the service reads it (what cannot be read is passed
    as typed, to be refused)."""
    return typed_iso_date(form.get("due_on") or "") or None


@bp.post("/<int:visit_id>/findings")
def create(visit_id: int) -> ResponseReturnValue:
    visit = g.visit
    form = request.form
    # Refused: said at the form it came from (a failed item's, or the one for any deficiency).
    item_key = form.get("item_key")
    anchor = f"f-{item_key}" if item_key and form.get("anchor") != "other" else "other"
    data = findings.FindingWrite.parse({**form.to_dict(), "due_on": _due(form)})
    try:
        findings.create_finding(
            get_session(), get_library(), visit=visit, user=current_user, data=data
        )
    except DomainError as exc:
        return _refused(visit, exc, anchor)
    flash(_("The deficiency is recorded."), "success")
    return _back(visit, anchor)


@bp.post("/<int:visit_id>/findings/<int:finding_id>")
def update(visit_id: int, finding_id: int) -> ResponseReturnValue:
    visit, finding = g.visit, g.finding
    anchor = f"finding-{finding.id}"
    form = request.form
    body: dict[str, Any] = {"base_revision": _whole(form.get("base_revision"))}
    action = form.get("action", "save")
    if action in ("withdraw", "restore"):
        body["withdrawn"] = action == "withdraw"
    else:
        for name in ("text", "remedy", "severity", "responsible"):
            body[name] = form.get(name, "")
        body["due_on"] = _due(form)
    data = findings.FindingUpdate.parse(body)
    try:
        findings.update_finding(
            get_session(), get_library(), visit=visit, finding=finding, user=current_user, data=data
        )
    except DomainError as exc:
        return _refused(visit, exc, anchor)
    flash(_("The deficiency is saved."), "success")
    return _back(visit, anchor)


def _whole(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 17 else None


@bp.post("/<int:visit_id>/findings/<int:finding_id>/photos")
@body_limits.takes_uploads
def add_photos(visit_id: int, finding_id: int) -> ResponseReturnValue:
    """Photos as evidence of a deficiency (several at once, as on an item's photo page)."""
    visit, finding = g.visit, g.finding
    anchor = f"finding-{finding.id}"
    files = chosen_files()
    if not files:
        return _page(visit, Refused(anchor, _("Choose or take a photo first.")), 400)
    fields = {"finding_id": str(finding.id)}
    for file, client_id in zip(files, form_client_ids(len(files)), strict=True):
        try:
            upload(visit, file, {**fields, "client_id": client_id})
        except DomainError as exc:
            return _refused(visit, exc, anchor)
    flash(_("Photos saved: %(count)s.", count=len(files)), "success")
    return _back(visit, anchor)


@bp.post("/<int:visit_id>/findings/none/<item_key>")
def no_finding(visit_id: int, item_key: str) -> ResponseReturnValue:
    """Why a failed item has no deficiency (the answer's `no_finding_reason`)."""
    visit = g.visit
    anchor = f"f-{item_key}"
    try:
        answers.set_no_finding_reason(
            get_session(),
            get_library(),
            visit=visit,
            user=current_user,
            item_key=item_key,
            reason=request.form.get("no_finding_reason", ""),
        )
    except DomainError as exc:
        return _refused(visit, exc, anchor)
    flash(_("The reason is saved."), "success")
    return _back(visit, anchor)


@bp.post("/<int:visit_id>/checks/<check_key>")
def explain(visit_id: int, check_key: str) -> ResponseReturnValue:
    visit = g.visit
    anchor = f"check-{check_key}"
    data = review.ExplanationWrite.parse(request.form)
    try:
        review.explain(
            get_session(),
            get_library(),
            visit=visit,
            user=current_user,
            check_key=check_key,
            data=data,
        )
    except DomainError as exc:
        return _refused(visit, exc, anchor)
    flash(_("The explanation is saved."), "success")
    return _back(visit, anchor)


@bp.post("/<int:visit_id>/submit")
def submit(visit_id: int) -> ResponseReturnValue:
    visit = g.visit
    try:
        review.submit(get_session(), get_library(), visit=visit, user=current_user)
    except DomainError as exc:
        return _refused(visit, exc, "missing")
    flash(_("The visit is submitted to the team lead for review."), "success")
    return redirect(url_for("visits.view", visit_id=visit.id))
