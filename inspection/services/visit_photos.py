"""A visit's photos: upload (verified by photos.py, kept by storage.py), the links that say what
each photo is evidence for, captions and removal; idempotent client ids as for answers.

Rules (API.md, DESIGN.md):
- the same bytes again in a visit are the same photo, linked to the new item too (200);
- a retried `client_id` returns the first result and creates nothing; with other content, 409;
- files first, row last (storage.py); a refused or failed upload leaves neither;
- a removal takes one link away, and the photo with its files once nothing links it;
- every change needs a visit whose state allows photos (workflow.py), bumps its revision and
  is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from inspection import audit, workflow
from inspection import photos as pipeline
from inspection.db import transaction
from inspection.errors import (
    N_,
    Conflict,
    DomainError,
    NotFound,
    TooLarge,
    UnsupportedMedia,
    ValidationError,
)
from inspection.library import TemplateLibrary
from inspection.models import (
    Finding,
    FindingPhoto,
    Photo,
    PhotoLink,
    User,
    Visit,
    relation,
    stored_id,
)
from inspection.services.answers import template_of
from inspection.services.plans import lock_visit
from inspection.services.replays import payload_hash, remember, replayed
from inspection.services.validation import (
    FIRST_YEAR,
    LAST_YEAR,
    Input,
    clean_client_id,
    clean_id,
    clean_revision,
    clean_text,
    is_whole_number,
    problem,
    text_rule,
)
from inspection.storage import DISPLAY, ORIGINAL, THUMB, PhotoStore

MAX_CAPTION = 500
VISIT = ""  # the item key of a link to the visit as a whole


def refusal_error(refused: pipeline.PhotoRefused) -> DomainError:
    """photos.py's refusal as the domain error its kind calls for (413, 415 or 400)."""
    kinds: dict[str, type[DomainError]] = {
        pipeline.TOO_LARGE: TooLarge,
        pipeline.UNSUPPORTED: UnsupportedMedia,
        pipeline.INVALID: ValidationError,
    }
    return kinds[refused.kind](
        refused.message,
        fields={"file": str(refused)},
        extra={"reason": refused.code},
        params=refused.params,
    )


# Input ------------------------------------------------------------------------------------------


def _item_key(value: Any) -> str:
    if value is None:
        return VISIT
    if not isinstance(value, str) or len(value) > 64:
        raise problem(N_("must be an item key"))
    return value


def _client_id(value: Any) -> str:
    return clean_client_id(value, required=True) or ""


def _moment(value: Any) -> dt.datetime | None:
    """A capture time with its offset (ISO 8601); empty is none."""
    if value is None or value == "":
        return None
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise problem(N_("must be an ISO 8601 time with its offset"))
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise problem(N_("must be a time from 2000 to 2100"))
    return moment


def _degrees(limit: float, message: str) -> BeforeValidator:
    def check(value: Any) -> float | None:
        if value is None or value == "":
            return None
        number: float | None = None
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = None
        elif is_whole_number(value) or isinstance(value, float):
            number = float(value)
        if number is None or not math.isfinite(number) or not -limit <= number <= limit:
            raise problem(message)
        return number

    return BeforeValidator(check)


def _finding_id(value: Any) -> int | None:
    return clean_id(value, N_("must be a deficiency's id"))


class PhotoUpload(Input):
    """An upload's fields besides the file (multipart form fields: every value is a string).
    A photo is evidence for an item (`item_key`), a deficiency (`finding_id`, or the
    `finding_client_id` it was created with offline), or the visit (none of them)."""

    item_key: Annotated[str, BeforeValidator(_item_key)] = VISIT
    caption: Annotated[str, text_rule(MAX_CAPTION, multiline=True)] = ""
    client_id: Annotated[str, BeforeValidator(_client_id)] = ""
    taken_at: Annotated[dt.datetime | None, BeforeValidator(_moment)] = None
    lat: Annotated[float | None, _degrees(90, N_("must be a latitude from -90 to 90"))] = None
    lon: Annotated[float | None, _degrees(180, N_("must be a longitude from -180 to 180"))] = None
    finding_id: Annotated[int | None, BeforeValidator(_finding_id)] = None
    finding_client_id: Annotated[str | None, BeforeValidator(clean_client_id)] = None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> PhotoUpload:
        upload = super().parse(data)
        if (upload.lat is None) != (upload.lon is None) and not upload.errors:
            upload.errors["lat" if upload.lat is None else "lon"] = N_("give both lat and lon")
        targets = [upload.item_key != VISIT, upload.finding_id, upload.finding_client_id]
        if sum(1 for t in targets if t) > 1 and not upload.errors:
            upload.errors["finding_id"] = N_("a photo goes to one item or one deficiency")
        return upload


def _caption(value: Any) -> str:
    """A new caption: required (the empty text clears it), so that a body without one never
    clears a caption by mistake."""
    if value is None:
        raise problem(N_("is required (the empty text clears the caption)"))
    return clean_text(value, limit=MAX_CAPTION, multiline=True)


class CaptionWrite(Input):
    caption: Annotated[str, BeforeValidator(_caption)] = ""
    base_revision: Annotated[int | None, BeforeValidator(clean_revision)] = None


# Reading ----------------------------------------------------------------------------------------


def visit_photos(session: Session, visit: Visit) -> list[Photo]:
    """The visit's photos with their links, oldest first."""
    query = (
        select(Photo)
        .where(Photo.visit_id == visit.id)
        .options(
            selectinload(relation(Photo.links)),
            selectinload(relation(Photo.finding_links)),
            selectinload(relation(Photo.uploaded_by)),
        )
        .order_by(col(Photo.uploaded_at), col(Photo.id))
    )
    return list(session.exec(query))


def photos_by_item(photos: list[Photo]) -> dict[str, list[Photo]]:
    """Each item key (VISIT for the visit) → its photos, oldest first."""
    found: dict[str, list[Photo]] = {}
    for photo in photos:
        for link in photo.links:
            found.setdefault(link.item_key, []).append(photo)
    return found


def photo_fields(photo: Photo) -> dict[str, Any]:
    """A photo as the API shows it (the views add its urls)."""
    position = None
    if photo.latitude is not None and photo.longitude is not None:
        position = {"lat": photo.latitude, "lon": photo.longitude}
    return {
        "id": photo.id,
        "visit_id": photo.visit_id,
        "sha256": photo.sha256,
        "size": photo.size,
        "media_type": photo.media_type,
        "width": photo.width,
        "height": photo.height,
        "caption": photo.caption,
        "taken_at": photo.taken_at.isoformat() if photo.taken_at else None,
        "position": position,
        "camera": photo.camera,
        "uploaded_by": photo.uploaded_by.username if photo.uploaded_by else None,
        "uploaded_at": photo.uploaded_at.isoformat(),
        "item_keys": sorted(link.item_key for link in photo.links),
        "finding_ids": sorted(link.finding_id for link in photo.finding_links),
        "revision": photo.revision,
    }


# Writing ----------------------------------------------------------------------------------------


class UploadResult(StrEnum):
    CREATED = "created"  # a new photo (201)
    EXISTING = "existing"  # these bytes were already a photo of the visit (200)
    REPLAYED = "replayed"  # this client_id was already processed (200)


@dataclass
class Uploaded:
    result: UploadResult
    fields: dict[str, Any]  # photo_fields of the photo


def upload_photo(
    session: Session,
    library: TemplateLibrary,
    store: PhotoStore,
    *,
    visit: Visit,
    user: User,
    data: PhotoUpload,
    content: bytes,
    max_bytes: int,
    timezone: str,
) -> Uploaded:
    """Keep `content` as a photo of the visit linked to `data.item_key`, or refuse it whole."""
    if data.errors:
        raise ValidationError(N_("The photo was not saved: see the fields."), fields=data.errors)
    if data.item_key != VISIT and template_of(library, visit).item(data.item_key) is None:
        raise ValidationError(
            "no such item", fields={"item_key": f"no item '{data.item_key}' in this checklist"}
        )
    sha256 = hashlib.sha256(content).hexdigest()
    finding = _finding(session, visit, data)
    content_of = {"visit_id": visit.id, "sha256": sha256, "item_key": data.item_key}
    if finding is not None:
        content_of["finding_id"] = finding.id
    request_hash = payload_hash(content_of)
    if (first := replayed(session, data.client_id, request_hash, user)) is not None:
        return Uploaded(UploadResult.REPLAYED, first)
    made: pipeline.Photo | None = None
    folder: str | None = None
    if _photo_with(session, visit, sha256) is None:
        # The heavy part before any lock, so that other writers of the visit never wait for it:
        # the pipeline, then the files, renamed into place before their row exists (storage.py).
        made = _process(content, max_bytes)
        folder = _write_files(store, stored_id(visit), made, content)
    kept = False  # the new folder is the row's from the commit on (or the sweep's to judge)
    try:
        revision = lock_visit(session, visit)
        with transaction(session):
            if (first := replayed(session, data.client_id, request_hash, user)) is not None:
                session.rollback()
                return Uploaded(UploadResult.REPLAYED, first)
            workflow.check_can_change_photos(visit)
            existing = _photo_with(session, visit, sha256)  # or stored by another meanwhile
            if existing is not None:
                _link_existing(session, existing, user=user, data=data, finding=finding)
                photo, result = existing, UploadResult.EXISTING
            else:
                if made is None or folder is None:  # it was there a moment ago, removed since
                    made = _process(content, max_bytes)
                    folder = _write_files(store, stored_id(visit), made, content)
                photo = _new_row(
                    session,
                    made,
                    folder,
                    visit=visit,
                    user=user,
                    data=data,
                    tz=timezone,
                    finding=finding,
                )
                result = UploadResult.CREATED
            photo.revision = revision
            workflow.record(visit, workflow.Action.PHOTO)
            fields = photo_fields(photo)
            remember(
                session,
                data.client_id,
                request_hash,
                user,
                scope=f"photo:{visit.id}",
                result=fields,
            )
            # A commit that fails may still have stored the row (a connection lost after the
            # server committed): its files stay, and the sweep removes them only if no row came.
            kept = result is UploadResult.CREATED
            session.commit()
            return Uploaded(result, fields)
    finally:
        if folder is not None and not kept:
            store.remove(stored_id(visit), folder)


def _process(content: bytes, max_bytes: int) -> pipeline.Photo:
    try:
        return pipeline.process(content, max_bytes=max_bytes)
    except pipeline.PhotoRefused as refused:
        raise refusal_error(refused) from None


def _write_files(store: PhotoStore, visit_id: int, made: pipeline.Photo, content: bytes) -> str:
    """The received file, its display copy and thumbnail in a new folder; returns its name."""
    folder = store.new_folder()
    files = {
        f"{ORIGINAL}.{made.extension}": content,
        DISPLAY: made.display.data,
        THUMB: made.thumbnail.data,
    }
    store.write(visit_id, folder, files)
    return folder


def _photo_with(session: Session, visit: Visit, sha256: str) -> Photo | None:
    query = select(Photo).where(Photo.visit_id == visit.id, Photo.sha256 == sha256)
    return session.exec(query.options(selectinload(relation(Photo.links)))).first()


def _finding(session: Session, visit: Visit, data: PhotoUpload) -> Finding | None:
    """The deficiency the upload names, by id or by the client id it was created with."""
    if data.finding_id is None and data.finding_client_id is None:
        return None
    query = select(Finding).where(Finding.visit_id == visit.id)
    if data.finding_id is not None:
        query = query.where(Finding.id == data.finding_id)
    else:
        query = query.where(Finding.client_id == data.finding_client_id)
    finding = session.exec(query).first()
    if finding is None:
        raise NotFound(N_("No such deficiency in this visit."))
    return finding


def _attach(
    photo: Photo, *, user: User, data: PhotoUpload, finding: Finding | None
) -> dict[str, Any] | None:
    """Link the photo to the upload's item or deficiency; returns what it was linked to, or
    None when it already was."""
    if finding is not None:
        if stored_id(finding) in {link.finding_id for link in photo.finding_links}:
            return None
        photo.finding_links.append(
            FindingPhoto(
                photo_id=stored_id(photo), finding_id=stored_id(finding), linked_by_id=user.id
            )
        )
        return {"finding_id": finding.id}
    if data.item_key in {link.item_key for link in photo.links}:
        return None
    photo.links.append(
        PhotoLink(photo_id=stored_id(photo), item_key=data.item_key, linked_by_id=user.id)
    )
    return {"item_key": data.item_key}


def _link_existing(
    session: Session, photo: Photo, *, user: User, data: PhotoUpload, finding: Finding | None
) -> None:
    """Link the visit's photo of the same bytes to the item or deficiency too (a caption sent
    with it fills an empty caption; it never replaces one)."""
    if (target := _attach(photo, user=user, data=data, finding=finding)) is not None:
        _audit(session, photo, user, "photo.link", after=target)
    if data.caption and not photo.caption:  # a caption sent with it fills an empty one
        photo.caption = data.caption
        _audit(
            session,
            photo,
            user,
            "photo.caption",
            before={"caption": ""},
            after={"caption": photo.caption},
        )
    session.add(photo)
    session.flush()


def _new_row(
    session: Session,
    made: pipeline.Photo,
    folder: str,
    *,
    visit: Visit,
    user: User,
    data: PhotoUpload,
    tz: str,
    finding: Finding | None,
) -> Photo:
    """The row of a photo whose files are in `folder`, with its link and its audit event."""
    # What the camera wrote into the photo (the evidence itself) comes first; what the client
    # says (the browser's copy has lost its EXIF) fills in where it wrote nothing.
    meta = made.metadata
    latitude, longitude = data.lat, data.lon
    if meta.position is not None:
        latitude, longitude = meta.position.latitude, meta.position.longitude
    camera = " ".join(part for part in (meta.camera_make, meta.camera_model) if part)
    photo = Photo(
        visit_id=stored_id(visit),
        folder=folder,
        sha256=made.sha256,
        size=made.size,
        media_type=made.media_type,
        extension=made.extension,
        width=made.width,
        height=made.height,
        taken_at=_camera_time(meta.taken_at, tz) or data.taken_at,
        latitude=latitude,
        longitude=longitude,
        camera=camera[:200],
        caption=data.caption,
        uploaded_by_id=user.id,
    )
    session.add(photo)
    session.flush()
    target = _attach(photo, user=user, data=data, finding=finding) or {}
    session.flush()
    _audit(
        session,
        photo,
        user,
        "photo.add",
        after={"sha256": photo.sha256, **target, "caption": photo.caption},
    )
    return photo


def _audit(session: Session, photo: Photo, user: User, action: str, **change: Any) -> None:
    """A photo's change in the audit trail (before/after), in the change's transaction."""
    audit.record(
        session,
        actor_id=user.id,
        action=action,
        entity="photo",
        entity_id=photo.id,
        visit_id=photo.visit_id,
        **change,
    )


def _camera_time(taken: dt.datetime | None, timezone: str) -> dt.datetime | None:
    """The camera's time; one without its offset is read in the agency's time zone."""
    if taken is None or taken.tzinfo is not None:
        return taken
    return taken.replace(tzinfo=ZoneInfo(timezone))


def set_caption(
    session: Session, *, visit: Visit, photo: Photo, user: User, data: CaptionWrite
) -> dict[str, Any]:
    if data.errors:
        raise ValidationError(N_("The caption was not saved."), fields=data.errors)
    revision = lock_visit(session, visit)
    with transaction(session):
        workflow.check_can_change_photos(visit)
        session.refresh(photo)
        if data.base_revision is not None and photo.revision > data.base_revision:
            current = photo_fields(photo)
            session.rollback()
            raise Conflict("this photo changed since your copy", extra={"current": current})
        before = photo.caption
        photo.caption = data.caption
        photo.revision = revision
        session.add(photo)
        _audit(
            session,
            photo,
            user,
            "photo.caption",
            before={"caption": before},
            after={"caption": photo.caption},
        )
        workflow.record(visit, workflow.Action.PHOTO)
        fields = photo_fields(photo)
        session.commit()
        return fields


@dataclass
class Removal:
    photo_removed: bool  # the photo itself went (nothing links it any more)
    item_keys: list[str]  # what still links it: items
    finding_ids: list[int] = field(default_factory=list)  # and deficiencies


def remove_photo(
    session: Session,
    store: PhotoStore,
    *,
    visit: Visit,
    photo: Photo,
    user: User,
    item_key: str | None,
    finding_id: int | None = None,
) -> Removal:
    """Take away the photo's link to `item_key` or to the deficiency `finding_id` (neither:
    its only link); the photo and its files go once nothing links it."""
    lock_visit(session, visit)
    with transaction(session):
        workflow.check_can_change_photos(visit)
        session.refresh(photo)
        keys = [link.item_key for link in photo.links]
        findings = [link.finding_id for link in photo.finding_links]
        if item_key is None and finding_id is None:
            if len(keys) + len(findings) > 1:
                raise ValidationError(
                    "this photo is linked to several items: say which (item_key or finding_id)",
                    fields={"item_key": "is required: the photo has several links"},
                )
            if findings:
                finding_id = findings[0]
            else:
                item_key = keys[0] if keys else VISIT
        if finding_id is not None:
            by_finding = next((f for f in photo.finding_links if f.finding_id == finding_id), None)
            if by_finding is None:
                raise NotFound(
                    N_("This photo is not linked to this deficiency."),
                    fields={"finding_id": str(finding_id)},
                )
            photo.finding_links.remove(by_finding)
            findings.remove(finding_id)
            target: dict[str, Any] = {"finding_id": finding_id}
        else:
            link = next((link for link in photo.links if link.item_key == item_key), None)
            if link is None:
                raise NotFound(
                    N_("This photo is not linked to this item."),
                    fields={"item_key": item_key or VISIT},
                )
            photo.links.remove(link)
            keys.remove(link.item_key)
            target = {"item_key": item_key}
        gone = not keys and not findings
        before = {"sha256": photo.sha256, **target, "caption": photo.caption}
        _audit(session, photo, user, "photo.remove" if gone else "photo.unlink", before=before)
        folder = photo.folder
        if gone:
            session.delete(photo)
        workflow.record(visit, workflow.Action.PHOTO)
        session.commit()
    if gone:
        store.remove(stored_id(visit), folder)  # after the row: a crash leaves an orphan
    return Removal(gone, sorted(keys), sorted(findings))


def sweep(session: Session, store: PhotoStore) -> list[str]:
    """Remove the store's folders no photo row names (older than the grace period); returns
    their paths. Safe while other workers upload (storage.py)."""
    rows = session.exec(select(Photo.visit_id, Photo.folder)).all()
    session.rollback()  # end the read: a long sweep holds no snapshot
    report = store.sweep({(visit_id, folder) for visit_id, folder in rows})
    return [str(path) for path in report.removed]
