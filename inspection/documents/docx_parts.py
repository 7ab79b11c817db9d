"""Building blocks of an official document in Word (python-docx), in the layout of Decree
30/2020: A4 with the Decree's margins, Times New Roman 14 pt in Vietnamese, page numbers from page
2, the two-column header with the motto, justified body paragraphs, ruled and borderless tables.
The conclusion notice, the on-site record and the plan report are made of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section
from docx.shared import Cm, Length, Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from inspection.documents.decree import MOTTO, MOTTO_STATE

FONT = "Times New Roman"
BLACK = RGBColor(0, 0, 0)
BODY_SIZE = 14
TEXT_WIDTH = Mm(210 - 30 - 15)  # A4 less the left and right margins
HEADER_COLUMNS = (Cm(6.5), Cm(10.0))
# Characters XML 1.0 forbids (all but \t \n \r below 0x20, lone surrogates, U+FFFE and U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Container = Document | _Cell


class Heading(Protocol):
    """What the header prints (every document's content has these)."""

    @property
    def parent_body(self) -> str: ...

    @property
    def issuer(self) -> str: ...

    @property
    def number_line(self) -> str: ...

    @property
    def place_and_date(self) -> str: ...


# --- Text --------------------------------------------------------------------------------------


def clean(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold (they would make saving fail)."""
    return _NOT_XML.sub("", text)


def lines_of(text: str) -> list[str]:
    """The non-blank lines of user text, each to become a paragraph of its own."""
    unified = clean(text).replace("\r\n", "\n").replace("\r", "\n")
    return [line.strip() for line in unified.split("\n") if line.strip()]


def set_font(
    run: Run, size: float = BODY_SIZE, *, bold: bool = False, italic: bool = False
) -> None:
    font = run.font
    font.name = FONT
    font.size = Pt(size)
    font.bold = bold or None  # not bold: inherited, so a clerk's style change still applies
    font.italic = italic or None
    font.color.rgb = BLACK
    east_asian_font(run._r.get_or_add_rPr())


def east_asian_font(properties: BaseOxmlElement) -> None:
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


def add_run(
    paragraph: Paragraph,
    text: str,
    size: float = BODY_SIZE,
    *,
    bold: bool = False,
    italic: bool = False,
) -> Run:
    """A plain-text run (python-docx escapes it) in Times New Roman."""
    run = paragraph.add_run(clean(text))
    set_font(run, size, bold=bold, italic=italic)
    return run


def add_line(
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
        add_run(paragraph, text, size, bold=bold, italic=italic)
    return paragraph


def add_body(document: Document, text: str, *, bold: bool = False, italic: bool = False) -> None:
    """Body paragraphs (justified, first-line indent 1.27 cm), one per line of `text`."""
    for line in lines_of(text):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph.paragraph_format.first_line_indent = Cm(1.27)
        paragraph.paragraph_format.space_after = Pt(6)
        add_run(paragraph, line, bold=bold, italic=italic)


def add_rule(container: Container, width: Length, room: Length) -> None:
    """A short centred horizontal line, `width` long, in a space `room` wide: the bottom border
    of an almost empty paragraph indented from both sides."""
    paragraph = add_line(container, space_after=6)
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


def set_up_page(section: Section) -> None:
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = Mm(210)
    section.page_height = Mm(297)
    section.top_margin = Mm(20)
    section.bottom_margin = Mm(20)
    section.left_margin = Mm(30)
    section.right_margin = Mm(15)
    section.header_distance = Mm(10)
    section.footer_distance = Mm(10)


def set_up_styles(document: Document) -> None:
    """Times New Roman 14 pt, black, single-spaced, in Vietnamese: the Normal style and the
    document defaults beneath every other style."""
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_SIZE)
    normal.font.color.rgb = BLACK
    normal.paragraph_format.line_spacing = 1.0
    normal.paragraph_format.space_after = Pt(6)
    east_asian_font(normal.element.get_or_add_rPr())
    defaults = document.styles.element.find(qn("w:docDefaults"))
    properties = None if defaults is None else defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
    if properties is not None:
        east_asian_font(properties)
        language = properties.find(qn("w:lang"))
        if language is not None:
            language.set(qn("w:val"), "vi-VN")


def add_page_numbers(section: Section) -> None:
    """The page number centred in the top margin from page 2 on; the first page has none."""
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False
    section.header.is_linked_to_previous = False
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, instruction in (("begin", None), (None, " PAGE "), ("end", None)):
        run = add_run(paragraph, "")
        if kind is not None:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
        else:
            field = OxmlElement("w:instrText")
            field.set(qn("xml:space"), "preserve")
            field.text = instruction
        run._r.append(field)


# --- Tables ------------------------------------------------------------------------------------


def new_table(document: Document, rows: int, widths: Sequence[Length], *, grid: bool) -> Table:
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
        no_borders(table)
    return table


def no_borders(table: Table) -> None:
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        border = OxmlElement(f"w:{side}")
        border.set(qn("w:val"), "nil")
        borders.append(border)
    table._tbl.tblPr.insert_element_before(
        borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption"
    )


def prepare_cell(cell: _Cell, *, top: bool = True) -> _Cell:
    """`cell` emptied of its initial paragraph, ready for `_line` and `_cell_text`."""
    for paragraph in cell.paragraphs:
        paragraph._p.getparent().remove(paragraph._p)
    cell.vertical_alignment = (
        WD_CELL_VERTICAL_ALIGNMENT.TOP if top else WD_CELL_VERTICAL_ALIGNMENT.CENTER
    )
    return cell


def add_cell_text(
    cell: _Cell, text: str, size: float = 13, *, bold: bool = False, centred: bool = False
) -> Paragraph:
    paragraph: Paragraph = cell.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.LEFT
    paragraph.paragraph_format.first_line_indent = Cm(0)
    paragraph.paragraph_format.space_after = Pt(0)
    add_run(paragraph, text, size, bold=bold)
    return paragraph


def keep_row_together(table: Table, index: int) -> None:
    properties = table.rows[index]._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:cantSplit"))


def repeat_as_header(table: Table) -> None:
    properties = table.rows[0]._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:tblHeader"))


def add_header(document: Document, content: Heading) -> None:
    """The borderless two-column header: the issuing body and number; the motto, place and
    date."""
    table = new_table(document, 1, HEADER_COLUMNS, grid=False)
    left, right = (prepare_cell(cell) for cell in table.rows[0].cells)
    add_line(left, content.parent_body.upper(), 13)
    add_line(left, content.issuer.upper(), 13, bold=True)
    add_rule(left, Cm(2.5), HEADER_COLUMNS[0])
    add_line(left, content.number_line, 13)
    add_line(right, MOTTO_STATE, 13, bold=True)
    add_line(right, MOTTO, 14, bold=True)
    add_rule(right, Cm(6.0), HEADER_COLUMNS[1])
    add_line(right, content.place_and_date, 14, italic=True)
