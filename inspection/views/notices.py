"""The conclusion notice's pages: the lead's draft of an approved visit (edited and saved on the
server, previewed marked "DỰ THẢO" as HTML or PDF), issuing it, the issued notice (HTML for
screen and print, the stored PDF and DOCX), a superseding correction, the unit's list of its
notices, and the public verification page a printed copy's QR code leads to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
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
from werkzeug.wrappers import Response as BaseResponse

from inspection import workflow
from inspection.db import get_session
from inspection.errors import N_, Conflict, DomainError, http_status
from inspection.formatting import typed_iso_date
from inspection.library import get_library
from inspection.models import Notice, Role, Visit, utcnow
from inspection.notices import render
from inspection.notices.content import NoticeContent, vn_number
from inspection.notices.qr import qr_svg
from inspection.services import agency, login_throttle, notices
from inspection.storage import get_store

bp = Blueprint("notices", __name__)

PDF_NAME = "thong-bao-ket-luan-{id}.{kind}"


# Shared with the API ------------------------------------------------------------------------------


def timezone() -> str:
    return agency.agency_timezone(get_session(), default=current_app.config["TIMEZONE"])


# The time, read through this name so that tests can move it (the notice's date and year).
clock: Callable[[], dt.datetime] = utcnow


def now() -> dt.datetime:
    """Now in the agency's time zone (the on-site record's time)."""
    return clock().astimezone(ZoneInfo(timezone()))


def today() -> dt.date:
    """Today in the agency's time zone: the notice's date and its year's number series."""
    return clock().astimezone(ZoneInfo(timezone())).date()


class NotConfigured(Conflict):
    code = "not_configured"


def public_base() -> str:
    """The address the public reaches, printed in every notice's QR code: INSPECTION_BASE_URL.
    A printed address never changes, so production refuses to issue without it; development
    and tests use the address the request came to."""
    base = current_app.config.get("BASE_URL")
    if not base:
        if current_app.config.get("ENV") == "production":
            raise NotConfigured(
                N_("Set INSPECTION_BASE_URL (the public https:// address) before issuing notices.")
            )
        base = request.host_url
    return str(base).rstrip("/")


def verify_url(token: str) -> str:
    """The verification page's address as printed."""
    return public_base() + url_for("notices.verify", token=token)


def rendering() -> notices.Rendering:
    public_base()  # refuses before anything is done when no address is configured
    return notices.Rendering(
        store=get_store(), verify_url=verify_url, timezone=timezone(), today=today()
    )


def notice_urls(notice: Notice) -> dict[str, str]:
    return {
        "html": url_for("notices.view", notice_id=notice.id),
        "pdf": url_for("notices.pdf", notice_id=notice.id),
        "docx": url_for("notices.docx", notice_id=notice.id),
    }


def stored_response(notice: Notice, kind: str, *, download: bool) -> BaseResponse:
    stored = notices.stored_file(get_session(), notice, kind)
    response = current_app.response_class(stored.data, mimetype=stored.media_type)
    name = PDF_NAME.format(id=notice.id, kind=kind)
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response.set_etag(stored.sha256)
    response.cache_control.private = True
    response.cache_control.max_age = 3600
    return response.make_conditional(request)


# The draft ----------------------------------------------------------------------------------------


@bp.get("/visits/<int:visit_id>/notice")
def draft(visit_id: int) -> ResponseReturnValue:
    visit = g.visit
    issued = notices.current_notice(get_session(), visit)
    if issued is not None:
        return redirect(url_for("notices.view", notice_id=issued.id))
    return _draft_page(visit)


def _draft_page(
    visit: Visit, *, error: str = "", fields: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    session = get_session()
    can_draft = workflow.can_draft_notice(visit)
    content = None
    if can_draft:
        content = notices.draft_content(
            session, get_library(), visit, timezone=timezone(), today=today()
        )
    row = notices.get_draft(session, visit)
    typed = request.form if request.method == "POST" else None
    page = render_template(
        "notices/draft.html",
        visit=visit,
        content=content,
        draft=notices.draft_public(row),
        typed=typed,
        can_draft=can_draft,
        is_lead=visit.plan.lead_id == current_user.id,
        error=error,
        conflict=status == 409 and bool(error),
        fields=fields or {},
        short_date=render.short_date,
        vn_number=vn_number,
    )
    return page, status


def _form_draft() -> dict[str, Any]:
    """The draft form's fields as the service reads them (a JSON body's shape)."""
    form = request.form
    data: dict[str, Any] = {k: form.get(k, "") for k in notices.NARRATIVE_KEYS}
    data["areas"] = {k.removeprefix("area."): v for k, v in form.items() if k.startswith("area.")}
    data["due_dates"] = {
        k.removeprefix("due."): typed_iso_date(v)
        for k, v in form.items()
        if k.startswith("due.") and v
    }
    for name in ("recipients", "signer_name"):
        data[name] = form.get(name, "")
    data["report_due_on"] = typed_iso_date(form.get("report_due_on", ""))
    data["photo_annex"] = form.get("photo_annex", "")
    revision = form.get("base_revision", "")
    plain = revision.isascii() and revision.isdigit() and len(revision) < 16
    data["base_revision"] = int(revision) if plain else (revision or None)  # else refused
    return data


@bp.post("/visits/<int:visit_id>/notice/draft")
def save_draft(visit_id: int) -> ResponseReturnValue:
    visit = g.visit
    data = notices.DraftWrite.parse(_form_draft())
    try:
        notices.save_draft(get_session(), get_library(), visit=visit, user=current_user, data=data)
    except DomainError as exc:
        return _draft_page(
            visit, error=exc.translated(), fields=exc.fields, status=http_status(exc)
        )
    flash(_("The draft is saved."), "success")
    if request.form.get("then") == "preview":
        return redirect(url_for("notices.preview", visit_id=visit.id))
    return redirect(url_for("notices.draft", visit_id=visit.id))


@bp.get("/visits/<int:visit_id>/notice/preview")
def preview(visit_id: int) -> ResponseReturnValue:
    visit = g.visit
    workflow.check_can_draft_notice(visit)
    content = notices.draft_content(
        get_session(), get_library(), visit, timezone=timezone(), today=today()
    )
    return _document_page(content, visit=visit, notice=None)


@bp.get("/visits/<int:visit_id>/notice/preview.pdf")
def preview_pdf(visit_id: int) -> ResponseReturnValue:
    visit = g.visit
    workflow.check_can_draft_notice(visit)
    content = notices.draft_content(
        get_session(), get_library(), visit, timezone=timezone(), today=today()
    )
    pdf = notices.render_pdf(get_session(), content, get_store())
    response = current_app.response_class(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'inline; filename="du-thao-thong-bao.pdf"'
    response.cache_control.no_store = True
    return response


@bp.post("/visits/<int:visit_id>/notice/issue")
def issue(visit_id: int) -> ResponseReturnValue:
    visit = g.visit
    session = get_session()
    content = notices.draft_content(
        session, get_library(), visit, timezone=timezone(), today=today()
    )
    if content.past_deadlines() and request.form.get("accept_past") != "1":
        error = _("Some deadlines are already past: change them, or confirm that they stand.")
        return _draft_page(visit, error=error, status=409)
    try:
        notice = notices.issue(
            session, get_library(), visit=visit, user=current_user, rendering=rendering()
        )
    except DomainError as exc:
        return _draft_page(visit, error=exc.translated(), status=http_status(exc))
    flash(_("Notice %(number)s is issued.", number=notice.number), "success")
    return redirect(url_for("notices.view", notice_id=notice.id))


# The issued notice --------------------------------------------------------------------------------


@bp.get("/notices/<int:notice_id>")
def view(notice_id: int) -> ResponseReturnValue:
    notice = g.notice
    return _document_page(notices.content_of(notice), visit=g.visit, notice=notice)


def _document_page(
    content: NoticeContent, *, visit: Visit, notice: Notice | None
) -> ResponseReturnValue:
    qr = qr_svg(content.verify_url) if content.verify_url else None
    context = render.document_context(content, qr=qr, photo_src=_photo_url)
    later = None
    if notice is not None and notice.superseded_by_id is not None:
        later = get_session().get(Notice, notice.superseded_by_id)
    return render_template(
        "notices/view.html",
        visit=visit,
        notice=notice,
        later=later,
        urls=notice_urls(notice) if notice is not None else None,
        may_supersede=notice is not None and _may_supersede(visit, notice),
        is_unit=current_user.role == Role.UNIT,
        **context,
    )


def _photo_url(photo: Any) -> str:
    return url_for("api.photo_file", photo_id=photo.photo_id, kind="thumb")


def _may_supersede(visit: Visit, notice: Notice) -> bool:
    return (
        notice.superseded_by_id is None
        and visit.plan.lead_id == current_user.id
        and workflow.can_decide(visit, workflow.Action.SUPERSEDE, current_user.role)
    )


@bp.get("/notices/<int:notice_id>/notice.pdf")
def pdf(notice_id: int) -> ResponseReturnValue:
    """The stored PDF: the record."""
    return stored_response(g.notice, notices.PDF, download=False)


@bp.get("/notices/<int:notice_id>/notice.docx")
def docx(notice_id: int) -> ResponseReturnValue:
    """The Word copy, for layout: the team's, not the unit's (auth.ACCESS)."""
    return stored_response(g.notice, notices.DOCX, download=True)


@bp.route("/notices/<int:notice_id>/supersede", methods=["GET", "POST"])
def supersede(notice_id: int) -> ResponseReturnValue:
    notice, visit = g.notice, g.visit
    content = notices.content_of(notice)
    error, fields, status = "", {}, 200
    if request.method == "POST":
        data = notices.SupersedeWrite.parse(_form_correction(content))
        try:
            new = notices.supersede(
                get_session(),
                get_library(),
                notice=notice,
                user=current_user,
                data=data,
                rendering=rendering(),
            )
        except DomainError as exc:
            error, fields, status = exc.translated(), exc.fields, http_status(exc)
        else:
            flash(
                _(
                    "Notice %(number)s is issued in place of %(old)s.",
                    number=new.number,
                    old=notice.number,
                ),
                "success",
            )
            return redirect(url_for("notices.view", notice_id=new.id))
    page = render_template(
        "notices/supersede.html",
        visit=visit,
        notice=notice,
        content=content,
        error=error,
        fields=fields,
        typed=request.form if request.method == "POST" else None,
        short_date=render.short_date,
    )
    return page, status


def _form_correction(content: NoticeContent) -> dict[str, Any]:
    form = request.form
    corrections = []
    for d in content.deficiencies:
        fid = str(d.finding_id)
        text, remedy = form.get(f"text.{fid}", "").strip(), form.get(f"remedy.{fid}", "").strip()
        due = typed_iso_date(form.get(f"due.{fid}", ""))
        if (
            (text and text != d.text)
            or (remedy and remedy != d.remedy)
            or (due and due != (d.due_on.isoformat() if d.due_on else ""))
        ):
            corrections.append({"id": d.finding_id, "text": text, "remedy": remedy, "due_on": due})
    # A part the form does not send stays as it was; one sent changed is the correction.
    narrative = {
        k: form[k] for k in notices.NARRATIVE_KEYS if k in form and form[k] != getattr(content, k)
    }
    return {"reason": form.get("reason", ""), "narrative": narrative, "findings": corrections}


# The unit's notices and the public verification ---------------------------------------------------


@bp.get("/notices")
def mine() -> ResponseReturnValue:
    """The inspected unit's notices (a unit user's home)."""
    found = []
    if current_user.unit_id is not None:
        found = notices.unit_notices(get_session(), current_user.unit_id)
    return render_template("notices/mine.html", found=found)


@bp.get("/verify/<token>")
def verify(token: str) -> ResponseReturnValue:
    """Anyone holding a printed notice checks it here: number, unit, date and the PDF's hash.
    An unknown token learns nothing, and too many from one address are locked out."""
    session = get_session()
    found = notices.verify(
        session,
        token,
        address=request.remote_addr,
        limits=login_throttle.Limits.from_config(current_app.config),
        limit=int(current_app.config["VERIFY_FAILURES"]),
    )
    notice, status = found.notice, 200
    later = content = None
    if notice is not None:
        content = notices.content_of(notice)
        if notice.superseded_by_id is not None:
            later = session.get(Notice, notice.superseded_by_id)
    else:
        status = 429 if found.retry_after is not None else 404
    page = render_template(
        "notices/verify.html",
        notice=notice,
        content=content,
        later=later,
        locked=found.retry_after is not None,
    )
    response = Response(page, status=status)
    if found.retry_after is not None:
        response.headers["Retry-After"] = str(found.retry_after)
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
