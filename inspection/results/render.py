"""The plan's charts as SVG (results/chart.svg) and the plan report as HTML
(results/_report.html) and PDF; the charts of the Word copy are PNGs drawn from the same SVG."""

from __future__ import annotations

from math import ceil
from typing import Any

from flask import render_template
from markupsafe import Markup

from inspection.documents import decree
from inspection.documents.fonts import FAMILY_NAME
from inspection.documents.pdf import render_pdf, svg_pngs
from inspection.notices.content import vn_number
from inspection.results import report as words
from inspection.results import word
from inspection.results.charts import Chart
from inspection.results.report import ReportCharts, ReportContent

# The documents' serif (the @font-face of documents/fonts.py), then what a viewer may have.
DOCUMENT_FONT = f"'{FAMILY_NAME}', 'Times New Roman', 'Liberation Serif', serif"


def chart_svg(chart: Chart, *, font: str | None = DOCUMENT_FONT) -> Markup:
    """The chart's SVG element; `font=None` lets a page's font apply."""
    return Markup(render_template("results/chart.svg", chart=chart, font=font))


def chart_file(chart: Chart) -> str:
    """The chart as a standalone .svg file."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + str(chart_svg(chart))


def chart_pngs(charts: ReportCharts[Chart]) -> ReportCharts[bytes]:
    """The report's charts as the PDF draws them, as PNGs (for the Word copy), in one pass."""
    listed = [charts.totals, *charts.areas, charts.findings]
    pngs = svg_pngs([(str(chart_svg(c)), c.width, ceil(c.height)) for c in listed])
    return ReportCharts(pngs[0], tuple(pngs[1:-1]), pngs[-1])


def document_context(content: ReportContent) -> dict[str, Any]:
    """What results/_report.html reads."""
    return {
        "c": content,
        "words": words,
        "decree": decree,
        "vn_number": vn_number,
        "charts": content.charts().map(chart_svg),
        "titles": content.charts().map(lambda chart: chart.title),
    }


def report_html(content: ReportContent, *, stylesheet: str | None = None) -> str:
    """The standalone document: the API's report.html (linking `stylesheet`, the address of
    notice.css), and what the PDF is made from (styled by the renderer)."""
    return render_template(
        "results/report_pdf.html", stylesheet=stylesheet, **document_context(content)
    )


def report_pdf(content: ReportContent) -> bytes:
    return render_pdf(report_html(content))


def report_docx(content: ReportContent) -> bytes:
    """The Word copy, its charts drawn as the PDF's."""
    return word.render_docx(content, chart_pngs(content.charts()))
