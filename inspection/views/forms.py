"""Form pieces shared by the page blueprints. WTForms ships no Vietnamese messages, so every
validator and parse error here speaks through our catalog."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import DataRequired, InputRequired, Length

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


class WholeNumberField(IntegerField):
    """An IntegerField whose parse error comes from our catalog."""

    def process_formdata(self, valuelist: list) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Enter a whole number.")) from None


def form_status(form: FlaskForm, failed: bool = False) -> int:
    """400 when the page shows the form again because of a refusal, 200 for a fresh form."""
    return 400 if failed or form.errors else 200
