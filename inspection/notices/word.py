"""The conclusion notice as an editable Word document (DOCX), in the layout of Decree 30/2020.

Built from the `NoticeContent` snapshot alone, like the HTML and PDF renderings, so a clerk can
open it in Word, adjust the wording and print it: A4, Times New Roman, the two-column header with
the motto, the title, sections I–IV, the score table, recipients and signature, and, when given,
the verification QR code and the annex of photos.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from io import BytesIO

import docx
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.image.exceptions import UnrecognizedImageError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section
from docx.shared import Cm, Length, Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from inspection.notices.content import (
    ANNEX_TITLE,
    DRAFT_MARK,
    MOTTO,
    MOTTO_STATE,
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

FONT = "Times New Roman"
BLACK = RGBColor(0, 0, 0)
BODY_SIZE = 14
TEXT_WIDTH = Mm(210 - 30 - 15)  # A4 less the left and right margins
HEADER_COLUMNS = (Cm(6.5), Cm(10.0))
SCORE_COLUMNS = (Cm(1.2), Cm(9.3), Cm(3.0), Cm(3.0))
CLOSING_COLUMNS = (Cm(7.5), Cm(9.0))
ANNEX_COLUMNS = (Cm(4.6), Cm(11.9))
# Characters XML 1.0 forbids (all but \t \n \r below 0x20, lone surrogates, U+FFFE and U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Container = Document | _Cell


def render_docx(
    content: NoticeContent,
    *,
    qr_png: bytes | None = None,
    photos: Mapping[str, bytes] | None = None,
) -> bytes:
    """The notice as DOCX bytes; `qr_png` adds the verification code under the signature,
    `photos` (thumbnails by SHA-256) fills the annex's pictures."""
    document = docx.Document()
    _set_up_page(document.sections[0])
    _set_up_styles(document)
    _add_page_numbers(document.sections[0])
    _add_header(document, content)
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


# --- Text --------------------------------------------------------------------------------------


def clean(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold (they would make saving fail)."""
    return _NOT_XML.sub("", text)


def lines_of(text: str) -> list[str]:
    """The non-blank lines of user text, each to become a paragraph of its own."""
    unified = clean(text).replace("\r\n", "\n").replace("\r", "\n")
    return [line.strip() for line in unified.split("\n") if line.strip()]


def _set_font(
    run: Run, size: float = BODY_SIZE, *, bold: bool = False, italic: bool = False
) -> None:
    font = run.font
    font.name = FONT
    font.size = Pt(size)
    font.bold = bold or None  # not bold: inherited, so a clerk's style change still applies
    font.italic = italic or None
    font.color.rgb = BLACK
    _east_asian_font(run._r.get_or_add_rPr())


def _east_asian_font(properties: BaseOxmlElement) -> None:
    """Times New Roman for every script of the run or style properties `properties` (`w:rPr`),
    dropping theme fonts so Word does not substitute its own."""
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.insert(0, fonts)
    for name in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(name), None)
    for name in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(name), FONT)


def _run(
    paragraph: Paragraph,
    text: str,
    size: float = BODY_SIZE,
    *,
    bold: bool = False,
    italic: bool = False,
) -> Run:
    """A plain-text run (python-docx escapes it) in Times New Roman."""
    run = paragraph.add_run(clean(text))
    _set_font(run, size, bold=bold, italic=italic)
    return run


def _line(
    container: Container,
    text: str = "",
    size: float = BODY_SIZE,
    *,
    bold: bool = False,
    italic: bool = False,
    space_after: float = 0,
) -> Paragraph:
    """A centred paragraph without indent: the header, title and signature lines."""
    paragraph: Paragraph = container.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.first_line_indent = Cm(0)
    paragraph.paragraph_format.space_after = Pt(space_after)
    if text:
        _run(paragraph, text, size, bold=bold, italic=italic)
    return paragraph


def _body(document: Document, text: str, *, bold: bool = False, italic: bool = False) -> None:
    """Body paragraphs (justified, first-line indent 1.27 cm), one per line of `text`."""
    for line in lines_of(text):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph.paragraph_format.first_line_indent = Cm(1.27)
        paragraph.paragraph_format.space_after = Pt(6)
        _run(paragraph, line, bold=bold, italic=italic)


def _rule(container: Container, width: Length, room: Length) -> None:
    """A short centred horizontal line, `width` long, in a space `room` wide: the bottom border
    of an almost empty paragraph indented from both sides."""
    paragraph = _line(container, space_after=6)
    side = Length(max((room - width) // 2, 0))
    paragraph.paragraph_format.left_indent = side
    paragraph.paragraph_format.right_indent = side
    paragraph.paragraph_format.line_spacing = Pt(2)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().insert_element_before(
        borders, "w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc", "w:rPr"
    )


# --- Page and styles ---------------------------------------------------------------------------


def _set_up_page(section: Section) -> None:
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = Mm(210)
    section.page_height = Mm(297)
    section.top_margin = Mm(20)
    section.bottom_margin = Mm(20)
    section.left_margin = Mm(30)
    section.right_margin = Mm(15)
    section.header_distance = Mm(10)
    section.footer_distance = Mm(10)


def _set_up_styles(document: Document) -> None:
    """Times New Roman 14 pt, black, single-spaced, in Vietnamese: the Normal style and the
    document defaults beneath every other style."""
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_SIZE)
    normal.font.color.rgb = BLACK
    normal.paragraph_format.line_spacing = 1.0
    normal.paragraph_format.space_after = Pt(6)
    _east_asian_font(normal.element.get_or_add_rPr())
    defaults = document.styles.element.find(qn("w:docDefaults"))
    properties = None if defaults is None else defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
    if properties is not None:
        _east_asian_font(properties)
        language = properties.find(qn("w:lang"))
        if language is not None:
            language.set(qn("w:val"), "vi-VN")


def _add_page_numbers(section: Section) -> None:
    """The page number centred in the top margin from page 2 on; the first page has none."""
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False
    section.header.is_linked_to_previous = False
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, instruction in (("begin", None), (None, " PAGE "), ("end", None)):
        run = _run(paragraph, "")
        if kind is not None:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
        else:
            field = OxmlElement("w:instrText")
            field.set(qn("xml:space"), "preserve")
            field.text = instruction
        run._r.append(field)


# --- Tables ------------------------------------------------------------------------------------


def _table(document: Document, rows: int, widths: Sequence[Length], *, grid: bool) -> Table:
    """A table of fixed column `widths`: ruled ('Table Grid') or borderless."""
    table = document.add_table(rows=rows, cols=len(widths))
    table.style = document.styles["Table Grid"] if grid else None
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width
    if not grid:
        _no_borders(table)
    return table


def _no_borders(table: Table) -> None:
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        border = OxmlElement(f"w:{side}")
        border.set(qn("w:val"), "nil")
        borders.append(border)
    table._tbl.tblPr.insert_element_before(
        borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption"
    )


def _cell(cell: _Cell, *, top: bool = True) -> _Cell:
    """`cell` emptied of its initial paragraph, ready for `_line` and `_cell_text`."""
    for paragraph in cell.paragraphs:
        paragraph._p.getparent().remove(paragraph._p)
    cell.vertical_alignment = (
        WD_CELL_VERTICAL_ALIGNMENT.TOP if top else WD_CELL_VERTICAL_ALIGNMENT.CENTER
    )
    return cell


def _cell_text(
    cell: _Cell, text: str, size: float = 13, *, bold: bool = False, centred: bool = False
) -> Paragraph:
    paragraph: Paragraph = cell.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.LEFT
    paragraph.paragraph_format.first_line_indent = Cm(0)
    paragraph.paragraph_format.space_after = Pt(0)
    _run(paragraph, text, size, bold=bold)
    return paragraph


def _keep_row_together(table: Table, index: int) -> None:
    properties = table.rows[index]._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:cantSplit"))


def _repeat_as_header(table: Table) -> None:
    properties = table.rows[0]._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:tblHeader"))


# --- The header and the title ------------------------------------------------------------------


def _add_header(document: Document, content: NoticeContent) -> None:
    """The borderless two-column header: the issuing body and number; the motto, place and
    date."""
    table = _table(document, 1, HEADER_COLUMNS, grid=False)
    left, right = (_cell(cell) for cell in table.rows[0].cells)
    _line(left, content.parent_body.upper(), 13)
    _line(left, content.issuer.upper(), 13, bold=True)
    _rule(left, Cm(2.5), HEADER_COLUMNS[0])
    _line(left, content.number_line, 13)
    _line(right, MOTTO_STATE, 13, bold=True)
    _line(right, MOTTO, 14, bold=True)
    _rule(right, Cm(6.0), HEADER_COLUMNS[1])
    _line(right, content.place_and_date, 14, italic=True)


def _add_title(document: Document, content: NoticeContent) -> None:
    """The draft mark, the title, the summary line with its rule, and which notice this one
    replaces."""
    _line(document, space_after=6)
    if content.is_draft:
        _line(document, DRAFT_MARK, bold=True, space_after=6)
    _line(document, TITLE, bold=True)
    for line in lines_of(content.summary):
        _line(document, line, bold=True)
    _rule(document, Cm(3.5), TEXT_WIDTH)
    if content.supersedes_line:
        _body(document, content.supersedes_line, italic=True)


# --- The body ----------------------------------------------------------------------------------


def _add_opening(document: Document, content: NoticeContent) -> None:
    """The legal basis, the lead's opening words, and who took part on each side."""
    _body(document, content.basis)
    _body(document, content.opening)
    _body(document, content.team_intro)
    _add_people(document, content.team)
    _body(document, content.unit_intro)
    _add_people(document, content.unit_people)
    _body(document, content.conclusion_intro)


def _add_people(document: Document, people: Sequence[Person]) -> None:
    for person in people:
        _body(document, person.line)


def _add_results(document: Document, content: NoticeContent) -> None:
    """I.: the overall assessment, the lead's paragraph on each area that has one (numbered as
    the score table's rows), the score table and the total."""
    _body(document, SECTION_RESULTS, bold=True)
    _body(document, content.results)
    for number, area in enumerate(content.areas, start=1):
        if area.narrative.strip():
            _body(document, f"{number}. {area.heading}", bold=True)
            _body(document, area.narrative)
    _add_score_table(document, content)
    _body(document, content.score_line)


def _add_score_table(document: Document, content: NoticeContent) -> None:
    """The score table: a heading row, one row per area, and the total."""
    table = _table(document, len(content.areas) + 2, SCORE_COLUMNS, grid=True)
    _score_row(table, 0, ("TT", "Lĩnh vực", "Điểm đạt", "Điểm tối đa"), bold=True)
    _repeat_as_header(table)
    for number, area in enumerate(content.areas, start=1):
        _score_row(table, number, _area_cells(number, area))
    total = ("", "Tổng cộng", vn_number(content.total), vn_number(content.max))
    _score_row(table, len(content.areas) + 1, total, bold=True)
    document.add_paragraph().paragraph_format.space_after = Pt(0)


def _area_cells(number: int, area: Area) -> tuple[str, str, str, str]:
    return (str(number), area.title, vn_number(area.score), vn_number(area.max))


def _score_row(table: Table, index: int, texts: Sequence[str], *, bold: bool = False) -> None:
    for column, (cell, text) in enumerate(zip(table.rows[index].cells, texts, strict=True)):
        _cell_text(_cell(cell, top=False), text, bold=bold, centred=column != 1)


def _add_deficiencies(document: Document, deficiencies: Sequence[Deficiency]) -> None:
    """II.: one numbered paragraph per deficiency, or the words saying there are none."""
    _body(document, SECTION_DEFICIENCIES, bold=True)
    if not deficiencies:
        _body(document, NO_DEFICIENCIES)
    for number, deficiency in enumerate(deficiencies, start=1):
        _body(document, f"{number}. {deficiency.text}")


def _add_requirements(document: Document, content: NoticeContent) -> None:
    """III.: what the unit must fix, who is responsible, by when."""
    _body(document, SECTION_REQUIREMENTS, bold=True)
    _body(document, content.requirements)
    for number, deficiency in enumerate(content.deficiencies, start=1):
        _body(document, f"{number}. {deficiency.requirement_line}")


def _add_implementation(document: Document, content: NoticeContent) -> None:
    _body(document, SECTION_IMPLEMENTATION, bold=True)
    _body(document, content.implementation)
    _body(document, content.report_line)


# --- The closing, the verification code and the annex ------------------------------------------


def _add_closing(document: Document, content: NoticeContent) -> None:
    """The borderless closing table: recipients on the left, the signature on the right."""
    document.add_paragraph().paragraph_format.space_after = Pt(0)
    table = _table(document, 1, CLOSING_COLUMNS, grid=False)
    _keep_row_together(table, 0)
    left, right = (_cell(cell) for cell in table.rows[0].cells)
    recipients = _cell_text(left, RECIPIENTS, 12, bold=True)
    recipients.runs[0].font.italic = True
    for line in content.recipients:
        text = clean(line).strip()
        _cell_text(left, text if text.startswith("-") else f"- {text}", 11)
    _line(right, content.signer_on_behalf.upper(), bold=True)
    _line(right, content.signer_title.upper(), bold=True)
    for _ in range(4):
        _line(right)
    _line(right, content.signer_name, bold=True)


def _add_verification(document: Document, qr_png: bytes, verify_url: str) -> None:
    """The QR code (about 2.5 cm) and the address where the notice can be checked."""
    picture = document.add_paragraph()
    picture.paragraph_format.space_before = Pt(12)
    picture.paragraph_format.space_after = Pt(0)
    picture.add_run().add_picture(BytesIO(qr_png), width=Cm(2.5))
    if verify_url:
        line = document.add_paragraph()
        line.paragraph_format.space_after = Pt(0)
        _run(line, VERIFY_WORDS + verify_url, 10)


def _add_annex(
    document: Document, annex: Sequence[AnnexPhoto], photos: Mapping[str, bytes]
) -> None:
    """A new page: the annex title and a table, one row per photo (thumbnail, description)."""
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _line(document, ANNEX_TITLE, bold=True, space_after=12)
    table = _table(document, len(annex), ANNEX_COLUMNS, grid=True)
    for row, photo in zip(table.rows, annex, strict=True):
        picture, words = (_cell(cell) for cell in row.cells)
        _add_thumbnail(picture, photos.get(photo.sha256))
        _describe_photo(words, photo)


def _add_thumbnail(cell: _Cell, image: bytes | None) -> None:
    """The thumbnail about 4 cm wide; left out when missing or not an image Word can show."""
    paragraph = _cell_text(cell, "", centred=True)
    if image is None:
        return
    try:
        paragraph.add_run().add_picture(BytesIO(image), width=Cm(4))
    except UnrecognizedImageError:
        return


def _describe_photo(cell: _Cell, photo: AnnexPhoto) -> None:
    for text, bold in ((photo.caption, True), (photo.subject, False), (photo.taken_at_text, False)):
        for line in lines_of(text):
            _cell_text(cell, line, bold=bold)
    _cell_text(cell, f"SHA-256: {photo.sha256}", 9)
