"""An item's photos as a page of plain forms: what the checklist's camera button does with
JavaScript (static/js/photos.js), done without it — take or choose photos and send them, caption
them, remove them. The same services as the API's photo routes."""

from __future__ import annotations

import uuid

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
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from inspection import body_limits, workflow
from inspection.auth import can_fill_visit
from inspection.checklist import Item
from inspection.db import get_session
from inspection.errors import N_, DomainError, http_status
from inspection.formatting import format_moment
from inspection.library import get_library
from inspection.models import Visit
from inspection.services import agency, answers, visit_photos
from inspection.services.validation import TOO_LONG
from inspection.services.visit_photos import MAX_CAPTION
from inspection.storage import get_store
from inspection.views.api_photos import upload

bp = Blueprint("photos", __name__, url_prefix="/visits")


def _item_or_404(visit: Visit, item_key: str) -> Item:
    item = answers.template_of(get_library(), visit).item(item_key)
    if item is None:
        abort(404)
    return item


@bp.get("/<int:visit_id>/items/<item_key>/photos")
def item_photos(visit_id: int, item_key: str) -> ResponseReturnValue:
    return _page(g.visit, item_key)


def _page(
    visit: Visit, item_key: str, error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    item = _item_or_404(visit, item_key)
    photos = visit_photos.photos_by_item(visit_photos.visit_photos(get_session(), visit))
    writable = can_fill_visit(current_user, visit) and workflow.can_change_photos(visit)
    timezone = agency.agency_timezone(get_session(), default=current_app.config["TIMEZONE"])
    page = render_template(
        "photos/item.html",
        visit=visit,
        item=item,
        photos=photos.get(item_key, []),
        writable=writable,
        error=error,
        client_id=str(uuid.uuid4()),
        back=url_for("visits.view", visit_id=visit.id, _anchor=f"item-{item_key}"),
        max_caption=MAX_CAPTION,
        moment=lambda value: format_moment(value, timezone),
    )
    return page, status


def _back(visit: Visit, item_key: str) -> ResponseReturnValue:
    return redirect(url_for("photos.item_photos", visit_id=visit.id, item_key=item_key))


@bp.post("/<int:visit_id>/items/<item_key>/photos")
@body_limits.takes_uploads
def upload_photo(visit_id: int, item_key: str) -> ResponseReturnValue:
    """One or several photos chosen at once; each is its own upload (client id derived from the
    form's, so a form sent twice stores nothing twice)."""
    visit = g.visit
    _item_or_404(visit, item_key)
    files = chosen_files()
    if not files:
        return _page(visit, item_key, _("Choose or take a photo first."), 400)
    fields = {"item_key": item_key, "caption": request.form.get("caption", "")}
    results = []
    for file, client_id in zip(files, form_client_ids(len(files)), strict=True):
        try:
            results.append(upload(visit, file, {**fields, "client_id": client_id}).result)
        except DomainError as exc:
            saved = len(results)
            message = refusal(exc)
            if saved:
                message = _(
                    "%(count)s photos saved; the next one was refused: %(why)s",
                    count=saved,
                    why=message,
                )
            return _page(visit, item_key, message, http_status(exc))
    if all(result is visit_photos.UploadResult.EXISTING for result in results):
        flash(_("This photo was already saved: it is now linked to this item too."), "info")
    else:  # new, or this form's own photos sent again (a double tap): saved either way
        flash(_("Photos saved: %(count)s.", count=len(results)), "success")
    return _back(visit, item_key)


@bp.post("/<int:visit_id>/photos/<int:photo_id>/caption")
def caption(visit_id: int, photo_id: int) -> ResponseReturnValue:
    visit, item_key = g.visit, request.form.get("item_key", "")
    data = visit_photos.CaptionWrite.parse({"caption": request.form.get("caption")})
    try:
        visit_photos.set_caption(
            get_session(), visit=visit, photo=g.photo, user=current_user, data=data
        )
    except DomainError as exc:
        return _page(visit, item_key, refusal(exc), http_status(exc))
    flash(_("Caption saved."), "success")
    return _back(visit, item_key)


@bp.post("/<int:visit_id>/photos/<int:photo_id>/remove")
def remove(visit_id: int, photo_id: int) -> ResponseReturnValue:
    visit, item_key = g.visit, request.form.get("item_key", "")
    try:
        visit_photos.remove_photo(
            get_session(),
            get_store(),
            visit=visit,
            photo=g.photo,
            user=current_user,
            item_key=item_key,
        )
    except DomainError as exc:
        return _page(visit, item_key, refusal(exc), http_status(exc))
    flash(_("Photo removed."), "success")
    return _back(visit, item_key)


FIELD_NAMES = {"caption": N_("Caption"), "file": N_("Photo")}


def chosen_files() -> list[FileStorage]:
    """The files a form's file field sent (a browser sends an empty one when none is chosen)."""
    return [f for f in request.files.getlist("file") if f.filename or f.content_length]


def form_client_ids(count: int) -> list[str]:
    """A client id for each file of a form, derived from the form's own: a form sent twice
    stores nothing twice."""
    try:
        form_id = uuid.UUID(request.form.get("client_id", ""))
    except ValueError:
        abort(400)  # the page's own hidden field: no form of ours sends another
    return [str(uuid.uuid5(form_id, str(number))) for number in range(count)]


def refusal(exc: DomainError) -> str:
    """Why the page's post was refused, in the page's language: a visit that can no longer change
    says so; a field says which and why; a photo refused says why (photos.py)."""
    if exc.code == "wrong_state":
        return _("This visit can no longer be changed.")
    reasons = [
        _field_reason(name, why)
        for name, why in exc.fields.items()
        if name in FIELD_NAMES and why and "reason" not in exc.extra
    ]
    return " ".join([exc.translated(), *reasons])


def _field_reason(name: str, why: str) -> str:
    if name == "caption" and why == TOO_LONG:
        return _("A caption holds at most %(count)s characters.", count=MAX_CAPTION)
    return f"{_(FIELD_NAMES[name])}: {_(why)}"
