"""One plan per number and year, one visit per unit, day and plan: held by the database, so that
requests racing past the service's check (two taps on "create", two tablets) still make one
record. The loser gets the same 409 as the check gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspection.db import get_session
from inspection.models import Plan, Visit
from inspection.services import plans
from tests.factories import PASSWORD, ApiClient, make_plan, make_unit, make_user, rows
from tests.test_serving import server_env, start_together

RACERS = 6
PLAN = {"number": "22/KH-UBND", "title": "Kiểm tra CCHC", "year": 2024, "form_key": "cchc-xa"}
VISIT = {"unit_code": "ninh-da", "scheduled_on": "2024-07-01", "inspectors": ["insp-a"]}

# Each process builds the app on the test's database, logs in, waits at the gate, then posts.
RACE = """
import json, sys, time
from pathlib import Path
from inspection import create_app
ready, go, password, url, body = Path(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:6]
app = create_app()
client = app.test_client()
token = client.post("/api/v1/login", json={"username": "lead-a", "password": password}).get_json()
headers = {"X-CSRFToken": token["csrf_token"]}
ready.touch()
while not go.exists():
    time.sleep(0.0005)
data = json.loads(body)
if "number" in data and int(ready.name.removeprefix("ready-")) % 2:
    data["number"] = data["number"].lower()  # "22/kh-ubnd": the same number to the rule
response = client.post(url, json=data, headers=headers)
print("RESULT " + json.dumps({"status": response.status_code, "body": response.get_json()}))
app.extensions["inspection.engine"].dispose()
"""


@pytest.fixture
def team(app):
    make_unit(app, code="ninh-da", name="UBND xã Ninh Đa")
    lead = make_user(app, "lead-a", "lead")
    make_user(app, "insp-a", "inspector")
    return lead


def race(app_config: dict, tmp_path: Path, url: str, body: dict) -> list[dict]:
    env = server_env(app_config, INSPECTION_LOG_LEVEL="WARNING")
    runs = start_together(RACE, RACERS, tmp_path / "gate", env, PASSWORD, url, json.dumps(body))
    for returncode, _out, err in runs:
        assert returncode == 0 and "Traceback" not in err, err
    return [
        json.loads(line.removeprefix("RESULT "))
        for _, out, _ in runs
        for line in out.splitlines()
        if line.startswith("RESULT ")
    ]


@pytest.mark.slow
def test_racing_processes_create_one_plan_of_a_number(app, app_config, team, tmp_path):
    # Each racer writes the number its own way: the rule compares them folded.
    results = race(app_config, tmp_path, "/api/v1/plans", PLAN)
    statuses = sorted(r["status"] for r in results)
    assert statuses == [201] + [409] * (RACERS - 1), results
    for refused in (r for r in results if r["status"] == 409):
        assert refused["body"]["error"]["fields"] == {
            "number": "another plan of this year already has this number"
        }
    stored = rows(app, Plan)
    assert [(p.number.upper(), p.year) for p in stored] == [("22/KH-UBND", 2024)]


@pytest.mark.slow
def test_racing_processes_create_one_visit_of_a_unit_on_a_day(app, app_config, team, tmp_path):
    plan = make_plan(app, team)
    results = race(app_config, tmp_path, f"/api/v1/plans/{plan.id}/visits", VISIT)
    statuses = sorted(r["status"] for r in results)
    assert statuses == [201] + [409] * (RACERS - 1), results
    for refused in (r for r in results if r["status"] == 409):
        assert refused["body"]["error"]["fields"] == {
            "unit_code": "this plan already visits this unit on that day"
        }
    assert len(rows(app, Visit)) == 1


def test_a_writer_past_the_check_meets_the_index_and_gets_the_checks_409(app, team, monkeypatch):
    """The moment a race leaves: the check saw no plan, another was stored before the insert."""
    lead = ApiClient(app, "lead-a")
    assert lead.post("/api/v1/plans", json=PLAN).status_code == 201
    monkeypatch.setattr(plans, "_number_taken", _blind_once(plans._number_taken))
    again = lead.post("/api/v1/plans", json={**PLAN, "number": "22/kh-ubnd", "title": "Khác"})
    assert again.status_code == 409, again.get_json()
    assert again.get_json()["error"]["fields"] == {
        "number": "another plan of this year already has this number"
    }
    assert len(rows(app, Plan)) == 1
    assert lead.get("/api/v1/plans").status_code == 200  # the session was rolled back cleanly


def test_a_visit_past_the_check_meets_the_index_and_gets_the_checks_409(app, team, monkeypatch):
    plan = make_plan(app, team)
    lead = ApiClient(app, "lead-a")
    url = f"/api/v1/plans/{plan.id}/visits"
    assert lead.post(url, json=VISIT).status_code == 201
    monkeypatch.setattr(plans, "_visit_exists", _blind_once(plans._visit_exists))
    again = lead.post(url, json=VISIT)
    assert again.status_code == 409, again.get_json()
    assert set(again.get_json()["error"]["fields"]) == {"unit_code"}
    assert len(rows(app, Visit)) == 1


def test_moving_a_visit_onto_another_visits_day_is_the_same_409(app, team, monkeypatch):
    plan = make_plan(app, team)
    lead = ApiClient(app, "lead-a")
    url = f"/api/v1/plans/{plan.id}/visits"
    assert lead.post(url, json=VISIT).status_code == 201
    second = lead.post(url, json={**VISIT, "scheduled_on": "2024-07-02"}).get_json()
    monkeypatch.setattr(plans, "_visit_exists", _blind_once(plans._visit_exists))
    with app.app_context():
        session = get_session()
        visit = session.get(Visit, second["id"])
        with pytest.raises(plans.VisitTaken):
            plans.update_visit(
                session,
                lead=visit.plan.lead,
                visit=visit,
                data=plans.VisitUpdate(
                    unit_code="ninh-da", scheduled_on="2024-07-01", inspectors=["insp-a"]
                ),
            )
    days = sorted(v.scheduled_on.isoformat() for v in rows(app, Visit))
    assert days == ["2024-07-01", "2024-07-02"]


def _blind_once(check):
    """The check answers "free" once (as for a writer that raced past it), then tells the truth."""
    calls = []

    def blind(*args, **kwargs):
        calls.append(args)
        return False if len(calls) == 1 else check(*args, **kwargs)

    return blind
