"""The team's deficiencies page and what the checklist shows of the review (plain forms, no
JavaScript): proposals from failed items, recording and correcting deficiencies, the reason for
none, explanations, what is missing before submitting, and the submission itself."""

from __future__ import annotations

import re

from inspection.models import Finding
from tests.factories import (
    ApiClient,
    complete_visit,
    csrf_from,
    logged_in,
    make_user,
    page_of,
    rows,
    set_visit_status,
)


def page(client, visit) -> str:
    response = client.get(f"/visits/{visit.id}/findings")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def fail(app, visit, key="niem-yet-qr"):
    api = ApiClient(app, "insp-a")
    assert (
        api.put(f"/api/v1/visits/{visit.id}/answers/{key}", json={"value": "no"}).status_code == 200
    )


def test_a_failed_item_proposes_its_deficiency_and_the_inspector_records_it(app, visit):
    fail(app, visit)
    browser = logged_in(app, "insp-a")
    html = page(browser, visit)
    assert 'id="f-niem-yet-qr"' in html
    assert "Chưa niêm yết mã QR" in html  # the template's wording, in the form to record
    assert "30/07/2024" not in html and "28/07/2024" in html  # 28/06 + 30 days
    response = browser.post(
        f"/visits/{visit.id}/findings",
        data={
            "csrf_token": csrf_from(html),
            "item_key": "niem-yet-qr",
            "client_id": "7d444840-9dc0-11d1-b245-5ffdce74fad2",
            "text": "Chưa niêm yết mã QR tại quầy số 2",
            "remedy": "Niêm yết mã QR tại mọi quầy",
            "severity": "high",
            "responsible": "Văn phòng - Thống kê",
            "due_on": "15/08/2024",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/visits/{visit.id}/findings#f-niem-yet-qr")
    [finding] = rows(app, Finding)
    assert (finding.text, finding.severity, finding.due_on.isoformat()) == (
        "Chưa niêm yết mã QR tại quầy số 2",
        "high",
        "2024-08-15",
    )
    after = page(browser, visit)
    assert f'id="finding-{finding.id}"' in after
    assert 'name="item_key" value="niem-yet-qr"' not in after  # no longer proposed


def test_a_refused_deficiency_is_said_at_its_form_with_what_was_typed(app, visit):
    fail(app, visit)
    browser = logged_in(app, "insp-a")
    html = page(browser, visit)
    response = browser.post(
        f"/visits/{visit.id}/findings",
        data={
            "csrf_token": csrf_from(html),
            "item_key": "niem-yet-qr",
            "text": "Thiếu mã QR ở quầy 3",
            "remedy": "",
            "due_on": "31/02/2024",
        },
    )
    assert response.status_code == 400
    shown = response.get_data(as_text=True)
    assert "Thiếu mã QR ở quầy 3" in shown and "31/02/2024" in shown  # nothing typed is lost
    assert "Chưa lưu thiếu sót" in shown and "dd/mm/yyyy" in shown
    assert rows(app, Finding) == []


def test_a_reason_for_no_deficiency_takes_the_item_off_the_missing_list(app, visit):
    complete_visit(app, visit)
    fail(app, visit, "tiet-kiem")
    browser = logged_in(app, "insp-a")
    html = page(browser, visit)
    assert 'href="#f-tiet-kiem"' in html  # listed as missing, linking to its form
    response = browser.post(
        f"/visits/{visit.id}/findings/none/tiet-kiem",
        data={
            "csrf_token": csrf_from(html),
            "no_finding_reason": "Đã ban hành trong buổi kiểm tra",
        },
    )
    assert response.status_code == 302
    after = page(browser, visit)
    assert 'href="#f-tiet-kiem"' not in after and "Đã ban hành trong buổi kiểm tra" in after
    assert "Nộp cho trưởng đoàn" in after
    # Only the reason changed: the answer is still the one the inspector gave, when given.
    events = ApiClient(app, "lead-a").get(f"/api/v1/visits/{visit.id}/history").get_json()
    reasons = [e for e in events["events"] if e["action"] == "answer.reason"]
    assert len(reasons) == 1 and reasons[0]["after"]["value"] == "no"


def test_a_warning_is_shown_on_the_checklist_and_explained_on_this_page(app, visit):
    api = ApiClient(app, "insp-a")
    api.put(f"/api/v1/visits/{visit.id}/answers/co-ho-so-tre-han", json={"value": "no"})
    api.put(
        f"/api/v1/visits/{visit.id}/answers/ty-le-dung-han", json={"value": {"num": 9, "den": 10}}
    )
    browser = logged_in(app, "insp-a")
    checklist = page_of(browser, visit)
    warned = re.findall(r'<p class="remark warn" data-warn="([^"]+)">', checklist)
    assert warned == ["khong-tre-han-nhung-duoi-100"] * 2  # on both items it names
    assert re.search(r"data-warn-count>[^<]*<span data-warnings>1</span>", checklist)
    html = page(browser, visit)
    response = browser.post(
        f"/visits/{visit.id}/checks/khong-tre-han-nhung-duoi-100",
        data={"csrf_token": csrf_from(html), "explanation": "Hồ sơ liên thông trễ ở cấp huyện"},
    )
    assert response.status_code == 302
    assert "Hồ sơ liên thông trễ ở cấp huyện" in page(browser, visit)


def test_submission_from_the_page_and_the_lead_sees_it_read_only(app, visit):
    complete_visit(app, visit)
    browser = logged_in(app, "insp-a")
    html = page(browser, visit)
    assert "Đã ghi nhận đủ để nộp" in html
    response = browser.post(f"/visits/{visit.id}/submit", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302 and response.headers["Location"] == f"/visits/{visit.id}"
    assert ApiClient(app, "lead-a").get(f"/api/v1/visits/{visit.id}").get_json()["status"] == (
        "submitted"
    )
    after = page(browser, visit)
    assert "Nộp cho trưởng đoàn" not in after and "<textarea" not in after


def test_a_submission_with_gaps_lists_them_with_links(app, visit):
    browser = logged_in(app, "insp-a")
    ApiClient(app, "insp-a").put(
        f"/api/v1/visits/{visit.id}/answers/kh-cchc", json={"value": "yes"}
    )
    html = page(browser, visit)
    response = browser.post(f"/visits/{visit.id}/submit", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 409
    shown = response.get_data(as_text=True)
    assert "Chưa thể nộp" in shown and f'href="/visits/{visit.id}#item-bao-cao-cchc"' in shown


def test_the_checklist_shows_the_leads_comments_and_corrections(app, visit):
    complete_visit(app, visit)
    set_visit_status(app, visit, "submitted")
    lead = ApiClient(app, "lead-a")
    lead.put(
        f"/api/v1/visits/{visit.id}/answers/sipas-diem",
        json={"value": 12, "reason": "Theo kết quả SIPAS của tỉnh"},
    )
    lead.post(
        f"/api/v1/visits/{visit.id}/return",
        json={
            "comment": "Bổ sung trong tuần",
            "items": [{"item_key": "kh-cchc", "comment": "Ghi số văn bản"}],
        },
    )
    checklist = page_of(logged_in(app, "insp-a"), visit)
    assert "Bổ sung trong tuần" in checklist  # the to-do at the top
    assert '<p class="remark review">Trưởng đoàn: Ghi số văn bản</p>' in checklist
    assert "Trưởng đoàn đã sửa: Theo kết quả SIPAS của tỉnh" in checklist


def test_who_may_open_the_page(app, visit):
    make_user(app, "admin", "admin")
    make_user(app, "insp-b", "inspector")
    assert logged_in(app, "admin").get(f"/visits/{visit.id}/findings").status_code == 200
    assert logged_in(app, "insp-b").get(f"/visits/{visit.id}/findings").status_code == 403
    html = page(logged_in(app, "admin"), visit)
    assert '<form method="post" action="/visits/' not in html  # reads, never writes
