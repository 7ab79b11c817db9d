"""A plan's results for its lead (and admins): the overview (visits, scores and bands, progress,
filters by status and area, charts drawn on the server) and the plan report over the issued
notices, with the spreadsheet, PDF and Word copies (the API's routes, views/api_documents.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request, url_for
from flask.typing import ResponseReturnValue

from inspection.db import get_session
from inspection.formatting import format_moment
from inspection.library import get_library
from inspection.models import VisitStatus
from inspection.results import render
from inspection.results.report import ReportContent
from inspection.services import results
from inspection.views.notices import timezone, today

bp = Blueprint("results", __name__, url_prefix="/plans")


def read_overview() -> results.Overview:
    """The plan's overview with the filters of the query string (`status`, `area`)."""
    return results.overview(
        get_session(),
        get_library(),
        g.plan,
        status=request.args.get("status", "").strip(),
        area=request.args.get("area", "").strip(),
    )


def read_report() -> ReportContent:
    return results.report_content(get_session(), get_library(), g.plan, today=today())


@bp.get("/<int:plan_id>/overview")
def overview(plan_id: int) -> ResponseReturnValue:
    view = read_overview()
    query: dict[str, Any] = {k: v for k, v in (("status", view.status), ("area", view.area)) if v}
    return render_template(
        "results/overview.html",
        plan=g.plan,
        view=view,
        totals=render.chart_svg(view.chart("totals"), font=None),
        areas=[render.chart_svg(chart, font=None) for chart in view.area_charts()],
        findings=render.chart_svg(view.chart("findings"), font=None),
        statuses=list(VisitStatus),
        xlsx=url_for("api.scores_xlsx", plan_id=plan_id, **query),
        filtered=bool(query),
        moment=lambda at: format_moment(at, timezone()),
    )


@bp.get("/<int:plan_id>/report")
def report(plan_id: int) -> ResponseReturnValue:
    try:
        content = read_report()
    except results.NoNotices as exc:  # none issued yet: the page says so, and what comes first
        return render_template("results/report.html", plan=g.plan, refusal=exc.translated())
    urls = {kind: url_for(f"api.report_{kind}", plan_id=plan_id) for kind in ("pdf", "docx")}
    return render_template(
        "results/report.html", plan=g.plan, urls=urls, **render.document_context(content)
    )
