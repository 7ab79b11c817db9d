"""The photo routes of the JSON API (API.md): upload, list, caption, removal and the files.

Access is checked before each request (auth.ACCESS: the visit's readers read, its writers
write); the state of the visit by the service (workflow.py)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, g, jsonify, request, send_file
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from inspection import body_limits, db
from inspection.errors import N_, NotFound, ValidationError
from inspection.library import get_library
from inspection.models import Photo, Visit
from inspection.routing import MAX_ID
from inspection.services import agency, visit_photos
from inspection.services.visit_photos import Uploaded
from inspection.storage import DISPLAY, ORIGINAL, THUMB, get_store
from inspection.views.api import bp, json_body, photo_public, visit_photo_list

log = logging.getLogger(__name__)

# The files of a photo never change under their address (a photo's content is its identity):
# a tablet keeps them a year, privately.
FILE_MAX_AGE = 365 * 24 * 3600


def upload(visit: Visit, file: FileStorage | None, fields: Mapping[str, Any]) -> Uploaded:
    """Keep one received file as a photo of the visit (the API's upload and the page's form)."""
    data = visit_photos.PhotoUpload.parse(fields)
    if file is None:
        raise ValidationError(
            N_("No photo was received."), fields={"file": N_("is required (a multipart file)")}
        )
    session = db.get_session()
    return visit_photos.upload_photo(
        session,
        get_library(),
        get_store(),
        visit=visit,
        user=current_user,
        data=data,
        content=file.read(),
        max_bytes=current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024,
        timezone=agency.agency_timezone(session, default=current_app.config["TIMEZONE"]),
    )


@bp.post("/visits/<int:visit_id>/photos")
@body_limits.takes_uploads
def upload_photo(visit_id: int) -> ResponseReturnValue:
    uploaded = upload(g.visit, request.files.get("file"), request.form)
    created = uploaded.result is visit_photos.UploadResult.CREATED
    body = {**photo_public(uploaded.fields), "result": uploaded.result.value}
    return jsonify(body), 201 if created else 200


@bp.get("/visits/<int:visit_id>/photos")
def list_photos(visit_id: int) -> Response:
    return jsonify(photos=visit_photo_list(g.visit))


@bp.patch("/photos/<int:photo_id>")
def update_photo(photo_id: int) -> Response:
    data = visit_photos.CaptionWrite.parse(json_body())
    fields = visit_photos.set_caption(
        db.get_session(), visit=g.visit, photo=g.photo, user=current_user, data=data
    )
    return jsonify(photo_public(fields))


@bp.delete("/photos/<int:photo_id>")
def delete_photo(photo_id: int) -> Response:
    removal = visit_photos.remove_photo(
        db.get_session(),
        get_store(),
        visit=g.visit,
        photo=g.photo,
        user=current_user,
        item_key=request.args.get("item_key"),
        finding_id=_finding_id(request.args.get("finding_id")),
    )
    return jsonify(
        deleted=removal.photo_removed,
        item_keys=removal.item_keys,
        finding_ids=removal.finding_ids,
    )


def _finding_id(value: str | None) -> int | None:
    """The deficiency a removal names (`?finding_id=`), or a 400: never read as "none"."""
    if value is None:
        return None
    if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_ID:
        return int(value)
    raise ValidationError(
        N_("No such deficiency."), fields={"finding_id": N_("must be a deficiency's id")}
    )


@bp.get("/photos/<int:photo_id>/<any(original, display, thumb):kind>")
def photo_file(photo_id: int, kind: str) -> Response:
    photo: Photo = g.photo
    names = {"original": f"{ORIGINAL}.{photo.extension}", "display": DISPLAY, "thumb": THUMB}
    path = get_store().file(photo.visit_id, photo.folder, names[kind])
    if not path.is_file():
        log.error("photo %s: its %s file is missing at %s", photo.id, kind, path)
        raise NotFound("the photo's file is missing on the server")
    media_type = photo.media_type if kind == "original" else "image/jpeg"
    response = send_file(
        path,
        mimetype=media_type,
        etag=photo.sha256 if kind == "original" else f"{photo.sha256}-{kind}",
        max_age=FILE_MAX_AGE,
        conditional=True,
        download_name=f"photo-{photo.id}-{kind}.{photo.extension if kind == 'original' else 'jpg'}",
        as_attachment=False,
    )
    response.cache_control.public = False
    response.cache_control.private = True
    response.cache_control.immutable = True
    return response
