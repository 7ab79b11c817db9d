"""Issue 16 on tablets: an inspector sees a consistency warning appear and clear as they answer,
submits and is shown what is missing, completes it and submits; the lead returns the visit with
a comment on one item; the inspector sees it, fixes the item and submits again; the lead
approves; the inspector can no longer edit."""

from __future__ import annotations

from tests.browser.conftest import VIEWPORTS, login, open_context
from tests.factories import PASSWORD, ApiClient, complete_visit

WARNING = "khong-tre-han-nhung-duoi-100"  # "no late dossiers", yet below 100 % on time


def item(page, key):
    return page.locator(f"#item-{key}")


def prepared(live_app, visit):
    """Everything answered but one required item; no late dossiers, all on time."""
    inspector = complete_visit(live_app, visit)
    base = f"/api/v1/visits/{visit.id}/answers"
    assert inspector.put(f"{base}/co-ho-so-tre-han", json={"value": "no"}).status_code == 200
    assert inspector.put(f"{base}/bieu-mau", json={"value": None}).status_code == 200


def test_warning_submission_return_and_approval(
    browser, server, live_app, demo_visit, requests_log
):
    visit = demo_visit
    prepared(live_app, visit)
    tablet = VIEWPORTS["tablet-portrait"]
    team = open_context(browser, tablet, log=requests_log).new_page()
    login(team, server.url, "insp-a", PASSWORD)
    team.goto(f"{server.url}/visits/{visit.id}")
    team.wait_for_selector(".visit.js")
    assert team.locator("p[data-warn]").count() == 0
    assert team.locator("[data-warn-count]").is_hidden()

    # The warning appears as the contradicting answer is saved, and clears when it is put right.
    ratio = item(team, "ty-le-dung-han")
    ratio.scroll_into_view_if_needed()
    ratio.locator("input[name=num]").fill("95")
    ratio.locator("input[name=den]").fill("100")
    ratio.locator("button.save[name=value]").click()
    team.wait_for_selector(f"#item-ty-le-dung-han p[data-warn={WARNING}]")
    assert team.locator(f"#item-co-ho-so-tre-han p[data-warn={WARNING}]").is_visible()
    assert "tỷ lệ hồ sơ giải quyết đúng hạn dưới 100%" in ratio.locator("p[data-warn]").inner_text()
    assert team.locator("[data-warn-count]").is_visible()
    assert team.locator("[data-warnings]").inner_text() == "1"
    ratio.locator("input[name=num]").fill("100")
    ratio.locator("button.save[name=value]").click()
    team.wait_for_selector("#item-ty-le-dung-han[data-state=saved]")
    team.wait_for_selector("p[data-warn]", state="detached")
    assert team.locator("[data-warn-count]").is_hidden()

    # Submitting too early: the page says what is missing, linking to it.
    team.click("text=Thiếu sót và nộp kết quả")
    team.wait_for_load_state("load")
    team.click("button:has-text('Nộp cho trưởng đoàn')")
    team.wait_for_load_state("load")
    assert "Chưa thể nộp cuộc kiểm tra" in team.locator("[role=alert]").inner_text()
    team.click("summary:has-text('tiêu chí bắt buộc chưa trả lời')")
    team.click("ul.missing a[href$='#item-bieu-mau']")
    team.wait_for_selector(".visit.js")
    item(team, "bieu-mau").locator("button[value=yes]").click()
    team.wait_for_selector("#item-bieu-mau[data-state=saved]")
    team.click("text=Thiếu sót và nộp kết quả")
    team.wait_for_load_state("load")
    assert "Đã ghi nhận đủ để nộp." in team.content()
    team.click("button:has-text('Nộp cho trưởng đoàn')")
    team.wait_for_url(f"{server.url}/visits/{visit.id}", wait_until="load")
    assert team.locator("[data-status]").inner_text() == "Đã gửi duyệt"
    assert team.locator("#item-kh-cchc button[value=yes]").count() == 0  # no longer theirs

    # The lead comments on one item and returns the visit.
    lead = open_context(browser, tablet, log=requests_log).new_page()
    login(lead, server.url, "lead-a", PASSWORD)
    lead.goto(f"{server.url}/visits/{visit.id}/review")
    lead.locator("#item-kh-cchc a.review-act").click()
    lead.wait_for_load_state("load")
    lead.fill("textarea[name=comment]", "Ghi số và ngày của Kế hoạch vào ghi chú")
    lead.click("button:has-text('Lưu nhận xét')")
    lead.wait_for_load_state("load")
    assert "chưa gửi" in lead.locator("#item-kh-cchc").inner_text()
    lead.fill("form[action$='/return'] textarea[name=comment]", "Bổ sung trong buổi chiều")
    lead.click("button:has-text('Trả lại cho đoàn')")
    lead.wait_for_load_state("load")
    assert lead.locator("[data-status]").inner_text() == "Trả lại"

    # The inspector sees the comment on the item, fixes it and submits again.
    team.reload()
    team.wait_for_selector(".visit.js")
    assert "Bổ sung trong buổi chiều" in team.locator(".to-do").inner_text()
    kh = item(team, "kh-cchc")
    assert "Trưởng đoàn: Ghi số và ngày của Kế hoạch" in kh.locator(".remark.review").inner_text()
    kh.scroll_into_view_if_needed()
    kh.locator("details.note > summary").click()
    kh.locator("textarea[name=note]").fill("Kế hoạch số 15/KH-UBND ngày 10/01/2024")
    kh.locator("button[name=action][value=note]").click()
    team.wait_for_selector("#item-kh-cchc[data-state=saved]")
    team.click("text=Thiếu sót và nộp kết quả")
    team.wait_for_load_state("load")
    team.click("button:has-text('Nộp cho trưởng đoàn')")
    team.wait_for_url(f"{server.url}/visits/{visit.id}", wait_until="load")
    assert team.locator("[data-status]").inner_text() == "Đã gửi duyệt"

    # The lead approves; the inspector can no longer change anything.
    lead.reload()
    lead.click("button:has-text('Phê duyệt')")
    lead.wait_for_load_state("load")
    assert lead.locator("[data-status]").inner_text() == "Đã duyệt"
    team.reload()
    team.wait_for_load_state("load")
    assert team.locator("[data-status]").inner_text() == "Đã duyệt"
    assert team.locator(".item button.answer").count() == 0
    assert team.locator("textarea[name=note]").count() == 0
    assert "Kế hoạch số 15/KH-UBND" in item(team, "kh-cchc").inner_text()
    refused = ApiClient(live_app, "insp-a").put(
        f"/api/v1/visits/{visit.id}/answers/kh-cchc", json={"value": "no"}
    )
    assert refused.status_code == 409
