"""Numbers and dates as a language writes them (91,84 and 22/02/2024 in Vietnamese), and typed
numbers and dates read back. Pure: no Flask (inspection/i18n.py gives the page's language)."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal, get_decimal_symbol


def parse_date(value: object) -> dt.date | None:
    """A day written YYYY-MM-DD, as the API and the stored answers hold it (None otherwise)."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


DEFAULT_LOCALE = "vi"


def _decimal(value: Decimal | float | int) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def format_number(
    value: Decimal | float | int | None, places: int = 2, *, locale: str = DEFAULT_LOCALE
) -> str:
    """At most `places` decimals, rounded half-up first (Babel alone would round half-even), no
    trailing zeros, written as `locale` writes numbers (vi: 1.240,5; en: 1,240.5)."""
    if value is None:
        return ""
    return _format_number(value, places, locale)


@functools.lru_cache(maxsize=4096)
def _format_number(value: Decimal | float | int, places: int, locale: str) -> str:
    """(Kept: a checklist page writes the same few numbers a hundred times, and Babel is slow.
    Numbers equal as keys, 1.50 and 1.5, are written the same.)"""
    number = _decimal(value)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if number == 0:
        number = abs(number)  # never "-0"
    pattern = "#,##0." + "#" * places if places else "#,##0"
    return format_decimal(number, format=pattern, locale=locale)


def decimal_separator(locale: str = DEFAULT_LOCALE) -> str:
    """The decimal separator `locale` writes: "," in Vietnamese, "." in English."""
    return get_decimal_symbol(locale)


def parse_number(text: str, decimal_sep: str = ",") -> float | int | None:
    """A number typed the way format_number writes it ("1.240,5" in Vietnamese, "1,240.5" in
    English), or None when it is not one. The other separator alone is read as the decimal one
    too ("10.5" on a Vietnamese page), unless it groups thousands ("1.240")."""
    raw = text.strip().replace(" ", "").replace("\u00a0", "")
    group_sep = "." if decimal_sep == "," else ","
    grouped = re.fullmatch(
        rf"-?[0-9]{{1,3}}(?:{re.escape(group_sep)}[0-9]{{3}})+"
        rf"(?:{re.escape(decimal_sep)}[0-9]+)?",
        raw,
    )
    if grouped:
        raw = raw.replace(group_sep, "")
    if not re.fullmatch(r"-?[0-9]+(?:[.,][0-9]+)?", raw):  # ASCII digits: "²" is no number
        return None
    number = float(raw.replace(",", "."))
    if not math.isfinite(number):
        return None  # hundreds of digits: not a number anyone means
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


MAX_WHOLE_DIGITS = 15  # as checklist.MAX_NUMBER: beyond any count, id or revision here


def parse_whole_number(text: str) -> int | None:
    """A whole number ≥ 0 written in ASCII digits ("12"), or None: "١٢", "²" and a thousand
    digits are no number a form of ours sends (Python's int() reads the first two and raises on
    the last)."""
    raw = text.strip()
    if not raw or len(raw) > MAX_WHOLE_DIGITS or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw)


def vi_sort_key(text: str) -> tuple[str, str]:
    """A sort key close to Vietnamese dictionary order: "Ninh Đa" before "Ninh Xuân" (databases
    compare code points, which puts every Đ after Z)."""
    bare = unicodedata.normalize("NFD", text.casefold().replace("đ", "d~"))
    return "".join(c for c in bare if not unicodedata.combining(c)), text


def format_moment(value: dt.datetime, timezone: str) -> str:
    """A moment as a person here reads it: dd/mm/yyyy HH:MM in the agency's time zone (a moment
    without one is UTC, as the database keeps them)."""
    moment = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M")


def format_date(value: dt.date | str | None) -> str:
    """dd/mm/yyyy, the way both languages' documents here write dates; an ISO date text
    (YYYY-MM-DD, as the API stores date answers) too. Any other text is shown as it is."""
    if isinstance(value, str):
        day = parse_date(value)
        return day.strftime("%d/%m/%Y") if day else value
    return value.strftime("%d/%m/%Y") if value else ""


_DAY_FIRST = re.compile(r"([0-9]{1,2})([/.\- ])([0-9]{1,2})\2([0-9]{4})")
_DIGITS_ONLY = re.compile(r"([0-9]{2})()([0-9]{2})([0-9]{4})")  # ddmmyyyy
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_typed_date(text: str) -> dt.date | None:
    """A date typed the way pages write it: dd/mm/yyyy, also with one digit for the day or
    month, with '.', '-' or a space instead of '/' (a tablet's number pad may have no '/'), or
    as ddmmyyyy; or YYYY-MM-DD, the API's form. None when it is no date. The same rule as
    parseDate in static/js/visit.js."""
    raw = text.strip()
    if _ISO_DAY.fullmatch(raw):
        return parse_date(raw)
    parts = typed_date_parts(raw)
    if parts is None:
        return None
    year, month, day = parts
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def typed_iso_date(text: str) -> str:
    """A date typed dd/mm/yyyy as the services read it (ISO), or what was typed when it cannot
    be read (the service then refuses it with the field named); empty stays empty."""
    text = text.strip()
    day = parse_typed_date(text) if text else None
    return day.isoformat() if day else text


def typed_date_parts(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) as typed in one of parse_typed_date's forms, whether or not that day
    exists (31/04/2024 gives (2024, 4, 31)): what a refusal explains. None when the text has
    none of those forms."""
    raw = text.strip()
    if _ISO_DAY.fullmatch(raw):
        year, month, day = raw.split("-")
        return int(year), int(month), int(day)
    typed = _DAY_FIRST.fullmatch(raw) or _DIGITS_ONLY.fullmatch(raw)
    if typed is None:
        return None
    day, _sep, month, year = typed.groups()
    return int(year), int(month), int(day)


def days_in_month(year: int, month: int) -> int:
    """How many days month 1–12 of `year` has (29 for February of a leap year)."""
    return calendar.monthrange(year, month)[1]
