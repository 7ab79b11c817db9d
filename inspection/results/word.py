"""The plan report as an editable Word document (DOCX), built from its content like the HTML
and the PDF; the charts are PNGs drawn from the PDF's SVG (results/render.chart_pngs)."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

import docx
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Length
from docx.table import _Cell

from inspection.documents.decree import RECIPIENTS
from inspection.documents.docx_parts import (
    TEXT_WIDTH,
    add_body,
    add_cell_text,
    add_header,
    add_line,
    add_page_numbers,
    add_rule,
    keep_row_together,
    new_table,
    prepare_cell,
    repeat_as_header,
    set_up_page,
    set_up_styles,
)
from inspection.notices.content import vn_number
from inspection.results import report as words
from inspection.results.report import ReportCharts, ReportContent

CLOSING_COLUMNS = (Cm(7.5), Cm(9.0))
CHART_WIDTH = Cm(12)


def render_docx(content: ReportContent, charts: ReportCharts[bytes]) -> bytes:
    """`charts`: content.charts() as PNGs."""
    document = docx.Document()
    set_up_page(document.sections[0])
    set_up_styles(document)
    add_page_numbers(document.sections[0])
    add_header(document, content)
    add_line(document, space_after=6)
    add_line(document, words.TITLE, bold=True)
    add_line(document, content.summary, bold=True)
    add_rule(document, Cm(3.5), TEXT_WIDTH)
    add_body(document, words.SECTION_ROUND, bold=True)
    for line in content.round_lines:
        add_body(document, line)
    add_body(document, words.SECTION_RESULTS, bold=True)
    add_body(document, content.results_intro)
    _add_ranking(document, content)
    for line in content.strengths:
        add_body(document, line)
    titles = content.charts().map(lambda chart: chart.title)
    _add_chart(document, f"Biểu đồ 1. {titles.totals}", charts.totals)
    add_line(document, f"Biểu đồ 2. {words.AREAS_TITLE}", 12, italic=True)
    for png in charts.areas:
        _add_chart(document, "", png)
    add_body(document, words.SECTION_DEFICIENCIES, bold=True)
    if content.frequent:
        add_body(document, content.deficiencies_intro)
        for number, group in enumerate(content.frequent, start=1):
            units = ", ".join(group.units)
            add_body(document, f"{number}. {group.text} ({len(group.units)} đơn vị: {units}).")
        _add_chart(document, f"Biểu đồ 3. {titles.findings}", charts.findings)
    else:
        add_body(document, words.NO_DEFICIENCIES)
    add_body(document, words.SECTION_PROPOSALS, bold=True)
    add_body(document, content.proposals)
    add_body(document, content.follow_up_intro)
    for entry in content.follow_up:
        add_body(document, f"- {content.follow_up_line(entry)}")
    _add_closing(document, content)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _add_ranking(document: Document, content: ReportContent) -> None:
    """TT, unit, one column per area (LV1…), total, band; a legend of the areas under it."""
    areas = len(content.areas)
    rest = TEXT_WIDTH - Cm(1.0) - Cm(4.2) - Cm(3.0) - Cm(1.8)
    area_width = Length(rest // max(areas, 1))
    widths = (Cm(1.0), Cm(4.2), *([area_width] * areas), Cm(3.0), Cm(1.8))
    table = new_table(document, len(content.scores) + 1, widths, grid=True)
    heading = ["TT", "Đơn vị", *[f"LV{n}" for n in range(1, areas + 1)], "Tổng điểm", "Xếp loại"]
    _row(table.rows[0].cells, heading, bold=True)
    repeat_as_header(table)
    for number, score in enumerate(content.scores, start=1):
        cells = [str(number), score.unit]
        for key, _title in content.areas:
            area = score.area(key)
            cells.append(f"{vn_number(area.score)}/{vn_number(area.max)}" if area else "")
        total = f"{vn_number(score.total)}/{vn_number(score.max)}"
        if score.percent is not None:
            total += f" ({vn_number(score.percent)}%)"
        cells += [total, score.band]
        _row(table.rows[number].cells, cells)
        keep_row_together(table, number)
    legend = "; ".join(f"LV{n}: {title}" for n, (_key, title) in enumerate(content.areas, 1))
    add_body(document, legend + ".", italic=True)


def _row(cells: Sequence[_Cell], texts: Sequence[str], *, bold: bool = False) -> None:
    for column, (cell, text) in enumerate(zip(cells, texts, strict=True)):
        add_cell_text(prepare_cell(cell), text, 11, bold=bold, centred=column != 1)


def _add_chart(document: Document, caption: str, png: bytes) -> None:
    if caption:
        add_line(document, caption, 12, italic=True)
    picture = document.add_paragraph()
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.first_line_indent = Cm(0)
    picture.add_run().add_picture(BytesIO(png), width=CHART_WIDTH)


def _add_closing(document: Document, content: ReportContent) -> None:
    document.add_paragraph()
    table = new_table(document, 1, CLOSING_COLUMNS, grid=False)
    keep_row_together(table, 0)
    left, right = (prepare_cell(cell) for cell in table.rows[0].cells)
    recipients = add_cell_text(left, RECIPIENTS, 12, bold=True)
    recipients.runs[0].font.italic = True
    for line in content.recipients:
        add_cell_text(left, f"- {line}", 11)
    add_line(right, content.signer_on_behalf.upper(), bold=True)
    add_line(right, content.signer_title.upper(), bold=True)
    for _ in range(4):
        add_line(right)
    add_line(right, content.signer_name, bold=True)
