"""What the units API, the admin form and the CSV import make of awkward input: JSON values of
the wrong type, codes differing only in case, long or invisible names, broken quotation marks."""

from __future__ import annotations

import re
import unicodedata

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from inspection.db import get_session
from inspection.models import Unit
from inspection.services import units
from tests.factories import import_units_csv, make_unit, post_form

GOOD = {"code": "ninh-xuan", "name": "UBND xã Ninh Xuân", "kind": "xa"}
NAME_NFC = "UBND xã Ninh Xuân"


def stored_units(app: Flask) -> dict[str, str]:
    """Code → name of every unit."""
    with app.app_context():
        return {u.code: u.name for u in get_session().exec(select(Unit))}


def rejected_reasons(html: str) -> dict[int, str]:
    """Row number → reason, read from the import report's table of rejected rows."""
    rows = re.findall(r'<td class="num">(\d+)</td>.*?<td class="error">([^<]*)</td>', html, re.S)
    return {int(row): reason for row, reason in rows}


def file_errors(html: str) -> list[str]:
    return re.findall(r'<small class="error">([^<]*)</small>', html)


# The API ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["code", "name", "kind"])
@pytest.mark.parametrize(
    "value",
    [["xa"], {"a": 1}, 5, 1.5, True, None],
    ids=["list", "dict", "int", "float", "bool", "null"],
)
def test_a_wrong_json_type_is_a_400_naming_the_field(admin_api, field, value):
    response = admin_api.post("/api/v1/units", json={**GOOD, field: value})
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {field}


def test_a_code_is_stored_in_lowercase_and_is_unique_whatever_its_case(app, admin_api):
    response = admin_api.post("/api/v1/units", json={**GOOD, "code": " Ninh-Xuan "})
    assert response.status_code == 201 and response.get_json()["code"] == "ninh-xuan"
    again = admin_api.post("/api/v1/units", json={**GOOD, "code": "NINH-XUAN"})
    assert again.status_code == 409 and again.get_json()["error"]["fields"] == {
        "code": "already exists"
    }
    assert stored_units(app) == {"ninh-xuan": GOOD["name"]}


def test_a_unit_is_found_by_its_code_in_any_case(app):
    make_unit(app, "ninh-da")
    with app.app_context():
        assert units.get_by_code(get_session(), "Ninh-DA").code == "ninh-da"


def test_a_name_is_stored_in_nfc_without_invisible_ends(app, admin_api):
    name = "\u200b" + unicodedata.normalize("NFD", NAME_NFC) + "\u200b"
    assert admin_api.post("/api/v1/units", json={**GOOD, "name": name}).status_code == 201
    assert stored_units(app) == {"ninh-xuan": NAME_NFC}


@pytest.mark.parametrize("name", ["\u200b\u200b", "\u2060\ufeff", "UBND\x00xã", "UBND\x07"])
def test_an_invisible_or_control_character_name_is_refused(app, admin_api, name):
    response = admin_api.post("/api/v1/units", json={**GOOD, "name": name})
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {"name"}
    assert stored_units(app) == {}


# The admin form ---------------------------------------------------------------------------------


def post_unit_form(client: FlaskClient, **values: str):
    return post_form(client, "/admin/units/new", {**GOOD, **values})


def test_the_form_stores_the_code_in_lowercase_and_refuses_it_in_another_case(app, admin):
    name = unicodedata.normalize("NFD", NAME_NFC)
    assert post_unit_form(admin, code="Ninh-Xuan", name=name).status_code == 302
    assert stored_units(app) == {"ninh-xuan": NAME_NFC}
    assert post_unit_form(admin, code="ninh-XUAN").status_code == 400
    assert stored_units(app) == {"ninh-xuan": NAME_NFC}


# The CSV import ---------------------------------------------------------------------------------


def test_csv_codes_differing_only_in_case_are_duplicates(app, admin):
    make_unit(app, "ninh-da")
    data = "code,name,kind\nNinh-Xuan,Xuân,xa\nninh-xuan,Xuân 2,xa\nNINH-DA,Đa,xa\n"
    response = import_units_csv(admin, data.encode())
    assert response.status_code == 200
    assert rejected_reasons(response.get_data(as_text=True)) == {
        3: "trùng mã với dòng 2",
        4: "đã có đơn vị mang mã này",
    }
    assert stored_units(app) == {"ninh-da": "UBND xã Ninh Đa", "ninh-xuan": "Xuân"}


def test_a_csv_name_over_the_limit_is_reported_too_long_not_empty(app, admin):
    data = f"code,name,kind\nninh-xuan,{'X' * 201},xa\nninh-son,,xa\n"
    response = import_units_csv(admin, data.encode())
    assert rejected_reasons(response.get_data(as_text=True)) == {
        2: "tên dài quá 200 ký tự",
        3: "tên đang để trống",
    }
    assert stored_units(app) == {}


def test_a_csv_name_with_control_or_invisible_characters_is_not_stored(app, admin):
    data = (
        "code,name,kind\nninh-a,UBND\x07xã,xa\nninh-b,\u200b\u200b,xa\nninh-c,\u200bXuân\u200b,xa\n"
    )
    response = import_units_csv(admin, data.encode())
    reasons = rejected_reasons(response.get_data(as_text=True))
    assert set(reasons) == {2, 3}
    assert reasons[2].startswith("Tên: ") and "trống" not in reasons[2]
    assert reasons[3] == "tên đang để trống"
    assert stored_units(app) == {"ninh-c": "Xuân"}


@pytest.mark.parametrize(
    "rows",
    [
        'ninh-b,"UBND xã Ninh Bình,xa\nninh-c,Xã C,xa\nninh-d,Xã D,xa\n',  # never closed
        'ninh-b,"UBND xã Ninh Bình,xa\nninh-c,Xã C",xa\nninh-d,Xã D,xa\n',  # closed a row later
        'ninh-b,"UBND xã' + "x" * 200_000 + "\n",  # past the csv module's field size limit
    ],
    ids=["unclosed", "closed-later", "huge"],
)
def test_an_open_quotation_mark_refuses_the_file_naming_its_line(app, admin, rows):
    data = "code,name,kind\nninh-a,Xã A,xa\n" + rows
    response = import_units_csv(admin, data.encode())
    assert response.status_code == 400
    errors = file_errors(response.get_data(as_text=True))
    assert len(errors) == 1 and re.search(r"\b3\.$", errors[0]), errors
    assert stored_units(app) == {}


def test_rows_keep_their_line_numbers_after_blank_lines(app, admin):
    data = 'code,name,kind\n\nninh-a,"Xã A, Ninh Hòa",xa\n\nninh-b,,xa\n'
    response = import_units_csv(admin, data.encode())
    assert rejected_reasons(response.get_data(as_text=True)) == {5: "tên đang để trống"}
    assert stored_units(app) == {"ninh-a": "Xã A, Ninh Hòa"}


# Editing a unit ---------------------------------------------------------------------------------


def test_an_edited_name_is_stored_in_nfc_without_invisible_ends(app, admin):
    unit = make_unit(app, "ninh-xuan", "Xuân")
    url = f"/admin/units/{unit.id}"
    name = "\u200b" + unicodedata.normalize("NFD", NAME_NFC) + " \ufeff"
    response = post_form(admin, url, {"name": name, "kind": "xa"})
    assert response.status_code == 302
    assert stored_units(app) == {"ninh-xuan": NAME_NFC}


@pytest.mark.parametrize("name", ["\u200b\u200b", "UBND\x00xã", "X" * 201])
def test_an_edited_name_that_cannot_be_stored_is_refused(app, admin, name):
    unit = make_unit(app, "ninh-xuan", "Xuân")
    url = f"/admin/units/{unit.id}"
    response = post_form(admin, url, {"name": name, "kind": "xa"})
    assert response.status_code == 400
    assert stored_units(app) == {"ninh-xuan": "Xuân"}


def test_a_unit_stored_before_the_lowercase_rule_can_still_be_edited(app, admin):
    """The code is not checked again on an edit: it is fixed, whatever its spelling."""
    with app.app_context():
        session = get_session()
        session.add(Unit(code="Ninh-Xuan", name="Xuân", kind="xa"))
        session.commit()
        unit_id = session.exec(select(Unit.id)).one()
    url = f"/admin/units/{unit_id}"
    response = post_form(admin, url, {"name": NAME_NFC, "kind": "xa"})
    assert response.status_code == 302
    assert stored_units(app) == {"Ninh-Xuan": NAME_NFC}
