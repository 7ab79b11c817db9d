"""Session, templates, units and plans through the API; security headers; pages vs. API for
anonymous users."""

from __future__ import annotations

import copy

import pytest
from sqlmodel import select

from inspection.db import get_session
from inspection.models import AuditEvent, Plan, Unit, User
from tests.builders import valid_template
from tests.factories import PASSWORD, ApiClient, make_plan, make_unit, make_user


def test_login_me_logout(app):
    make_user(app, "insp-a", "inspector", full_name="Lê Thị Hoa", position="Chuyên viên")
    api = ApiClient(app, "insp-a")
    assert api.user["full_name"] == "Lê Thị Hoa" and api.user["role"] == "inspector"
    assert "password_hash" not in api.user
    me = api.get("/api/v1/me")
    assert me.status_code == 200 and me.get_json()["csrf_token"]
    assert api.post("/api/v1/logout", json={}).status_code == 200
    assert api.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"username": "insp-a", "password": "sai-mat-khau"},
        {"username": "khong-co", "password": PASSWORD},
    ],
)
def test_wrong_credentials_are_a_401_with_the_same_answer(app, body):
    make_user(app, "insp-a", "inspector")
    response = app.test_client().post("/api/v1/login", json=body)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_credentials"


def test_login_needs_a_json_body(app):
    response = app.test_client().post("/api/v1/login", data={"username": "a", "password": "b"})
    assert response.status_code == 400 and response.is_json


def test_deactivated_user_cannot_log_in_and_loses_their_session(app):
    make_user(app, "insp-a", "inspector")
    api = ApiClient(app, "insp-a")
    with app.app_context():
        session = get_session()
        user = session.exec(select(User).where(User.username == "insp-a")).one()
        user.active = False
        session.add(user)
        session.commit()
    assert api.get("/api/v1/me").status_code == 401
    again = app.test_client().post(
        "/api/v1/login", json={"username": "insp-a", "password": PASSWORD}
    )
    assert again.status_code == 401


def test_passwords_are_stored_hashed(app):
    make_user(app, "insp-a", "inspector")
    with app.app_context():
        user = get_session().exec(select(User).where(User.username == "insp-a")).one()
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("pbkdf2:")


def test_anonymous_api_gets_401_json_and_pages_redirect_to_login(app):
    client = app.test_client()
    api = client.get("/api/v1/units")
    assert api.status_code == 401 and api.get_json()["error"]["code"] == "unauthorized"
    page = client.get("/plans/")
    assert page.status_code == 302 and "/login?next=" in page.headers["Location"]


def test_security_headers_on_pages_and_api(client):
    for response in (client.get("/login"), client.get("/api/v1/health")):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_httponly_and_secure_in_production(app_config):
    from inspection import create_app

    production = create_app({**app_config, "ENV": "production", "SECRET_KEY": "k" * 64})
    make_user(production, "admin", "admin")
    response = production.test_client().post(
        "/api/v1/login", json={"username": "admin", "password": PASSWORD}
    )
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    production.extensions["inspection.engine"].dispose()


def test_forms_api_import_identical_conflict_and_errors(app):
    make_user(app, "admin", "admin")
    api = ApiClient(app, "admin")
    created = api.post("/api/v1/forms", json=valid_template())
    assert created.status_code == 201 and created.get_json()["key"] == "mau-thu"
    assert api.post("/api/v1/forms", json=valid_template()).status_code == 200
    changed = copy.deepcopy(valid_template())
    changed["title"] = "Khác"
    conflict = api.post("/api/v1/forms", json=changed)
    assert conflict.status_code == 409
    assert conflict.get_json()["error"]["code"] == "version_exists"
    bad = copy.deepcopy(valid_template())
    bad["version"] = 2
    bad["sections"][0]["items"][0]["points"] = -1
    bad["sections"][1]["items"][1]["target"] = 0
    refused = api.post("/api/v1/forms", json=bad)
    assert refused.status_code == 400
    assert set(refused.get_json()["error"]["fields"]) == {
        "sections[0].items[0].points",
        "sections[1].items[1].target",
    }
    listing = api.get("/api/v1/forms").get_json()["forms"]
    assert ("mau-thu", 1) in {(f["key"], f["version"]) for f in listing}
    assert api.get("/api/v1/forms/mau-thu").get_json() == valid_template()
    assert api.get("/api/v1/forms/mau-thu/2").status_code == 404


def test_units_api(app):
    make_user(app, "admin", "admin")
    api = ApiClient(app, "admin")
    body = {"code": "ninh-da", "name": "UBND phường Ninh Đa", "kind": "phuong"}
    assert api.post("/api/v1/units", json=body).status_code == 201
    duplicate = api.post("/api/v1/units", json=body)
    assert duplicate.status_code == 409
    bad = api.post("/api/v1/units", json={"code": "x y", "name": "", "kind": "huyen"})
    assert bad.status_code == 400
    assert set(bad.get_json()["error"]["fields"]) == {"code", "name", "kind"}
    assert api.get("/api/v1/units").get_json()["units"] == [{"id": 1, **body, "active": True}]
    with app.app_context():
        assert len(get_session().exec(select(Unit)).all()) == 1
        events = get_session().exec(select(AuditEvent).where(AuditEvent.entity == "unit")).all()
        assert [e.action for e in events] == ["unit.create"]


def test_plan_pins_the_checklist_version_and_lists_visits_with_scores(app):
    make_unit(app)
    make_user(app, "lead-a", "lead")
    make_user(app, "insp-a", "inspector")
    lead = ApiClient(app, "lead-a")
    created = lead.post(
        "/api/v1/plans",
        json={
            "number": "22/KH-UBND",
            "title": "Kiểm tra CCHC năm 2024",
            "year": 2024,
            "form_key": "cchc-xa",
            "issued_on": "2024-02-22",
        },
    )
    assert created.status_code == 201
    plan = created.get_json()
    stored = app.extensions["inspection.library"].get("cchc-xa")
    assert (plan["form_version"], plan["form_sha256"]) == (stored.version, stored.sha256)
    assert plan["lead"] == "lead-a" and plan["url"] == f"/plans/{plan['id']}"
    visit = lead.post(
        f"/api/v1/plans/{plan['id']}/visits",
        json={
            "unit_code": "ninh-da",
            "scheduled_on": "2024-06-28",
            "inspectors": ["insp-a"],
            "participants": [{"name": "Nguyễn Văn A", "position": "Chủ tịch UBND"}],
        },
    )
    assert visit.status_code == 201
    assert visit.get_json()["participants"][0]["position"] == "Chủ tịch UBND"
    visit_id = visit.get_json()["id"]
    assert visit.get_json()["url"] == f"/visits/{visit_id}"
    inspector = ApiClient(app, "insp-a")
    inspector.put(f"/api/v1/visits/{visit_id}/answers/kh-cchc", json={"value": "yes"})
    read = inspector.get(visit.get_json()["url"])
    assert read.status_code == 200 and "text/html" in read.content_type
    detail = lead.get(f"/api/v1/visits/{visit_id}").get_json()
    assert detail["url"] == f"/visits/{visit_id}" and detail["plan"]["url"] == plan["url"]
    full = lead.get(f"/api/v1/plans/{plan['id']}").get_json()
    assert [v["unit"]["code"] for v in full["visits"]] == ["ninh-da"]
    assert full["visits"][0]["url"] == f"/visits/{visit_id}"
    assert full["visits"][0]["status"] == "in_progress"
    assert full["visits"][0]["score"]["total"] == 2.0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"title": "x", "year": 2024, "form_key": "cchc-xa"}, {"number"}),
        ({"number": "1/KH", "title": "x", "year": "2024", "form_key": "cchc-xa"}, {"year"}),
        ({"number": "1/KH", "title": "x", "year": 2024, "form_key": "khong-co"}, {"form_key"}),
        (
            {
                "number": "1/KH",
                "title": "x",
                "year": 2024,
                "form_key": "cchc-xa",
                "form_version": 9,
            },
            {"form_key"},
        ),
        (
            {
                "number": "1/KH",
                "title": "x",
                "year": 2024,
                "form_key": "cchc-xa",
                "issued_on": "22/02/2024",
            },
            {"issued_on"},
        ),
    ],
)
def test_bad_plans_are_refused_with_their_fields(app, body, fields):
    make_user(app, "lead-a", "lead")
    response = ApiClient(app, "lead-a").post("/api/v1/plans", json=body)
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == fields
    with app.app_context():
        assert get_session().exec(select(Plan)).all() == []


def test_visit_refuses_unknown_units_and_non_inspectors(app):
    make_unit(app)
    lead = make_user(app, "lead-a", "lead")
    make_user(app, "lead-b", "lead")
    plan = make_plan(app, lead)
    api = ApiClient(app, "lead-a")
    response = api.post(
        f"/api/v1/plans/{plan.id}/visits",
        json={
            "unit_code": "khong-co",
            "scheduled_on": "2024-13-01",
            "inspectors": ["lead-b", "ai"],
        },
    )
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {
        "unit_code",
        "scheduled_on",
        "inspectors",
    }


def test_too_long_text_is_a_400_not_a_database_error(app):
    make_user(app, "admin", "admin")
    api = ApiClient(app, "admin")
    response = api.post("/api/v1/units", json={"code": "ninh-da", "name": "X" * 201, "kind": "xa"})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"name": "is too long"}


def test_a_race_past_the_uniqueness_check_is_a_409_not_a_500(app, monkeypatch):
    """Two admins create the same unit at the same moment: both pass the service's check, the
    database refuses the second insert."""
    from inspection.services import units as unit_service

    make_user(app, "admin", "admin")
    api = ApiClient(app, "admin")
    body = {"code": "ninh-da", "name": "UBND phường Ninh Đa", "kind": "phuong"}
    assert api.post("/api/v1/units", json=body).status_code == 201
    monkeypatch.setattr(unit_service, "get_by_code", lambda session, code: None)
    raced = api.post("/api/v1/units", json=body)
    assert raced.status_code == 409 and raced.get_json()["error"]["code"] == "conflict"
    assert api.get("/api/v1/units").status_code == 200  # the session was rolled back cleanly
