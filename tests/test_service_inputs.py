"""The services' input models (services/validation.py's `Input`): each rule stated once, read
alike from a JSON body and from a form's data, every problem reported at once in our words."""

from __future__ import annotations

import datetime as dt
import re

import pydantic
import pytest

from inspection.db import get_session
from inspection.errors import Conflict, NotFound, ValidationError, http_status
from inspection.services import users
from inspection.services.agency import AgencyUpdate
from inspection.services.answers import MAX_NOTE, AnswerWrite
from inspection.services.plans import PlanCreate, TemplateUnavailable, VisitCreate
from inspection.services.units import ImportTooLarge, UnitCreate, UnitUpdate
from inspection.services.users import PasswordSet, UserCreate, UserUpdate
from inspection.services.validation import MAX_REVISION
from inspection.workflow import VisitLocked
from tests.factories import post_form

# Every message a rule of these models may give (none of pydantic's).
OUR_MESSAGES = {
    "is required",
    "must be a string",
    "is too long",
    "is not valid Unicode text",
    "contains control characters",
    "must be a date YYYY-MM-DD",
    "must be a date from 2000 to 2100",
    "must be a year from 2000 to 2100",
    "must be a whole number",
    "must be a list of {name, position}",
    "must be a list of usernames",
    "name at least one inspector",
    "unknown unit",
}


def test_a_plan_reads_the_same_from_json_and_from_a_form():
    as_json = {
        "number": " 22/KH-UBND ",
        "title": "Kiểm tra",
        "year": 2024,
        "form_key": "cchc-xa",
        "issued_on": "2024-02-22",
    }
    as_form = {**as_json, "issued_on": dt.date(2024, 2, 22), "decision_on": None}
    from_json, from_form = PlanCreate.parse(as_json), PlanCreate.parse(as_form)
    assert from_json == from_form and from_json.errors == {} == from_form.errors
    assert from_json.number == "22/KH-UBND" and from_json.issued_on == dt.date(2024, 2, 22)


def test_a_plan_reports_every_problem_at_once_by_field():
    data = PlanCreate.parse(
        {
            "number": "",
            "title": "x" * 301,
            "year": True,
            "form_version": "1",
            "issued_on": "22/02/2024",
            "decision_on": dt.date(1999, 12, 31),
            "decision_number": "a\x00b",
        }
    )
    assert data.errors == {
        "number": "is required",
        "title": "is too long",
        "year": "must be a year from 2000 to 2100",
        "form_key": "is required",
        "form_version": "must be a whole number",
        "issued_on": "must be a date YYYY-MM-DD",
        "decision_on": "must be a date from 2000 to 2100",
        "decision_number": "contains control characters",
    }


@pytest.mark.parametrize("value", [None, 7, 1.5, [], {}, "\ud800", "x" * 5000, True])
def test_no_field_answers_in_pydantics_words(value):
    """Whatever JSON value a field gets, its refusal is one of our messages."""
    fields = [*PlanCreate.model_fields, *VisitCreate.model_fields]
    for model in (PlanCreate, VisitCreate):
        data = model.parse({name: value for name in fields})
        assert set(data.errors.values()) <= OUR_MESSAGES, data.errors


def test_a_visit_names_a_bad_participant_by_its_place_in_the_list():
    data = VisitCreate.parse(
        {
            "unit_code": "ninh-da",
            "scheduled_on": "2024-06-28",
            "inspectors": [" Insp-A ", "insp-a"],
            "participants": [{"name": "A", "position": None}, "B", {"position": "x" * 201}],
        }
    )
    assert data.errors == {
        "participants[1]": "must be a list of {name, position}",
        "participants[2].name": "is required",
        "participants[2].position": "is too long",
    }
    assert data.inspectors == ["insp-a"]


def test_a_model_built_in_code_is_strict():
    with pytest.raises(pydantic.ValidationError):
        PlanCreate(number="", title="x", year=2024, form_key="cchc-xa")
    plan = PlanCreate(number="1/KH", title="x", year=2024, form_key="cchc-xa")
    assert plan.errors == {} and plan.form_version is None


def test_agency_settings_keep_their_bounds():
    data = AgencyUpdate.parse(
        {"issuer_name": "Đoàn", "timezone": "Mars/Base", "remediation_days": 366}
    )
    assert data.errors == {
        "notice_code": "is required",
        "place_name": "is required",
        "timezone": "unknown time zone",
        "remediation_days": "must be a whole number of days from 1 to 365",
    }


def test_an_answer_write_keeps_the_rules_of_the_api():
    data = AnswerWrite.parse(
        {
            "note": "x" * (MAX_NOTE + 1),
            "client_id": "not-a-uuid",
            "base_revision": MAX_REVISION + 1,
            "answered_at": "1999-12-31T23:00:00+07:00",
        }
    )
    assert data.errors == {
        "item_key": "is required",
        "value": "is required (null clears the answer)",
        "note": f"must be at most {MAX_NOTE} characters",
        "client_id": "must be a UUID",
        "base_revision": f"must be a whole number from 0 to {MAX_REVISION}",
        "answered_at": "must be a time from 2000 to 2100",
    }
    assert data.item_key == ""  # as the batch's results show it


def test_a_batch_entry_needs_its_client_id_and_time():
    single = AnswerWrite.parse({"value": 1}, item_key="a")
    batch = AnswerWrite.parse({"item_key": "a", "value": 1}, batch=True)
    assert single.errors == {}
    assert batch.errors == {"client_id": "is required", "answered_at": "is required"}
    assert AnswerWrite.parse([1], batch=True).errors == {"": "must be a JSON object"}


def test_the_handler_decides_each_errors_status():
    assert http_status(ValidationError("x")) == 400
    assert http_status(NotFound("x")) == 404
    assert http_status(Conflict("x")) == 409
    assert http_status(VisitLocked()) == 409
    assert http_status(ImportTooLarge("too_large", "x")) == 413
    assert ImportTooLarge("too_large", "x").code == "too_large"
    assert TemplateUnavailable.code == "template_unavailable"
    assert TemplateUnavailable.__mro__[1].__name__ == "Unavailable"


# Units and users --------------------------------------------------------------------------------

# Every message a rule of the unit and user models may give (none of pydantic's).
UNIT_AND_USER_MESSAGES = {
    "is required",
    "must be a string",
    "is too long",
    "is not valid Unicode text",
    "contains control characters",
    "is not valid",
    "unknown unit",
    "1–32 characters: letters, digits, '.', '_' or '-'",
    "must be one of xa, phuong, thi_tran, dac_khu",
    "3–64 characters: lowercase letters, digits, '.', '_' or '-'",
    "must be one of admin, lead, inspector, unit",
    "must have at least 8 characters",
    "must be plain text on one line",
}
UNIT_AND_USER_MODELS = (UnitCreate, UnitUpdate, UserCreate, UserUpdate, PasswordSet)


def test_a_unit_reads_the_same_from_json_and_from_a_form():
    as_json = {"code": " Ninh-Da ", "name": "UBND xã Ninh Đa ", "kind": "xa"}
    as_form = {**as_json, "csrf_token": "t"}  # a form's data: its other fields are not read
    from_json, from_form = UnitCreate.parse(as_json), UnitCreate.parse(as_form)
    assert from_json == from_form and from_json.errors == {} == from_form.errors
    assert (from_json.code, from_json.name) == ("ninh-da", "UBND xã Ninh Đa")
    assert UnitUpdate.parse(as_form) == UnitUpdate(name="UBND xã Ninh Đa", kind="xa")


def test_a_unit_reports_every_problem_at_once_by_field():
    assert UnitCreate.parse({"code": "Ninh Đa", "name": "UBND\x07", "kind": "huyen"}).errors == {
        "code": "1–32 characters: letters, digits, '.', '_' or '-'",
        "name": "contains control characters",
        "kind": "must be one of xa, phuong, thi_tran, dac_khu",
    }
    assert UnitUpdate.parse({"name": "x" * 201}).errors == {
        "name": "is too long",
        "kind": "must be one of xa, phuong, thi_tran, dac_khu",
    }


def field_errors(page: str) -> set[str]:
    """The names of the fields a form page shows with an error."""
    return set(re.findall(r'class="field has-error">\s*<label for="(\w+)"', page))


def test_the_api_and_the_form_refuse_a_unit_for_the_same_fields(admin, admin_api):
    bad = {"code": "ninh da", "name": "UBND\x07xã", "kind": "huyen"}
    api = admin_api.post("/api/v1/units", json=bad)
    page = post_form(admin, "/admin/units/new", bad)
    assert api.status_code == page.status_code == 400
    assert set(api.get_json()["error"]["fields"]) == {"code", "name", "kind"}
    assert field_errors(page.get_data(as_text=True)) == {"code", "name", "kind"}


def test_a_user_reports_every_problem_at_once_by_field():
    data = UserCreate.parse(
        {
            "username": "A b",
            "role": "boss",
            "full_name": " ",
            "position": "x" * 121,
            "password": "ngan",
            "unit_code": 7,
        }
    )
    assert data.errors == {
        "username": "3–64 characters: lowercase letters, digits, '.', '_' or '-'",
        "role": "must be one of admin, lead, inspector, unit",
        "full_name": "is required",
        "position": "is too long",
        "password": "must have at least 8 characters",
        "unit_code": "unknown unit",
    }
    assert UserUpdate.parse({"full_name": "Hoa", "active": "y"}).errors == {
        "active": "is not valid"
    }
    assert PasswordSet.parse({"password": "mat\nkhau-123"}).errors == {
        "password": "must be plain text on one line"
    }


def test_a_user_reads_the_same_from_the_command_line_and_from_a_form():
    typed = {"username": " Insp-A ", "role": "inspector", "full_name": "Hoa", "password": "x" * 8}
    from_cli = UserCreate.parse({**typed, "position": "", "unit_code": None})
    from_form = UserCreate.parse({**typed, "position": "", "unit_code": "", "csrf_token": "t"})
    assert from_cli == from_form and from_cli.errors == {}
    assert (from_cli.username, from_cli.unit_code) == ("insp-a", None)


def test_the_service_adds_its_problems_to_the_models(app):
    data = UserCreate.parse({"username": "x", "role": "unit", "full_name": "Hoa", "password": ""})
    with app.app_context(), pytest.raises(ValidationError) as refused:
        users.create_user(get_session(), actor_id=None, data=data)
    assert refused.value.fields == {
        "username": "3–64 characters: lowercase letters, digits, '.', '_' or '-'",
        "password": "must have at least 8 characters",
        "unit_code": "a unit user must belong to a unit",
    }


@pytest.mark.parametrize("value", [None, 7, 1.5, [], {}, "\ud800", "x" * 5000, True, "\x00"])
def test_no_unit_or_user_field_answers_in_pydantics_words(value):
    for model in UNIT_AND_USER_MODELS:
        data = model.parse({name: value for name in model.model_fields})
        assert set(data.errors.values()) <= UNIT_AND_USER_MESSAGES, data.errors


def test_a_password_is_never_shown_in_a_repr():
    data = UserCreate(username="hoa", role="lead", full_name="Hoa", password="bi-mat-123")
    assert "bi-mat-123" not in repr(data) + repr(PasswordSet(password="bi-mat-123"))
    with pytest.raises(pydantic.ValidationError):
        UserCreate(username="hoa", role="unit", full_name="Hoa", password="ngan")
