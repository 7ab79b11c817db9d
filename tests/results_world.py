"""A plan with visits in several states, for the results and record tests: Ninh Đa approved
with its notice issued (two deficiencies tied to no item), Ninh Xuân's notice issued with an
item failed and a deficiency tied to it, a unit named `=1+1` in progress with a few answers and
a deficiency on the same item (so that item is "frequent"), and one visit still planned."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from inspection.models import Plan, Visit
from tests.factories import (
    ApiClient,
    complete_visit,
    make_unit,
    make_user,
    make_visit,
    new_client_id,
)
from tests.notice_helpers import approved_visit

FAILED_ITEM = "niem-yet-day-du"
FAILED_TEXT = "Chưa niêm yết đầy đủ 12 thủ tục hành chính lĩnh vực đất đai"
SHARED_TEXT = "Niêm yết thiếu 5 thủ tục hành chính lĩnh vực hộ tịch"


@dataclass
class World:
    plan: Plan
    issued: Visit  # Ninh Đa
    failed: Visit  # Ninh Xuân
    formula: Visit  # =1+1, in progress
    planned: Visit
    lead: ApiClient
    inspector: ApiClient


def finding(client: ApiClient, visit: Visit, text: str, item_key: str = "") -> None:
    body = {"text": text, "remedy": f"Khắc phục: {text}", "severity": "medium"}
    if item_key:
        body["item_key"] = item_key
    created = client.post(
        f"/api/v1/visits/{visit.id}/findings", json={**body, "client_id": new_client_id()}
    )
    assert created.status_code == 201, created.get_json()


def issue(lead: ApiClient, visit: Visit) -> dict:
    issued = lead.post(f"/api/v1/visits/{visit.id}/notice", json={})
    assert issued.status_code == 201, issued.get_json()
    return issued.get_json()


def build_world(app: Flask, plan: Plan, visit: Visit) -> World:
    """`plan` and `visit` are conftest's (lead-a, insp-a, Ninh Đa)."""
    make_unit(app, "ninh-xuan", "UBND xã Ninh Xuân")
    make_unit(app, "cong-thuc", "=1+1")
    make_unit(app, "ninh-hung", "UBND xã Ninh Hưng")
    failed = make_visit(app, plan, ["insp-a"], unit_code="ninh-xuan", scheduled_on="2024-07-02")
    formula = make_visit(app, plan, ["insp-a"], unit_code="cong-thuc", scheduled_on="2024-07-09")
    planned = make_visit(app, plan, ["insp-a"], unit_code="ninh-hung", scheduled_on="2024-07-16")
    make_user(app, "insp-b", "inspector")

    lead = approved_visit(app, visit)
    issue(lead, visit)

    inspector = complete_visit(app, failed)
    changed = inspector.put(
        f"/api/v1/visits/{failed.id}/answers/{FAILED_ITEM}", json={"value": "no"}
    )
    assert changed.status_code == 200, changed.get_json()
    finding(inspector, failed, FAILED_TEXT, FAILED_ITEM)
    assert inspector.post(f"/api/v1/visits/{failed.id}/submit", json={}).status_code == 200
    assert lead.post(f"/api/v1/visits/{failed.id}/approve", json={}).status_code == 200
    issue(lead, failed)

    for key, value in (("kh-cchc", "yes"), ("bao-cao-cchc", "no"), ("quy-che-lam-viec", "yes")):
        saved = inspector.put(f"/api/v1/visits/{formula.id}/answers/{key}", json={"value": value})
        assert saved.status_code == 200, saved.get_json()
    finding(inspector, formula, SHARED_TEXT, FAILED_ITEM)
    return World(plan, visit, failed, formula, planned, lead, inspector)
