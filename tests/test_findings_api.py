"""Deficiencies through the API (API.md): recorded with defaults from the agency, retried
safely, proposed by failed items, withdrawn when their item stops failing, evidenced by photos;
and the explanations of consistency warnings."""

from __future__ import annotations

import pytest

from inspection.models import Finding, FindingPhoto
from tests.factories import (
    ApiClient,
    audit_events,
    new_client_id,
    photo_bytes,
    rows,
    upload_photo,
)

DEFICIENCY = {
    "item_key": "niem-yet-qr",
    "text": "Chưa niêm yết mã QR tra cứu TTHC tại Bộ phận Một cửa",
    "remedy": "Niêm yết mã QR liên kết đến Cổng Dịch vụ công",
}


@pytest.fixture
def insp(app, visit):
    return ApiClient(app, "insp-a")


def findings_url(visit) -> str:
    return f"/api/v1/visits/{visit.id}/findings"


def answer(client, visit, key, value, **more):
    response = client.put(f"/api/v1/visits/{visit.id}/answers/{key}", json={"value": value, **more})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_deficiency_takes_its_defaults_from_the_agency(app, visit, insp):
    made = insp.post(findings_url(visit), json=DEFICIENCY)
    assert made.status_code == 201
    body = made.get_json()
    # The visit is on 28/06/2024 and the agency gives 30 days to remedy.
    assert (body["severity"], body["due_on"], body["status"]) == ("medium", "2024-07-28", "draft")
    assert (body["item_key"], body["withdrawn"], body["created_by"]) == (
        "niem-yet-qr",
        False,
        "insp-a",
    )
    listed = insp.get(findings_url(visit)).get_json()["findings"]
    assert [f["text"] for f in listed] == [DEFICIENCY["text"]]
    assert ApiClient(app, "lead-a").get(f"/api/v1/visits/{visit.id}").get_json()["status"] == (
        "in_progress"
    )


def test_every_field_is_kept_as_given(visit, insp):
    given = {
        **DEFICIENCY,
        "severity": "high",
        "responsible": "Công chức Văn phòng - Thống kê",
        "due_on": "2024-08-15",
    }
    body = insp.post(findings_url(visit), json=given).get_json()
    assert {k: body[k] for k in given} == given


def test_a_deficiency_tied_to_no_item(visit, insp):
    body = insp.post(findings_url(visit), json={"text": "Hòm thư góp ý bị khóa", "remedy": "Mở"})
    assert body.status_code == 201 and body.get_json()["item_key"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"remedy": None}, "remedy"),
        ({"severity": "critical"}, "severity"),
        ({"due_on": "28/07/2024"}, "due_on"),
        ({"item_key": "khong-co"}, "item_key"),
        ({"client_id": "abc"}, "client_id"),
        ({"text": "x" * 4001}, "text"),
    ],
)
def test_a_bad_field_is_refused_by_name_and_nothing_is_kept(app, visit, insp, change, field):
    refused = insp.post(findings_url(visit), json={**DEFICIENCY, **change})
    assert refused.status_code == 400
    assert field in refused.get_json()["error"]["fields"]
    assert rows(app, Finding) == []


def test_a_retried_deficiency_is_kept_once(app, visit, insp):
    body = {**DEFICIENCY, "client_id": new_client_id()}
    first = insp.post(findings_url(visit), json=body)
    again = insp.post(findings_url(visit), json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["replayed"] is True and again.get_json()["id"] == first.get_json()["id"]
    other = insp.post(findings_url(visit), json={**body, "text": "Khác"})
    assert other.status_code == 409
    assert len(rows(app, Finding)) == 1


def test_a_failed_item_proposes_the_templates_wording(visit, insp):
    answer(insp, visit, "niem-yet-qr", "no")
    answer(insp, visit, "tiet-kiem", "no", no_finding_reason="Đã ban hành trong buổi kiểm tra")
    proposed = insp.get(findings_url(visit)).get_json()["proposed"]
    assert [p["item_key"] for p in proposed] == ["niem-yet-qr"]  # tiet-kiem says why not
    assert proposed[0]["text"].startswith("Chưa niêm yết mã QR") and proposed[0]["remedy"]
    insp.post(findings_url(visit), json=DEFICIENCY)
    assert insp.get(findings_url(visit)).get_json()["proposed"] == []


def test_a_deficiency_is_withdrawn_when_its_item_passes_and_back_when_it_fails(app, visit, insp):
    answer(insp, visit, "niem-yet-qr", "no")
    made = insp.post(findings_url(visit), json=DEFICIENCY).get_json()

    def withdrawn():
        return insp.get(findings_url(visit)).get_json()["findings"][0]["withdrawn"]

    answer(insp, visit, "niem-yet-qr", "yes")
    assert withdrawn() is True
    answer(insp, visit, "niem-yet-qr", "na")
    assert withdrawn() is True
    answer(insp, visit, "niem-yet-qr", "no")
    assert withdrawn() is False
    actions = [e.action for e in audit_events(app, "finding.withdraw")]
    actions += [e.action for e in audit_events(app, "finding.restore")]
    assert actions == ["finding.withdraw", "finding.restore"]
    assert insp.get(findings_url(visit)).get_json()["findings"][0]["id"] == made["id"]


def test_a_change_names_its_fields_and_keeps_the_rest(visit, insp):
    made = insp.post(findings_url(visit), json=DEFICIENCY).get_json()
    url = f"/api/v1/findings/{made['id']}"
    changed = insp.patch(url, json={"severity": "low", "due_on": None})
    assert changed.status_code == 200
    body = changed.get_json()
    assert (body["severity"], body["due_on"], body["text"]) == ("low", None, DEFICIENCY["text"])
    assert body["revision"] > made["revision"]
    assert insp.patch(url, json={}).status_code == 400
    assert insp.patch(url, json={"text": ""}).status_code == 400
    assert insp.patch(url, json={"withdrawn": "yes"}).status_code == 400


def test_a_deficiency_of_another_visit_is_not_found_through_this_one(app, visit, insp):
    made = insp.post(findings_url(visit), json=DEFICIENCY).get_json()
    assert (
        insp.patch(f"/api/v1/findings/{made['id'] + 99}", json={"severity": "low"}).status_code
        == 404
    )


def test_a_withdrawn_deficiency_comes_back_only_while_its_item_fails(app, visit, insp):
    answer(insp, visit, "niem-yet-qr", "no")
    made = insp.post(findings_url(visit), json=DEFICIENCY).get_json()
    answer(insp, visit, "niem-yet-qr", "yes")  # withdrawn
    url = f"/api/v1/findings/{made['id']}"
    refused = insp.patch(url, json={"withdrawn": False})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "item_passes"
    assert insp.get(findings_url(visit)).get_json()["findings"][0]["withdrawn"] is True
    loose = insp.post(findings_url(visit), json={"text": "Khác", "remedy": "Sửa"}).get_json()
    loose_url = f"/api/v1/findings/{loose['id']}"
    assert insp.patch(loose_url, json={"withdrawn": True}).status_code == 200
    assert insp.patch(loose_url, json={"withdrawn": False}).status_code == 200  # tied to no item


# Photos of a deficiency --------------------------------------------------------------------------


def test_photos_go_to_a_deficiency_by_its_id_or_its_client_id(app, visit, insp):
    client_id = new_client_id()
    made = insp.post(findings_url(visit), json={**DEFICIENCY, "client_id": client_id}).get_json()
    by_id = upload_photo(insp, visit, photo_bytes(1), finding_id=str(made["id"]))
    by_client = upload_photo(insp, visit, photo_bytes(2), finding_client_id=client_id)
    assert (by_id.status_code, by_client.status_code) == (201, 201)
    listed = insp.get(findings_url(visit)).get_json()["findings"][0]
    assert listed["photos"] == sorted([by_id.get_json()["id"], by_client.get_json()["id"]])
    photos = insp.get(f"/api/v1/visits/{visit.id}/photos").get_json()["photos"]
    assert all(p["finding_ids"] == [made["id"]] and p["item_keys"] == [] for p in photos)
    # The same bytes for an item too: one photo, two links; taking one link keeps the photo.
    again = upload_photo(insp, visit, photo_bytes(1), item_key="niem-yet-qr")
    assert again.status_code == 200 and again.get_json()["id"] == by_id.get_json()["id"]
    gone = insp.delete(f"/api/v1/photos/{by_id.get_json()['id']}?finding_id={made['id']}")
    assert gone.get_json() == {"deleted": False, "item_keys": ["niem-yet-qr"], "finding_ids": []}
    last = insp.delete(f"/api/v1/photos/{by_client.get_json()['id']}")
    assert last.get_json()["deleted"] is True
    assert [link.photo_id for link in rows(app, FindingPhoto)] == []


@pytest.mark.parametrize("given", ["abc", "0", "99999999999"])
def test_a_removal_naming_no_real_deficiency_is_refused_and_keeps_the_photo(visit, insp, given):
    photo = upload_photo(insp, visit, photo_bytes(5), item_key="niem-yet-qr").get_json()
    refused = insp.delete(f"/api/v1/photos/{photo['id']}?finding_id={given}")
    assert refused.status_code == 400
    photos = insp.get(f"/api/v1/visits/{visit.id}/photos").get_json()["photos"]
    assert [p["item_keys"] for p in photos] == [["niem-yet-qr"]]


def test_a_photo_goes_to_one_item_or_one_deficiency(visit, insp):
    made = insp.post(findings_url(visit), json=DEFICIENCY).get_json()
    both = upload_photo(
        insp, visit, photo_bytes(3), item_key="niem-yet-qr", finding_id=str(made["id"])
    )
    assert both.status_code == 400


# Explanations of consistency warnings ------------------------------------------------------------

CHECK = "khong-tre-han-nhung-duoi-100"


def raise_check(insp, visit):
    answer(insp, visit, "co-ho-so-tre-han", "no")
    return answer(insp, visit, "ty-le-dung-han", {"num": 9, "den": 10})


def test_a_raised_warning_is_explained_and_shown_with_the_visit(app, visit, insp):
    saved = raise_check(insp, visit)
    assert [w["key"] for w in saved["visit"]["score"]["warnings"]] == [CHECK]
    put = insp.put(
        f"/api/v1/visits/{visit.id}/checks/{CHECK}", json={"explanation": "Lỗi phần mềm"}
    )
    assert put.status_code == 200 and put.get_json()["explained_by"] == "insp-a"
    shown = insp.get(f"/api/v1/visits/{visit.id}").get_json()["explanations"]
    assert [(e["check_key"], e["explanation"]) for e in shown] == [(CHECK, "Lỗi phần mềm")]
    cleared = insp.put(f"/api/v1/visits/{visit.id}/checks/{CHECK}", json={"explanation": ""})
    assert cleared.status_code == 200
    assert insp.get(f"/api/v1/visits/{visit.id}").get_json()["explanations"] == []


def test_an_explanation_is_cleared_when_an_item_of_its_check_changes(app, visit, insp):
    raise_check(insp, visit)
    insp.put(f"/api/v1/visits/{visit.id}/checks/{CHECK}", json={"explanation": "Lỗi phần mềm"})
    answer(insp, visit, "kh-cchc", "yes")  # not an item of the check: kept
    assert len(insp.get(f"/api/v1/visits/{visit.id}").get_json()["explanations"]) == 1
    answer(insp, visit, "ty-le-dung-han", {"num": 8, "den": 10})
    assert insp.get(f"/api/v1/visits/{visit.id}").get_json()["explanations"] == []
    assert [e.before["explanation"] for e in audit_events(app, "check.clear")] == ["Lỗi phần mềm"]


def test_an_explanation_survives_a_note_or_the_same_answer_again(app, visit, insp):
    raise_check(insp, visit)
    insp.put(f"/api/v1/visits/{visit.id}/checks/{CHECK}", json={"explanation": "Lỗi phần mềm"})
    answer(insp, visit, "ty-le-dung-han", {"num": 9, "den": 10}, note="Số liệu từ Hệ thống")
    answer(insp, visit, "co-ho-so-tre-han", "no")
    assert len(insp.get(f"/api/v1/visits/{visit.id}").get_json()["explanations"]) == 1


def test_an_unknown_or_unraised_check_is_refused(visit, insp):
    unknown = insp.put(f"/api/v1/visits/{visit.id}/checks/khong-co", json={"explanation": "x"})
    assert unknown.status_code == 404
    quiet = insp.put(f"/api/v1/visits/{visit.id}/checks/{CHECK}", json={"explanation": "x"})
    assert quiet.status_code == 409 and quiet.get_json()["error"]["code"] == "not_raised"
