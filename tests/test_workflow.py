"""The visit lifecycle of workflow.py, written out by hand from DESIGN.md: what each state allows
and where an accepted answer moves a visit."""

from __future__ import annotations

import pytest

from inspection import workflow
from inspection.models import Visit, VisitStatus
from tests.factories import ApiClient, set_visit_status

#            state            answers plan edit unit change
EXPECTED = [
    ("planned", True, True, True),
    ("in_progress", True, True, False),
    ("submitted", False, False, False),
    ("returned", True, False, False),
    ("approved", False, False, False),
    ("notice_issued", False, False, False),
    ("remediating", False, False, False),
    ("closed", False, False, False),
]


def test_every_state_has_its_rules():
    assert {row[0] for row in EXPECTED} == {s.value for s in VisitStatus}
    assert set(workflow.ALLOWS) == set(VisitStatus)


@pytest.mark.parametrize(("state", "answers", "plan_edit", "unit_change"), EXPECTED)
def test_what_each_state_allows(state, answers, plan_edit, unit_change):
    visit = Visit(status=state)
    assert workflow.can_answer(visit) is answers
    assert workflow.can_edit_plan(visit) is plan_edit
    assert workflow.can_change_unit(visit) is unit_change


@pytest.mark.parametrize(
    ("state", "after"),
    [("planned", "in_progress"), ("in_progress", "in_progress"), ("returned", "returned")],
)
def test_an_accepted_answer_moves_only_a_planned_visit(state, after):
    visit = Visit(status=state)
    workflow.record(visit, workflow.Action.ANSWER)
    assert visit.status == after


@pytest.mark.parametrize("state", ["submitted", "approved", "closed"])
def test_refusals_name_the_state(state):
    visit = Visit(status=state)
    with pytest.raises(workflow.WrongState, match=state):
        workflow.check_can_answer(visit)
    with pytest.raises(workflow.VisitLocked):
        workflow.check_can_edit_plan(visit)


def test_a_returned_visit_takes_answers_and_stays_returned(app, visit):
    set_visit_status(app, visit, "returned")
    insp = ApiClient(app, "insp-a")
    saved = insp.put(f"/api/v1/visits/{visit.id}/answers/ghi-chu-chung", json={"value": "Đã xem"})
    assert saved.status_code == 200
    assert saved.get_json()["visit"]["status"] == "returned"


def test_a_submitted_visit_refuses_answers_with_wrong_state(app, visit):
    set_visit_status(app, visit, "submitted")
    insp = ApiClient(app, "insp-a")
    refused = insp.put(f"/api/v1/visits/{visit.id}/answers/ghi-chu-chung", json={"value": "x"})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "wrong_state"
