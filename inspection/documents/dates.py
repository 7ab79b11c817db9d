"""Dates as Decree 30/2020 (Appendix I) writes them in the place-and-date line."""

from __future__ import annotations

import datetime as dt


def day_and_month(day: dt.date) -> str:
    """ "ngày 05 tháng 01": days below 10 and the months 1 and 2 take a leading zero; the other
    months do not ("tháng 3", never "tháng 03")."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month}"


def long_date(day: dt.date) -> str:
    """ "ngày 05 tháng 01 năm 2025"."""
    return f"{day_and_month(day)} năm {day.year}"


def place_and_date(place: str, day: dt.date) -> str:
    """The italic line under the motto: "Ninh Hòa, ngày 05 tháng 01 năm 2025"."""
    return f"{place}, {long_date(day)}" if place else long_date(day).capitalize()


def short_date(day: dt.date | None) -> str:
    """Dates in the body: "22/02/2024"."""
    return day.strftime("%d/%m/%Y") if day else ""
