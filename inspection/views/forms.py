"""Form pieces shared by the page blueprints. WTForms ships no Vietnamese messages, so every
validator and parse error here speaks through our catalog."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Field, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, StopValidation
from wtforms.widgets import TextInput

from inspection import text
from inspection.formatting import (
    days_in_month,
    format_date,
    parse_typed_date,
    parse_whole_number,
    typed_date_parts,
)
from inspection.services.validation import FIRST_YEAR, LAST_YEAR

REQUIRED = _l("This field is required.")
TOO_LONG = _l("At most %(max)d characters.")
TOO_SHORT = _l("At least %(min)d characters.")


def required() -> InputRequired:
    return InputRequired(message=REQUIRED)


def filled() -> DataRequired:
    """Like required(), but a value of only spaces counts as empty."""
    return DataRequired(message=REQUIRED)


def at_most(size: int) -> Length:
    return Length(max=size, message=TOO_LONG)


def at_least(size: int) -> Length:
    return Length(min=size, message=TOO_SHORT)


def storable(limit: int) -> Callable[[FlaskForm, Field], None]:
    """A one-line text the server can store (inspection/text.py: no control characters, at
    most `limit` characters), for fields checked on the page itself, such as the login's."""

    def check(_form: FlaskForm, field: Field) -> None:
        if field.data and text.text_problem(field.data, limit=limit, multiline=False):
            raise StopValidation(_("Enter plain text on one line."))

    return check


class WholeNumberField(IntegerField):
    """An IntegerField of ASCII digits (parse_whole_number: not "١٢", "²" or a thousand digits)
    whose parse error comes from our catalog."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None  # empty: the field's required() says so
            return
        number = parse_whole_number(valuelist[0])
        if number is None:
            self.data = None
            raise ValueError(_("Enter a whole number."))
        self.data = number


class DateInput(TextInput):
    """A text input for a day typed dd/mm/yyyy: the number pad on a tablet, no autofill, and
    `data-datefield` for static/js/datefield.js, which adds the calendar button."""

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        kwargs.setdefault("inputmode", "numeric")
        kwargs.setdefault("placeholder", _("dd/mm/yyyy"))
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("maxlength", 10)
        kwargs.setdefault("data-datefield", "")
        return super().__call__(field, **kwargs)


class VietnameseDateField(Field):
    """A day typed as the checklist's date items take it (formatting.parse_typed_date:
    22/02/2024, 22.02.2024, 22-02-2024, 22022024, 2/3/2024) and shown back dd/mm/yyyy. A day
    that does not exist (30/02/2024) or lies outside the app's years is refused with the reason,
    never moved to another day; an empty field is None, for required() or Optional() to judge."""

    widget = DateInput()

    def __init__(
        self, label: str | None = None, validators: list[Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.data: dt.date | None

    def _value(self) -> str:
        if self.data is not None:
            return format_date(self.data)  # what was understood, however it was typed
        return self.raw_data[0] if self.raw_data else ""  # a refused text, as typed

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = valuelist[0].strip() if valuelist and isinstance(valuelist[0], str) else ""
        self.data = None
        if not raw:
            return
        day = parse_typed_date(raw)
        if day is None:
            raise ValueError(date_problem(raw))
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError(year_problem(format_date(day), day.year))
        self.data = day


def year_problem(shown: str, year: int) -> str:
    return _(
        "%(date)s: the year %(year)d is outside the years this application keeps "
        "(%(first)d–%(last)d).",
        date=shown,
        year=year,
        first=FIRST_YEAR,
        last=LAST_YEAR,
    )


def date_problem(raw: str) -> str:
    """Why a typed text is no day: not written as a date, no such month, or no such day. The
    day is named dd/mm/yyyy however it was typed (30022024 → 30/02/2024)."""
    parts = typed_date_parts(raw)
    if parts is None:
        return _("Enter a date as dd/mm/yyyy, for example 22/02/2024.")
    year, month, day = parts
    shown = f"{day:02d}/{month:02d}/{year:04d}"
    if not 1 <= month <= 12:
        return _(
            "%(date)s is not a real date: there is no month %(month)d.", date=shown, month=month
        )
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return year_problem(shown, year)
    return _(
        "%(date)s is not a real date: month %(month)d of %(year)d has %(days)d days.",
        date=shown,
        month=month,
        year=year,
        days=days_in_month(year, month),
    )


def entered(field: StringField) -> str:
    """The text of a required field (required() or filled()) once its form has validated: a
    field missing from the post failed that validator."""
    if field.data is None:
        raise ValueError(f"{field.name} is read before its form validated")
    return field.data


def form_status(form: FlaskForm, failed: bool = False) -> int:
    """400 when the page shows the form again because of a refusal, 200 for a fresh form."""
    return 400 if failed or form.errors else 200
