"""The on-site record as an editable Word document (DOCX), built from its content like the HTML
and the PDF: the Decree-30 header, the title, the people, the answers table, the score, the
deficiencies, lines for the unit's opinion and the two signatures."""

from __future__ import annotations

from io import BytesIO

import docx
from docx.document import Document
from docx.shared import Cm
from docx.table import Table

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
from inspection.records import content as words
from inspection.records.content import RecordContent

ANSWER_COLUMNS = (Cm(1.4), Cm(7.6), Cm(5.0), Cm(2.5))
SIGNATURE_COLUMNS = (Cm(8.25), Cm(8.25))
DOTS = "." * 110


def render_docx(content: RecordContent) -> bytes:
    document = docx.Document()
    set_up_page(document.sections[0])
    set_up_styles(document)
    add_page_numbers(document.sections[0])
    add_header(document, content)
    add_line(document, space_after=6)
    add_line(document, words.TITLE, bold=True)
    add_line(document, content.summary, bold=True)
    add_rule(document, Cm(3.5), TEXT_WIDTH)
    add_body(document, content.opening)
    add_body(document, content.basis)
    add_body(document, content.team_intro)
    for person in content.team:
        add_body(document, person.line)
    add_body(document, content.unit_intro)
    for person in content.unit_people:
        add_body(document, person.line)
    if not content.unit_people:
        add_body(document, "- " + DOTS[:60])
    add_body(document, words.SECTION_CONTENT, bold=True)
    add_body(document, content.content_line)
    _add_answers(document, content)
    add_body(document, words.SECTION_RESULTS, bold=True)
    add_body(document, content.score_line)
    add_body(document, words.SECTION_DEFICIENCIES, bold=True)
    if not content.deficiencies:
        add_body(document, words.NO_DEFICIENCIES)
    for number, deficiency in enumerate(content.deficiencies, start=1):
        add_body(document, f"{number}. {deficiency.text}")
    add_body(document, words.SECTION_OPINION, bold=True)
    for _ in range(words.OPINION_LINES):
        add_line(document, DOTS, space_after=6)
    add_body(document, content.copies_line)
    _add_signatures(document, content)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _add_answers(document: Document, content: RecordContent) -> None:
    """A heading row, then per area a bold row with its points and a row per item."""
    rows = 2 + sum(1 + len(area.items) for area in content.areas)
    table = new_table(document, rows, ANSWER_COLUMNS, grid=True)
    _row(table, 0, ("TT", "Nội dung kiểm tra", "Kết quả", "Điểm"), bold=True)
    repeat_as_header(table)
    index = 1
    for number, area in enumerate(content.areas, start=1):
        points = f"{vn_number(area.score)}/{vn_number(area.max)}"
        _row(table, index, (str(number), area.title, "", points), bold=True)
        index += 1
        for item in area.items:
            _row(table, index, (item.number, item.text, item.answer, item.points))
            index += 1
    total = f"{vn_number(content.total)}/{vn_number(content.max)}"
    _row(table, index, ("", "Tổng cộng", "", total), bold=True)
    document.add_paragraph()


def _row(table: Table, index: int, texts: tuple[str, str, str, str], *, bold: bool = False) -> None:
    keep_row_together(table, index)
    for column, (cell, text) in enumerate(zip(table.rows[index].cells, texts, strict=True)):
        add_cell_text(prepare_cell(cell), text, 12, bold=bold, centred=column in (0, 3))


def _add_signatures(document: Document, content: RecordContent) -> None:
    """Two columns: the unit's representative on the left, the team lead on the right."""
    table = new_table(document, 1, SIGNATURE_COLUMNS, grid=False)
    keep_row_together(table, 0)
    left, right = (prepare_cell(cell) for cell in table.rows[0].cells)
    for cell, title, hint, name in (
        (left, words.UNIT_SIGNS, "(Ký, ghi rõ họ tên, đóng dấu)", content.unit_signer),
        (right, words.LEAD_SIGNS, "(Ký, ghi rõ họ tên)", content.lead_name),
    ):
        add_line(cell, title, 13, bold=True)
        add_line(cell, hint, 12, italic=True)
        for _ in range(4):
            add_line(cell)
        add_line(cell, name, bold=True)
