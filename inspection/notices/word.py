"""The conclusion notice as an editable Word document (DOCX), in the layout of Decree 30/2020.

Built from the `NoticeContent` snapshot alone, like the HTML and PDF renderings, so a clerk can
open it in Word, adjust the wording and print it: A4, Times New Roman, the two-column header with
the motto, the title, sections I–IV, the score table, recipients and signature, and, when given,
the verification QR code and the annex of photos.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from io import BytesIO

import docx
from docx.document import Document
from docx.enum.text import WD_BREAK
from docx.image.exceptions import UnrecognizedImageError
from docx.shared import Cm, Pt
from docx.table import Table, _Cell

from inspection.documents.docx_parts import (
    TEXT_WIDTH,
    add_body,
    add_cell_text,
    add_header,
    add_line,
    add_page_numbers,
    add_rule,
    add_run,
    clean,
    keep_row_together,
    lines_of,
    new_table,
    prepare_cell,
    repeat_as_header,
    set_up_page,
    set_up_styles,
)
from inspection.notices.content import (
    ANNEX_TITLE,
    DRAFT_MARK,
    NO_DEFICIENCIES,
    RECIPIENTS,
    SECTION_DEFICIENCIES,
    SECTION_IMPLEMENTATION,
    SECTION_REQUIREMENTS,
    SECTION_RESULTS,
    TITLE,
    VERIFY_WORDS,
    AnnexPhoto,
    Area,
    Deficiency,
    NoticeContent,
    Person,
    vn_number,
)

SCORE_COLUMNS = (Cm(1.2), Cm(9.3), Cm(3.0), Cm(3.0))
CLOSING_COLUMNS = (Cm(7.5), Cm(9.0))
ANNEX_COLUMNS = (Cm(4.6), Cm(11.9))


def render_docx(
    content: NoticeContent,
    *,
    qr_png: bytes | None = None,
    photos: Mapping[str, bytes] | None = None,
) -> bytes:
    """The notice as DOCX bytes; `qr_png` adds the verification code under the signature,
    `photos` (thumbnails by SHA-256) fills the annex's pictures."""
    document = docx.Document()
    set_up_page(document.sections[0])
    set_up_styles(document)
    add_page_numbers(document.sections[0])
    add_header(document, content)
    _add_title(document, content)
    _add_opening(document, content)
    _add_results(document, content)
    _add_deficiencies(document, content.deficiencies)
    _add_requirements(document, content)
    _add_implementation(document, content)
    _add_closing(document, content)
    if qr_png is not None:
        _add_verification(document, qr_png, content.verify_url)
    if content.annex:
        _add_annex(document, content.annex, photos or {})
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- The header and the title ------------------------------------------------------------------


def _add_title(document: Document, content: NoticeContent) -> None:
    """The draft mark, the title, the summary line with its rule, and which notice this one
    replaces."""
    add_line(document, space_after=6)
    if content.is_draft:
        add_line(document, DRAFT_MARK, bold=True, space_after=6)
    add_line(document, TITLE, bold=True)
    for line in lines_of(content.summary):
        add_line(document, line, bold=True)
    add_rule(document, Cm(3.5), TEXT_WIDTH)
    if content.supersedes_line:
        add_body(document, content.supersedes_line, italic=True)


# --- The body ----------------------------------------------------------------------------------


def _add_opening(document: Document, content: NoticeContent) -> None:
    """The legal basis, the lead's opening words, and who took part on each side."""
    add_body(document, content.basis)
    add_body(document, content.opening)
    add_body(document, content.team_intro)
    _add_people(document, content.team)
    add_body(document, content.unit_intro)
    _add_people(document, content.unit_people)
    add_body(document, content.conclusion_intro)


def _add_people(document: Document, people: Sequence[Person]) -> None:
    for person in people:
        add_body(document, person.line)


def _add_results(document: Document, content: NoticeContent) -> None:
    """I.: the overall assessment, the lead's paragraph on each area that has one (numbered as
    the score table's rows), the score table and the total."""
    add_body(document, SECTION_RESULTS, bold=True)
    add_body(document, content.results)
    for number, area in enumerate(content.areas, start=1):
        if area.narrative.strip():
            add_body(document, f"{number}. {area.heading}", bold=True)
            add_body(document, area.narrative)
    _add_score_table(document, content)
    add_body(document, content.score_line)


def _add_score_table(document: Document, content: NoticeContent) -> None:
    """The score table: a heading row, one row per area, and the total."""
    table = new_table(document, len(content.areas) + 2, SCORE_COLUMNS, grid=True)
    _score_row(table, 0, ("TT", "Lĩnh vực", "Điểm đạt", "Điểm tối đa"), bold=True)
    repeat_as_header(table)
    for number, area in enumerate(content.areas, start=1):
        _score_row(table, number, _area_cells(number, area))
    total = ("", "Tổng cộng", vn_number(content.total), vn_number(content.max))
    _score_row(table, len(content.areas) + 1, total, bold=True)
    document.add_paragraph().paragraph_format.space_after = Pt(0)


def _area_cells(number: int, area: Area) -> tuple[str, str, str, str]:
    return (str(number), area.title, vn_number(area.score), vn_number(area.max))


def _score_row(table: Table, index: int, texts: Sequence[str], *, bold: bool = False) -> None:
    for column, (cell, text) in enumerate(zip(table.rows[index].cells, texts, strict=True)):
        add_cell_text(prepare_cell(cell, top=False), text, bold=bold, centred=column != 1)


def _add_deficiencies(document: Document, deficiencies: Sequence[Deficiency]) -> None:
    """II.: one numbered paragraph per deficiency, or the words saying there are none."""
    add_body(document, SECTION_DEFICIENCIES, bold=True)
    if not deficiencies:
        add_body(document, NO_DEFICIENCIES)
    for number, deficiency in enumerate(deficiencies, start=1):
        add_body(document, f"{number}. {deficiency.text}")


def _add_requirements(document: Document, content: NoticeContent) -> None:
    """III.: what the unit must fix, who is responsible, by when."""
    add_body(document, SECTION_REQUIREMENTS, bold=True)
    add_body(document, content.requirements)
    for number, deficiency in enumerate(content.deficiencies, start=1):
        add_body(document, f"{number}. {deficiency.requirement_line}")


def _add_implementation(document: Document, content: NoticeContent) -> None:
    add_body(document, SECTION_IMPLEMENTATION, bold=True)
    add_body(document, content.implementation)
    add_body(document, content.report_line)


# --- The closing, the verification code and the annex ------------------------------------------


def _add_closing(document: Document, content: NoticeContent) -> None:
    """The borderless closing table: recipients on the left, the signature on the right."""
    document.add_paragraph().paragraph_format.space_after = Pt(0)
    table = new_table(document, 1, CLOSING_COLUMNS, grid=False)
    keep_row_together(table, 0)
    left, right = (prepare_cell(cell) for cell in table.rows[0].cells)
    recipients = add_cell_text(left, RECIPIENTS, 12, bold=True)
    recipients.runs[0].font.italic = True
    for line in content.recipients:
        text = clean(line).strip()
        add_cell_text(left, text if text.startswith("-") else f"- {text}", 11)
    add_line(right, content.signer_on_behalf.upper(), bold=True)
    add_line(right, content.signer_title.upper(), bold=True)
    for _ in range(4):
        add_line(right)
    add_line(right, content.signer_name, bold=True)


def _add_verification(document: Document, qr_png: bytes, verify_url: str) -> None:
    """The QR code (about 2.5 cm) and the address where the notice can be checked."""
    picture = document.add_paragraph()
    picture.paragraph_format.space_before = Pt(12)
    picture.paragraph_format.space_after = Pt(0)
    picture.add_run().add_picture(BytesIO(qr_png), width=Cm(2.5))
    if verify_url:
        line = document.add_paragraph()
        line.paragraph_format.space_after = Pt(0)
        add_run(line, VERIFY_WORDS + verify_url, 10)


def _add_annex(
    document: Document, annex: Sequence[AnnexPhoto], photos: Mapping[str, bytes]
) -> None:
    """A new page: the annex title and a table, one row per photo (thumbnail, description)."""
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    add_line(document, ANNEX_TITLE, bold=True, space_after=12)
    table = new_table(document, len(annex), ANNEX_COLUMNS, grid=True)
    for row, photo in zip(table.rows, annex, strict=True):
        picture, words = (prepare_cell(cell) for cell in row.cells)
        _add_thumbnail(picture, photos.get(photo.sha256))
        _describe_photo(words, photo)


def _add_thumbnail(cell: _Cell, image: bytes | None) -> None:
    """The thumbnail about 4 cm wide; left out when missing or not an image Word can show."""
    paragraph = add_cell_text(cell, "", centred=True)
    if image is None:
        return
    try:
        paragraph.add_run().add_picture(BytesIO(image), width=Cm(4))
    except UnrecognizedImageError:
        return


def _describe_photo(cell: _Cell, photo: AnnexPhoto) -> None:
    for text, bold in ((photo.caption, True), (photo.subject, False), (photo.taken_at_text, False)):
        for line in lines_of(text):
            add_cell_text(cell, line, bold=bold)
    add_cell_text(cell, f"SHA-256: {photo.sha256}", 9)
