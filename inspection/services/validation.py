"""Checks shared by the services. Each records a problem under the field's name in `fields`;
the messages are marked with N_ so that the pages can show them translated."""

import datetime as dt
import unicodedata
from typing import Any

from inspection.checklist import has_control_characters
from inspection.errors import N_

# Invisible characters that a copy from Word or a web page leaves at the ends of a name.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
FIRST_YEAR, LAST_YEAR = 2000, 2100


def clean_text(value: str, *, multiline: bool = False) -> str | None:
    """The text in NFC (as Vietnamese keyboards differ: composed or combining accents), stripped of
    spaces and invisible characters at its ends, a tab inside a one-line text made a space; None
    when it holds another control character (a NUL cannot even be stored in PostgreSQL). Line
    breaks and tabs are kept when `multiline`."""
    value = unicodedata.normalize("NFC", value).strip().strip(INVISIBLE).strip()
    if not multiline:
        value = value.replace("\t", " ")  # a cell pasted from a table
    if has_control_characters(value, multiline=multiline):
        return None
    return value


def text_field(value: Any, name: str, fields: dict[str, str], *, required: bool,
               limit: int, multiline: bool = False) -> str:  # fmt: skip
    """A clean string (see clean_text) no longer than `limit` (the column's size)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        fields[name] = N_("must be a string")
        return ""
    cleaned = clean_text(value, multiline=multiline)
    if cleaned is None:
        fields[name] = N_("contains control characters")
        return ""
    if required and not cleaned:
        fields[name] = N_("is required")
    elif len(cleaned) > limit:
        fields[name] = N_("is too long")
    return cleaned


def date_field(value: Any, name: str, fields: dict[str, str], *, required: bool) -> dt.date | None:
    if value in (None, ""):
        if required:
            fields[name] = N_("is required")
        return None
    day = value if isinstance(value, dt.date) else None
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            pass
    if day is None:
        fields[name] = N_("must be a date YYYY-MM-DD")
    elif not FIRST_YEAR <= day.year <= LAST_YEAR:
        fields[name] = N_("must be a date from 2000 to 2100")
        day = None
    return day
