"""The access table of API.md, for every API route and every role. The route list is read from
the application, so a new API route that is missing here fails this test."""

from __future__ import annotations

import pytest

from inspection.auth import ACCESS
from tests.builders import valid_template
from tests.factories import (
    PASSWORD,
    ApiClient,
    make_user,
    new_client_id,
)

ROLES = ["anonymous", "admin", "plan_lead", "other_lead", "assigned", "unassigned", "unit"]
EVERYONE = set(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
LEADS = {"plan_lead", "other_lead"}
VISIT_READERS = {"admin", "plan_lead", "other_lead", "assigned"}
VISIT_WRITERS = {"plan_lead", "assigned"}


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


# (endpoint, method): (url, JSON body, or a function of the role giving it, or None; roles
# allowed). An allowed role must succeed (2xx), not merely pass the access check.
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
    ("api.put_answer", "PUT"): (
        "/api/v1/visits/{visit}/answers/kh-cchc",
        {"value": "yes"},
        VISIT_WRITERS,
    ),
    ("api.batch_answers", "POST"): (
        "/api/v1/visits/{visit}/answers",
        lambda role: {"answers": [answer()]},  # a client_id is its sender's own
        VISIT_WRITERS,
    ),
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
    return {"plan": plan.id, "visit": visit.id, "clients": clients}


@pytest.mark.parametrize("case", sorted(CASES), ids=lambda c: f"{c[1]} {c[0]}")
def test_access_for_every_role(world, case):
    url, body, allowed = CASES[case]
    url = url.format(plan=world["plan"], visit=world["visit"])
    method = case[1]
    outcomes = {}
    for role in ROLES:
        client = world["clients"][role]
        if method == "GET":
            response = client.get(url)
        else:
            json_body = body(role) if callable(body) else body
            response = getattr(client, method.lower())(url, json=json_body)
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
}


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
