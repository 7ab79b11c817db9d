"""Answers through the API: validation, idempotent client ids, revisions and conflicts, batches,
audit, and the score."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import select

from inspection.db import get_session
from inspection.models import Answer, AuditEvent, Visit, VisitStatus
from inspection.services import answers
from tests.builders import best_answers
from tests.factories import (
    ApiClient,
    make_unit,
    make_user,
    make_visit,
    new_client_id,
    set_visit_status,
    stored_answers,
)


@pytest.fixture
def visit(app, plan):
    """The plan's visit to UBND xã Ninh Đa, assigned to two inspectors."""
    make_unit(app)
    make_user(app, "insp-b", "inspector")
    return make_visit(app, plan, ["insp-a", "insp-b"])


@pytest.fixture
def insp_a(app, visit):
    return ApiClient(app, "insp-a")


@pytest.fixture
def insp_b(app, visit):
    return ApiClient(app, "insp-b")


def url(visit, key=None):
    base = f"/api/v1/visits/{visit.id}/answers"
    return f"{base}/{key}" if key else base


def visit_row(app, visit) -> Visit:
    with app.app_context():
        return get_session().get(Visit, visit.id)


def test_put_answer_scores_it_and_starts_the_visit(app, visit, insp_a):
    assert visit_row(app, visit).status == VisitStatus.PLANNED
    body = {"value": {"num": 60, "den": 100}, "note": "Đọc trên hệ thống"}
    response = insp_a.put(url(visit, "ty-le-so-hoa"), json=body)
    assert response.status_code == 200
    body = response.get_json()
    assert body["value"] == {"num": 60, "den": 100} and body["note"] == "Đọc trên hệ thống"
    assert body["score"] == 2.25 and body["max"] == 3.0  # 3 × 60 / 80
    assert body["revision"] == 1 and body["visit"]["revision"] == 1
    assert body["answered_by"] == "insp-a"
    row = visit_row(app, visit)
    assert (row.status, row.revision) == (VisitStatus.IN_PROGRESS, 1)


def test_csrf_header_is_required_and_nothing_is_written_without_it(app, visit, insp_a):
    response = insp_a.put(url(visit, "kh-cchc"), json={"value": "yes"}, csrf=False)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"
    forged = insp_a.client.put(
        url(visit, "kh-cchc"), json={"value": "yes"}, headers={"X-CSRFToken": "forged"}
    )
    assert forged.status_code == 400
    assert stored_answers(app, visit) == {}


@pytest.mark.parametrize(
    ("key", "body", "field"),
    [
        ("kh-cchc", {"value": "maybe"}, "value"),
        ("kh-cchc", {"value": True}, "value"),
        ("kh-cchc", {}, "value"),
        ("ty-le-so-hoa", {"value": {"num": 5, "den": 4}}, "value"),
        ("ty-le-so-hoa", {"value": {"num": "5", "den": 10}}, "value"),
        ("ty-le-so-hoa", {"value": 0.8}, "value"),
        ("sipas-diem", {"value": 12.5}, "value"),
        ("sipas-diem", {"value": "10"}, "value"),
        ("kh-cchc-ngay", {"value": "22/02/2024"}, "value"),
        ("kh-cchc", {"value": "yes", "note": 5}, "note"),
        ("kh-cchc", {"value": "yes", "base_revision": "3"}, "base_revision"),
        ("kh-cchc", {"value": "yes", "client_id": "not-a-uuid"}, "client_id"),
        ("niem-yet-day-du", {"value": "na"}, "value"),  # allow_na is false
    ],
)
def test_wrong_types_are_refused_with_the_field(app, visit, insp_a, key, body, field):
    response = insp_a.put(url(visit, key), json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]
    assert stored_answers(app, visit) == {}


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("{not json", "application/json"),
        ('["yes"]', "application/json"),
        ("value=yes", "application/x-www-form-urlencoded"),
        ("", "application/json"),
    ],
)
def test_malformed_bodies_get_a_json_400(visit, insp_a, data, content_type):
    response = insp_a.client.put(
        url(visit, "kh-cchc"),
        data=data,
        content_type=content_type,
        headers={"X-CSRFToken": insp_a.token},
    )
    assert response.status_code == 400 and response.is_json
    assert response.get_json()["error"]["code"] == "validation_error"


def test_unknown_item_is_a_404_and_unknown_visit_too(visit, insp_a):
    assert insp_a.put(url(visit, "khong-co"), json={"value": "yes"}).status_code == 404
    missing = insp_a.put("/api/v1/visits/999/answers/kh-cchc", json={"value": "yes"})
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_same_client_id_again_returns_the_first_result_and_changes_nothing(app, visit, insp_a):
    body = {"value": "no", "note": "Chưa ban hành", "client_id": new_client_id()}
    first = insp_a.put(url(visit, "kh-cchc"), json=body)
    again = insp_a.put(url(visit, "kh-cchc"), json=body)
    assert first.status_code == again.status_code == 200
    assert again.get_json()["replayed"] is True
    assert {k: v for k, v in again.get_json().items() if k != "replayed"} == {
        k: v for k, v in first.get_json().items() if k != "replayed"
    }
    assert visit_row(app, visit).revision == 1
    with app.app_context():
        events = get_session().exec(select(AuditEvent).where(AuditEvent.action == "answer.update"))
        assert len(list(events)) == 1


def test_same_client_id_with_other_content_is_a_409(app, visit, insp_a):
    client_id = new_client_id()
    insp_a.put(url(visit, "kh-cchc"), json={"value": "no", "client_id": client_id})
    response = insp_a.put(url(visit, "kh-cchc"), json={"value": "yes", "client_id": client_id})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
    assert stored_answers(app, visit) == {"kh-cchc": "no"}


def test_two_inspectors_editing_different_items_never_conflict(app, visit, insp_a, insp_b):
    base = visit_row(app, visit).revision
    a = insp_a.put(url(visit, "kh-cchc"), json={"value": "yes", "base_revision": base})
    b = insp_b.put(url(visit, "bao-cao-cchc"), json={"value": "no", "base_revision": base})
    assert (a.status_code, b.status_code) == (200, 200)
    assert stored_answers(app, visit) == {"kh-cchc": "yes", "bao-cao-cchc": "no"}
    assert visit_row(app, visit).revision == base + 2


def test_same_item_edited_from_a_stale_copy_is_a_409_with_the_servers_copy(
    app, visit, insp_a, insp_b
):
    base = visit_row(app, visit).revision
    insp_a.put(
        url(visit, "kh-cchc"), json={"value": "yes", "note": "Có kế hoạch", "base_revision": base}
    )
    late = insp_b.put(url(visit, "kh-cchc"), json={"value": "no", "base_revision": base})
    assert late.status_code == 409
    body = late.get_json()
    assert body["error"]["code"] == "conflict"
    assert body["current"]["value"] == "yes" and body["current"]["note"] == "Có kế hoạch"
    assert body["current"]["answered_by"] == "insp-a"
    assert stored_answers(app, visit) == {"kh-cchc": "yes"}
    # Re-based on the server's copy, the edit goes through.
    rebased = insp_b.put(
        url(visit, "kh-cchc"), json={"value": "no", "base_revision": body["current"]["revision"]}
    )
    assert rebased.status_code == 200


def test_null_clears_an_answer(app, visit, insp_a):
    insp_a.put(url(visit, "kh-cchc"), json={"value": "yes"})
    cleared = insp_a.put(url(visit, "kh-cchc"), json={"value": None})
    assert cleared.status_code == 200 and cleared.get_json()["score"] == 0.0
    score = insp_a.get(f"/api/v1/visits/{visit.id}/score").get_json()
    assert score["answered"] == 0 and score["total"] == 0.0


def test_answers_are_refused_once_the_visit_left_the_writable_states(app, visit, insp_a):
    set_visit_status(app, visit, VisitStatus.SUBMITTED)
    response = insp_a.put(url(visit, "kh-cchc"), json={"value": "yes"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "wrong_state"
    assert stored_answers(app, visit) == {} and visit_row(app, visit).revision == 0


def test_a_retry_after_the_visit_was_submitted_gets_its_first_result(app, visit, insp_a):
    """A tablet whose answer was stored but whose reply was lost resends it after the team
    submitted: the first result, not a refusal; something new is still refused."""
    body = {"value": "yes", "client_id": new_client_id()}
    batch = {
        "answers": [
            {
                "item_key": "bao-cao-cchc",
                "value": "no",
                "client_id": new_client_id(),
                "answered_at": "2024-06-28T09:00:00+07:00",
            }
        ]
    }
    first = insp_a.put(url(visit, "kh-cchc"), json=body)
    assert first.status_code == 200
    assert insp_a.post(f"/api/v1/visits/{visit.id}/answers", json=batch).status_code == 200
    set_visit_status(app, visit, VisitStatus.SUBMITTED)
    again = insp_a.put(url(visit, "kh-cchc"), json=body)
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    assert again.get_json()["score"] == first.get_json()["score"]
    batch_again = insp_a.post(f"/api/v1/visits/{visit.id}/answers", json=batch)
    assert batch_again.status_code == 200
    assert batch_again.get_json()["results"][0]["replayed"] is True
    new = insp_a.put(url(visit, "kh-cchc"), json={"value": "no", "client_id": new_client_id()})
    assert new.status_code == 409 and new.get_json()["error"]["code"] == "wrong_state"
    assert stored_answers(app, visit)["kh-cchc"] == "yes"


def test_audit_records_who_changed_what_before_and_after(app, visit, insp_a, insp_b):
    insp_a.put(url(visit, "kh-cchc"), json={"value": "no"})
    insp_b.put(url(visit, "kh-cchc"), json={"value": "yes", "note": "Đã bổ sung"})
    with app.app_context():
        session = get_session()
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "answer.update").order_by(AuditEvent.id)
        ).all()
        assert [(e.before and e.before["value"], e.after["value"]) for e in events] == [
            (None, "no"),
            ("no", "yes"),
        ]
        actors = [e.actor_id for e in events]
        assert actors[0] != actors[1] and all(e.visit_id == visit.id for e in events)
        assert events[1].after["note"] == "Đã bổ sung" and events[1].at.tzinfo is not None


def batch_entry(key, value, **extra):
    return {
        "item_key": key,
        "value": value,
        "client_id": new_client_id(),
        "answered_at": "2024-06-28T09:15:00+07:00",
        **extra,
    }


def test_batch_stores_everything_in_one_revision(app, visit, insp_a):
    entries = [
        batch_entry("kh-cchc", "yes"),
        batch_entry("sipas-diem", 10.5),
        batch_entry("ty-le-truc-tuyen", {"num": 40, "den": 100}),
    ]
    response = insp_a.post(url(visit), json={"answers": entries})
    assert response.status_code == 200
    body = response.get_json()
    assert [r["status"] for r in body["results"]] == ["ok", "ok", "ok"]
    assert body["visit"]["revision"] == 1
    assert stored_answers(app, visit) == {
        "kh-cchc": "yes",
        "sipas-diem": 10.5,
        "ty-le-truc-tuyen": {"num": 40, "den": 100},
    }
    with app.app_context():
        row = get_session().exec(select(Answer).where(Answer.item_key == "kh-cchc")).one()
        assert row.answered_at.isoformat() == "2024-06-28T02:15:00+00:00"
    replay = insp_a.post(url(visit), json={"answers": entries})
    assert replay.status_code == 200 and visit_row(app, visit).revision == 1


def test_batch_is_all_or_nothing_on_an_invalid_entry(app, visit, insp_a):
    entries = [
        batch_entry("kh-cchc", "yes"),
        batch_entry("sipas-diem", 99),
        {"item_key": "bao-cao-cchc", "value": "yes"},
    ]
    response = insp_a.post(url(visit), json={"answers": entries})
    assert response.status_code == 400
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["ok", "invalid", "invalid"]
    assert "value" in results[1]["error"]["fields"]
    assert set(results[2]["error"]["fields"]) == {"client_id", "answered_at"}
    assert stored_answers(app, visit) == {} and visit_row(app, visit).revision == 0


def test_batch_conflict_stores_nothing_and_returns_the_current_copy(app, visit, insp_a, insp_b):
    insp_a.put(url(visit, "kh-cchc"), json={"value": "yes"})
    entries = [
        batch_entry("bao-cao-cchc", "yes", base_revision=0),
        batch_entry("kh-cchc", "no", base_revision=0),
    ]
    response = insp_b.post(url(visit), json={"answers": entries})
    assert response.status_code == 409
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["ok", "conflict"]
    assert results[1]["current"]["value"] == "yes"
    assert stored_answers(app, visit) == {"kh-cchc": "yes"}


def test_batch_reusing_a_client_id_for_other_content_returns_the_current_copy(app, visit, insp_a):
    first = batch_entry("kh-cchc", "yes")
    assert insp_a.post(url(visit), json={"answers": [first]}).status_code == 200
    reused = {**first, "value": "no"}
    response = insp_a.post(url(visit), json={"answers": [reused]})
    assert response.status_code == 409
    [result] = response.get_json()["results"]
    assert result["status"] == "conflict" and result["current"]["value"] == "yes"
    assert stored_answers(app, visit) == {"kh-cchc": "yes"}


def test_batch_of_several_edits_to_one_item_from_one_copy_applies_in_order(app, visit, insp_a):
    entries = [
        batch_entry("kh-cchc", "no", base_revision=0),
        batch_entry("kh-cchc", "yes", base_revision=0),
    ]
    assert insp_a.post(url(visit), json={"answers": entries}).status_code == 200
    assert stored_answers(app, visit) == {"kh-cchc": "yes"}


@pytest.mark.parametrize("body", [{}, {"answers": []}, {"answers": "kh-cchc"}, []])
def test_batch_with_a_malformed_body_is_a_400(visit, insp_a, body):
    response = insp_a.post(url(visit), json=body)
    assert response.status_code == 400 and response.is_json


def test_score_endpoint_gives_the_sheet_worked_out_by_hand(app, visit, insp_a):
    """cchc-xa (version 2, forms/cchc-xa.v2.json: version 1's items and points, 100 in all,
    with consistency checks) with five answers, scored by hand."""
    answers = {
        "kh-cchc": "yes",  # 2 of 2
        "sipas-diem": 9.75,  # 9,75 of 12
        "co-ho-so-tre-han": "yes",  # 0 of 0, and it shows thu-xin-loi
        "thu-xin-loi": "no",  # 0 of 2,5
        "ty-le-dung-han": {"num": 61, "den": 62},  # 98,387…% shows 98,39%: the 98% step, 3,5 of 4
    }
    for key, value in answers.items():
        assert insp_a.put(url(visit, key), json={"value": value}).status_code == 200
    body = insp_a.get(f"/api/v1/visits/{visit.id}/score").get_json()
    # Hidden: website-cap-nhat and ban-bien-tap (1,5 + 1,5, co-website unanswered), so the
    # maximum is 100 - 3 = 97; unanswered items count in it at 0 points.
    # Section: score, then the points of its shown items.
    # chi-dao         2 (kh-cchc) of 2 + 3 + 1 + 1,5 + 2 + 1,5 + 2 = 13 (kh-cchc-ngay: unscored)
    # the-che         0 of 2,5 + 2 + 2,5 = 7
    # tthc-mot-cua    3,5 (ty-le-dung-han) + 0 (thu-xin-loi)
    #                 of 3 + 1 + 1,5 + 1 + 2,5 + 4 + 0 + 2,5 + 1,5 + 1,5 + 1,5 + 2 = 22
    # chinh-quyen-so  0 of 3 + 3 + 3 + 2 + 1 + 1 + 0 = 13
    # sipas           9,75 (sipas-diem) of 12 + 2 + 1 = 15
    # the others, 0 of: to-chuc-bo-may 6, cong-vu 7, tai-chinh-cong 5, van-thu-luu-tru 9
    # total 2 + 3,5 + 9,75 = 15,25 of 13 + 7 + 22 + 6 + 7 + 5 + 13 + 9 + 15 = 97 so far
    # Provisional: of the 51 shown items, 5 are answered and ghi-chu-chung is optional, so 45
    # required items wait; no percentage and no band until they are answered.
    sections = [
        ("chi-dao", 2.0, 13.0),
        ("the-che", 0.0, 7.0),
        ("tthc-mot-cua", 3.5, 22.0),
        ("to-chuc-bo-may", 0.0, 6.0),
        ("cong-vu", 0.0, 7.0),
        ("tai-chinh-cong", 0.0, 5.0),
        ("chinh-quyen-so", 0.0, 13.0),
        ("van-thu-luu-tru", 0.0, 9.0),
        ("sipas", 9.75, 15.0),
    ]
    template = app.extensions["inspection.library"].get("cchc-xa", 2).document
    titles = {section["key"]: section["title"] for section in template["sections"]}
    assert body == {
        "total": 15.25,
        "max": 97.0,
        "percent": None,
        "band": None,
        "complete": False,
        "waiting": 45,
        # Only kh-cchc is at full marks, of the 46 items worth points that are shown (the 48
        # worth points less the two hidden website items; co-ho-so-tre-han is worth 0).
        "full_marks": 1,
        "scorable": 46,
        # 51 shown of 53 items (kh-cchc-ngay and thu-xin-loi shown, the website items hidden).
        "answered": 5,
        "answerable": 51,
        "sections": [
            {"key": key, "title": titles[key], "score": score, "max": maximum}
            for key, score, maximum in sections
        ],
        # Answered below their points, in the checklist's order.
        "failed": ["ty-le-dung-han", "thu-xin-loi", "sipas-diem"],
        # kh-cchc "yes" without its date raises one check; late dossiers with 98,39 % on time
        # is consistent (below 99,99 %).
        "warnings": [
            {
                "key": "co-ke-hoach-thieu-ngay",
                "items": ["kh-cchc", "kh-cchc-ngay"],
                "message": "Đã xác nhận có Kế hoạch CCHC năm nhưng chưa ghi ngày ban hành.",
                "message_en": "The annual reform plan was confirmed, but its date of issue "
                "is missing.",
            }
        ],
    }


# Client ids: a replay answers only the user who sent the id first; a batch names each id once ---


def test_another_user_replaying_a_client_id_never_receives_the_first_result(
    app, visit, insp_a, insp_b
):
    body = {"value": "no", "note": "Chưa ban hành", "client_id": new_client_id()}
    first = insp_a.put(url(visit, "kh-cchc"), json=body)
    assert first.status_code == 200
    replay = insp_b.put(url(visit, "kh-cchc"), json=body)
    assert replay.status_code == 409
    answer = replay.get_json()
    assert answer["error"]["code"] == "conflict"
    assert set(answer) == {"error", "client_id"}  # nothing of the first user's result
    assert stored_answers(app, visit) == {"kh-cchc": "no"} and visit_row(app, visit).revision == 1
    again = insp_a.put(url(visit, "kh-cchc"), json=body)  # the first user's own retry still does
    assert again.status_code == 200 and again.get_json()["replayed"] is True


def test_another_user_replaying_a_client_id_in_a_batch_is_a_conflict_and_stores_nothing(
    app, visit, insp_a, insp_b
):
    entry = batch_entry("kh-cchc", "yes", note="Có kế hoạch")
    assert insp_a.post(url(visit), json={"answers": [entry]}).status_code == 200
    others = insp_b.post(url(visit), json={"answers": [batch_entry("bao-cao-cchc", "no"), entry]})
    assert others.status_code == 409
    results = others.get_json()["results"]
    assert [r["status"] for r in results] == ["ok", "conflict"]
    assert "replayed" not in results[1]
    assert stored_answers(app, visit) == {"kh-cchc": "yes"} and visit_row(app, visit).revision == 1


@pytest.mark.parametrize("repeat", ["same entry", "other item", "other spelling"])
def test_a_batch_naming_a_client_id_twice_is_refused_whole(app, visit, insp_a, repeat):
    first = batch_entry("kh-cchc", "yes")
    client_id = first["client_id"]
    second = {
        "same entry": dict(first),
        "other item": batch_entry("bao-cao-cchc", "no", client_id=client_id),
        "other spelling": batch_entry("bao-cao-cchc", "no", client_id=client_id.upper()),
    }[repeat]
    entries = [first, batch_entry("sipas-diem", 9), second]
    response = insp_a.post(url(visit), json={"answers": entries})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"]["code"] == "validation_error"
    assert [r["status"] for r in body["results"]] == ["ok", "ok", "invalid"]
    assert body["results"][2]["error"]["fields"] == {"client_id": "repeated within the batch"}
    assert stored_answers(app, visit) == {} and visit_row(app, visit).revision == 0
    once = insp_a.post(url(visit), json={"answers": entries[:2]})
    assert once.status_code == 200 and visit_row(app, visit).revision == 1


# What each reply says, field by field (the tablet reads these) ----------------------------------


def test_a_put_answer_replies_with_the_whole_record_and_the_visit(app, visit, insp_a):
    client_id = new_client_id()
    body = {
        "value": "no",
        "note": "Chưa ban hành",
        "no_finding_reason": "Đã kiểm tra hồ sơ",
        "client_id": client_id,
        "answered_at": "2024-06-28T09:15:00+07:00",
    }
    response = insp_a.put(url(visit, "kh-cchc"), json=body)
    assert response.status_code == 200
    reply = response.get_json()
    score = reply.pop("visit").pop("score")
    assert reply == {
        "item_key": "kh-cchc",
        "value": "no",
        "note": "Chưa ban hành",
        "no_finding_reason": "Đã kiểm tra hồ sơ",
        "score": 0.0,  # kh-cchc is worth 2 points: "no" earns none of them
        "max": 2.0,
        "answered_by": "insp-a",
        "answered_at": "2024-06-28T09:15:00+07:00",
        "revision": 1,
        "client_id": client_id,
        "replayed": False,
    }
    # 0 of 94,5 shown points (cchc-xa's 100, less the 5,5 of the three hidden items)
    assert (score["total"], score["max"], score["answered"]) == (0.0, 94.5, 1)
    with app.app_context():
        row = get_session().exec(select(Answer).where(Answer.item_key == "kh-cchc")).one()
        assert (row.no_finding_reason, row.client_id) == ("Đã kiểm tra hồ sơ", client_id)


def test_the_audit_event_of_an_answer_names_the_record_and_its_contents(app, visit, insp_a):
    insp_a.put(url(visit, "kh-cchc"), json={"value": "no", "no_finding_reason": "Không có"})
    insp_a.put(url(visit, "kh-cchc"), json={"value": "yes", "note": "Đã bổ sung"})
    with app.app_context():
        session = get_session()
        answer = session.exec(select(Answer).where(Answer.item_key == "kh-cchc")).one()
        query = select(AuditEvent).where(AuditEvent.action == "answer.update")
        first, second = session.exec(query.order_by(AuditEvent.id)).all()
    assert (second.entity, second.entity_id) == ("answer", str(answer.id))
    assert (
        second.before
        == first.after
        == {
            "item_key": "kh-cchc",
            "value": "no",
            "note": "",
            "no_finding_reason": "Không có",
            "revision": 1,
        }
    )
    assert second.after == {
        "item_key": "kh-cchc",
        "value": "yes",
        "note": "Đã bổ sung",
        "no_finding_reason": "Không có",  # not sent again: kept
        "revision": 2,
    }


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"value": "is required (null clears the answer)"}),
        ({"value": "maybe"}, {"value": 'must be "yes", "no" or "na"'}),
        ({"value": "yes", "note": "x" * 4001}, {"note": "must be at most 4000 characters"}),
        ({"value": "yes", "client_id": "not-a-uuid"}, {"client_id": "must be a UUID"}),
        ({"value": "yes", "client_id": 5}, {"client_id": "must be a UUID"}),
        (
            {"value": "yes", "base_revision": -1},
            {"base_revision": "must be a whole number from 0 to 9007199254740992"},
        ),
        (
            {"value": "yes", "base_revision": 2**53 + 1},
            {"base_revision": "must be a whole number from 0 to 9007199254740992"},
        ),
        (
            {"value": "yes", "answered_at": "hôm qua"},
            {"answered_at": "must be an ISO 8601 time with its offset"},
        ),
        (
            {"value": "yes", "answered_at": 5},
            {"answered_at": "must be an ISO 8601 time with its offset"},
        ),
        (
            {"value": "yes", "answered_at": "2024-06-28T09:15:00"},
            {"answered_at": "must be an ISO 8601 time with its offset"},
        ),
    ],
    ids=[
        "no-value",
        "not-an-option",
        "long-note",
        "bad-client-id",
        "number-client-id",
        "negative-revision",
        "revision-beyond-2^53",
        "unreadable-time",
        "number-time",
        "time-without-offset",
    ],
)
def test_a_refused_put_names_each_field_and_why(app, visit, insp_a, body, fields):
    response = insp_a.put(url(visit, "kh-cchc"), json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["code"], error["message"]) == ("validation_error", "invalid answer")
    assert error["fields"] == fields
    assert stored_answers(app, visit) == {}


@pytest.mark.parametrize(
    ("moment", "kept"),
    [
        ("1999-12-31T23:59:59+00:00", False),
        ("2000-01-01T00:00:00+00:00", True),
        ("2100-12-31T23:59:59+00:00", True),
        ("2101-01-01T00:00:00+00:00", False),
    ],
)
def test_an_answer_time_is_kept_from_2000_to_2100(app, visit, insp_a, moment, kept):
    response = insp_a.put(url(visit, "kh-cchc"), json={"value": "yes", "answered_at": moment})
    if kept:
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert response.get_json()["error"]["fields"] == {
            "answered_at": "must be a time from 2000 to 2100"
        }


def test_a_base_revision_of_2_to_the_53_is_still_a_revision(app, visit, insp_a):
    body = {"value": "yes", "base_revision": 2**53}
    assert insp_a.put(url(visit, "kh-cchc"), json=body).status_code == 200


def test_an_unknown_item_is_named_in_the_404(visit, insp_a):
    error = insp_a.put(url(visit, "khong-co"), json={"value": "yes"}).get_json()["error"]
    assert error == {"code": "not_found", "message": "no item 'khong-co' in this checklist"}


def test_the_score_is_provisional_until_the_last_required_item_is_answered(app, visit, insp_a):
    """Every item of cchc-xa answered at its best but one required item: 98 of 100 so far and
    no band; its answer completes the sheet (the optional ghi-chu-chung never waits)."""
    doc = app.extensions["inspection.library"].get("cchc-xa", 2).document
    best = best_answers(doc)
    last = best.pop("danh-muc-ho-so")  # 2 points, required
    entries = [batch_entry(key, value) for key, value in best.items()]
    response = insp_a.post(url(visit), json={"answers": entries})
    assert response.status_code == 200, response.get_json()
    score = insp_a.get(f"/api/v1/visits/{visit.id}/score").get_json()
    assert (score["total"], score["max"], score["percent"], score["band"]) == (
        98.0,
        100.0,
        None,
        None,
    )
    assert (score["complete"], score["waiting"]) == (False, 1)
    body = insp_a.put(url(visit, "danh-muc-ho-so"), json={"value": last}).get_json()
    done = body["visit"]["score"]
    assert (done["total"], done["max"], done["percent"], done["band"]) == (
        100.0,
        100.0,
        100.0,
        "Tốt",
    )
    assert (done["complete"], done["waiting"]) == (True, 0)
    assert insp_a.get(f"/api/v1/visits/{visit.id}/score").get_json() == done
    # Cleared again: provisional again.
    body = insp_a.put(url(visit, "danh-muc-ho-so"), json={"value": None}).get_json()
    assert (body["visit"]["score"]["complete"], body["visit"]["score"]["band"]) == (False, None)


def test_a_conflict_sends_the_servers_copy_with_its_score(app, visit, insp_a, insp_b):
    insp_a.put(url(visit, "sipas-diem"), json={"value": 10.5, "base_revision": 0})
    late = insp_b.put(url(visit, "sipas-diem"), json={"value": 6, "base_revision": 0})
    assert late.status_code == 409
    body = late.get_json()
    assert body["error"]["message"] == "this answer changed since your copy"
    current = body["current"]
    assert (current["value"], current["score"], current["max"]) == (10.5, 10.5, 12.0)


def test_a_client_id_reused_for_other_content_is_named_in_the_409(visit, insp_a):
    client_id = new_client_id()
    insp_a.put(url(visit, "kh-cchc"), json={"value": "no", "client_id": client_id})
    reused = insp_a.put(url(visit, "kh-cchc"), json={"value": "yes", "client_id": client_id})
    assert reused.get_json() == {
        "error": {
            "code": "conflict",
            "message": "this client_id was already used for other content",
        },
        "client_id": client_id,
    }


def test_a_batch_names_each_entry_in_its_result_and_starts_the_visit(app, visit, insp_a):
    entries = [batch_entry("kh-cchc", "yes"), batch_entry("sipas-diem", 9)]
    response = insp_a.post(url(visit), json={"answers": entries})
    assert response.status_code == 200
    body = response.get_json()
    named = [{k: r[k] for k in ("client_id", "item_key", "status")} for r in body["results"]]
    assert named == [
        {"client_id": entries[0]["client_id"], "item_key": "kh-cchc", "status": "ok"},
        {"client_id": entries[1]["client_id"], "item_key": "sipas-diem", "status": "ok"},
    ]
    # Each with its answer as stored (added to the contract: a tablet bases its next write on it)
    stored = [(r["answer"]["value"], r["answer"]["revision"]) for r in body["results"]]
    assert stored == [("yes", 1), (9, 1)]
    # 2 + 9 of 94,5 so far: provisional (required items wait), so no percentage yet
    assert body["visit"]["revision"] == 1 and body["visit"]["status"] == "in_progress"
    score = body["visit"]["score"]
    assert (score["total"], score["max"], score["percent"], score["complete"]) == (
        11.0,
        94.5,
        None,
        False,
    )
    assert visit_row(app, visit).status == VisitStatus.IN_PROGRESS
    # Sent again (the reply was lost): each entry is a replay, and the visit is as it was.
    again = insp_a.post(url(visit), json={"answers": entries}).get_json()
    assert [r["replayed"] for r in again["results"]] == [True, True]
    assert again["visit"]["revision"] == 1 and again["visit"]["score"]["total"] == 11.0


def test_a_refused_batch_says_why_for_each_entry(app, visit, insp_a):
    entries = [
        batch_entry("kh-cchc", "yes"),
        "kh-cchc",
        {"value": "yes", "client_id": new_client_id(), "answered_at": "2024-06-28T09:00:00Z"},
        batch_entry("khong-co", "yes"),
        {"item_key": "khong-co"},
        batch_entry("sipas-diem", 13),
    ]
    response = insp_a.post(url(visit), json={"answers": entries})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"]["code"] == "validation_error"

    def invalid(entry, fields):
        return {
            "client_id": entry.get("client_id") if isinstance(entry, dict) else None,
            "item_key": entry.get("item_key", "") if isinstance(entry, dict) else "",
            "status": "invalid",
            "error": {"code": "validation_error", "fields": fields},
        }

    required = "is required"
    not_an_object = body["results"].pop(1)
    assert (not_an_object["item_key"], not_an_object["status"]) == ("", "invalid")
    # (It is also said to name no item of the checklist: true, if beside the point.)
    assert not_an_object["error"]["fields"][""] == "must be a JSON object"
    assert body["results"] == [
        {"client_id": entries[0]["client_id"], "item_key": "kh-cchc", "status": "ok"},
        invalid(entries[2], {"item_key": required}),
        invalid(entries[3], {"item_key": "no item 'khong-co' in this checklist"}),
        invalid(
            entries[4],
            {
                "value": "is required (null clears the answer)",
                "client_id": required,
                "answered_at": required,
            },
        ),
        invalid(entries[5], {"value": "must be a number from 0 to 12"}),
    ]
    assert stored_answers(app, visit) == {}


def test_a_batch_entry_whose_item_key_is_no_text_is_refused(app, visit, insp_a):
    entry = {**batch_entry("kh-cchc", "yes"), "item_key": 5}
    response = insp_a.post(url(visit), json={"answers": [entry]})
    assert response.status_code == 400
    [result] = response.get_json()["results"]
    assert (result["item_key"], result["error"]["fields"]) == ("", {"item_key": "is required"})


def test_a_batch_conflict_sends_the_current_copy_with_its_score(visit, insp_a, insp_b):
    insp_a.put(url(visit, "sipas-diem"), json={"value": 10.5})
    stale = batch_entry("sipas-diem", 6, base_revision=0)
    results = insp_b.post(url(visit), json={"answers": [stale]}).get_json()["results"]
    current = results[0]["current"]
    assert (current["value"], current["score"], current["max"]) == (10.5, 10.5, 12.0)


def test_a_batch_reusing_a_client_id_says_so_in_its_result(visit, insp_a):
    first = batch_entry("kh-cchc", "yes")
    insp_a.post(url(visit), json={"answers": [first]})
    [result] = insp_a.post(url(visit), json={"answers": [{**first, "value": "no"}]}).get_json()[
        "results"
    ]
    assert result["error"] == {
        "code": "conflict",
        "message": "this client_id was already used for other content",
    }


def test_a_batch_is_refused_once_the_visit_left_the_writable_states(app, visit, insp_a):
    set_visit_status(app, visit, VisitStatus.SUBMITTED)
    response = insp_a.post(url(visit), json={"answers": [batch_entry("kh-cchc", "yes")]})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "wrong_state"
    assert stored_answers(app, visit) == {} and visit_row(app, visit).revision == 0


def test_a_payload_is_hashed_as_its_canonical_json():
    """Client ids are stored with this hash: a retry sent before an upgrade must still match
    after it, so the canonical form (sorted keys, no spaces, UTF-8 as is) cannot change."""
    entry = answers.AnswerWrite(item_key="kh-cchc", value="yes", note="Có kế hoạch")
    canonical = (
        '{"item_key":"kh-cchc","no_finding_reason":null,"note":"Có kế hoạch",'
        '"value":"yes","visit_id":7}'
    )
    expected = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert answers.payload_hash(entry.content(7)) == expected


def test_a_batch_sent_again_is_answered_as_the_first_time_and_stores_nothing_new(
    app, visit, insp_a
):
    """A tablet that lost the reply sends the same batch: every entry is reported stored, as
    before, and nothing changes."""
    entries = [batch_entry("kh-cchc", "yes"), batch_entry("bao-cao-cchc", "no")]
    first = insp_a.post(url(visit), json={"answers": entries})
    assert first.status_code == 200
    again = insp_a.post(url(visit), json={"answers": entries})
    assert again.status_code == 200
    assert [(r["item_key"], r["status"]) for r in again.get_json()["results"]] == [
        ("kh-cchc", "ok"),
        ("bao-cao-cchc", "ok"),
    ]
    assert [r["client_id"] for r in again.get_json()["results"]] == [
        e["client_id"] for e in entries
    ]
    assert stored_answers(app, visit) == {"kh-cchc": "yes", "bao-cao-cchc": "no"}
    assert visit_row(app, visit).revision == 1  # one batch, one change of the visit
