"""The review of a visit through the API: who may submit, return, approve and reopen from which
state (every role, every state), what a submission needs, the freeze after approval, the lead's
corrections and comments, the audit trail, and several people on one visit at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.factories import (
    ApiClient,
    complete_visit,
    make_plan,
    make_unit,
    make_user,
    make_visit,
    photo_bytes,
    set_visit_status,
    upload_photo,
    user_named,
)

ROLES = {
    "admin": "admin",
    "plan_lead": "lead-a",
    "other_lead": "lead-b",
    "assigned": "insp-a",
    "unassigned": "insp-b",
    "unit": "unit-user",
}
STATES = [
    "planned",
    "in_progress",
    "submitted",
    "returned",
    "approved",
    "notice_issued",
    "remediating",
    "closed",
]
# Written out from DESIGN.md and API.md: (decision, role who makes it, from → to).
DECISIONS = {
    "submit": ("assigned", {"in_progress": "submitted", "returned": "submitted"}),
    "return": ("plan_lead", {"submitted": "returned"}),
    "approve": ("plan_lead", {"submitted": "approved"}),
    "reopen": ("plan_lead", {"approved": "submitted"}),
}
BODIES = {"return": {"comment": "Bổ sung ảnh"}, "reopen": {"reason": "Sửa điểm"}, "submit": {}}


@pytest.fixture
def people(app, visit):
    """Every role besides the plan's lead and the assigned inspector (the unit exists now)."""
    make_user(app, "admin", "admin")
    make_user(app, "lead-b", "lead")
    make_user(app, "insp-b", "inspector")
    make_user(app, "unit-user", "unit", unit_code="ninh-da")


def url(visit, rest: str) -> str:
    return f"/api/v1/visits/{visit.id}/{rest}"


def status_of(app, visit) -> str:
    return ApiClient(app, "lead-a").get(f"/api/v1/visits/{visit.id}").get_json()["status"]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("decision", sorted(DECISIONS))
def test_every_decision_from_every_state_for_every_role(app, visit, people, state, decision):
    complete_visit(app, visit)  # nothing is missing: only the state and the role decide
    set_visit_status(app, visit, state)
    who, moves = DECISIONS[decision]
    body = BODIES.get(decision, {})
    for role, username in ROLES.items():
        if role == who:
            continue
        refused = ApiClient(app, username).post(url(visit, decision), json=body)
        assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "forbidden")
        assert status_of(app, visit) == state
    answer = ApiClient(app, ROLES[who]).post(url(visit, decision), json=body)
    if state in moves:
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json()["status"] == moves[state] == status_of(app, visit)
    else:
        assert answer.status_code == 409
        body = answer.get_json()
        assert (body["error"]["code"], body["visit_status"]) == ("wrong_state", state)
        assert status_of(app, visit) == state


def test_a_refused_decision_is_said_on_the_page_language_too(app, visit):
    answer = ApiClient(app, "insp-a").post(url(visit, "submit"), json={})
    assert answer.status_code == 409
    assert "in progress or returned" in answer.get_json()["error"]["message"]


# What a submission needs -------------------------------------------------------------------------


def missing_of(response) -> list[tuple[str, str]]:
    assert response.status_code == 409, response.get_json()
    body = response.get_json()
    assert body["error"]["code"] == "incomplete"
    return [(m["reason"], m["item_key"]) for m in body["missing"]]


def test_a_submission_lists_every_unanswered_required_item(app, visit):
    inspector = ApiClient(app, "insp-a")
    inspector.put(url(visit, "answers/kh-cchc"), json={"value": "yes", "note": ""})
    missing = missing_of(inspector.post(url(visit, "submit"), json={}))
    unanswered = [key for reason, key in missing if reason == "unanswered"]
    assert "kh-cchc" not in unanswered and "bao-cao-cchc" in unanswered
    assert "ghi-chu-chung" not in unanswered  # optional
    assert "website-cap-nhat" not in unanswered  # hidden until co-website is "yes"
    assert status_of(app, visit) == "in_progress"


def test_a_failed_item_needs_a_deficiency_or_a_reason_for_none(app, visit):
    inspector = complete_visit(app, visit)
    inspector.put(url(visit, "answers/tiet-kiem"), json={"value": "no"})
    assert missing_of(inspector.post(url(visit, "submit"), json={})) == [("finding", "tiet-kiem")]
    inspector.put(
        url(visit, "answers/tiet-kiem"),
        json={"value": "no", "no_finding_reason": "Đã khắc phục ngay trong buổi kiểm tra"},
    )
    assert inspector.post(url(visit, "submit"), json={}).status_code == 200


def test_a_deficiency_tied_to_the_failed_item_satisfies_it_and_a_withdrawn_one_does_not(app, visit):
    inspector = complete_visit(app, visit)
    inspector.put(url(visit, "answers/tiet-kiem"), json={"value": "no"})
    made = inspector.post(
        url(visit, "findings"),
        json={"item_key": "tiet-kiem", "text": "Chưa ban hành Chương trình", "remedy": "Ban hành"},
    ).get_json()
    inspector.patch(f"/api/v1/findings/{made['id']}", json={"withdrawn": True})
    assert missing_of(inspector.post(url(visit, "submit"), json={})) == [("finding", "tiet-kiem")]
    inspector.patch(f"/api/v1/findings/{made['id']}", json={"withdrawn": False})
    assert inspector.post(url(visit, "submit"), json={}).status_code == 200


def test_a_raised_warning_needs_an_explanation_asked_again_when_its_items_change(app, visit):
    inspector = complete_visit(app, visit)  # explains the warnings its answers raise
    inspector.put(url(visit, "answers/co-ho-so-tre-han"), json={"value": "no"})
    inspector.put(url(visit, "answers/ty-le-dung-han"), json={"value": {"num": 98, "den": 100}})
    inspector.post(
        url(visit, "findings"),
        json={"item_key": "ty-le-dung-han", "text": "Còn hồ sơ trễ hạn", "remedy": "Giải quyết"},
    )
    refused = inspector.post(url(visit, "submit"), json={})
    assert missing_of(refused) == [("warning", "ty-le-dung-han")]
    assert refused.get_json()["missing"][0]["check_key"] == "khong-tre-han-nhung-duoi-100"
    check = url(visit, "checks/khong-tre-han-nhung-duoi-100")
    assert (
        inspector.put(check, json={"explanation": "2 hồ sơ liên thông trễ ở cấp huyện"}).status_code
        == 200
    )
    # A change to one of its items asks for the explanation again.
    inspector.put(url(visit, "answers/ty-le-dung-han"), json={"value": {"num": 97, "den": 100}})
    assert missing_of(inspector.post(url(visit, "submit"), json={})) == [
        ("warning", "ty-le-dung-han")
    ]
    assert inspector.put(check, json={"explanation": "3 hồ sơ liên thông trễ"}).status_code == 200
    assert inspector.post(url(visit, "submit"), json={}).status_code == 200


def test_an_item_that_requires_photos_needs_them_unless_not_applicable(app, visit):
    lead = user_named(app, "lead-a")
    posting = make_plan(app, lead, number="9/KH-UBND", form_key="niem-yet-tthc")
    other = make_visit(app, posting, ["insp-a"], unit_code="ninh-da", scheduled_on="2024-07-02")
    inspector = complete_visit(app, other)
    doc = app.extensions["inspection.library"].get("niem-yet-tthc", 1).document
    needing = [
        (item["key"], item.get("photos_min", 1))
        for section in doc["sections"]
        for item in section["items"]
        if item.get("photo") == "required"
    ]
    key, count = needing[0]
    photos = inspector.get(url(other, "photos")).get_json()["photos"]
    for photo in photos:
        if key in photo["item_keys"]:
            inspector.delete(f"/api/v1/photos/{photo['id']}?item_key={key}")
    refused = inspector.post(url(other, "submit"), json={})
    assert missing_of(refused) == [("photos", key)]
    assert refused.get_json()["missing"][0]["needed"] == count
    inspector.put(url(other, f"answers/{key}"), json={"value": "na"})
    assert inspector.post(url(other, "submit"), json={}).status_code == 200


# Return, comments, resubmission ------------------------------------------------------------------


def test_the_lead_returns_with_comments_the_team_sees_until_it_submits_again(app, visit):
    inspector = complete_visit(app, visit)
    assert inspector.post(url(visit, "submit"), json={}).status_code == 200
    lead = ApiClient(app, "lead-a")
    draft = lead.post(url(visit, "comments"), json={"item_key": "kh-cchc", "comment": "Ngày?"})
    assert draft.status_code == 201 and draft.get_json()["sent_at"] is None
    returned = lead.post(
        url(visit, "return"),
        json={
            "comment": "Bổ sung trước thứ Sáu",
            "items": [{"item_key": "sipas-diem", "comment": "Ghi nguồn số liệu"}],
        },
    )
    assert returned.status_code == 200 and returned.get_json()["comments_sent"] == 3
    comments = inspector.get(f"/api/v1/visits/{visit.id}").get_json()["review_comments"]
    assert {(c["item_key"], c["comment"]) for c in comments} == {
        ("kh-cchc", "Ngày?"),
        ("sipas-diem", "Ghi nguồn số liệu"),
        (None, "Bổ sung trước thứ Sáu"),
    }
    assert all(c["sent_at"] and c["closed_at"] is None for c in comments)
    # The team works again, then hands it in: the comments are answered.
    note = {"value": "Nguồn: báo cáo SIPAS của tỉnh"}
    assert inspector.put(url(visit, "answers/ghi-chu-chung"), json=note).status_code == 200
    assert inspector.post(url(visit, "submit"), json={}).status_code == 200
    comments = inspector.get(f"/api/v1/visits/{visit.id}").get_json()["review_comments"]
    assert all(c["closed_at"] for c in comments)


def test_a_return_without_a_single_comment_is_refused(app, visit):
    complete_visit(app, visit)
    set_visit_status(app, visit, "submitted")
    lead = ApiClient(app, "lead-a")
    refused = lead.post(url(visit, "return"), json={})
    assert refused.status_code == 400 and "comment" in refused.get_json()["error"]["fields"]
    unknown = lead.post(
        url(visit, "return"), json={"items": [{"item_key": "khong-co", "comment": "?"}]}
    )
    assert unknown.status_code == 400
    assert "items[0].item_key" in unknown.get_json()["error"]["fields"]
    assert status_of(app, visit) == "submitted"


# The lead's corrections during review ------------------------------------------------------------


def test_the_lead_corrects_an_answer_in_review_only_with_a_reason(app, visit):
    complete_visit(app, visit)
    set_visit_status(app, visit, "submitted")
    lead = ApiClient(app, "lead-a")
    bare = lead.put(url(visit, "answers/sipas-diem"), json={"value": 10})
    assert bare.status_code == 400 and "reason" in bare.get_json()["error"]["fields"]
    corrected = lead.put(
        url(visit, "answers/sipas-diem"),
        json={"value": 10, "reason": "Điểm SIPAS năm 2024 của tỉnh là 10"},
    )
    assert corrected.status_code == 200
    assert corrected.get_json()["visit"]["status"] == "submitted"
    events = lead.get(url(visit, "history")).get_json()["events"]
    correction = [e for e in events if e["action"] == "answer.correct"]
    assert len(correction) == 1 and correction[0]["by"] == "lead-a"
    assert correction[0]["after"]["reason"] == "Điểm SIPAS năm 2024 của tỉnh là 10"
    inspector = ApiClient(app, "insp-a")
    assert inspector.put(url(visit, "answers/sipas-diem"), json={"value": 12}).status_code == 409


def test_the_lead_answers_only_while_reviewing(app, visit):
    lead = ApiClient(app, "lead-a")
    for state in ("planned", "in_progress", "returned"):
        set_visit_status(app, visit, state)
        refused = lead.put(url(visit, "answers/kh-cchc"), json={"value": "yes", "reason": "x"})
        assert refused.status_code == 409, state
        assert "while reviewing" in refused.get_json()["error"]["message"]
    answers = ApiClient(app, "insp-a").get(f"/api/v1/visits/{visit.id}").get_json()["answers"]
    assert answers == []


def test_approval_needs_what_submission_needs(app, visit):
    """A correction in review may make an item fail: approving then lists what is missing."""
    inspector = complete_visit(app, visit)
    assert inspector.post(url(visit, "submit"), json={}).status_code == 200
    lead = ApiClient(app, "lead-a")
    fixed = lead.put(url(visit, "answers/tiet-kiem"), json={"value": "no", "reason": "Chưa có"})
    assert fixed.status_code == 200
    refused = lead.post(url(visit, "approve"), json={})
    assert missing_of(refused) == [("finding", "tiet-kiem")]
    assert status_of(app, visit) == "submitted"
    lead.post(
        url(visit, "findings"),
        json={"item_key": "tiet-kiem", "text": "Thiếu", "remedy": "Ban hành"},
    )
    assert lead.post(url(visit, "approve"), json={}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"finding_id": 10**20, "comment": "Quá lớn"},
        {"finding_id": "abc", "comment": "Không phải số"},
        {"item_key": "kh-cchc", "finding_id": 1, "comment": "Cả hai"},
    ],
)
def test_a_comment_names_one_real_target(app, visit, body):
    complete_visit(app, visit)
    set_visit_status(app, visit, "submitted")
    lead = ApiClient(app, "lead-a")
    refused = lead.post(url(visit, "comments"), json=body)
    assert refused.status_code == 400 and "finding_id" in refused.get_json()["error"]["fields"]
    returned = lead.post(url(visit, "return"), json={"items": [body]})
    assert returned.status_code == 400
    assert status_of(app, visit) == "submitted"


# Approval freezes everything; reopening ----------------------------------------------------------


def test_approval_freezes_answers_photos_deficiencies_and_explanations(app, visit):
    inspector = complete_visit(app, visit)
    made = inspector.post(url(visit, "findings"), json={"text": "Thiếu", "remedy": "Bổ sung"})
    photo = upload_photo(inspector, visit, photo_bytes(77), item_key="niem-yet-qr").get_json()
    assert inspector.post(url(visit, "submit"), json={}).status_code == 200
    lead = ApiClient(app, "lead-a")
    assert lead.post(url(visit, "approve"), json={}).status_code == 200
    finding = f"/api/v1/findings/{made.get_json()['id']}"
    for client in (inspector, lead):
        attempts = [
            client.put(url(visit, "answers/kh-cchc"), json={"value": "no", "reason": "x"}),
            client.post(url(visit, "findings"), json={"text": "Mới", "remedy": "Sửa"}),
            client.patch(finding, json={"text": "Khác"}),
            client.patch(f"/api/v1/photos/{photo['id']}", json={"caption": "Khác"}),
            client.delete(f"/api/v1/photos/{photo['id']}"),
            upload_photo(client, visit, photo_bytes(78)),
            upload_photo(client, visit, photo_bytes(79), finding_id=str(made.get_json()["id"])),
            client.put(url(visit, "checks/khong-tre-han-nhung-duoi-100"), json={"explanation": ""}),
        ]
        assert [a.status_code for a in attempts] == [409] * len(attempts), [
            a.get_json() for a in attempts
        ]
    batch = inspector.post(
        url(visit, "answers"),
        json={
            "answers": [
                {
                    "item_key": "kh-cchc",
                    "value": "no",
                    "client_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                    "answered_at": "2024-06-28T10:00:00+07:00",
                }
            ]
        },
    )
    assert batch.status_code == 409
    assert status_of(app, visit) == "approved"


def test_reopening_needs_a_reason_and_puts_the_visit_under_review_again(app, visit):
    complete_visit(app, visit)
    set_visit_status(app, visit, "approved")
    lead = ApiClient(app, "lead-a")
    assert lead.post(url(visit, "reopen"), json={}).status_code == 400
    assert lead.post(url(visit, "reopen"), json={"reason": "Sai điểm SIPAS"}).status_code == 200
    assert status_of(app, visit) == "submitted"
    fixed = lead.put(url(visit, "answers/sipas-diem"), json={"value": 11, "reason": "Đối chiếu"})
    assert fixed.status_code == 200
    events = lead.get(url(visit, "history")).get_json()["events"]
    reopened = [e for e in events if e["action"] == "visit.reopen"]
    assert reopened[0]["after"] == {"status": "submitted", "reason": "Sai điểm SIPAS"}
    set_visit_status(app, visit, "notice_issued")
    assert lead.post(url(visit, "reopen"), json={"reason": "Muộn"}).status_code == 409


# The audit trail ---------------------------------------------------------------------------------


def test_each_step_of_a_review_is_in_the_visit_history_in_order(app, visit):
    inspector = complete_visit(app, visit)
    lead = ApiClient(app, "lead-a")
    inspector.put(url(visit, "answers/tiet-kiem"), json={"value": "no"})
    made = inspector.post(
        url(visit, "findings"),
        json={"item_key": "tiet-kiem", "text": "Thiếu", "remedy": "Ban hành"},
    ).get_json()
    inspector.post(url(visit, "submit"), json={})
    lead.post(url(visit, "comments"), json={"finding_id": made["id"], "comment": "Nêu rõ năm"})
    lead.patch(f"/api/v1/findings/{made['id']}", json={"text": "Chưa ban hành Chương trình 2024"})
    lead.post(url(visit, "return"), json={})
    inspector.post(url(visit, "submit"), json={})
    lead.post(url(visit, "approve"), json={})
    lead.post(url(visit, "reopen"), json={"reason": "Xem lại"})
    actions = [e["action"] for e in lead.get(url(visit, "history")).get_json()["events"]]
    steps = [
        a
        for a in actions
        if a.startswith(("visit.", "finding.", "comment.")) or a == "check.explain"
    ]
    assert steps == [
        "visit.create",
        "check.explain",  # complete_visit explains what its answers raise
        "finding.add",
        "visit.submit",
        "comment.add",
        "finding.review",  # the lead's wording, told apart from the team's edits
        "visit.return",
        "visit.submit",
        "visit.approve",
        "visit.reopen",
    ]
    assert actions.count("answer.update") > 40


# Several people on one visit at once --------------------------------------------------------------


def test_two_inspectors_and_the_lead_on_one_visit(app, plan):
    make_user(app, "insp-b", "inspector")
    make_unit(app)
    visit = make_visit(app, plan, ["insp-a", "insp-b"])
    a, b, lead = ApiClient(app, "insp-a"), ApiClient(app, "insp-b"), ApiClient(app, "lead-a")
    base = a.get(f"/api/v1/visits/{visit.id}").get_json()["revision"]
    # All three from the same copy: different records land.
    first = a.put(url(visit, "answers/kh-cchc"), json={"value": "no", "base_revision": base})
    second = b.put(url(visit, "answers/bao-cao-cchc"), json={"value": "yes", "base_revision": base})
    third = lead.post(
        url(visit, "findings"),
        json={"item_key": "kh-cchc", "text": "Chưa có KH", "remedy": "Ban hành"},
    )
    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 201]
    # The same item from the old copy conflicts, showing what is there now.
    clash = b.put(url(visit, "answers/kh-cchc"), json={"value": "yes", "base_revision": base})
    assert clash.status_code == 409
    assert clash.get_json()["current"]["value"] == "no"
    assert clash.get_json()["current"]["answered_by"] == "insp-a"
    finding = third.get_json()
    a.patch(f"/api/v1/findings/{finding['id']}", json={"severity": "high"})
    stale = lead.patch(
        f"/api/v1/findings/{finding['id']}",
        json={"text": "Chưa ban hành KH", "base_revision": finding["revision"]},
    )
    assert stale.status_code == 409
    assert stale.get_json()["current"]["severity"] == "high"
    answers = {
        x["item_key"]: x["value"] for x in a.get(f"/api/v1/visits/{visit.id}").get_json()["answers"]
    }
    assert answers == {"kh-cchc": "no", "bao-cao-cchc": "yes"}


def test_three_people_at_once_different_records_land_the_same_item_conflicts(app, plan):
    """In threads, from one copy of the visit: two inspectors answer different items and the
    lead records deficiencies, all at once; two writes of one item from that copy: one lands,
    the other is a conflict showing the first."""
    make_user(app, "insp-b", "inspector")
    make_unit(app)
    visit = make_visit(app, plan, ["insp-a", "insp-b"])
    clients = {n: ApiClient(app, n) for n in ("insp-a", "insp-b", "lead-a")}
    base = clients["insp-a"].get(f"/api/v1/visits/{visit.id}").get_json()["revision"]
    a_items = ["kh-cchc", "bao-cao-cchc", "tuyen-truyen", "tu-kiem-tra"]
    b_items = ["ra-soat-vbqppl", "theo-doi-thi-hanh", "pbgdpl", "quy-che-lam-viec"]
    writes = [("insp-a", "put", f"answers/{k}", {"value": "yes"}) for k in a_items]
    writes += [("insp-b", "put", f"answers/{k}", {"value": "no"}) for k in b_items]
    writes += [
        ("lead-a", "post", "findings", {"text": f"Thiếu sót {n}", "remedy": "Khắc phục"})
        for n in range(3)
    ]
    writes += [
        ("insp-a", "put", "answers/sipas-diem", {"value": 10}),
        ("insp-b", "put", "answers/sipas-diem", {"value": 11}),
    ]

    def send(write):
        who, method, rest, body = write
        client = clients[who]
        response = getattr(client, method)(url(visit, rest), json={**body, "base_revision": base})
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(send, writes))
    statuses = [status for status, _ in results]
    assert statuses[:8] == [200] * 8 and statuses[8:11] == [201] * 3
    clash = sorted(results[11:], key=lambda r: r[0])
    assert [status for status, _ in clash] == [200, 409]
    landed = clash[0][1]["value"]
    assert clash[1][1]["current"]["value"] == landed  # the loser is shown the winner's answer
    record = clients["lead-a"].get(f"/api/v1/visits/{visit.id}").get_json()
    stored = {a["item_key"]: a["value"] for a in record["answers"]}
    assert stored == {
        **dict.fromkeys(a_items, "yes"),
        **dict.fromkeys(b_items, "no"),
        "sipas-diem": landed,
    }
    assert len(record["findings"]) == 3
