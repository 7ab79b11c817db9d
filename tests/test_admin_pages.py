"""The admin pages, driven as a person would: log in on the login page, open a form, post it.

Assertions are on data, status codes and redirects, never on wording (the catalog is translated
separately).
"""

from __future__ import annotations

import io
import os
import re
import unicodedata

import pytest
from flask import Flask
from sqlmodel import select

from inspection.db import get_session
from inspection.models import Agency, AuditEvent, Unit, User
from inspection.services import units
from tests.factories import (
    PASSWORD,
    import_units_csv,
    logged_in,
    make_unit,
    make_user,
    make_visit,
    page_login,
    post_form,
    token_of,
    user_named,
)

# Helpers -----------------------------------------------------------------------------------------


def can_log_in(app: Flask, username: str, password: str = PASSWORD) -> bool:
    return page_login(app.test_client(), username, password).status_code == 302


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return len(get_session().exec(select(model)).all())


def unit_codes(app: Flask) -> set[str]:
    with app.app_context():
        return set(get_session().exec(select(Unit.code)))


NEW_USER = {
    "username": "insp-moi",
    "full_name": "Trần Văn Bình",
    "position": "Chuyên viên",
    "role": "inspector",
    "unit_code": "",
    "password": "mat-khau-moi-1",
}


# Users -------------------------------------------------------------------------------------------


def test_admin_creates_a_user_who_can_then_log_in(app, admin):
    response = post_form(admin, "/admin/users/new", NEW_USER)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users"
    created = user_named(app, "insp-moi")
    assert created.full_name == "Trần Văn Bình" and created.role == "inspector" and created.active
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "insp-moi" in listing and "Trần Văn Bình" in listing
    assert can_log_in(app, "insp-moi", "mat-khau-moi-1")
    with app.app_context():
        events = get_session().exec(select(AuditEvent).where(AuditEvent.action == "user.create"))
        assert [e.entity_id for e in events][-1] == str(created.id)


def test_a_generated_password_is_shown_once_and_works(app, admin, generated):
    response = post_form(admin, "/admin/users/new", {**NEW_USER, "password": ""})
    assert response.status_code == 200  # shown in the answer itself, not through the cookie
    assert len(generated) == 1
    password = generated[0]
    assert password in response.get_data(as_text=True)
    assert password not in admin.get("/admin/users").get_data(as_text=True)  # once only
    assert user_named(app, "insp-moi").password_hash != password
    assert can_log_in(app, "insp-moi", password)


def test_a_taken_username_is_refused_and_the_form_shown_again(app, admin):
    make_user(app, "insp-moi", "inspector", full_name="Người cũ")
    response = post_form(admin, "/admin/users/new", {**NEW_USER, "username": "Insp-Moi"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'name="username"' in page and 'value="Insp-Moi"' in page
    assert count(app, User) == 2  # admin1 and the first insp-moi
    assert user_named(app, "insp-moi").full_name == "Người cũ"


def test_a_unit_account_needs_a_unit(app, admin):
    make_unit(app, "ninh-da", "UBND xã Ninh Đa")
    refused = post_form(
        admin,
        "/admin/users/new",
        {**NEW_USER, "username": "ub-ninhda", "role": "unit", "unit_code": ""},
    )
    assert refused.status_code == 400 and 'name="unit_code"' in refused.get_data(as_text=True)
    assert user_named(app, "ub-ninhda") is None
    accepted = post_form(
        admin,
        "/admin/users/new",
        {**NEW_USER, "username": "ub-ninhda", "role": "unit", "unit_code": "ninh-da"},
    )
    assert accepted.status_code == 302
    with app.app_context():
        assert get_session().get(Unit, user_named(app, "ub-ninhda").unit_id).code == "ninh-da"


def test_deactivating_a_user_stops_their_login(app, admin):
    target = make_user(app, "insp-a", "inspector", full_name="Lê Thị Hoa")
    their_client = logged_in(app, "insp-a")
    url = f"/admin/users/{target.id}"
    response = post_form(admin, url, {"full_name": "Lê Thị Hoa", "position": ""})  # no "active"
    assert response.status_code == 302 and response.headers["Location"] == url
    assert user_named(app, "insp-a").active is False
    assert not can_log_in(app, "insp-a")
    assert their_client.get("/").status_code == 302  # the open session ends too
    post_form(admin, url, {"full_name": "Lê Thị Hoa", "position": "", "active": "y"})
    assert can_log_in(app, "insp-a")


def test_an_admin_cannot_deactivate_themself(app, admin):
    me = user_named(app, "admin1")
    response = post_form(admin, f"/admin/users/{me.id}", {"full_name": "Quản trị", "position": ""})
    assert response.status_code == 400
    again = user_named(app, "admin1")
    assert again.active is True and again.full_name == me.full_name
    assert admin.get("/admin/users").status_code == 200


def test_edit_user_changes_name_position_and_unit(app, admin):
    make_unit(app, "ninh-da", "UBND xã Ninh Đa")
    make_unit(app, "ninh-hai", "UBND xã Ninh Hải")
    target = make_user(app, "ub-a", "unit", unit_code="ninh-da")
    response = post_form(
        admin,
        f"/admin/users/{target.id}",
        {
            "full_name": "Văn phòng UBND",
            "position": "Văn thư",
            "active": "y",
            "unit_code": "ninh-hai",
        },
    )
    assert response.status_code == 302
    changed = user_named(app, "ub-a")
    assert (changed.full_name, changed.position, changed.active) == (
        "Văn phòng UBND",
        "Văn thư",
        True,
    )
    with app.app_context():
        assert get_session().get(Unit, changed.unit_id).code == "ninh-hai"
    assert admin.get("/admin/users/99999").status_code == 404


def test_password_reset_replaces_the_old_password(app, admin, generated):
    target = make_user(app, "insp-a", "inspector")
    edit_url = f"/admin/users/{target.id}"
    token = token_of(admin, edit_url)
    response = admin.post(f"{edit_url}/password", data={"csrf_token": token})
    assert response.status_code == 200  # shown in the answer itself, not through the cookie
    assert len(generated) == 1
    assert generated[0] in response.get_data(as_text=True)
    assert generated[0] not in admin.get(edit_url).get_data(as_text=True)
    assert not can_log_in(app, "insp-a", PASSWORD)
    assert can_log_in(app, "insp-a", generated[0])


# Agency ------------------------------------------------------------------------------------------

AGENCY = {
    "issuer_name": "ĐOÀN KIỂM TRA CCHC",
    "parent_body": "UBND THỊ XÃ NINH HÒA",
    "notice_code": "TB-ĐKT",
    "place_name": "Ninh Hòa",
    "signer_name": "Nguyễn Văn Nam",
    "signer_title": "TRƯỞNG ĐOÀN",
    "timezone": "Asia/Bangkok",
    "remediation_days": "45",
}


def agency_row(app: Flask) -> Agency:
    with app.app_context():
        return get_session().exec(select(Agency)).one()


def test_agency_settings_are_saved_and_shown_again(app, admin):
    response = post_form(admin, "/admin/agency", AGENCY)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/agency"
    saved = agency_row(app)
    assert (saved.signer_name, saved.timezone, saved.remediation_days) == (
        "Nguyễn Văn Nam",
        "Asia/Bangkok",
        45,
    )
    page = admin.get("/admin/agency").get_data(as_text=True)
    assert 'value="Nguyễn Văn Nam"' in page and 'value="45"' in page
    assert '<option selected value="Asia/Bangkok">' in page


@pytest.mark.parametrize("days", ["0", "366", "-5", "mười", "2.5", ""])
def test_invalid_remediation_days_are_refused(app, admin, days):
    response = post_form(admin, "/admin/agency", {**AGENCY, "remediation_days": days})
    assert response.status_code == 400 and 'name="remediation_days"' in response.get_data(
        as_text=True
    )
    assert agency_row(app).remediation_days == 30 and agency_row(app).timezone != "Asia/Bangkok"


def test_an_unknown_time_zone_is_refused(app, admin):
    response = post_form(admin, "/admin/agency", {**AGENCY, "timezone": "Mars/Olympus"})
    assert response.status_code == 400
    assert agency_row(app).timezone == "Asia/Ho_Chi_Minh"


# Units -------------------------------------------------------------------------------------------


def test_admin_creates_a_unit_and_a_taken_code_is_refused(app, admin):
    data = {"code": "ninh-da", "name": "UBND xã Ninh Đa", "kind": "xa"}
    response = post_form(admin, "/admin/units/new", data)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/units"
    assert "UBND xã Ninh Đa" in admin.get("/admin/units").get_data(as_text=True)
    again = post_form(admin, "/admin/units/new", {**data, "name": "Tên khác"})
    assert again.status_code == 400
    bad_kind = post_form(admin, "/admin/units/new", {**data, "code": "x1", "kind": "huyen"})
    assert bad_kind.status_code == 400
    with app.app_context():
        assert [(u.code, u.name, u.kind) for u in units.list_units(get_session())] == [
            ("ninh-da", "UBND xã Ninh Đa", "xa")
        ]


def unit_row(app: Flask, code: str) -> Unit:
    with app.app_context():
        return get_session().exec(select(Unit).where(Unit.code == code)).one()


def unit_events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list(get_session().exec(query))


def test_admin_renames_a_unit_and_changes_its_kind_but_not_its_code(app, admin):
    unit = make_unit(app, "ninh-hoa", "UBND xã Ninh Hòa", "xa")
    url = f"/admin/units/{unit.id}"
    page = admin.get(url).get_data(as_text=True)
    assert 'value="UBND xã Ninh Hòa"' in page and 'name="code"' not in page
    data = {"name": "UBND phường Ninh Hòa", "kind": "phuong", "code": "doi-ma"}
    response = post_form(admin, url, data)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/units"
    stored = unit_row(app, "ninh-hoa")
    assert (stored.name, stored.kind, stored.active) == ("UBND phường Ninh Hòa", "phuong", True)
    assert unit_codes(app) == {"ninh-hoa"}
    [event] = unit_events(app, "unit.update")
    assert event.entity_id == str(unit.id) and event.actor_id == user_named(app, "admin1").id
    assert (event.before["name"], event.before["kind"]) == ("UBND xã Ninh Hòa", "xa")
    assert (event.after["name"], event.after["kind"]) == ("UBND phường Ninh Hòa", "phuong")
    assert event.before["code"] == event.after["code"] == "ninh-hoa"


@pytest.mark.parametrize(
    "change", [{"name": ""}, {"name": "X" * 201}, {"kind": "huyen"}, {"name": "UBND\x07"}]
)
def test_a_bad_unit_edit_is_shown_again_and_changes_nothing(app, admin, change):
    unit = make_unit(app, "ninh-hoa", "UBND xã Ninh Hòa", "xa")
    response = post_form(admin, f"/admin/units/{unit.id}", {"name": "Tên", "kind": "xa", **change})
    assert response.status_code == 400
    assert response.get_data(as_text=True).count("has-error") == 1
    stored = unit_row(app, "ninh-hoa")
    assert (stored.name, stored.kind) == ("UBND xã Ninh Hòa", "xa")
    assert unit_events(app, "unit.update") == []


def test_an_unknown_unit_is_404(app, admin):
    assert admin.get("/admin/units/999").status_code == 404
    token = token_of(admin, "/admin/units")
    assert admin.post("/admin/units/999/deactivate", data={"csrf_token": token}).status_code == 404


def test_admin_deactivates_and_reactivates_a_unit(app, admin):
    unit = make_unit(app, "ninh-hoa", "UBND xã Ninh Hòa")
    make_unit(app, "ninh-son", "UBND xã Ninh Sơn")
    token = token_of(admin, f"/admin/units/{unit.id}")
    response = admin.post(f"/admin/units/{unit.id}/deactivate", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/units/{unit.id}"
    assert not unit_row(app, "ninh-hoa").active
    # A second click on the same button changes nothing and records nothing.
    admin.post(f"/admin/units/{unit.id}/deactivate", data={"csrf_token": token})
    [event] = unit_events(app, "unit.deactivate")
    assert (event.before["active"], event.after["active"]) == (True, False)
    listing = admin.get("/admin/units").get_data(as_text=True)
    states = dict(re.findall(r'<tr data-unit="([^"]+)".*?data-state="(\w+)"', listing, re.S))
    assert states == {"ninh-hoa": "inactive", "ninh-son": "active"}
    page = admin.get(f"/admin/units/{unit.id}").get_data(as_text=True)
    assert f"/admin/units/{unit.id}/reactivate" in page
    assert f"/admin/units/{unit.id}/deactivate" not in page
    assert (
        admin.post(f"/admin/units/{unit.id}/reactivate", data={"csrf_token": token}).status_code
        == 302
    )
    assert unit_row(app, "ninh-hoa").active
    [event] = unit_events(app, "unit.reactivate")
    assert (event.before["active"], event.after["active"]) == (False, True)


def test_a_deactivated_unit_keeps_its_visits(app, admin, plan):
    unit = make_unit(app, "ninh-hoa", "UBND xã Ninh Hòa")
    visit = make_visit(app, plan, ["insp-a"], unit_code="ninh-hoa")
    token = token_of(admin, f"/admin/units/{unit.id}")
    admin.post(f"/admin/units/{unit.id}/deactivate", data={"csrf_token": token})
    with app.app_context():
        assert get_session().get(Unit, unit.id).active is False
    inspector = logged_in(app, "insp-a")
    checklist = inspector.get(f"/visits/{visit.id}")
    assert checklist.status_code == 200 and "UBND xã Ninh Hòa" in checklist.get_data(as_text=True)
    plan_page = admin.get(f"/plans/{visit.plan_id}").get_data(as_text=True)
    assert f'data-visit="{visit.id}"' in plan_page and "UBND xã Ninh Hòa" in plan_page


def rejected_rows(html: str) -> dict[int, str]:
    """Row number → code, read from the report's table of rejected rows."""
    cells = re.findall(r'<td class="num">(\d+)</td>\s*<td>([^<]*)</td>', html)
    return {int(row): code for row, code in cells}


MIXED_CSV = """code,name,kind
ninh-da,UBND xã Ninh Đa,xa
ninh-hai,UBND xã Ninh Hải,huyen
ninh-hoa,UBND phường Ninh Hiệp,phuong
,Không có mã,xa
ninh-da,UBND xã Ninh Đa (lặp),xa
old-1,Đã có,xa
ninh-thuy,Thiếu cột
ninh-son,,xa
"ninh-phuoc","UBND xã Ninh Phước, Ninh Hòa",Xã
ninh-giang,UBND thị trấn Ninh Giang,thi_tran

ninh-ich,"UBND xã Ninh Ích",dac_khu
"""


def test_csv_import_keeps_the_good_rows_and_reports_each_bad_one(app, admin):
    make_unit(app, "old-1", "UBND xã Cũ")
    response = import_units_csv(admin, MIXED_CSV.encode())
    assert response.status_code == 200
    assert rejected_rows(response.get_data(as_text=True)) == {
        3: "ninh-hai",
        5: "",
        6: "ninh-da",
        7: "old-1",
        8: "ninh-thuy",
        9: "ninh-son",
    }
    good = {"ninh-da", "ninh-hoa", "ninh-phuoc", "ninh-giang", "ninh-ich"}
    assert unit_codes(app) == good | {"old-1"}
    listing = admin.get("/admin/units").get_data(as_text=True)
    assert "UBND xã Ninh Phước, Ninh Hòa" in listing and "UBND thị trấn Ninh Giang" in listing
    with app.app_context():
        created = get_session().exec(select(AuditEvent).where(AuditEvent.action == "unit.create"))
        assert len(created.all()) == 1 + len(good)
        assert get_session().exec(select(Unit).where(Unit.code == "ninh-phuoc")).one().kind == "xa"


def test_a_semicolon_csv_with_a_bom_is_imported(app, admin):
    data = "code;name;kind\r\nninh-da;UBND xã Ninh Đa;xa\r\nninh-hiep;Phường Ninh Hiệp;phuong\r\n"
    response = import_units_csv(admin, "\ufeff".encode() + data.encode("utf-8"))
    assert response.status_code == 200 and rejected_rows(response.get_data(as_text=True)) == {}
    with app.app_context():
        stored = {u.code: (u.name, u.kind) for u in units.list_units(get_session())}
    assert stored == {
        "ninh-da": ("UBND xã Ninh Đa", "xa"),
        "ninh-hiep": ("Phường Ninh Hiệp", "phuong"),
    }


@pytest.mark.parametrize(
    "data",
    [
        # Windows' Vietnamese code page writes the tone marks as combining characters
        unicodedata.normalize("NFD", "code,name,kind\nninh-da,UBND xã Ninh Đa,xa\n").encode(
            "cp1258"
        ),
        "code,name,kind\nninh-da,UBND xã Ninh Đa,xa\n".encode("utf-16"),
        b"\xff\xfe\x00\x01\x02" + os.urandom(64),
        "name,kind\nUBND xã Ninh Đa,xa\n".encode(),  # no code column
        b"",
        b'code,name,kind\nninh-da,"UBND xa' + b"x" * 200_000 + b"\n",  # an unclosed quote
    ],
    ids=["cp1258", "utf-16", "binary", "no-header", "empty", "unclosed-quote"],
)
def test_an_unreadable_file_is_refused_whole(app, admin, data):
    response = import_units_csv(admin, data)
    assert response.status_code == 400
    assert 'name="file"' in response.get_data(as_text=True)  # the units page, with the form
    assert unit_codes(app) == set()
    assert count(app, AuditEvent) == 1  # only the admin's own creation


def test_a_file_over_the_size_limit_is_refused(app, admin):
    row = "ninh-da,UBND xã Ninh Đa,xa\n"
    data = ("code,name,kind\n" + row * (units.MAX_IMPORT_BYTES // len(row.encode()) + 1)).encode()
    assert len(data) > units.MAX_IMPORT_BYTES
    response = import_units_csv(admin, data)
    assert response.status_code == 413
    assert unit_codes(app) == set()


def test_a_file_over_the_row_limit_is_refused(app, admin):
    rows = "".join(f"u{i},Xã {i},xa\n" for i in range(units.MAX_IMPORT_ROWS + 1))
    response = import_units_csv(admin, ("code,name,kind\n" + rows).encode())
    assert response.status_code == 400
    assert unit_codes(app) == set()


def test_the_row_limit_counts_rows_not_the_header(app, admin, monkeypatch):
    monkeypatch.setattr(units, "MAX_IMPORT_ROWS", 3)
    rows = "".join(f"u{i},Xã {i},xa\n" for i in range(3))
    assert import_units_csv(admin, ("code,name,kind\n" + rows + "\n\n").encode()).status_code == 200
    assert unit_codes(app) == {"u0", "u1", "u2"}
    one_over = ("code,name,kind\n" + rows + "u3,Xã 3,xa\n").encode()
    assert import_units_csv(admin, one_over).status_code == 400


def test_only_csv_files_are_accepted(app, admin):
    assert import_units_csv(admin, b"code,name,kind\na,b,xa\n", "don-vi.xlsx").status_code == 400
    assert unit_codes(app) == set()


# Access and CSRF ---------------------------------------------------------------------------------

PAGES = [
    "/admin/users",
    "/admin/users/new",
    "/admin/users/{id}",
    "/admin/agency",
    "/admin/units",
    "/admin/units/new",
    "/admin/units/{unit}",
]
WRITES = [
    "/admin/users/new",
    "/admin/users/{id}",
    "/admin/users/{id}/password",
    "/admin/agency",
    "/admin/units/new",
    "/admin/units/import",
    "/admin/units/{unit}",
    "/admin/units/{unit}/deactivate",
    "/admin/units/{unit}/reactivate",
]


@pytest.mark.parametrize("role", ["lead", "inspector", "unit"])
def test_other_roles_get_403_on_every_admin_page(app, role):
    unit = make_unit(app, "ninh-da")
    make_user(app, "someone", role, unit_code="ninh-da" if role == "unit" else None)
    target = make_user(app, "insp-a", "inspector")
    client = logged_in(app, "someone")
    token = token_of(client, "/password")  # a valid token, so only the role can refuse
    for url in PAGES:
        assert client.get(url.format(id=target.id, unit=unit.id)).status_code == 403, url
    for url in WRITES:
        data = {
            "csrf_token": token,
            "full_name": "X",
            "code": "x",
            "name": "X",
            "kind": "xa",
            "username": "evil",
            "role": "admin",
            "issuer_name": "X",
        }
        response = client.post(url.format(id=target.id, unit=unit.id), data=data)
        assert response.status_code == 403, url
    assert user_named(app, "evil") is None and user_named(app, "insp-a").full_name != "X"
    assert unit_codes(app) == {"ninh-da"} and count(app, Agency) == 0
    assert unit_row(app, "ninh-da").name != "X" and unit_row(app, "ninh-da").active


def test_anonymous_is_sent_to_the_login_page(app):
    target = make_user(app, "insp-a", "inspector")
    unit = make_unit(app, "ninh-da")
    client = app.test_client()
    for url in PAGES:
        response = client.get(url.format(id=target.id, unit=unit.id))
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next=/admin/"), url
    for url in WRITES:
        assert client.post(url.format(id=target.id, unit=unit.id)).status_code == 302, url
    assert unit_row(app, "ninh-da").active


def test_a_post_without_csrf_token_is_refused_and_writes_nothing(app, admin):
    target = make_user(app, "insp-a", "inspector")
    unit = make_unit(app, "ninh-son", "UBND xã Ninh Sơn")
    old_hash = target.password_hash
    posts = {
        f"/admin/units/{unit.id}": {"name": "Đổi tên", "kind": "phuong"},
        f"/admin/units/{unit.id}/deactivate": {},
        "/admin/users/new": NEW_USER,
        f"/admin/users/{target.id}": {"full_name": "Đổi tên", "position": ""},
        f"/admin/users/{target.id}/password": {},
        "/admin/agency": AGENCY,
        "/admin/units/new": {"code": "ninh-da", "name": "UBND xã Ninh Đa", "kind": "xa"},
    }
    for url, data in posts.items():
        assert admin.post(url, data=data).status_code == 400, url
    csv_upload = {"file": (io.BytesIO(b"code,name,kind\nninh-da,Ninh Da,xa\n"), "u.csv")}
    response = admin.post(
        "/admin/units/import", data=csv_upload, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    unchanged = user_named(app, "insp-a")
    assert unchanged.active and unchanged.full_name != "Đổi tên"
    assert unchanged.password_hash == old_hash
    assert user_named(app, "insp-moi") is None and unit_codes(app) == {"ninh-son"}
    assert (unit_row(app, "ninh-son").name, unit_row(app, "ninh-son").active) == (
        "UBND xã Ninh Sơn",
        True,
    )
    assert count(app, Agency) == 0 or agency_row(app).signer_name != "Nguyễn Văn Nam"
