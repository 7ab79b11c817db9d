"""Form pieces shared by the page blueprints. WTForms ships no Vietnamese messages, so every
validator and parse error here speaks through our catalog."""

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, StopValidation

from inspection import text
from inspection.formatting import parse_whole_number

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


def entered(field: StringField) -> str:
    """The text of a required field (required() or filled()) once its form has validated: a
    field missing from the post failed that validator."""
    if field.data is None:
        raise ValueError(f"{field.name} is read before its form validated")
    return field.data


def form_status(form: FlaskForm, failed: bool = False) -> int:
    """400 when the page shows the form again because of a refusal, 200 for a fresh form."""
    return 400 if failed or form.errors else 200
