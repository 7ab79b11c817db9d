"""The plan's scores as a spreadsheet (XLSX, openpyxl): one row per visit, one column per item
and per area subtotal, then the totals. Numbers are numbers (a clerk sums and sorts them); text
that a spreadsheet would take for a formula (beginning `=`, `+`, `-`, `@`, or a tab or carriage
return) is written as text, marked so that editing the cell does not turn it into one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_TITLE = "Bảng điểm"


@dataclass(frozen=True)
class Column:
    """A column: its heading (the item's key or the area's name) and the words under it."""

    key: str
    heading: str
    words: str
    kind: str  # "item", "area" or "total"


@dataclass(frozen=True)
class Row:
    unit: str
    unit_code: str
    status: str
    scheduled_on: dt.date
    values: dict[str, Decimal | None]  # by column key: item keys, "area:<key>", totals
    band: str
    findings: int


def workbook(title: str, columns: Sequence[Column], rows: Sequence[Row]) -> bytes:
    """Two heading rows (keys; words), then one row per visit; the heading rows and the unit's
    column stay in view when scrolling."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_TITLE
    fixed = ("Đơn vị", "Mã đơn vị", "Trạng thái", "Ngày kiểm tra")
    bold = Font(bold=True)
    for n, text in enumerate(fixed, start=1):
        _text(sheet.cell(row=1, column=n), text).font = bold
    for n, column in enumerate(columns, start=len(fixed) + 1):
        _text(sheet.cell(row=1, column=n), column.heading).font = bold
        words = _text(sheet.cell(row=2, column=n), column.words)
        words.alignment = Alignment(wrap_text=True, vertical="top")
        if column.kind != "item":
            words.font = bold
    tail = len(fixed) + len(columns)
    _text(sheet.cell(row=1, column=tail + 1), "Xếp loại").font = bold
    _text(sheet.cell(row=1, column=tail + 2), "Số hạn chế").font = bold
    for r, row in enumerate(rows, start=3):
        for n, text in enumerate((row.unit, row.unit_code, row.status), 1):
            _text(sheet.cell(row=r, column=n), text)
        sheet.cell(row=r, column=4, value=row.scheduled_on).number_format = "DD/MM/YYYY"
        for n, column in enumerate(columns, start=len(fixed) + 1):
            value = row.values.get(column.key)
            if value is not None:
                sheet.cell(row=r, column=n, value=value)
        _text(sheet.cell(row=r, column=tail + 1), row.band)
        sheet.cell(row=r, column=tail + 2, value=row.findings)
    _widths(sheet, len(fixed), columns)
    sheet.freeze_panes = "B3"
    book.properties.title = title
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text(cell: Cell | Any, value: str) -> Cell:
    """A text cell that stays text: never a formula, whatever it begins with; without the
    control characters a spreadsheet cannot hold (an old checklist version may have some)."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.value = value
    cell.data_type = "s"
    if value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


def _widths(sheet: Worksheet, fixed: int, columns: Sequence[Column]) -> None:
    sheet.column_dimensions["A"].width = 28
    for n in range(2, fixed + 1):
        sheet.column_dimensions[get_column_letter(n)].width = 14
    for n, column in enumerate(columns, start=fixed + 1):
        width = 9 if column.kind == "item" else 14
        sheet.column_dimensions[get_column_letter(n)].width = width
    sheet.row_dimensions[2].height = 90
