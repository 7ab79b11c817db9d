"""The lead's review pages (plain forms, no JavaScript): everything the team recorded on one page,
comments and corrections on an item's page, and the decisions."""

from __future__ import annotations

import re

from tests.factories import (
    ApiClient,
    complete_visit,
    csrf_from,
    logged_in,
    make_user,
    page_of,
)


def submitted(app, visit):
    """A complete visit with one failed item and its deficiency, handed in."""
    inspector = complete_visit(app, visit)
    inspector.put(f"/api/v1/visits/{visit.id}/answers/tiet-kiem", json={"value": "no"})
    inspector.post(
        f"/api/v1/visits/{visit.id}/findings",
        json={
            "item_key": "tiet-kiem",
            "text": "Chưa ban hành Chương trình THTK",
            "remedy": "Ban hành",
        },
    )
    assert inspector.post(f"/api/v1/visits/{visit.id}/submit", json={}).status_code == 200
    return inspector


def review_page(client, visit) -> str:
    response = client.get(f"/visits/{visit.id}/review")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_review_page_shows_what_the_team_recorded(app, visit):
    submitted(app, visit)
    html = review_page(logged_in(app, "lead-a"), visit)
    assert "Chưa ban hành Chương trình THTK" in html  # the deficiency
    assert html.count('class="review-item') == 53  # every item, by section
    assert re.search(r'id="item-tiet-kiem"[^>]*>', html)
    assert "review-item failed" in html
    assert html.count("Người dùng insp-a") >= 50  # who gave each answer
    assert "Trả lại cho đoàn" in html and "Phê duyệt" in html
    assert "Nhận xét hoặc sửa" in html
    assert "Lịch sử" in html and "nộp cuộc kiểm tra" in html


def test_a_comment_on_an_item_goes_to_the_team_with_the_return(app, visit):
    submitted(app, visit)
    lead = logged_in(app, "lead-a")
    item_url = f"/visits/{visit.id}/review/items/kh-cchc"
    html = lead.get(item_url).get_data(as_text=True)
    saved = lead.post(
        f"{item_url}/comment", data={"csrf_token": csrf_from(html), "comment": "Ghi số văn bản"}
    )
    assert saved.status_code == 302
    review = review_page(lead, visit)
    assert "Ghi số văn bản" in review and "chưa gửi" in review
    returned = lead.post(
        f"/visits/{visit.id}/return",
        data={"csrf_token": csrf_from(review), "comment": "Bổ sung trong ngày"},
    )
    assert returned.status_code == 302
    assert ApiClient(app, "insp-a").get(f"/api/v1/visits/{visit.id}").get_json()["status"] == (
        "returned"
    )
    inspector = logged_in(app, "insp-a")
    checklist = page_of(inspector, visit)
    assert "Bổ sung trong ngày" in checklist and "Trưởng đoàn: Ghi số văn bản" in checklist
    home = inspector.get("/").get_data(as_text=True)
    assert '<span class="badge attention">Trả lại</span>' in home  # stands out in "My visits"


def test_a_correction_needs_its_reason_and_keeps_what_was_typed(app, visit):
    submitted(app, visit)
    lead = logged_in(app, "lead-a")
    item_url = f"/visits/{visit.id}/review/items/sipas-diem"
    html = lead.get(item_url).get_data(as_text=True)
    bare = lead.post(f"{item_url}/correct", data={"csrf_token": csrf_from(html), "number": "10"})
    assert bare.status_code == 400
    assert "Chưa sửa" in bare.get_data(as_text=True)
    fixed = lead.post(
        f"{item_url}/correct",
        data={"csrf_token": csrf_from(html), "number": "10", "reason": "Theo kết quả của tỉnh"},
    )
    assert fixed.status_code == 302
    answers = ApiClient(app, "lead-a").get(f"/api/v1/visits/{visit.id}").get_json()["answers"]
    assert {a["item_key"]: a["value"] for a in answers}["sipas-diem"] == 10
    assert "Trưởng đoàn đã sửa: Theo kết quả của tỉnh" in review_page(lead, visit)


def test_approve_then_reopen_with_a_reason(app, visit):
    submitted(app, visit)
    lead = logged_in(app, "lead-a")
    html = review_page(lead, visit)
    assert (
        lead.post(f"/visits/{visit.id}/approve", data={"csrf_token": csrf_from(html)}).status_code
        == 302
    )
    approved = review_page(lead, visit)
    assert f'action="/visits/{visit.id}/approve"' not in approved
    assert f'action="/visits/{visit.id}/return"' not in approved and "Mở lại để duyệt" in approved
    refused = lead.post(f"/visits/{visit.id}/reopen", data={"csrf_token": csrf_from(approved)})
    assert refused.status_code == 400
    reopened = lead.post(
        f"/visits/{visit.id}/reopen",
        data={"csrf_token": csrf_from(approved), "reason": "Sai điểm SIPAS"},
    )
    assert reopened.status_code == 302
    assert ApiClient(app, "lead-a").get(f"/api/v1/visits/{visit.id}").get_json()["status"] == (
        "submitted"
    )


def test_a_decision_from_the_wrong_state_is_said_on_the_page(app, visit):
    complete_visit(app, visit)  # in progress: nothing to approve yet
    lead = logged_in(app, "lead-a")
    html = review_page(lead, visit)
    refused = lead.post(f"/visits/{visit.id}/approve", data={"csrf_token": csrf_from(html)})
    assert refused.status_code == 409
    assert "Chỉ phê duyệt được cuộc kiểm tra đã nộp." in refused.get_data(as_text=True)


def test_others_read_the_review_but_neither_comment_nor_decide(app, visit):
    submitted(app, visit)
    make_user(app, "lead-b", "lead")
    inspector = logged_in(app, "insp-a")
    html = review_page(inspector, visit)
    assert "Trả lại cho đoàn" not in html and "Nhận xét hoặc sửa" not in html
    assert inspector.get(f"/visits/{visit.id}/review/items/kh-cchc").status_code == 403
    other = logged_in(app, "lead-b")
    token = csrf_from(review_page(other, visit))
    assert other.post(f"/visits/{visit.id}/approve", data={"csrf_token": token}).status_code == 403
    assert ApiClient(app, "lead-a").get(f"/api/v1/visits/{visit.id}").get_json()["status"] == (
        "submitted"
    )


def test_a_comment_on_a_deficiency_is_shown_with_it_and_sent_with_the_return(app, visit):
    submitted(app, visit)
    lead = logged_in(app, "lead-a")
    html = review_page(lead, visit)
    finding = re.search(r'id="finding-(\d+)"', html).group(1)
    saved = lead.post(
        f"/visits/{visit.id}/review/findings/{finding}/comment",
        data={"csrf_token": csrf_from(html), "comment": "Nêu rõ năm của Chương trình"},
    )
    assert saved.status_code == 302
    after = review_page(lead, visit)
    shown = after.split(f'id="finding-{finding}"')[1].split("</li>")[0]
    assert "Nêu rõ năm của Chương trình" in shown and "chưa gửi" in shown
    lead.post(f"/visits/{visit.id}/return", data={"csrf_token": csrf_from(after)})
    checklist = page_of(logged_in(app, "insp-a"), visit)
    # The deficiency belongs to tiet-kiem: its comment is shown on that item.
    item = checklist.split('id="item-tiet-kiem"')[1].split("</article>")[0]
    assert "Trưởng đoàn: Nêu rõ năm của Chương trình" in item


def test_the_leads_comments_reach_the_team_only_with_the_return(app, visit):
    submitted(app, visit)
    lead = logged_in(app, "lead-a")
    item_url = f"/visits/{visit.id}/review/items/kh-cchc"
    token = csrf_from(lead.get(item_url).get_data(as_text=True))
    lead.post(f"{item_url}/comment", data={"csrf_token": token, "comment": "Bản nháp"})
    assert "Bản nháp" in review_page(lead, visit)
    assert "Bản nháp" not in review_page(logged_in(app, "insp-a"), visit)
    lead.post(f"/visits/{visit.id}/return", data={"csrf_token": token})
    assert "Bản nháp" in review_page(logged_in(app, "insp-a"), visit)
