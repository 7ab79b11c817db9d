"""Checks shared by the services. Each records a problem under the field's name in `fields`;
the messages are marked with N_ so that the pages can show them translated."""

import datetime as dt
from typing import Any

from inspection.errors import N_


def text_field(value: Any, name: str, fields: dict[str, str], *, required: bool,
               limit: int) -> str:  # fmt: skip
    """A stripped string no longer than `limit` (the column's size)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        fields[name] = N_("must be a string")
        return ""
    value = value.strip()
    if required and not value:
        fields[name] = N_("is required")
    elif len(value) > limit:
        fields[name] = N_("is too long")
    return value


def date_field(value: Any, name: str, fields: dict[str, str], *, required: bool) -> dt.date | None:
    if value in (None, ""):
        if required:
            fields[name] = N_("is required")
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        pass
    fields[name] = N_("must be a date YYYY-MM-DD")
    return None
