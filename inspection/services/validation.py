"""The field rules of the services' inputs, stated once, and `Input`, the base of their input
models.

Each service module declares its input models next to its functions (`PlanCreate` in
services/plans.py, `AnswerWrite` in services/answers.py, ...), their fields annotated with the
rules below. A view parses one from a JSON body or a form's data with `Model.parse(data)`, once,
and passes it whole to the service. A field that breaks its rule is recorded in the model's
`errors` under its name (or path: `participants[0].name`) with our English message, never
pydantic's; the service adds the problems only it can see (a taken number, an unknown unit) and
refuses them all at once. The messages are marked with N_ so that the pages show them translated.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Self

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, PrivateAttr, field_validator
from pydantic_core import ErrorDetails, PydanticCustomError, PydanticUndefined

from inspection import text
from inspection.errors import N_
from inspection.routing import MAX_ID

FIRST_YEAR, LAST_YEAR = 2000, 2100
PROBLEM = "problem"  # the pydantic error type of our rules' refusals
ERRORS = "errors"  # where a lenient parse collects them, in pydantic's validation context
TOO_LONG = N_("is too long")  # a text over its limit (a page may say the limit instead)


def problem(message: str) -> PydanticCustomError:
    """A rule's refusal, in our words (the message is passed whole, never formatted)."""
    return PydanticCustomError(PROBLEM, "{message}", {"message": message})


# Rules ------------------------------------------------------------------------------------------


def clean_text(value: Any, *, limit: int, required: bool = False, multiline: bool = False) -> str:
    """A clean text (inspection/text.py: NFC, ends trimmed) no longer than `limit`, the column's
    size; None is the empty text."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise problem(N_("must be a string"))
    cleaned = text.normalise(value, multiline=multiline)
    why = text.text_problem(cleaned, limit=limit, multiline=multiline)
    if why == text.NOT_UNICODE:
        raise problem(N_("is not valid Unicode text"))
    if why == text.CONTROL:
        raise problem(N_("contains control characters"))
    if required and not cleaned:
        raise problem(N_("is required"))
    if why is not None:
        raise problem(TOO_LONG)
    return cleaned


def text_rule(limit: int, *, required: bool = False, multiline: bool = False) -> BeforeValidator:
    return BeforeValidator(
        lambda value: clean_text(value, limit=limit, required=required, multiline=multiline)
    )


def clean_date(value: Any, *, required: bool = False) -> dt.date | None:
    """A date as an ISO string (JSON) or a date (a form's date field), from 2000 to 2100."""
    if value in (None, ""):
        if required:
            raise problem(N_("is required"))
        return None
    day = value if isinstance(value, dt.date) else None
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            pass
    if day is None:
        raise problem(N_("must be a date YYYY-MM-DD"))
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise problem(N_("must be a date from 2000 to 2100"))
    return day


def date_rule(*, required: bool = False) -> BeforeValidator:
    return BeforeValidator(lambda value: clean_date(value, required=required))


def is_whole_number(value: Any) -> bool:
    """A JSON integer (true and false are not numbers, though Python counts them as such)."""
    return isinstance(value, int) and not isinstance(value, bool)


def whole_number_rule(
    low: int, high: int, message: str, *, required: bool = True
) -> BeforeValidator:
    """A whole number from `low` to `high`; anything else is refused with `message`."""

    def check(value: Any) -> int | None:
        if value is None and not required:
            return None
        if not is_whole_number(value) or not low <= value <= high:
            raise problem(message)
        return int(value)

    return BeforeValidator(check)


MAX_REVISION = 2**53  # a revision a browser's number holds exactly; no visit gets near it


def clean_client_id(value: Any, *, required: bool = False) -> str | None:
    """A client-generated id (API.md, "Idempotency"): a UUID, in its canonical spelling."""
    if value is None or value == "":
        if required:
            raise problem(N_("is required"))
        return None
    try:
        if isinstance(value, str):
            return str(uuid.UUID(value))
    except ValueError:
        pass
    raise problem(N_("must be a UUID"))


def clean_revision(value: Any) -> int | None:
    """A `base_revision`: the visit revision of the copy a write was made from."""
    if value is not None and (not is_whole_number(value) or not 0 <= value <= MAX_REVISION):
        raise problem(N_("must be a whole number from 0 to %(most)s") % {"most": MAX_REVISION})
    return value


def clean_id(value: Any, message: str) -> int | None:
    """A row's id as a body or a form gives it (a number, or its digits): 1 to MAX_ID, the ids a
    row can have; empty is none."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if not is_whole_number(value) or not 1 <= value <= MAX_ID:
        raise problem(message)
    return int(value)


def choice_rule(choices: Callable[[], Any], message: str) -> BeforeValidator:
    """One of `choices()` (a collection), compared as given."""

    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in choices():
            raise problem(message)
        return value

    return BeforeValidator(check)


# Input models -----------------------------------------------------------------------------------


class Input(BaseModel):
    """A service's input. Built directly (`PlanCreate(number=…)`, in code and tests), a model is
    strict: a field that breaks its rule raises pydantic's ValidationError. Parsed from a
    request (`parse`), it is lenient: each such field is recorded in `errors` and holds its
    default, or None; a service refuses an input with errors, so it reads a field only once
    that field has none."""

    model_config = ConfigDict(frozen=True, validate_default=True)

    _errors: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def errors(self) -> dict[str, str]:
        """Why fields could not be read, by field name or path; empty once all could."""
        return self._errors

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self:
        """Read the model from a JSON object or a form's data; an absent field is None."""
        errors: dict[str, str] = {}
        values = {name: data.get(name) for name in cls.model_fields}
        model = cls.model_validate(values, context={ERRORS: errors})
        model._errors = errors
        return model

    @field_validator("*", mode="wrap")
    @classmethod
    def _record_problems(
        cls,
        value: Any,
        handler: pydantic.ValidatorFunctionWrapHandler,
        info: pydantic.ValidationInfo,
    ) -> Any:
        try:
            return handler(value)
        except pydantic.ValidationError as exc:
            errors = info.context.get(ERRORS) if isinstance(info.context, dict) else None
            if errors is None:
                raise
            for detail in exc.errors():
                errors.setdefault(path_of(info.field_name, detail), message_of(detail))
            default = cls.model_fields[info.field_name or ""].default
            return None if default is PydanticUndefined else default


def path_of(field: str | None, detail: ErrorDetails) -> str:
    """`participants[0].name` for the error at ("participants", 0, "name")."""
    path = field or ""
    for step in detail["loc"]:
        path += f"[{step}]" if isinstance(step, int) else f".{step}" if path else str(step)
    return path


def message_of(detail: ErrorDetails) -> str:
    """Our message for a refusal: the rules raise only `problem`s; anything else would be a
    field without a rule, said in our words too rather than pydantic's."""
    if detail["type"] == PROBLEM:
        return str((detail.get("ctx") or {})["message"])
    if detail["type"] == "missing":
        return N_("is required")
    return N_("is not valid")
