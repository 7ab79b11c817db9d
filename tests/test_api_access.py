"""The access table of API.md, for every API route and every role. The route list is read from
the application, so a new API route that is missing here fails this test."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import selectinload
from sqlmodel import col, select

from inspection.auth import ACCESS
from inspection.db import get_session
from inspection.models import Photo, relation
from tests.builders import valid_template
from tests.factories import (
    PASSWORD,
    ApiClient,
    complete_visit,
    csrf_from,
    logged_in,
    make_unit,
    make_user,
    make_visit,
    new_client_id,
    photo_bytes,
    set_visit_status,
    upload_photo,
    upload_tree,
)

ROLES = ["anonymous", "admin", "plan_lead", "other_lead", "assigned", "unassigned", "unit"]
EVERYONE = set(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
LEADS = {"plan_lead", "other_lead"}
VISIT_READERS = {"admin", "plan_lead", "other_lead", "assigned"}
VISIT_WRITERS = {"plan_lead", "assigned"}
RESULTS_READERS = {"admin", "plan_lead"}


def answer(key="kh-cchc", value="yes"):
    return {
        "item_key": key,
        "value": value,
        "client_id": new_client_id(),
        "answered_at": "2024-06-28T09:00:00+07:00",
    }


def plan_of(role: str) -> dict:
    """A new plan per role: plan numbers are used once a year."""
    return {"number": f"23/KH-{role}", "title": "KH", "year": 2025, "form_key": "cchc-xa"}


@dataclass(frozen=True)
class Multipart:
    """A body sent as multipart/form-data with one file (a photo), instead of JSON."""

    fields: dict[str, str]
    data: bytes


PHOTO_SERIAL = itertools.count(1000)


def new_photo(role: str) -> Multipart:
    """Other bytes and a new client id for every request: each sender's photo is its own."""
    fields = {"client_id": new_client_id(), "item_key": "niem-yet-qr", "caption": role}
    return Multipart(fields, photo_bytes(next(PHOTO_SERIAL)))


# (endpoint, method): (url, JSON body, or a function of the role giving it, or None; roles
# allowed). An allowed role must succeed (2xx), not merely pass the access check. `{photo}` in
# a url is a photo of the visit made for the role (its own: a removal by one leaves the next
# one's); a body may be a Multipart.
CASES = {
    ("api.health", "GET"): ("/api/v1/health", None, EVERYONE),
    ("api.login", "POST"): (
        "/api/v1/login",
        {"username": "spare", "password": PASSWORD},
        EVERYONE,
    ),
    ("api.logout", "POST"): ("/api/v1/logout", {}, LOGGED_IN),
    ("api.me", "GET"): ("/api/v1/me", None, LOGGED_IN),
    ("api.forms_schema", "GET"): ("/api/v1/forms/schema", None, EVERYONE),
    ("api.list_forms", "GET"): ("/api/v1/forms", None, LOGGED_IN),
    ("api.get_form", "GET"): ("/api/v1/forms/cchc-xa", None, LOGGED_IN),
    ("api.get_form_version", "GET"): ("/api/v1/forms/cchc-xa/1", None, LOGGED_IN),
    ("api.import_form", "POST"): ("/api/v1/forms", valid_template(), {"admin"}),
    ("api.list_units", "GET"): ("/api/v1/units", None, LOGGED_IN),
    ("api.create_unit", "POST"): (
        "/api/v1/units",
        {"code": "ninh-thuy", "name": "UBND xã Ninh Thủy", "kind": "xa"},
        {"admin"},
    ),
    ("api.list_plans", "GET"): ("/api/v1/plans", None, LEADS | {"admin"}),
    ("api.create_plan", "POST"): ("/api/v1/plans", plan_of, LEADS),
    ("api.get_plan", "GET"): ("/api/v1/plans/{plan}", None, LEADS | {"admin"}),
    ("api.create_visit", "POST"): (
        "/api/v1/plans/{plan}/visits",
        {"unit_code": "ninh-da", "scheduled_on": "2024-07-01", "inspectors": ["insp-a"]},
        {"plan_lead"},
    ),
    ("api.get_visit", "GET"): ("/api/v1/visits/{visit}", None, VISIT_READERS),
    ("api.get_score", "GET"): ("/api/v1/visits/{visit}/score", None, VISIT_READERS),
    # The plan's lead passes the access check, but answers only during review (a 409 here).
    ("api.put_answer", "PUT"): (
        "/api/v1/visits/{visit}/answers/kh-cchc",
        {"value": "yes"},
        {"assigned"},
    ),
    ("api.batch_answers", "POST"): (
        "/api/v1/visits/{visit}/answers",
        lambda role: {"answers": [answer()]},  # a client_id is its sender's own
        {"assigned"},
    ),
    ("api.upload_photo", "POST"): ("/api/v1/visits/{visit}/photos", new_photo, VISIT_WRITERS),
    ("api.list_photos", "GET"): ("/api/v1/visits/{visit}/photos", None, VISIT_READERS),
    ("api.update_photo", "PATCH"): (
        "/api/v1/photos/{photo}",
        {"caption": "Bảng niêm yết mã QR"},
        VISIT_WRITERS,
    ),
    ("api.delete_photo", "DELETE"): ("/api/v1/photos/{photo}", None, VISIT_WRITERS),
    ("api.photo_file", "GET"): ("/api/v1/photos/{photo}/thumb", None, VISIT_READERS),
    ("api.list_findings", "GET"): ("/api/v1/visits/{visit}/findings", None, VISIT_READERS),
    ("api.create_finding", "POST"): (
        "/api/v1/visits/{visit}/findings",
        lambda role: {"text": "Thiếu", "remedy": "Bổ sung", "client_id": new_client_id()},
        VISIT_WRITERS,
    ),
    ("api.update_finding", "PATCH"): (
        "/api/v1/findings/{finding}",
        {"severity": "high"},
        VISIT_WRITERS,
    ),
    ("api.explain_check", "PUT"): (
        "/api/v1/visits/{visit}/checks/khong-tre-han-nhung-duoi-100",
        {"explanation": "Hồ sơ trễ do lỗi hệ thống"},
        VISIT_WRITERS,
    ),
    ("api.visit_history", "GET"): ("/api/v1/visits/{visit}/history", None, VISIT_READERS),
    # The decisions: one role each. The visit is put where the decision is allowed first.
    ("api.submit_visit", "POST"): ("/api/v1/visits/{visit}/submit", {}, {"assigned"}),
    ("api.return_visit", "POST"): (
        "/api/v1/visits/{visit}/return",
        {"comment": "Bổ sung ảnh niêm yết"},
        {"plan_lead"},
    ),
    ("api.approve_visit", "POST"): ("/api/v1/visits/{visit}/approve", {}, {"plan_lead"}),
    ("api.reopen_visit", "POST"): (
        "/api/v1/visits/{visit}/reopen",
        {"reason": "Sửa điểm SIPAS"},
        {"plan_lead"},
    ),
    ("api.add_comment", "POST"): (
        "/api/v1/visits/{visit}/comments",
        {"item_key": "kh-cchc", "comment": "Xem lại ngày ban hành"},
        {"plan_lead"},
    ),
    # The conclusion notice: drafted and issued by the plan's lead; read by the team and the
    # visit's own unit (`unit-user` is of ninh-da, the visit's unit).
    ("api.get_notice_draft", "GET"): (
        "/api/v1/visits/{visit}/notice/draft",
        None,
        {"admin", "plan_lead", "other_lead"},
    ),
    ("api.put_notice_draft", "PUT"): (
        "/api/v1/visits/{visit}/notice/draft",
        {"results": "Đơn vị thực hiện tốt"},
        {"plan_lead"},
    ),
    ("api.issue_notice", "POST"): ("/api/v1/visits/{visit}/notice", {}, {"plan_lead"}),
    ("api.get_notice", "GET"): ("/api/v1/notices/{notice}", None, VISIT_READERS | {"unit"}),
    ("api.supersede_notice", "POST"): (
        "/api/v1/notices/{notice}/supersede",
        {"reason": "Sửa thời hạn"},
        {"plan_lead"},
    ),
    # The on-site record: whoever reads the visit, once it has answers (409 while planned).
    ("api.record_html", "GET"): ("/api/v1/visits/{visit}/record.html", None, VISIT_READERS),
    ("api.record_pdf", "GET"): ("/api/v1/visits/{visit}/record.pdf", None, VISIT_READERS),
    ("api.record_docx", "GET"): ("/api/v1/visits/{visit}/record.docx", None, VISIT_READERS),
    # A plan's results: its lead and admins (another lead neither); the report once a notice of
    # the plan is issued (409 `no_notices` before).
    ("api.plan_overview", "GET"): ("/api/v1/plans/{plan}/overview", None, RESULTS_READERS),
    ("api.plan_chart", "GET"): ("/api/v1/plans/{plan}/charts/areas.svg", None, RESULTS_READERS),
    ("api.scores_xlsx", "GET"): ("/api/v1/plans/{plan}/scores.xlsx", None, RESULTS_READERS),
    ("api.report_html", "GET"): ("/api/v1/plans/{plan}/report.html", None, RESULTS_READERS),
    ("api.report_pdf", "GET"): ("/api/v1/plans/{plan}/report.pdf", None, RESULTS_READERS),
    ("api.report_docx", "GET"): ("/api/v1/plans/{plan}/report.docx", None, RESULTS_READERS),
}


def _late_but_on_time(app, visit):
    """Answers that raise the check "no late dossiers, yet below 100 % on time"."""
    inspector = ApiClient(app, "insp-a")
    for key, value in (("co-ho-so-tre-han", "no"), ("ty-le-dung-han", {"num": 9, "den": 10})):
        assert inspector.put(f"/api/v1/visits/{visit.id}/answers/{key}", json={"value": value})


def answered(app, visit) -> None:
    """The visit answered in full by its inspector: it has left `planned`, its record prints."""
    complete_visit(app, visit)


def issue_notice(app, visit) -> None:
    """The visit approved and its notice issued by its lead: the plan has a report."""
    approve(app, visit)
    issued = ApiClient(app, "lead-a").post(f"/api/v1/visits/{visit.id}/notice", json={})
    assert issued.status_code == 201, issued.get_json()


DOCUMENT_KINDS = ("html", "pdf", "docx")

# What a case needs of the visit before the roles try it (after the world is made).
PREPARE = {
    ("api.explain_check", "PUT"): _late_but_on_time,
    ("api.submit_visit", "POST"): lambda app, visit: complete_visit(app, visit),
    ("api.return_visit", "POST"): lambda app, visit: set_visit_status(app, visit, "submitted"),
    ("api.approve_visit", "POST"): lambda app, visit: (
        complete_visit(app, visit),
        set_visit_status(app, visit, "submitted"),
    ),
    ("api.reopen_visit", "POST"): lambda app, visit: set_visit_status(app, visit, "approved"),
    ("api.add_comment", "POST"): lambda app, visit: set_visit_status(app, visit, "submitted"),
    ("api.get_notice_draft", "GET"): lambda app, visit: approve(app, visit),
    ("api.put_notice_draft", "PUT"): lambda app, visit: approve(app, visit),
    ("api.issue_notice", "POST"): lambda app, visit: approve(app, visit),
    **{(f"api.record_{kind}", "GET"): answered for kind in DOCUMENT_KINDS},
    **{(f"api.report_{kind}", "GET"): issue_notice for kind in DOCUMENT_KINDS},
}


def approve(app, visit) -> None:
    complete_visit(app, visit)
    set_visit_status(app, visit, "approved")


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCUMENTS = {"html": "text/html", "pdf": "application/pdf", "docx": DOCX}

# Routes whose success is a file, not JSON (their refusals are JSON like every other).
FILE_ROUTES = {
    "api.photo_file": "image/jpeg",
    **{f"api.record_{kind}": media for kind, media in DOCUMENTS.items()},
    **{f"api.report_{kind}": media for kind, media in DOCUMENTS.items()},
    "api.plan_chart": "image/svg+xml",
    "api.scores_xlsx": XLSX,
}


def api_routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_api_route_is_in_this_table(app):
    assert api_routes(app) == set(CASES)


def test_every_route_of_the_app_has_an_access_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ACCESS) == set()


@pytest.fixture
def world(app, plan, visit):
    make_user(app, "admin", "admin")
    make_user(app, "lead-b", "lead")
    make_user(app, "insp-b", "inspector")
    make_user(app, "unit-user", "unit", unit_code="ninh-da")
    make_user(app, "spare", "inspector")
    usernames = {
        "admin": "admin",
        "plan_lead": "lead-a",
        "other_lead": "lead-b",
        "assigned": "insp-a",
        "unassigned": "insp-b",
        "unit": "unit-user",
    }
    clients = {role: ApiClient(app, name) for role, name in usernames.items()}
    clients["anonymous"] = ApiClient(app)

    def finding() -> int:
        """A new deficiency of the visit, recorded by its assigned inspector."""
        body = {"text": "Chưa niêm yết mã QR", "remedy": "Niêm yết mã QR"}
        response = clients["assigned"].post(f"/api/v1/visits/{visit.id}/findings", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def photo() -> int:
        """A new photo of the visit, sent by its assigned inspector."""
        response = upload_photo(clients["assigned"], visit, photo_bytes(next(PHOTO_SERIAL)))
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    issued: list[int] = []

    def notice() -> int:
        """The visit's conclusion notice, issued once by its lead (the visit approved first)."""
        if not issued:
            approve(app, visit)
            response = clients["plan_lead"].post(f"/api/v1/visits/{visit.id}/notice", json={})
            assert response.status_code == 201, response.get_json()
            issued.append(response.get_json()["id"])
        return issued[0]

    return {
        "app": app,
        "plan": plan.id,
        "visit": visit.id,
        "visit_row": visit,
        "clients": clients,
        "photo": photo,
        "finding": finding,
        "notice": notice,
    }


def request_as(client: ApiClient, method: str, url: str, body):
    if method == "GET":
        return client.get(url)
    if isinstance(body, Multipart):
        assert method == "POST"
        return client.upload(url, body.fields, body.data)
    return getattr(client, method.lower())(url, json=body)


@pytest.mark.parametrize("case", sorted(CASES), ids=lambda c: f"{c[1]} {c[0]}")
def test_access_for_every_role(world, case):
    url_pattern, body, allowed = CASES[case]
    endpoint, method = case
    if case in PREPARE:
        PREPARE[case](world["app"], world["visit_row"])
    outcomes = {}
    for role in ROLES:
        client = world["clients"][role]
        photo = world["photo"]() if "{photo}" in url_pattern else None
        finding = world["finding"]() if "{finding}" in url_pattern else None
        notice = world["notice"]() if "{notice}" in url_pattern else None
        url = url_pattern.format(
            plan=world["plan"], visit=world["visit"], photo=photo, finding=finding, notice=notice
        )
        response = request_as(client, method, url, body(role) if callable(body) else body)
        response.get_data()
        response.close()  # a file's response holds it open until closed
        if endpoint in FILE_ROUTES and 200 <= response.status_code < 300:
            assert response.mimetype == FILE_ROUTES[endpoint], (role, response.mimetype)
            outcomes[role] = (response.status_code, None)
            continue
        assert response.is_json, (role, response.status_code)
        error = (response.get_json() or {}).get("error") or {}
        outcomes[role] = (response.status_code, error.get("code"))
    for role, outcome in outcomes.items():
        if role in allowed:
            assert 200 <= outcome[0] < 300, (role, outcome)
        else:
            assert outcome == REFUSED.get((*case, role), REFUSED[role]), (role, outcome)


REFUSED = {
    **{role: (403, "forbidden") for role in ROLES},
    "anonymous": (401, "unauthorized"),
    # Nobody is logged in to log out, and without a session there is no CSRF token to send.
    ("api.logout", "POST", "anonymous"): (400, "csrf_failed"),
    # The lead corrects answers while reviewing, not while the team works (test_review.py).
    ("api.put_answer", "PUT", "plan_lead"): (409, "wrong_state"),
    ("api.batch_answers", "POST", "plan_lead"): (409, "wrong_state"),
    # The unit reads a visit's photos once its notice is issued; before, as for another unit's,
    # it is told they do not exist.
    ("api.photo_file", "GET", "unit"): (404, "not_found"),
}


def test_a_document_asked_for_before_its_time_is_a_conflict_for_who_may_read_it(world):
    """A planned visit has no on-site record yet, a plan without an issued notice no report
    (an approved visit whose notice is still a draft neither): 409 for the roles allowed, the
    refusal of the table for the others (the access check comes first)."""
    clients, visit, plan = world["clients"], world["visit"], world["plan"]

    def outcomes(url: str) -> dict[str, tuple[int, str | None]]:
        found = {}
        for role in ROLES:
            response = read_closed(clients[role], url)
            found[role] = (response.status_code, response.get_json()["error"]["code"])
        return found

    for kind in DOCUMENT_KINDS:
        record = outcomes(f"/api/v1/visits/{visit}/record.{kind}")
        assert record == {
            role: (409, "wrong_state") if role in VISIT_READERS else REFUSED[role] for role in ROLES
        }, kind
    approve(world["app"], world["visit_row"])
    for kind in DOCUMENT_KINDS:
        report = outcomes(f"/api/v1/plans/{plan}/report.{kind}")
        assert report == {
            role: (409, "no_notices") if role in RESULTS_READERS else REFUSED[role]
            for role in ROLES
        }, kind


def test_a_chart_that_does_not_exist_is_404_for_who_reads_the_results(world):
    clients, plan = world["clients"], world["plan"]
    for role in ROLES:
        response = read_closed(clients[role], f"/api/v1/plans/{plan}/charts/pie.svg")
        expected = (404, "not_found") if role in RESULTS_READERS else REFUSED[role]
        assert (response.status_code, response.get_json()["error"]["code"]) == expected, role


def test_a_role_without_access_learns_nothing_of_which_ids_exist(world):
    unit_user = world["clients"]["unit"]
    for url in ("/api/v1/visits/{}", "/api/v1/visits/{}/score", "/api/v1/plans/{}"):
        existing = unit_user.get(url.format(world["visit"]))
        missing = unit_user.get(url.format(999))
        assert existing.status_code == missing.status_code == 403, url


def test_each_refusal_says_why(world):
    """The body of a refusal, as API.md gives it, for each of the three reasons."""
    clients, visit = world["clients"], world["visit"]
    lead = clients["plan_lead"]
    replies = {
        401: clients["anonymous"].get(f"/api/v1/visits/{visit}"),
        403: clients["unit"].get(f"/api/v1/visits/{visit}"),
        404: lead.get("/api/v1/visits/999"),
    }
    assert {status: reply.status_code for status, reply in replies.items()} == {
        401: 401,
        403: 403,
        404: 404,
    }
    assert replies[401].get_json() == {"error": {"code": "unauthorized", "message": "log in first"}}
    assert replies[403].get_json() == {
        "error": {"code": "forbidden", "message": "your role or assignment does not allow this"}
    }
    assert replies[404].get_json() == {"error": {"code": "not_found", "message": "visit not found"}}
    missing_plan = lead.get("/api/v1/plans/999")
    assert missing_plan.status_code == 404
    assert missing_plan.get_json() == {"error": {"code": "not_found", "message": "plan not found"}}


# Photos ------------------------------------------------------------------------------------------

PHOTO_KINDS = ("original", "display", "thumb")


def read_closed(client: ApiClient, url: str):
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def photos_of(app) -> list:
    """Every photo with its caption and links, and every file and folder on disk."""
    with app.app_context():
        query = select(Photo).options(selectinload(relation(Photo.links))).order_by(col(Photo.id))
        photos = [
            (p.id, p.caption, sorted(link.item_key for link in p.links), p.folder)
            for p in get_session().exec(query)
        ]
    return [*photos, *upload_tree(app)]


@pytest.mark.parametrize("role", ["unassigned", "unit"])
def test_who_is_not_on_the_visit_can_neither_send_nor_see_its_photos(app, world, role):
    clients, visit = world["clients"], world["visit"]
    photo = world["photo"]()
    before = photos_of(app)
    client = clients[role]
    refused = {
        "upload": upload_photo(client, visit, photo_bytes(1), item_key="niem-yet-qr"),
        "same bytes": upload_photo(
            client,
            visit,
            read_closed(clients["assigned"], f"/api/v1/photos/{photo}/original").get_data(),
        ),
        "list": client.get(f"/api/v1/visits/{visit}/photos"),
        "caption": client.patch(f"/api/v1/photos/{photo}", json={"caption": "Của người ngoài"}),
        "removal": client.delete(f"/api/v1/photos/{photo}"),
        **{kind: read_closed(client, f"/api/v1/photos/{photo}/{kind}") for kind in PHOTO_KINDS},
    }
    for what, response in refused.items():
        expected = (
            (404, "not_found") if role == "unit" and what in PHOTO_KINDS else (403, "forbidden")
        )
        assert (response.status_code, response.get_json()["error"]["code"]) == expected, what
    assert photos_of(app) == before


def test_a_photo_that_does_not_exist_is_404_for_those_who_may_reach_photos(world):
    clients = world["clients"]
    world["photo"]()  # one exists, but not this one
    missing = 987654
    for role in VISIT_READERS | {"unassigned"}:
        for kind in PHOTO_KINDS:
            response = read_closed(clients[role], f"/api/v1/photos/{missing}/{kind}")
            assert response.status_code == 404, (role, kind)
            assert response.get_json() == {
                "error": {"code": "not_found", "message": "photo not found"}
            }
    for role in VISIT_WRITERS:
        client = clients[role]
        assert client.patch(f"/api/v1/photos/{missing}", json={"caption": "x"}).status_code == 404
        assert client.delete(f"/api/v1/photos/{missing}").status_code == 404
    # A unit user learns nothing of which ids exist: a photo of a visit without its notice is
    # as missing to it as one that is not there (test_who_is_not_on_the_visit...).
    for kind in PHOTO_KINDS:
        assert read_closed(clients["unit"], f"/api/v1/photos/{missing}/{kind}").status_code == 404
    assert clients["anonymous"].get(f"/api/v1/photos/{missing}/thumb").status_code == 401


def test_no_route_reaches_another_visits_photo(app, world, plan):
    """The photo of another visit is out of reach of this visit's inspector through the API,
    and out of reach through a visit's page routes even for an inspector of both visits (the
    visit in the path must be the photo's)."""
    make_unit(app, code="ninh-thuy", name="UBND xã Ninh Thủy")
    other = make_visit(app, plan, ["insp-b"], unit_code="ninh-thuy")
    make_user(app, "insp-ab", "inspector")
    both = make_visit(
        app, plan, ["insp-a", "insp-ab"], unit_code="ninh-thuy", scheduled_on="2024-07-02"
    )
    insp_b = world["clients"]["unassigned"]  # insp-b: on the other visit only
    theirs = upload_photo(insp_b, other, photo_bytes(2), item_key="niem-yet-qr").get_json()["id"]
    ours = world["photo"]()  # a photo of the world's visit
    before = photos_of(app)

    insp_a = world["clients"]["assigned"]
    assert insp_a.patch(f"/api/v1/photos/{theirs}", json={"caption": "Nhầm"}).status_code == 403
    assert insp_a.delete(f"/api/v1/photos/{theirs}").status_code == 403
    for kind in PHOTO_KINDS:
        assert read_closed(insp_a, f"/api/v1/photos/{theirs}/{kind}").status_code == 403

    attempts = [("insp-a", world["visit"], theirs), ("insp-ab", both.id, theirs)]
    attempts.append(("insp-ab", both.id, ours))  # insp-ab is not on the world's visit
    for username, via, photo_id in attempts:
        browser = logged_in(app, username)
        page = browser.get(f"/visits/{via}/items/niem-yet-qr/photos")
        assert page.status_code == 200
        token = csrf_from(page.get_data(as_text=True))
        for action, data in (("caption", {"caption": "Nhầm"}), ("remove", {})):
            response = browser.post(
                f"/visits/{via}/photos/{photo_id}/{action}",
                data={"csrf_token": token, "item_key": "niem-yet-qr", **data},
            )
            assert response.status_code == 404, (username, via, photo_id, action)
    assert photos_of(app) == before
