"""Inspected units: communes, wards, towns, special zones."""

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlmodel import Session, select

from inspection import audit
from inspection.errors import N_, Conflict, ValidationError
from inspection.formatting import vi_sort_key
from inspection.models import Unit, UnitKind
from inspection.services.validation import text_field

CODE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


def unit_public(unit: Unit) -> dict:
    return {"id": unit.id, "code": unit.code, "name": unit.name, "kind": unit.kind}


def list_units(session: Session) -> list[Unit]:
    """Every unit in Vietnamese alphabetical order of its name."""
    return sorted(session.exec(select(Unit)), key=lambda u: vi_sort_key(u.name))


def get_by_code(session: Session, code: str) -> Unit | None:
    return session.exec(select(Unit).where(Unit.code == code)).first()


def unit_problems(code: object, name: object, kind: object) -> dict[str, str]:
    """Why these values cannot make a unit (empty when they can)."""
    fields: dict[str, str] = {}
    if not isinstance(code, str) or not CODE.match(code.strip()):
        fields["code"] = N_("1–32 characters: letters, digits, '.', '_' or '-'")
    text_field(name, "name", fields, required=True, limit=200)
    if kind not in set(UnitKind):
        fields["kind"] = N_("must be one of xa, phuong, thi_tran, dac_khu")
    return fields


def create_unit(session: Session, *, actor_id: int | None, code: str, name: str, kind: str,
                commit: bool = True) -> Unit:  # fmt: skip
    if fields := unit_problems(code, name, kind):
        raise ValidationError(N_("The unit could not be saved."), fields=fields)
    code = code.strip()
    if get_by_code(session, code):
        raise Conflict(N_("This unit code already exists."),
                       fields={"code": N_("already exists")})  # fmt: skip
    unit = Unit(code=code, name=name.strip(), kind=kind)
    session.add(unit)
    session.flush()
    audit.record(session, actor_id=actor_id, action="unit.create", entity="unit",
                 entity_id=unit.id, after=unit_public(unit))  # fmt: skip
    if commit:
        session.commit()
    return unit


# CSV import ------------------------------------------------------------------------------------

MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 5000
NAME_MAX = 200  # Unit.name's column; unit_problems does not check it
IMPORT_COLUMNS = ("code", "name", "kind")
# Spreadsheets are filled in by people: accept the kind as the Vietnamese word too.
KIND_ALIASES = {"xã": "xa", "phường": "phuong", "thị trấn": "thi_tran", "đặc khu": "dac_khu"}

Problem = tuple[str, dict[str, object]]  # (key, placeholders of its message)
Record = tuple[int, dict[str, str], list[Problem]]  # (row number, {column: value}, problems)


class ImportRefused(ValidationError):
    """The whole file is refused (not UTF-8 text, no header, too many rows): nothing is written.

    `reason` is a stable key (`not_text`, `bad_csv`, `empty`, `no_header`, `too_many_rows`,
    `too_large`) so that pages can show a translated sentence; `params` fill its placeholders.
    """

    def __init__(self, reason: str, message: str, **params: object):
        super().__init__(message, fields={"file": message}, extra={"reason": reason, **params})
        self.reason = reason
        self.params = params


class ImportTooLarge(ImportRefused):
    status = 413
    code = "too_large"


@dataclass(frozen=True)
class RejectedRow:
    """A row left out of the import. `row` is the row number a spreadsheet shows (header = 1);
    `problems` are (key, params) pairs: missing_column, extra_cells, bad_code, bad_name,
    name_too_long, bad_kind, duplicate, exists."""

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
    existing = set(session.exec(select(Unit.code)))
    first_row_of: dict[str, int] = {}
    report = ImportReport()
    for row_number, values, problems in records:
        code = values.get("code", "")
        if not problems and code in first_row_of:
            problems.append(("duplicate", {"row": first_row_of[code]}))
        elif not problems and code in existing:
            problems.append(("exists", {}))
        if problems:
            report.rejected.append(RejectedRow(row_number, code, values.get("name", ""),
                                               tuple(problems)))  # fmt: skip
            continue
        first_row_of[code] = row_number
        unit = create_unit(session, actor_id=actor_id, code=code, name=values["name"],
                           kind=values["kind"], commit=False)  # fmt: skip
        report.imported.append(unit)
    if report.imported:
        audit.record(session, actor_id=actor_id, action="unit.import", entity="unit",
                     entity_id="csv", after={"imported": len(report.imported),
                                             "rejected": len(report.rejected)})  # fmt: skip
        session.commit()
    return report


def _read_csv(data: bytes) -> list[Record]:
    """Decode and split the file: (row number, {column: value}, problems) per non-blank row.

    Raises ImportRefused when the file as a whole cannot be read as a unit list.
    """
    if len(data) > MAX_IMPORT_BYTES:
        limit_kb = MAX_IMPORT_BYTES // 1024
        raise ImportTooLarge("too_large", f"the file is larger than {limit_kb} KB",
                             limit_kb=limit_kb)  # fmt: skip
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
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _records(rows)
    except csv.Error:  # e.g. an unclosed quote swallowing the rest of the file
        raise ImportRefused("bad_csv", "the file is not a valid CSV file") from None


def _records(rows: Iterator[list[str]]) -> list[Record]:
    header = [cell.strip().lower() for cell in next(rows, [])]
    if missing := [name for name in IMPORT_COLUMNS if name not in header]:
        raise ImportRefused("no_header", "the first row must name the columns code, name, kind",
                            missing=", ".join(missing))  # fmt: skip
    records: list[Record] = []
    for row_number, cells in enumerate(rows, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines that spreadsheets leave at the end
        if len(records) == MAX_IMPORT_ROWS:
            raise ImportRefused("too_many_rows", f"the file has more than {MAX_IMPORT_ROWS} rows",
                                limit=MAX_IMPORT_ROWS)  # fmt: skip
        records.append((row_number, *_row_values(header, cells)))
    return records


def _row_values(header: list[str], cells: list[str]) -> tuple[dict[str, str], list[Problem]]:
    values = {name: cells[header.index(name)].strip() for name in IMPORT_COLUMNS
              if header.index(name) < len(cells)}  # fmt: skip
    problems: list[Problem] = []
    if missing := [name for name in IMPORT_COLUMNS if name not in values]:
        problems.append(("missing_column", {"columns": ", ".join(missing)}))
        return values, problems
    if any(cell.strip() for cell in cells[len(header) :]):
        # Usually a comma inside an unquoted name that shifted the cells.
        problems.append(("extra_cells", {}))
    given_kind = values["kind"]
    values["kind"] = KIND_ALIASES.get(given_kind.lower(), given_kind.lower())
    fields = unit_problems(values["code"], values["name"], values["kind"])
    if "code" in fields:
        problems.append(("bad_code", {}))
    if "name" in fields:
        problems.append(("bad_name", {}))
    elif len(values["name"]) > NAME_MAX:
        problems.append(("name_too_long", {"limit": NAME_MAX}))
    if "kind" in fields:
        problems.append(("bad_kind", {"kind": given_kind}))
    return values, problems
