"""Builders of database records and logged-in clients for tests."""

from __future__ import annotations

import io
import re
import uuid

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from inspection.db import get_session
from inspection.models import Plan, Unit, User, Visit
from inspection.services import plans, units, users

PASSWORD = "mat-khau-123"


def make_unit(
    app: Flask, code: str = "ninh-da", name: str = "UBND xã Ninh Đa", kind: str = "xa"
) -> Unit:
    with app.app_context():
        return units.create_unit(get_session(), actor_id=None, code=code, name=name, kind=kind)


def make_user(
    app: Flask,
    username: str,
    role: str,
    *,
    unit_code: str | None = None,
    full_name: str | None = None,
    position: str = "",
) -> User:
    with app.app_context():
        return users.create_user(
            get_session(),
            actor_id=None,
            username=username,
            role=role,
            full_name=full_name or f"Người dùng {username}",
            position=position,
            password=PASSWORD,
            unit_code=unit_code,
        )


def make_plan(
    app: Flask,
    lead: User,
    *,
    form_key: str = "cchc-xa",
    number: str = "22/KH-UBND",
    year: int = 2024,
) -> Plan:
    with app.app_context():
        session = get_session()
        lead = session.get(User, lead.id)
        return plans.create_plan(
            session,
            app.extensions["inspection.library"],
            lead=lead,
            number=number,
            title="Kiểm tra công tác CCHC năm 2024",
            year=year,
            form_key=form_key,
            issued_on="2024-02-22",
            decision_number="70/QĐ-UBND",
            decision_on="2024-03-13",
        )


def make_visit(
    app: Flask,
    plan: Plan,
    inspectors: list[str],
    *,
    unit_code: str = "ninh-da",
    scheduled_on: str = "2024-06-28",
) -> Visit:
    with app.app_context():
        session = get_session()
        plan = session.get(Plan, plan.id)
        return plans.create_visit(
            session,
            lead=plan.lead,
            plan=plan,
            unit_code=unit_code,
            scheduled_on=scheduled_on,
            inspectors=inspectors,
            place="Trụ sở UBND xã",
            participants=[{"name": "Nguyễn Văn A", "position": "Chủ tịch UBND xã"}],
        )


def set_unit_active(app: Flask, code: str, active: bool) -> Unit:
    """Deactivate (or reactivate) a unit as the admin screen does."""
    with app.app_context():
        session = get_session()
        unit = units.get_by_code(session, code)
        return units.set_active(session, actor_id=None, unit=unit, active=active)


def set_visit_status(app: Flask, visit: Visit, status: str) -> None:
    """Put a visit in a state directly, for tests of what each state allows."""
    with app.app_context():
        session = get_session()
        row = session.get(Visit, visit.id)
        row.status = status
        session.add(row)
        session.commit()


def new_client_id() -> str:
    return str(uuid.uuid4())


class ApiClient:
    """A test client logged in through the JSON API, sending the CSRF header on writes."""

    def __init__(self, app: Flask, username: str | None = None):
        self.client: FlaskClient = app.test_client()
        self.token: str | None = None
        self.user: dict | None = None
        if username:
            response = self.client.post(
                "/api/v1/login", json={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.get_json()
            self.token = response.get_json()["csrf_token"]
            self.user = response.get_json()["user"]

    def _headers(self, csrf: bool) -> dict[str, str]:
        return {"X-CSRFToken": self.token} if csrf and self.token else {}

    def get(self, url: str, **kw):
        return self.client.get(url, **kw)

    def post(self, url: str, json=None, csrf: bool = True, **kw):
        return self.client.post(url, json=json, headers=self._headers(csrf), **kw)

    def put(self, url: str, json=None, csrf: bool = True, **kw):
        return self.client.put(url, json=json, headers=self._headers(csrf), **kw)


CSRF_FIELD = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_from(html: str) -> str:
    """The CSRF token a page's form carries (what a browser would submit)."""
    match = CSRF_FIELD.search(html)
    assert match, "no csrf_token field on the page"
    return next(g for g in match.groups() if g)


def page_login(app_client: FlaskClient, username: str, password: str = PASSWORD):
    """Log in through the login page, as a person would."""
    page = app_client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    return app_client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def post_file(
    client: FlaskClient,
    url: str,
    fields: dict,
    *,
    name: str,
    data: bytes,
    content_type: str = "application/octet-stream",
):
    """Post a form with one file, as a browser would.

    The body is encoded in memory: given the file itself, Werkzeug's test client spills a large
    body to a temporary file it never closes (a ResourceWarning, an error under pytest here).
    """
    upload = FileStorage(io.BytesIO(data), name, content_type=content_type)
    boundary, body = encode_multipart({**fields, "file": upload})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
