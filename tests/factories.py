"""Builders of database records, logged-in clients and form posts for tests, and readers of what
was stored. The fixtures made with them (the usual plan and visit, admin clients) are in
conftest.py.
"""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlmodel import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

from inspection.db import get_session
from inspection.models import (
    Answer,
    AuditEvent,
    ClientRequest,
    Photo,
    PhotoLink,
    Plan,
    Unit,
    User,
    Visit,
)
from inspection.services import plans, units, users

PASSWORD = "mat-khau-123"


def make_unit(
    app: Flask, code: str = "ninh-da", name: str = "UBND xã Ninh Đa", kind: str = "xa"
) -> Unit:
    with app.app_context():
        data = units.UnitCreate(code=code, name=name, kind=kind)
        return units.create_unit(get_session(), actor_id=None, data=data)


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
        data = users.UserCreate(
            username=username,
            role=role,
            full_name=full_name or f"Người dùng {username}",
            position=position,
            password=PASSWORD,
            unit_code=unit_code,
        )
        return users.create_user(get_session(), actor_id=None, data=data)


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
        data = plans.PlanCreate(
            number=number,
            title="Kiểm tra công tác CCHC năm 2024",
            year=year,
            form_key=form_key,
            issued_on="2024-02-22",
            decision_number="70/QĐ-UBND",
            decision_on="2024-03-13",
        )
        return plans.create_plan(
            session, app.extensions["inspection.library"], lead=lead, data=data
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
        data = plans.VisitCreate(
            unit_code=unit_code,
            scheduled_on=scheduled_on,
            inspectors=inspectors,
            place="Trụ sở UBND xã",
            participants=[{"name": "Nguyễn Văn A", "position": "Chủ tịch UBND xã"}],
        )
        return plans.create_visit(session, lead=plan.lead, plan=plan, data=data)


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

    def patch(self, url: str, json=None, csrf: bool = True, **kw):
        return self.client.patch(url, json=json, headers=self._headers(csrf), **kw)

    def delete(self, url: str, json=None, csrf: bool = True, **kw):
        return self.client.delete(url, json=json, headers=self._headers(csrf), **kw)

    def upload(
        self,
        url: str,
        fields: dict[str, str],
        data: bytes | None,
        *,
        name: str = "anh.jpg",
        content_type: str = "image/jpeg",
        csrf: bool = True,
    ) -> TestResponse:
        """A multipart post of `fields` and one file `data` (none when None), as a tablet sends
        a photo."""
        parts: dict[str, Any] = dict(fields)
        if data is not None:
            parts["file"] = FileStorage(io.BytesIO(data), name, content_type=content_type)
        boundary, body = encode_multipart(parts)
        return self.client.post(
            url,
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
            headers=self._headers(csrf),
        )


CSRF_FIELD = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"|'
    r"type=hidden name=csrf_token value=([^\s>]+)"  # the checklist's items (visits/_item.html)
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


def logged_in(app: Flask, username: str) -> FlaskClient:
    """A new client (a browser) logged in as `username` through the login page."""
    client = app.test_client()
    assert page_login(client, username).status_code == 302, f"{username} could not log in"
    return client


def token_of(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form on the page at `url`, opened first as a browser would."""
    page = client.get(url)
    assert page.status_code == 200
    return csrf_from(page.get_data(as_text=True))


def post_form(client: FlaskClient, url: str, data: dict, **kw: Any) -> TestResponse:
    """Open the form page first, then post with the token the page carries."""
    return client.post(url, data={"csrf_token": token_of(client, url), **data}, **kw)


def page_of(client: FlaskClient, visit: Visit) -> str:
    """The checklist page of a visit, which must open."""
    response = client.get(f"/visits/{visit.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post_item(
    client: FlaskClient, visit: Visit, key: str, data: dict, page: str | None = None, **kw: Any
) -> TestResponse:
    """Post one item's form of the checklist page without JavaScript, with the token of `page`
    (by default the page opened now)."""
    token = csrf_from(page or page_of(client, visit))
    return client.post(f"/visits/{visit.id}/items/{key}", data={"csrf_token": token, **data}, **kw)


def upload_checklist(client: FlaskClient, data: bytes, name: str = "mau.json") -> TestResponse:
    """Upload a template file from the checklists page, as an admin does."""
    token = token_of(client, "/checklists/")
    return post_file(client, "/checklists/upload", {"csrf_token": token}, name=name, data=data)


def import_units_csv(client: FlaskClient, data: bytes, name: str = "don-vi.csv") -> TestResponse:
    """Upload a file from the units page's import form."""
    token = token_of(client, "/admin/units")
    return post_file(
        client,
        "/admin/units/import",
        {"csrf_token": token},
        name=name,
        data=data,
        content_type="text/csv",
    )


# Reading what was stored -------------------------------------------------------------------------


def rows(app: Flask, model: type) -> list:
    """Every row of a table."""
    with app.app_context():
        return list(get_session().exec(select(model)).all())


def user_named(app: Flask, username: str) -> User | None:
    with app.app_context():
        return get_session().exec(select(User).where(User.username == username)).first()


def stored_answers(app: Flask, visit: Visit) -> dict[str, Any]:
    """Item key → stored value of a visit's answers."""
    with app.app_context():
        answers = get_session().exec(select(Answer).where(Answer.visit_id == visit.id))
        return {a.item_key: a.value for a in answers}


def audit_events(app: Flask, action: str) -> list[AuditEvent]:
    """The audit events of one action, oldest first."""
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list(get_session().exec(query))


def library_keys(app: Flask) -> set[tuple[str, int]]:
    """(key, version) of every template in the app's library."""
    return {(t.key, t.version) for t in app.extensions["inspection.library"].all()}


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


# Photos ------------------------------------------------------------------------------------------


def photo_bytes(n: int = 0, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small JPEG, different for every `n` (its colour and its comment), the same for one."""
    buffer = io.BytesIO()
    colour = (n * 37 % 256, n * 91 % 256, 255 - n * 53 % 256)
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=90, comment=f"anh {n}".encode())
    return buffer.getvalue()


def upload_photo(
    api: ApiClient,
    visit: Visit | int,
    data: bytes | None = None,
    *,
    client_id: str | None = None,
    name: str = "anh.jpg",
    content_type: str = "image/jpeg",
    **fields: str,
) -> TestResponse:
    """Send one photo to a visit through the API (a new client id unless given; the fields as
    a tablet sends them: item_key, caption, taken_at, lat, lon)."""
    visit_id = visit if isinstance(visit, int) else visit.id
    form = {"client_id": client_id or new_client_id(), **fields}
    return api.upload(
        f"/api/v1/visits/{visit_id}/photos",
        form,
        photo_bytes() if data is None else data,
        name=name,
        content_type=content_type,
    )


def photo_records(app: Flask) -> dict[str, int]:
    """How many photos, links and remembered client requests there are."""
    return {
        "photos": len(rows(app, Photo)),
        "photo_links": len(rows(app, PhotoLink)),
        "client_requests": len(rows(app, ClientRequest)),
    }


def upload_tree(app: Flask) -> list[str]:
    """Every file and folder under the upload folder (POSIX paths relative to it), sorted."""
    root = Path(app.config["UPLOAD_DIR"])
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def photo_folders(app: Flask) -> list[Path]:
    """The photo folders on disk (`<visit>/<folder>`, temporary ones included)."""
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(p for p in root.glob("*/*") if p.is_dir())


def visit_template(app: Flask, visit: Visit) -> dict:
    """The template document the visit's plan pinned."""
    with app.app_context():
        session = get_session()
        row = session.get(Visit, visit.id)
        plan = row.plan
        return app.extensions["inspection.library"].get(plan.form_key, plan.form_version).document


def complete_visit(app: Flask, visit: Visit, username: str = "insp-a") -> ApiClient:
    """Everything a submission needs, as the assigned inspector gives it: every item answered
    at its best (builders.best_answers), each raised consistency warning explained, the photos
    of items that require them. Returns the inspector's client."""
    from tests.builders import best_answers, iter_items

    inspector = ApiClient(app, username)
    doc = visit_template(app, visit)
    entries = [
        {
            "item_key": key,
            "value": value,
            "client_id": new_client_id(),
            "answered_at": "2024-06-28T09:00:00+07:00",
        }
        for key, value in best_answers(doc).items()
    ]
    saved = inspector.post(f"/api/v1/visits/{visit.id}/answers", json={"answers": entries})
    assert saved.status_code == 200, saved.get_json()
    for warning in saved.get_json()["visit"]["score"]["warnings"]:
        url = f"/api/v1/visits/{visit.id}/checks/{warning['key']}"
        explained = inspector.put(url, json={"explanation": "Đã đối chiếu với sổ theo dõi"})
        assert explained.status_code == 200, explained.get_json()
    serial = 5000
    for _, item in iter_items(doc):
        for _n in range(item.get("photos_min", 1) if item.get("photo") == "required" else 0):
            serial += 1
            sent = upload_photo(inspector, visit, photo_bytes(serial), item_key=item["key"])
            assert sent.status_code == 201, sent.get_json()
    return inspector
