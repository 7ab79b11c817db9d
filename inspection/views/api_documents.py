"""The documents' routes of the JSON API (API.md): a visit's on-site record (HTML, PDF, DOCX),
and a plan's overview, report (HTML, PDF, DOCX), spreadsheet and charts. Access is
auth.ACCESS's: the record for whoever reads the visit, the plan's results for its lead and
admins. Made when asked (nothing stored) and never cached by a shared cache."""

from __future__ import annotations

from flask import Response, current_app, g, jsonify, url_for
from werkzeug.exceptions import NotFound

from inspection.records import render as record_render
from inspection.records import word as record_word
from inspection.results import render as result_render
from inspection.results.charts import NAMES
from inspection.services import results
from inspection.views.api import bp
from inspection.views.records import record_of
from inspection.views.results import read_overview, read_report

HTML = "text/html; charset=utf-8"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SVG = "image/svg+xml; charset=utf-8"


def _file(data: bytes | str, media_type: str, name: str | None = None) -> Response:
    """A document made for this request: private, not stored by caches; a file name for
    downloads (`name`), shown in the browser otherwise."""
    response = current_app.response_class(data, mimetype=media_type)
    if name is not None:
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


def _stylesheet() -> str:
    """The documents' stylesheet, for a standalone HTML document printed from a browser."""
    return url_for("static", filename="css/notice.css")


# The on-site record -----------------------------------------------------------------------------


@bp.get("/visits/<int:visit_id>/record.html")
def record_html(visit_id: int) -> Response:
    return _file(record_render.record_html(record_of(g.visit), stylesheet=_stylesheet()), HTML)


@bp.get("/visits/<int:visit_id>/record.pdf")
def record_pdf(visit_id: int) -> Response:
    pdf = record_render.record_pdf(record_of(g.visit))
    response = _file(pdf, PDF)
    response.headers["Content-Disposition"] = f'inline; filename="bien-ban-{visit_id}.pdf"'
    return response


@bp.get("/visits/<int:visit_id>/record.docx")
def record_docx(visit_id: int) -> Response:
    return _file(record_word.render_docx(record_of(g.visit)), DOCX, f"bien-ban-{visit_id}.docx")


# The plan's results -----------------------------------------------------------------------------


@bp.get("/plans/<int:plan_id>/overview")
def plan_overview(plan_id: int) -> Response:
    view = read_overview()
    body = results.overview_public(
        view, lambda visit: url_for("visits.view", visit_id=visit.id, _external=True)
    )
    body["url"] = url_for("results.overview", plan_id=plan_id, _external=True)
    return jsonify(body)


@bp.get("/plans/<int:plan_id>/charts/<name>.svg")
def plan_chart(plan_id: int, name: str) -> Response:
    if name not in NAMES:
        raise NotFound()
    chart = read_overview().chart(name)  # a known name: read the plan only then
    return _file(result_render.chart_file(chart), SVG)


@bp.get("/plans/<int:plan_id>/scores.xlsx")
def scores_xlsx(plan_id: int) -> Response:
    data = results.scores_workbook(read_overview())
    return _file(data, XLSX, f"bang-diem-ke-hoach-{plan_id}.xlsx")


@bp.get("/plans/<int:plan_id>/report.html")
def report_html(plan_id: int) -> Response:
    return _file(result_render.report_html(read_report(), stylesheet=_stylesheet()), HTML)


@bp.get("/plans/<int:plan_id>/report.pdf")
def report_pdf(plan_id: int) -> Response:
    response = _file(result_render.report_pdf(read_report()), PDF)
    response.headers["Content-Disposition"] = f'inline; filename="bao-cao-ke-hoach-{plan_id}.pdf"'
    return response


@bp.get("/plans/<int:plan_id>/report.docx")
def report_docx(plan_id: int) -> Response:
    data = result_render.report_docx(read_report())
    return _file(data, DOCX, f"bao-cao-ke-hoach-{plan_id}.docx")
