"""Inspected units: communes, wards, towns, special zones."""

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BeforeValidator
from sqlmodel import Session, func, select

from inspection import audit
from inspection.errors import N_, Conflict, NotFound, TooLarge, ValidationError
from inspection.formatting import vi_sort_key
from inspection.models import Unit, UnitKind
from inspection.services.validation import Input, choice_rule, problem, text_rule
from inspection.text import text_problem

KINDS = frozenset(kind.value for kind in UnitKind)

# Codes are slugs (`ninh-da`): stored in lowercase, so `Ninh-Da` names the same unit.
CODE = re.compile(r"^[a-z0-9._-]{1,32}$")
NAME_MAX = 200  # Unit.name's column
CODE_LOOKUP_MAX = 200  # a code looked up, spaces around it included (the column holds 32)


def unit_public(unit: Unit) -> dict[str, Any]:
    """A unit as the API and the audit trail show it; an inactive one can no longer be visited."""
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "active": unit.active,
    }


def get_unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(N_("This unit does not exist."))
    return unit


def list_units(session: Session) -> list[Unit]:
    """Every unit in Vietnamese alphabetical order of its name."""
    return sorted(session.exec(select(Unit)), key=lambda u: vi_sort_key(u.name))


def normal_code(code: str) -> str:
    """The one spelling of a unit code that is stored and compared."""
    return code.strip().lower()


def get_by_code(session: Session, code: str) -> Unit | None:
    """The unit with this code, in any letter case (rows older than the lowercase rule may keep
    their capitals: an exact match wins). A code no unit can have (a NUL, which PostgreSQL
    cannot even compare) names none."""
    if text_problem(code, limit=CODE_LOOKUP_MAX, multiline=False):
        return None
    exact = session.exec(select(Unit).where(Unit.code == code)).first()
    if exact is not None:
        return exact
    wanted = normal_code(code)
    return session.exec(select(Unit).where(func.lower(Unit.code) == wanted)).first()


def _code(value: Any) -> str:
    """A code as stored (normal_code)."""
    code = normal_code(value) if isinstance(value, str) else ""
    if not CODE.fullmatch(code):
        raise problem(N_("1–32 characters: letters, digits, '.', '_' or '-'"))
    return code


# What a unit is called and what it is: the same rules on creation, on an edit and in a CSV row.
UnitName = Annotated[str, text_rule(NAME_MAX, required=True)]
UnitKindValue = Annotated[
    str, choice_rule(lambda: KINDS, N_("must be one of xa, phuong, thi_tran, dac_khu"))
]


class UnitCreate(Input):
    """A new unit, from the admin's form, the API or a row of a CSV import."""

    code: Annotated[str, BeforeValidator(_code)]
    name: UnitName
    kind: UnitKindValue


class UnitUpdate(Input):
    """A unit's new name and kind; the code stays (see update_unit)."""

    name: UnitName
    kind: UnitKindValue


def create_unit(
    session: Session, *, actor_id: int | None, data: UnitCreate, commit: bool = True
) -> Unit:
    if data.errors:
        raise ValidationError(N_("The unit could not be saved."), fields=data.errors)
    if get_by_code(session, data.code):
        raise Conflict(N_("This unit code already exists."), fields={"code": N_("already exists")})
    unit = Unit(code=data.code, name=data.name, kind=data.kind)
    session.add(unit)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="unit.create",
        entity="unit",
        entity_id=unit.id,
        after=unit_public(unit),
    )
    if commit:
        session.commit()
    return unit


def update_unit(session: Session, *, actor_id: int | None, unit: Unit, data: UnitUpdate) -> Unit:
    """A new name or kind (a commune that became a ward). The code stays: CSV imports and other
    systems know the unit by it."""
    if data.errors:
        raise ValidationError(N_("The unit could not be saved."), fields=data.errors)
    before = unit_public(unit)
    unit.name, unit.kind = data.name, data.kind
    session.add(unit)
    audit.record(
        session,
        actor_id=actor_id,
        action="unit.update",
        entity="unit",
        entity_id=unit.id,
        before=before,
        after=unit_public(unit),
    )
    session.commit()
    return unit


def set_active(session: Session, *, actor_id: int | None, unit: Unit, active: bool) -> Unit:
    """Deactivate a unit (merged, dissolved: no new visit is planned for it) or reactivate it.
    Its visits and notices stay as they are. Asking for the state it is already in changes
    nothing and records nothing (a second click on the same button)."""
    if unit.active == active:
        return unit
    before = unit_public(unit)
    unit.active = active
    session.add(unit)
    audit.record(
        session,
        actor_id=actor_id,
        entity="unit",
        entity_id=unit.id,
        action="unit.reactivate" if active else "unit.deactivate",
        before=before,
        after=unit_public(unit),
    )
    session.commit()
    return unit


# CSV import ------------------------------------------------------------------------------------

MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 5000
IMPORT_COLUMNS = ("code", "name", "kind")
# Spreadsheets are filled in by people: accept the kind as the Vietnamese word too.
KIND_ALIASES = {"xã": "xa", "phường": "phuong", "thị trấn": "thi_tran", "đặc khu": "dac_khu"}

Problem = tuple[str, dict[str, object]]  # (key, placeholders of its message)
# (row number, {column: value}, the unit it reads as (None without all three cells), problems)
Record = tuple[int, dict[str, str], UnitCreate | None, list[Problem]]


class ImportRefused(ValidationError):
    """The whole file is refused (not UTF-8 text, no header, too many rows): nothing is written.

    `reason` is a stable key (`not_text`, `bad_csv` with the `line` of the open quotation mark,
    `empty`, `no_header`, `too_many_rows`, `too_large`) so that pages can show a translated
    sentence; `params` fill its placeholders.
    """

    def __init__(self, reason: str, message: str, **params: object):
        super().__init__(message, fields={"file": message}, extra={"reason": reason, **params})
        self.reason = reason
        self.params = params


class ImportTooLarge(ImportRefused, TooLarge):
    pass


@dataclass(frozen=True)
class RejectedRow:
    """A row left out of the import. `row` is the row number a spreadsheet shows (header = 1);
    `problems` are (key, params) pairs: missing_column, extra_cells, bad_code, bad_name (empty),
    name_too_long, name_invalid (with the name rule's `message`), bad_kind, duplicate, exists."""

    row: int
    code: str
    name: str
    problems: tuple[Problem, ...]


@dataclass
class ImportReport:
    """What an import did: the units it created (in file order) and the rows it left out."""

    imported: list[Unit] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)


def import_units_csv(session: Session, *, actor_id: int | None, data: bytes) -> ImportReport:
    """Create a unit from every valid row of a `code,name,kind` CSV and report the others.

    Excel in Vietnam saves `;`-separated files, often with a UTF-8 BOM: both are accepted. The
    valid rows and their audit events are committed together at the end, so a failure part-way
    leaves nothing half-imported.
    """
    records = _read_csv(data)
    existing = {normal_code(code) for code in session.exec(select(Unit.code))}
    first_row_of: dict[str, int] = {}
    report = ImportReport()
    for row_number, values, unit_data, problems in records:
        code = values.get("code", "")
        if not problems and code in first_row_of:
            problems.append(("duplicate", {"row": first_row_of[code]}))
        elif not problems and code in existing:
            problems.append(("exists", {}))
        if problems or unit_data is None:  # None: a cell is missing, which is a problem
            report.rejected.append(
                RejectedRow(row_number, code, values.get("name", ""), tuple(problems))
            )
            continue
        first_row_of[code] = row_number
        unit = create_unit(session, actor_id=actor_id, data=unit_data, commit=False)
        report.imported.append(unit)
    if report.imported:
        audit.record(
            session,
            actor_id=actor_id,
            action="unit.import",
            entity="unit",
            entity_id="csv",
            after={"imported": len(report.imported), "rejected": len(report.rejected)},
        )
        session.commit()
    return report


def _read_csv(data: bytes) -> list[Record]:
    """Decode and split the file: a Record per non-blank row.

    Raises ImportRefused when the file as a whole cannot be read as a unit list.
    """
    if len(data) > MAX_IMPORT_BYTES:
        limit_kb = MAX_IMPORT_BYTES // 1024
        raise ImportTooLarge(
            "too_large", f"the file is larger than {limit_kb} KB", limit_kb=limit_kb
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("not_text", "the file is not UTF-8 text") from None
    if "\x00" in text:
        raise ImportRefused("not_text", "the file is not UTF-8 text")
    if not text.strip():
        raise ImportRefused("empty", "the file is empty")
    text = unicodedata.normalize("NFC", text)  # one spelling of each Vietnamese letter
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    return _records(_lines(text, delimiter))


def _lines(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each record, the header being line 1.

    No cell of this format holds a line break: one that does means a quotation mark left open,
    which makes the csv module read the following rows into that cell. The file is refused,
    naming the line, rather than losing those rows without a word.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:  # an open quote running past the csv module's field size limit
            raise ImportRefused("bad_csv", _open_quote(line), line=line) from None
        if any("\n" in cell or "\r" in cell for cell in cells):
            raise ImportRefused("bad_csv", _open_quote(line), line=line)
        yield line, cells
        line = reader.line_num + 1


def _open_quote(line: int) -> str:
    return f"the file is not a valid CSV file: check the quotation marks on line {line}"


def _records(lines: Iterator[tuple[int, list[str]]]) -> list[Record]:
    _, first_row = next(lines, (1, []))
    header = [cell.strip().lower() for cell in first_row]
    if missing := [name for name in IMPORT_COLUMNS if name not in header]:
        raise ImportRefused(
            "no_header",
            "the first row must name the columns code, name, kind",
            missing=", ".join(missing),
        )
    records: list[Record] = []
    for row_number, cells in lines:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines that spreadsheets leave at the end
        if len(records) == MAX_IMPORT_ROWS:
            raise ImportRefused(
                "too_many_rows",
                f"the file has more than {MAX_IMPORT_ROWS} rows",
                limit=MAX_IMPORT_ROWS,
            )
        records.append((row_number, *_row_values(header, cells)))
    return records


def _row_values(
    header: list[str], cells: list[str]
) -> tuple[dict[str, str], UnitCreate | None, list[Problem]]:
    """The row's cells, the unit they read as (UnitCreate's rules, as on the form) and the
    row's problems."""
    values = {
        name: cells[header.index(name)].strip()
        for name in IMPORT_COLUMNS
        if header.index(name) < len(cells)
    }
    problems: list[Problem] = []
    if missing := [name for name in IMPORT_COLUMNS if name not in values]:
        problems.append(("missing_column", {"columns": ", ".join(missing)}))
        return values, None, problems
    if any(cell.strip() for cell in cells[len(header) :]):
        # Usually a comma inside an unquoted name that shifted the cells.
        problems.append(("extra_cells", {}))
    given_kind = values["kind"]
    values["kind"] = KIND_ALIASES.get(given_kind.lower(), given_kind.lower())
    data = UnitCreate.parse(values)
    # As stored, so that codes differing only in case are duplicates.
    values["code"] = normal_code(values["code"])
    if "code" in data.errors:
        problems.append(("bad_code", {}))
    if "name" in data.errors:
        problems.append(_name_problem(data.errors["name"]))
    if "kind" in data.errors:
        problems.append(("bad_kind", {"kind": given_kind}))
    return values, data, problems


def _name_problem(why: str) -> Problem:
    """The row problem for the name rule's complaint."""
    if why == N_("is required"):
        return ("bad_name", {})
    if why == N_("is too long"):
        return ("name_too_long", {"limit": NAME_MAX})
    return ("name_invalid", {"message": why})  # e.g. control characters: the rule's own words
