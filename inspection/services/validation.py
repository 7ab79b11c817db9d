"""Checks shared by the services. Each records a problem under the field's name in `fields`;
the messages are marked with N_ so that the pages can show them translated."""

import datetime as dt
from typing import Any

from inspection import text
from inspection.errors import N_

FIRST_YEAR, LAST_YEAR = 2000, 2100


def text_field(
    value: Any,
    name: str,
    fields: dict[str, str],
    *,
    required: bool,
    limit: int,
    multiline: bool = False,
) -> str:
    """A clean string no longer than `limit` (the column's size); a problem goes to `fields`."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        fields[name] = N_("must be a string")
        return ""
    cleaned = text.normalise(value, multiline=multiline)
    problem = text.text_problem(cleaned, limit=limit, multiline=multiline)
    if problem == text.NOT_UNICODE:
        fields[name] = N_("is not valid Unicode text")
        return ""
    if problem == text.CONTROL:
        fields[name] = N_("contains control characters")
        return ""
    if required and not cleaned:
        fields[name] = N_("is required")
    elif problem is not None:
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
