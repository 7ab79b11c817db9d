"""Numbers and dates as Vietnamese pages write them: 91,84 and 22/02/2024."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from flask import render_template_string

from inspection.formatting import format_date, format_number, parse_number, parse_typed_date


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("91.84"), "91,84"),
        (91.84, "91,84"),
        (Decimal("12.00"), "12"),  # a whole number shows no decimals
        (12, "12"),
        (0, "0"),
        (Decimal("2.50"), "2,5"),
        (1240, "1.240"),
        (Decimal("1234567.891"), "1.234.567,89"),
        (Decimal("2.675"), "2,68"),  # half up, not banker's rounding
        (2.675, "2,68"),  # a float is read as it prints, not as its binary value
        (Decimal("0.004"), "0"),
        (Decimal("-0.004"), "0"),  # never "-0"
        (Decimal("-1240.5"), "-1.240,5"),
        (Decimal("1E+3"), "1.000"),
        (None, ""),
    ],
)
def test_numbers_use_a_decimal_comma_and_dotted_thousands(value, shown):
    assert format_number(value) == shown


def test_places_limit_the_decimals():
    assert format_number(Decimal("97.996"), places=1) == "98"
    assert format_number(Decimal("3.14159"), places=3) == "3,142"
    assert format_number(Decimal("3.7"), places=0) == "4"


def test_dates_are_day_month_year_with_leading_zeros():
    assert format_date(dt.date(2024, 2, 22)) == "22/02/2024"
    assert format_date(dt.date(2025, 1, 5)) == "05/01/2025"
    assert format_date(dt.datetime(2024, 7, 14, 9, 30)) == "14/07/2024"
    assert format_date(None) == ""


def test_iso_date_texts_show_day_first_and_other_texts_as_they_are():
    assert format_date("2024-01-15") == "15/01/2024"  # a date answer, as the API stores it
    assert format_date("2024-02-30") == "2024-02-30"
    assert format_date("hôm qua") == "hôm qua"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("22/02/2024", dt.date(2024, 2, 22)),
        ("2/2/2024", dt.date(2024, 2, 2)),
        (" 22/02/2024 ", dt.date(2024, 2, 22)),
        ("22.02.2024", dt.date(2024, 2, 22)),  # a number pad without '/'
        ("22-02-2024", dt.date(2024, 2, 22)),
        ("22 02 2024", dt.date(2024, 2, 22)),
        ("22022024", dt.date(2024, 2, 22)),
        ("2024-02-22", dt.date(2024, 2, 22)),  # the API's form
        ("29/02/2024", dt.date(2024, 2, 29)),
        ("29/02/2023", None),
        ("31/04/2024", None),
        ("02/22/2024", None),  # month first is not how dates are written here
        ("22/02/24", None),
        ("22/02-2024", None),
        ("22/02/2024 10:00", None),
        ("２２/０２/２０２４", None),  # full-width digits
        ("00/01/2024", None),
        ("01/01/0000", None),
        ("", None),
    ],
)
def test_dates_typed_day_first_are_read(text, day):
    assert parse_typed_date(text) == day


def test_pages_get_the_filters_vietnamese_by_default(app):
    source = "{{ value|vi_number }} · {{ day|vi_date }}"
    context = {"value": Decimal("1240.5"), "day": dt.date(2024, 2, 22)}
    with app.test_request_context("/"):
        assert render_template_string(source, **context) == "1.240,5 · 22/02/2024"
    with app.test_request_context("/?lang=en"):
        assert render_template_string(source, **context) == "1,240.5 · 22/02/2024"


@pytest.mark.parametrize(
    ("text", "separator", "number"),
    [
        ("1.240", ",", 1240),  # Vietnamese thousands, as format_number writes them
        ("1.240,5", ",", 1240.5),
        ("10,5", ",", 10.5),
        ("10.5", ",", 10.5),  # a lone dot on a Vietnamese page is still a decimal point
        ("1 240", ",", 1240),
        ("-3,25", ",", -3.25),
        ("1,240.5", ".", 1240.5),
        ("1,240", ".", 1240),
        ("10,5", ".", 10.5),
        ("12.34.5", ",", None),
        ("mười", ",", None),
        ("", ",", None),
    ],
)
def test_numbers_typed_as_written_are_read_back(text, separator, number):
    assert parse_number(text, separator) == number


@pytest.mark.parametrize("value", [Decimal("1240.5"), Decimal("91.84"), 12, Decimal("0.5")])
def test_format_then_parse_round_trips(value):
    for locale, separator in (("vi", ","), ("en", ".")):
        parsed = parse_number(format_number(value, locale=locale), separator)
        assert Decimal(str(parsed)) == value
