"""The checklist page served to each role, and its plain form posts (JavaScript off)."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import pytest
from sqlmodel import select

from inspection.db import get_session
from inspection.models import Answer, Unit, VisitStatus
from tests.builders import best_answers
from tests.factories import (
    ApiClient,
    csrf_from,
    logged_in,
    make_unit,
    make_user,
    make_visit,
    page_of,
    photo_bytes,
    post_item,
    set_visit_status,
    stored_answers,
    token_of,
    upload_photo,
)


@pytest.fixture
def visit(app, plan):
    """The plan's visit to UBND xã Ninh Xuân, assigned to insp-a, and people who may read it or
    not: another lead, the admin, an unassigned inspector and the unit's own account."""
    make_unit(app, code="ninh-xuan", name="UBND xã Ninh Xuân")
    make_user(app, "lead-b", "lead")
    make_user(app, "admin", "admin")
    make_user(app, "insp-b", "inspector")
    make_user(app, "unit-user", "unit", unit_code="ninh-xuan")
    return make_visit(app, plan, ["insp-a"], unit_code="ninh-xuan")


def item_html(page: str, key: str) -> str:
    match = re.search(rf'<article[^>]* id="item-{key}".*?</article>', page, re.S)
    assert match, key
    return match.group(0)


def test_assigned_inspector_gets_every_item_with_working_forms(app, visit):
    page = page_of(logged_in(app, "insp-a"), visit)
    assert "UBND xã Ninh Xuân" in page
    assert page.count('<article class="item') == 53
    assert " disabled" not in item_html(page, "kh-cchc")
    assert 'id="item-thu-xin-loi"' in page and "hidden>" in item_html(page, "thu-xin-loi")
    # A strict CSP holds: no inline script or style on the page.
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert " style=" not in page and "onclick" not in page


@pytest.mark.parametrize("username", ["lead-a", "lead-b", "admin"])
def test_leads_and_admin_read_the_page_without_controls(app, visit, username):
    """Answers read as text with who gave them and when, not as buttons that do nothing."""
    api = ApiClient(app, "insp-a")
    api.put(f"/api/v1/visits/{visit.id}/answers/kh-cchc", json={"value": "yes", "note": "Có KH"})
    api.put(f"/api/v1/visits/{visit.id}/answers/ty-le-so-hoa", json={"value": {"num": 6, "den": 7}})
    page = page_of(logged_in(app, username), visit)
    for key in ("kh-cchc", "ty-le-so-hoa", "bao-cao-cchc", "ghi-chu-chung"):
        block = item_html(page, key)
        assert not re.search(r"<(button|input|textarea|form)\b", block), key
    block = item_html(page, "kh-cchc")
    assert '<span class="answer-text">Đạt</span>' in block and "Có KH" in block
    assert re.search(r'class="answered-by">Người dùng insp-a · \d\d/\d\d/\d{4} \d\d:\d\d<', block)
    assert '<span class="answer-text">6/7 (85,71 %)</span>' in item_html(page, "ty-le-so-hoa")
    assert '<span class="answer-text">Chưa trả lời</span>' in item_html(page, "bao-cao-cchc")


@pytest.mark.parametrize("username", ["insp-b", "unit-user"])
def test_others_are_refused(app, visit, username):
    assert logged_in(app, username).get(f"/visits/{visit.id}").status_code == 403


def test_anonymous_is_sent_to_login(app, visit):
    response = app.test_client().get(f"/visits/{visit.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_plain_form_posts_save_every_kind_of_answer(app, visit):
    client = logged_in(app, "insp-a")
    saved = post_item(client, visit, "kh-cchc", {"value": "yes", "note": "Có kế hoạch"})
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/visits/{visit.id}#item-kh-cchc")
    post_item(client, visit, "sipas-diem", {"value": "", "number": "10,5"})
    post_item(client, visit, "ty-le-so-hoa", {"value": "", "num": "60", "den": "100"})
    post_item(client, visit, "kh-cchc-ngay", {"value": "", "text": "15/01/2024"})
    post_item(client, visit, "so-tthc-niem-yet", {"value": "", "number": "1.240"})
    post_item(client, visit, "niem-yet-qr", {"value": "na"})
    assert stored_answers(app, visit) == {
        "kh-cchc": "yes",
        "sipas-diem": 10.5,
        "ty-le-so-hoa": {"num": 60, "den": 100},
        "kh-cchc-ngay": "2024-01-15",
        "so-tthc-niem-yet": 1240,
        "niem-yet-qr": "na",
    }
    page = page_of(client, visit)
    assert "aria-pressed=true>" in item_html(page, "kh-cchc").split("answer yes")[1][:40]
    assert 'value="10,5"' in item_html(page, "sipas-diem")
    assert "2,25 / 3" in item_html(page, "ty-le-so-hoa")
    assert "hidden>" not in item_html(page, "kh-cchc-ngay")
    assert 'value="15/01/2024"' in item_html(page, "kh-cchc-ngay")


def test_a_saved_answer_says_so_inside_its_item_once(app, visit):
    """Without JavaScript the browser comes back to #item-…, thousands of pixels below the top
    of the page: the outcome is shown there, not in a message at the top."""
    client = logged_in(app, "insp-a")
    saved = post_item(client, visit, "sipas-diem", {"value": "", "number": "10,5"})
    assert saved.headers["Location"].endswith("#item-sipas-diem")
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    block = item_html(page, "sipas-diem")
    assert 'data-state="saved"' in block and ">Đã lưu.</p>" in block
    assert "flash" not in page and page.count("Đã lưu.") == 1
    again = page_of(client, visit)  # shown once, not on every later visit to the page
    assert "Đã lưu." not in again and 'data-state="saved"' not in again


def test_a_note_alone_keeps_the_answer(app, visit):
    client = logged_in(app, "insp-a")
    post_item(client, visit, "kh-cchc", {"value": "no"})
    post_item(client, visit, "kh-cchc", {"action": "note", "note": "Thiếu kế hoạch năm"})
    with app.app_context():
        answer = get_session().exec(select(Answer).where(Answer.item_key == "kh-cchc")).one()
        assert (answer.value, answer.note) == ("no", "Thiếu kế hoạch năm")


@pytest.mark.parametrize(
    ("key", "data"),
    [
        ("sipas-diem", {"number": "mười"}),
        ("sipas-diem", {"number": "13"}),
        ("ty-le-so-hoa", {"num": "7", "den": "5"}),
        ("ty-le-so-hoa", {"num": "a", "den": "5"}),
        ("kh-cchc", {"value": "maybe"}),
        ("niem-yet-day-du", {"value": "na"}),
    ],
)
def test_a_bad_value_is_refused_with_a_message_and_nothing_stored(app, visit, key, data):
    """The item says why, in Vietnamese, and keeps what was typed to be corrected."""
    client = logged_in(app, "insp-a")
    response = post_item(client, visit, key, {"value": "", **data})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    block = item_html(page, key)
    assert 'data-state="invalid"' in block and "Chưa lưu được: " in block
    assert "flash" not in page
    for name, typed in data.items():
        if name != "value":
            assert f'name="{name}" value="{typed}"' in block
    assert " autofocus" in block  # the browser scrolls to the field to correct
    assert stored_answers(app, visit) == {}


def test_a_refused_answer_keeps_the_stored_one_and_the_typed_note(app, visit):
    client = logged_in(app, "insp-a")
    post_item(client, visit, "sipas-diem", {"value": "", "number": "8"})
    page = post_item(
        client, visit, "sipas-diem", {"value": "", "number": "mười", "note": "Khảo sát 30 phiếu"}
    ).get_data(as_text=True)
    block = item_html(page, "sipas-diem")
    assert 'value="mười"' in block and ">Khảo sát 30 phiếu</textarea>" in block
    assert "class=note open" in block
    assert "Nhập điểm từ 0 đến 12." in block
    assert stored_answers(app, visit) == {"sipas-diem": 8}
    assert 'value="8"' in item_html(page_of(client, visit), "sipas-diem")  # not kept beyond


def test_a_too_long_note_is_refused_in_its_item(app, visit):
    client = logged_in(app, "insp-a")
    note = "x" * 4001
    page = post_item(client, visit, "kh-cchc", {"value": "yes", "note": note}).get_data(
        as_text=True
    )
    block = item_html(page, "kh-cchc")
    assert "Chưa lưu được: Ghi chú chỉ được dài tối đa 4.000 ký tự." in block
    assert f">{note}</textarea>" in block and "class=note open" in block
    assert 'aria-label="Ghi chú" autofocus' in block
    assert stored_answers(app, visit) == {}


def test_the_address_of_a_refused_post_leads_back_to_the_item(app, visit):
    """The page of a refused value is served at the post's address; its language switch (a GET
    there) comes back to the item."""
    client = logged_in(app, "insp-a")
    response = client.get(f"/visits/{visit.id}/items/sipas-diem")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/visits/{visit.id}#item-sipas-diem")


@pytest.mark.parametrize(
    "typed",
    [
        "05/01/2024",
        "5/1/2024",
        "05.01.2024",
        "05-01-2024",
        "05012024",
        "2024-01-05",
        " 05/01/2024 ",
    ],
)
def test_dates_are_typed_day_first_and_stored_as_iso(app, visit, typed):
    client = logged_in(app, "insp-a")
    post_item(client, visit, "kh-cchc", {"value": "yes"})
    post_item(client, visit, "kh-cchc-ngay", {"value": "", "text": typed})
    assert stored_answers(app, visit)["kh-cchc-ngay"] == "2024-01-05"
    block = item_html(page_of(client, visit), "kh-cchc-ngay")
    assert 'type="text" inputmode="numeric" name="text" value="05/01/2024"' in block
    assert 'placeholder="dd/mm/yyyy"' in block and '<input type="date"' not in block
    client.get("/lang/en")
    assert 'value="05/01/2024"' in item_html(page_of(client, visit), "kh-cchc-ngay")


@pytest.mark.parametrize("typed", ["31/02/2024", "15/13/2024", "hôm qua", "1/15/2024", "15/01/24"])
def test_a_date_that_is_no_date_is_refused_in_vietnamese(app, visit, typed):
    client = logged_in(app, "insp-a")
    post_item(client, visit, "kh-cchc", {"value": "yes"})
    page = post_item(client, visit, "kh-cchc-ngay", {"value": "", "text": typed}).get_data(
        as_text=True
    )
    block = item_html(page, "kh-cchc-ngay")
    assert "Chưa lưu được: Nhập ngày theo dạng ngày/tháng/năm (dd/mm/yyyy)." in block
    assert f'value="{typed}"' in block
    assert "kh-cchc-ngay" not in stored_answers(app, visit)


def test_a_stale_form_does_not_overwrite_a_newer_answer(app, visit):
    client = logged_in(app, "insp-a")
    old_page = page_of(client, visit)
    ApiClient(app, "insp-a").put(
        f"/api/v1/visits/{visit.id}/answers/kh-cchc", json={"value": "yes"}
    )
    token = csrf_from(old_page)
    response = client.post(
        f"/visits/{visit.id}/items/kh-cchc",
        data={"csrf_token": token, "value": "no", "base_revision": "0"},
    )
    assert response.status_code == 302
    block = item_html(client.get(response.headers["Location"]).get_data(as_text=True), "kh-cchc")
    assert 'data-state="conflict"' in block and "Người khác vừa sửa" in block
    assert 'value="yes" class="answer yes" aria-pressed=true' in block  # the latest version
    assert stored_answers(app, visit) == {"kh-cchc": "yes"}


def test_the_lead_cannot_post_answers_from_the_page(app, visit):
    client = logged_in(app, "lead-a")
    response = post_item(client, visit, "kh-cchc", {"value": "yes"})
    assert response.status_code == 403 and stored_answers(app, visit) == {}


def test_a_submitted_visit_is_read_only(app, visit):
    set_visit_status(app, visit, VisitStatus.SUBMITTED)
    client = logged_in(app, "insp-a")
    page = page_of(client, visit)
    assert not re.search(r"<(button|input|textarea)\b", item_html(page, "kh-cchc"))
    assert '<span class="answer-text">Chưa trả lời</span>' in item_html(page, "kh-cchc")
    # A form kept open elsewhere, posted now: refused, and the item says why.
    response = post_item(client, visit, "kh-cchc", {"value": "yes"}, page=page)
    block = item_html(client.get(response.headers["Location"]).get_data(as_text=True), "kh-cchc")
    assert 'data-state="locked"' in block and "không thể sửa được nữa" in block
    assert stored_answers(app, visit) == {}


def test_the_page_shows_each_new_answer_even_when_served_from_its_cache(app, visit):
    client = logged_in(app, "insp-a")
    api = ApiClient(app, "insp-a")
    assert "0 / 2" in item_html(page_of(client, visit), "kh-cchc")
    api.put(f"/api/v1/visits/{visit.id}/answers/kh-cchc", json={"value": "yes"})
    assert "2 / 2" in item_html(page_of(client, visit), "kh-cchc")
    api.put(f"/api/v1/visits/{visit.id}/answers/kh-cchc", json={"value": "no"})
    assert "0 / 2" in item_html(page_of(client, visit), "kh-cchc")
    # Two sessions share the cached checklist but never each other's CSRF token.
    other = logged_in(app, "insp-a")
    assert csrf_from(page_of(other, visit)) != csrf_from(page_of(client, visit))


def test_text_is_escaped(app, visit):
    with app.app_context():
        session = get_session()
        unit = session.exec(select(Unit)).one()
        unit.name = '<script>alert("x")</script>'
        session.add(unit)
        session.commit()
    client = logged_in(app, "insp-a")
    post_item(
        client, visit, "ghi-chu-chung", {"value": "", "text": "<b>đậm</b>", "note": '"><img src=x>'}
    )
    page = page_of(client, visit)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<b>đậm</b>" not in page and "&lt;b&gt;đậm&lt;/b&gt;" in page
    assert "<img src=x>" not in page


def test_decimals_and_dates_follow_the_language(app, visit):
    client = logged_in(app, "insp-a")
    post_item(client, visit, "sipas-diem", {"value": "", "number": "10,5"})
    vietnamese = page_of(client, visit)
    assert "28/06/2024" in vietnamese and 'value="10,5"' in vietnamese
    client.get("/lang/en")
    english = page_of(client, visit)
    assert 'value="10.5"' in english and "Pass" in english


def test_a_question_worth_nothing_is_answered_yes_or_no(app, visit):
    """co-ho-so-tre-han (0 points) only opens the apology-letter item: it is asked, not scored."""
    client = logged_in(app, "insp-a")
    question = item_html(page_of(client, visit), "co-ho-so-tre-han")
    assert ">Có</button>" in question and ">Không</button>" in question
    assert "Đạt" not in question and "data-item-score" not in question
    criterion = item_html(page_of(client, visit), "kh-cchc")
    assert ">Đạt</button>" in criterion and ">Không đạt</button>" in criterion
    assert post_item(client, visit, "co-ho-so-tre-han", {"value": "no"}).status_code == 302
    after = item_html(page_of(client, visit), "co-ho-so-tre-han")
    assert 'class="item failed"' not in after and "aria-pressed=true>Không<" in after


def test_not_applicable_shows_a_short_label_not_the_points_description(app, visit):
    """The long points description of a ratio with steps (shown for a hidden item) would crowd
    the question; "not applicable" is said in two words, as the page's script writes it."""
    client = logged_in(app, "insp-a")
    for key in ("ty-le-dung-han", "sipas-diem", "niem-yet-qr"):
        post_item(client, visit, key, {"value": "na"})
    page = page_of(client, visit)
    for key in ("ty-le-dung-han", "sipas-diem", "niem-yet-qr"):
        assert "<span data-item-score>Không áp dụng</span>" in item_html(page, key), key
    assert "≥ 100 %" not in item_html(page, "ty-le-dung-han")
    assert 'data-not-applicable="Không áp dụng"' in page  # the same words for the script


@pytest.mark.parametrize(
    ("key", "typed", "value"),
    [
        ("ty-le-so-hoa", {"num": "9", "den": "10"}, {"num": 9, "den": 10}),
        ("sipas-diem", {"number": "9,5"}, 9.5),
        ("so-tthc-niem-yet", {"number": "1.240"}, 1240),
        ("kh-cchc-ngay", {"text": "15/01/2024"}, "2024-01-15"),
        ("ghi-chu-chung", {"text": "Buổi sáng"}, "Buổi sáng"),
    ],
)
def test_the_note_button_saves_the_answer_typed_in_the_same_form(app, visit, key, typed, value):
    """Without JavaScript "Lưu ghi chú" posts the item's whole form: a typed answer is saved
    with the note, not dropped."""
    client = logged_in(app, "insp-a")
    post_item(client, visit, "kh-cchc", {"value": "yes"})  # shows kh-cchc-ngay
    saved = post_item(client, visit, key, {"action": "note", "note": "Ghi chú", **typed})
    assert saved.status_code == 302
    assert stored_answers(app, visit)[key] == value
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    block = item_html(page, key)
    assert ">Đã lưu.</p>" in block and ">Ghi chú</textarea>" in block


def test_the_note_button_with_nothing_typed_keeps_the_stored_answer(app, visit):
    client = logged_in(app, "insp-a")
    post_item(client, visit, "ty-le-so-hoa", {"value": "na"})
    post_item(
        client,
        visit,
        "ty-le-so-hoa",
        {"action": "note", "note": "Chưa có số liệu", "num": "", "den": ""},
    )
    assert stored_answers(app, visit)["ty-le-so-hoa"] == "na"


def test_the_note_button_refuses_a_bad_typed_answer_keeping_the_note(app, visit):
    client = logged_in(app, "insp-a")
    page = post_item(
        client, visit, "sipas-diem", {"action": "note", "number": "mười", "note": "Khảo sát"}
    ).get_data(as_text=True)
    block = item_html(page, "sipas-diem")
    assert 'data-state="invalid"' in block and 'value="mười"' in block
    assert ">Khảo sát</textarea>" in block
    assert stored_answers(app, visit) == {}


def test_an_inspector_not_on_the_visit_cannot_post_its_answers(app, visit):
    """insp-b cannot open the page; a form posted from elsewhere (a token of another page) is
    refused all the same."""
    client = logged_in(app, "insp-b")
    token = token_of(client, "/")
    response = client.post(
        f"/visits/{visit.id}/items/kh-cchc", data={"csrf_token": token, "value": "yes"}
    )
    assert response.status_code == 403
    assert stored_answers(app, visit) == {}


def test_a_visit_that_does_not_exist_is_a_404_page(app, visit):
    response = logged_in(app, "lead-a").get(f"/visits/{visit.id + 1}")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_anonymous_is_sent_to_login_with_the_way_back_and_told_why(app, visit):
    client = app.test_client()
    response = client.get(f"/visits/{visit.id}")
    assert response.headers["Location"] == f"/login?next=/visits/{visit.id}"
    login = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<p class="flash flash-info" role="status">Vui lòng đăng nhập để tiếp tục.</p>' in login


def test_each_item_form_carries_the_revision_of_its_stored_answer(app, visit):
    """What makes a stale form a conflict rather than an overwrite (two saves: revision 2)."""
    api = ApiClient(app, "insp-a")
    for value in ("no", "yes"):
        api.put(f"/api/v1/visits/{visit.id}/answers/kh-cchc", json={"value": value})
    page = page_of(logged_in(app, "insp-a"), visit)
    assert "name=base_revision value=2>" in item_html(page, "kh-cchc")
    assert "name=base_revision value=0>" in item_html(page, "bao-cao-cchc")  # unanswered


# The score line: provisional until the last required item is answered ---------------------------


class ShownText(HTMLParser):
    """The text a reader sees in a piece of HTML: what is inside a `hidden` element is left out."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.depth = 0  # open elements, and the depth at which a hidden one began
        self.hidden_at: int | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.VOID:
            return
        self.depth += 1
        if self.hidden_at is None and "hidden" in dict(attrs):
            self.hidden_at = self.depth

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if self.hidden_at == self.depth:
            self.hidden_at = None
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.hidden_at is None:
            self.parts.append(data)


def score_line(page: str) -> str:
    match = re.search(r'<p class="scorebar[^"]*".*?</p>', page, re.S)
    assert match, "no score line"
    parser = ShownText()
    parser.feed(match.group(0))
    return " ".join(" ".join(parser.parts).split())


def test_the_score_line_is_provisional_until_the_last_required_item_is_answered(app, visit):
    client = logged_in(app, "insp-a")
    api = ApiClient(app, "insp-a")
    untouched = score_line(page_of(client, visit))
    assert "Chưa có câu trả lời" in untouched and "tạm tính" not in untouched
    assert "%" not in untouched and "Tốt" not in untouched and "Thấp" not in untouched
    assert "tối đa của các mục áp dụng" in untouched  # what the maximum counts
    best = best_answers(app.extensions["inspection.library"].get("cchc-xa", 2).document)
    last = best.pop("danh-muc-ho-so")  # 2 points, required
    for key, value in best.items():
        response = api.put(f"/api/v1/visits/{visit.id}/answers/{key}", json={"value": value})
        assert response.status_code == 200, (key, response.get_json())
    waiting = score_line(page_of(client, visit))
    assert waiting.startswith("98 / 100 điểm (tối đa của các mục áp dụng) · tạm tính")
    assert "còn 1 mục bắt buộc" in waiting
    assert "%" not in waiting and "Tốt" not in waiting and "Chưa có câu trả lời" not in waiting
    api.put(f"/api/v1/visits/{visit.id}/answers/danh-muc-ho-so", json={"value": last})
    done = score_line(page_of(client, visit))
    assert done.startswith("100 / 100 điểm (tối đa của các mục áp dụng) · 100 % · Tốt")
    assert "tạm tính" not in done and "bắt buộc" not in done
    # Cleared again, the sheet is provisional again.
    api.put(f"/api/v1/visits/{visit.id}/answers/danh-muc-ho-so", json={"value": None})
    again = score_line(page_of(client, visit))
    assert "tạm tính" in again and "Tốt" not in again and "%" not in again


def test_the_page_has_a_way_round_it_and_back(app, visit):
    api = ApiClient(app, "insp-a")
    for key in ("kh-cchc", "bao-cao-cchc"):
        api.put(f"/api/v1/visits/{visit.id}/answers/{key}", json={"value": "yes"})
    page = page_of(logged_in(app, "insp-a"), visit)
    assert '<a href="/">← Cuộc kiểm tra của tôi</a>' in page
    index = re.search(r'<details class="index" data-index>.*?</details>', page, re.S).group(0)
    entries = re.findall(
        r'data-index-section="([a-z0-9-]+)">.*?data-progress>([0-9/]+)</span> · '
        r"<span data-subtotal>([0-9,]+ / [0-9,]+)</span>",
        index,
        re.S,
    )
    assert entries[0] == ("chi-dao", "2/8", "3 / 13")  # 7 items, and kh-cchc-ngay now applies
    assert len(entries) == 9
    # "Next unanswered" without script: the first item still waiting.
    assert 'data-next href="#item-kh-cchc-ngay"' in page
    lead_page = page_of(logged_in(app, "lead-a"), visit)
    assert f'<a href="/plans/{visit.plan_id}">← Về kế hoạch</a>' in lead_page


def test_a_complete_section_folds_away_for_the_inspector_only(app, visit):
    from tests.builders import iter_items

    template = app.extensions["inspection.library"].get("cchc-xa").document
    answers = best_answers(template)
    first = template["sections"][0]
    keys = {item["key"] for item in first["items"]}
    api = ApiClient(app, "insp-a")
    for key, value in answers.items():
        if key in keys:
            api.put(f"/api/v1/visits/{visit.id}/answers/{key}", json={"value": value})
    assert {i["key"] for _, i in iter_items({"sections": [first]})} == keys

    def opened(page: str) -> dict[str, bool]:
        found = re.findall(r'<details class="section card" id="section-([a-z0-9-]+)"([^>]*)>', page)
        return {key: " open" in attrs for key, attrs in found}

    mine = opened(page_of(logged_in(app, "insp-a"), visit))
    assert mine[first["key"]] is False and all(v for k, v in mine.items() if k != first["key"])
    assert all(opened(page_of(logged_in(app, "lead-a"), visit)).values())


def test_a_section_lacking_a_required_photo_stays_open(app, visit):
    """Every item of the one-stop section answered, but its posting items have no photo yet: the
    section stays open with their "more photos needed" badges, and folds once they have them (or,
    where allowed, are answered "not applicable")."""
    template = app.extensions["inspection.library"].get("cchc-xa", 2).document
    section = next(s for s in template["sections"] if s["key"] == "tthc-mot-cua")
    answers = best_answers({"sections": [section]})
    api = ApiClient(app, "insp-a")
    for key, value in answers.items():
        api.put(f"/api/v1/visits/{visit.id}/answers/{key}", json={"value": value})
    needing = [i for i in section["items"] if i.get("photo") == "required"]
    assert needing and any(i.get("allow_na", True) for i in needing)

    def section_open(page: str) -> bool:
        attrs = re.search(r'<details class="section card" id="section-tthc-mot-cua"([^>]*)>', page)
        return " open" in attrs.group(1)

    assert section_open(page_of(logged_in(app, "insp-a"), visit))
    serial = 900
    for item in needing:
        if item.get("allow_na", True):
            api.put(f"/api/v1/visits/{visit.id}/answers/{item['key']}", json={"value": "na"})
            continue
        for _ in range(item.get("photos_min", 1)):
            serial += 1
            sent = upload_photo(api, visit, photo_bytes(serial), item_key=item["key"])
            assert sent.status_code == 201
        assert section_open(page_of(logged_in(app, "insp-a"), visit)) is (item != needing[-1])
    assert not section_open(page_of(logged_in(app, "insp-a"), visit))


def test_the_band_is_said_in_the_pages_language(app, visit):
    template = app.extensions["inspection.library"].get("cchc-xa").document
    api = ApiClient(app, "insp-a")
    for key, value in best_answers(template).items():
        api.put(f"/api/v1/visits/{visit.id}/answers/{key}", json={"value": value})
    client = logged_in(app, "insp-a")
    assert "<span data-band>Tốt</span>" in page_of(client, visit)
    client.get("/lang/en")
    page = page_of(client, visit)
    assert "<span data-band>Good</span>" in page
    # The score the script receives names the template's band: the page tells it the word.
    names = re.search(r'data-band-names="([^"]*)"', page).group(1)
    assert json.loads(html.unescape(names))["Tốt"] == "Good"
