"""Generated Unicode through every text field of every write route.

Each text (with unpaired surrogates, control characters, invisible padding, combining accents,
markup and lengths around the field's limit mixed in) is either stored as the server normalises
it and shown back by every API read and page that shows it, or refused with a 4xx naming the
field. Afterwards those reads still answer 200: nothing typed can lock anyone out of a page.

The oracle below is written from the rule as README and issue state it (NFC, ends stripped of
spaces and invisible characters, a tab in a one-line field made a space, no surrogate, no control
character but line breaks and tabs in multi-line fields, a length limit), not from the code.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from tests.factories import (
    ApiClient,
    csrf_from,
    logged_in,
    make_user,
    new_client_id,
    photo_bytes,
    post_form,
    upload_photo,
)

INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
TRICKY = [
    "\ud800",
    "\udfff",
    "\udc80",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\x1f",
    "\n",
    "\r",
    "\t",
    " ",
    "\u00a0",
    "\u200b",
    "\ufeff",
    "\u00ad",
    "e\u0301",
    "Đ",
    "ư",
    "ệ",
    "<b>",
    "&amp;",
    '"',
    "'",
    "{{ x }}",
    "%s",
    "\u2028",
    "\U0001f600",
]
CHUNK = st.one_of(st.characters(), st.sampled_from(TRICKY))
TEXT = st.lists(CHUNK, max_size=24).map("".join)


def texts(limit: int) -> st.SearchStrategy[str]:
    """Mixed text, and texts right at the field's limit."""
    at_limit = st.tuples(st.integers(limit - 1, limit + 1), st.sampled_from(["a", "Đ", " "]))
    return st.one_of(TEXT, at_limit.map(lambda pair: "Nguyễn" + pair[1] * (pair[0] - 6)))


def page_texts(limit: int) -> st.SearchStrategy[str]:
    """What a browser can send: form posts are UTF-8, which cannot carry a lone surrogate."""
    return texts(limit).map(lambda s: "".join(c for c in s if not 0xD800 <= ord(c) <= 0xDFFF))


def expected(raw: str, *, limit: int, multiline: bool = False, required: bool = True) -> str | None:
    """The text the server should store, or None where it must refuse it."""
    if any(unicodedata.category(c) == "Cs" for c in raw):
        return None
    value = unicodedata.normalize("NFC", raw).strip().strip(INVISIBLE).strip()
    if not multiline:
        value = value.replace("\t", " ")
    allowed = "\n\r\t" if multiline else ""
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
        return None
    if (required and not value) or len(value) > limit:
        return None
    return value


def over_json(raw: str) -> str:
    """The text as the server reads it from a JSON body: a surrogate pair written as two
    escapes ("\\ud800\\udc00") arrives as the one character it encodes."""
    return json.loads(json.dumps(raw))


def expected_on_page(raw: str, **rule) -> str | None:
    """A page form also refuses what is longer than the field before normalising."""
    return None if len(raw) > rule["limit"] else expected(raw, **rule)


def answer_expected(raw: str, *, limit: int) -> str | None:
    """Answers and notes are kept as typed (a finding's words are evidence): only refused."""
    bad = any(
        unicodedata.category(c) == "Cs" or (unicodedata.category(c) == "Cc" and c not in "\n\r\t")
        for c in raw
    )
    return None if bad or len(raw) > limit else raw


def shown(html: str, value: str) -> bool:
    return str(escape(value)) in html


def assert_refused(response, field: str) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, field)
    if response.is_json:
        fields = response.get_json()["error"].get("fields", {})
        assert any(field in name for name in fields) or field in str(response.get_json()), fields


@pytest.fixture
def team(app, plan, visit):
    make_user(app, "admin", "admin")
    return plan, visit


DAYS = itertools.count()


def next_day() -> str:
    """A day no other visit of the test has (the fixture's visit is in 2024)."""
    return (dt.date(2030, 1, 1) + dt.timedelta(days=next(DAYS) % 25_000)).isoformat()


# The JSON API ------------------------------------------------------------------------------------

PLAN = {"number": "1/KH", "title": "Kiểm tra CCHC", "year": 2024, "form_key": "cchc-xa"}
PLAN_FIELDS = {"number": 64, "title": 300, "decision_number": 64}


@pytest.mark.parametrize("field", list(PLAN_FIELDS))
def test_plan_texts_from_the_api(app, team, field):
    lead = ApiClient(app, "lead-a")
    admin = ApiClient(app, "admin")
    numbers: set[str] = {"22/kh-ubnd"}
    serial = itertools.count(100)

    @given(raw=texts(PLAN_FIELDS[field]))
    def check(raw):
        body = {**PLAN, "number": f"{next(serial)}/KH", field: raw}
        rule = {"limit": PLAN_FIELDS[field], "required": field != "decision_number"}
        want = expected(over_json(raw), **rule)
        response = lead.post("/api/v1/plans", json=body)
        if want is None:
            assert_refused(response, field)
        elif field == "number" and want.casefold() in numbers:
            assert response.status_code == 409, response.get_json()
        else:
            assert response.status_code == 201, (raw, response.get_json())
            plan = response.get_json()
            assert plan[field] == want
            numbers.add(plan["number"].casefold())
            for reader in (lead, admin):
                read = reader.get(f"/api/v1/plans/{plan['id']}")
                assert read.status_code == 200 and read.get_json()[field] == want
            page = lead.get(f"/plans/{plan['id']}")
            assert page.status_code == 200 and shown(page.get_data(as_text=True), want)
        for url in ("/plans/", "/", "/api/v1/plans"):
            assert lead.get(url, follow_redirects=True).status_code == 200, url

    check()


VISIT_FIELDS = {"place": 200, "participants.name": 200, "participants.position": 200}


@pytest.mark.parametrize("field", list(VISIT_FIELDS))
def test_visit_texts_from_the_api(app, team, field):
    plan, _visit = team
    lead = ApiClient(app, "lead-a")
    insp = ApiClient(app, "insp-a")

    @given(raw=texts(VISIT_FIELDS[field]))
    def check(raw):
        body = {
            "unit_code": "ninh-da",
            "scheduled_on": next_day(),
            "inspectors": ["insp-a"],
            "place": "Trụ sở",
            "participants": [{"name": "Lê Thị B", "position": "Công chức"}],
        }
        if field == "place":
            body["place"] = raw
        else:
            body["participants"][0][field.split(".")[1]] = raw
        rule = {"limit": VISIT_FIELDS[field], "required": field == "participants.name"}
        want = expected(over_json(raw), **rule)
        response = lead.post(f"/api/v1/plans/{plan.id}/visits", json=body)
        if want is None:
            assert_refused(response, field.split(".")[0])
            return
        assert response.status_code == 201, (raw, response.get_json())
        visit_id = response.get_json()["id"]
        read = insp.get(f"/api/v1/visits/{visit_id}").get_json()
        stored = read["place"] if field == "place" else read["participants"][0][field[13:]]
        assert stored == want
        for client in (lead, insp):
            page = client.get(f"/visits/{visit_id}")
            assert page.status_code == 200
            if field == "place":
                assert shown(page.get_data(as_text=True), want)
        plan_page = lead.get(f"/plans/{plan.id}")
        assert plan_page.status_code == 200
        edit = lead.get(f"/plans/{plan.id}/visits/{visit_id}/edit")
        assert edit.status_code == 200 and shown(edit.get_data(as_text=True), want)

    check()


ANSWER_FIELDS = {"value": 10_000, "note": 4000, "no_finding_reason": 4000}


@pytest.mark.parametrize("field", list(ANSWER_FIELDS))
def test_answer_texts_from_the_api(app, team, field):
    _plan, visit = team
    insp = ApiClient(app, "insp-a")
    lead = ApiClient(app, "lead-a")
    url = f"/api/v1/visits/{visit.id}/answers/ghi-chu-chung"

    @given(raw=texts(ANSWER_FIELDS[field]), batch=st.booleans())
    def check(raw, batch):
        entry = {"value": "Đã kiểm tra", field: raw}
        want = answer_expected(over_json(raw), limit=ANSWER_FIELDS[field])
        if batch:
            entry |= {
                "item_key": "ghi-chu-chung",
                "client_id": new_client_id(),
                "answered_at": "2024-06-28T09:30:00+07:00",
            }
            response = insp.post(f"/api/v1/visits/{visit.id}/answers", json={"answers": [entry]})
        else:
            response = insp.put(url, json=entry)
        if want is None:
            assert 400 <= response.status_code < 500, response.get_json()
            return
        assert response.status_code == 200, (raw, response.get_json())
        stored = insp.get(f"/api/v1/visits/{visit.id}").get_json()
        answer = next(a for a in stored["answers"] if a["item_key"] == "ghi-chu-chung")
        assert answer[field] == want
        for client in (insp, lead):
            page = client.get(f"/visits/{visit.id}")
            assert page.status_code == 200
            if field != "no_finding_reason" and want.strip():
                assert shown(page.get_data(as_text=True), want)
            assert client.get(f"/api/v1/visits/{visit.id}/score").status_code == 200

    check()


def test_unit_texts_from_the_api(app, team):
    admin = ApiClient(app, "admin")
    serial = itertools.count()

    @given(raw=texts(200))
    def check(raw):
        code = f"xa-{next(serial)}"
        response = admin.post("/api/v1/units", json={"code": code, "name": raw, "kind": "xa"})
        want = expected(over_json(raw), limit=200)
        if want is None:
            assert_refused(response, "name")
        else:
            assert response.status_code == 201, (raw, response.get_json())
            listed = {u["code"]: u["name"] for u in admin.get("/api/v1/units").get_json()["units"]}
            assert listed[code] == want
            page = admin.get("/admin/units")
            assert page.status_code == 200 and shown(page.get_data(as_text=True), want)
        assert admin.get("/plans/").status_code == 200

    check()


def test_login_fields_from_the_api_are_answered_never_a_500(app, team):
    client = app.test_client()

    @given(username=TEXT, password=TEXT)
    def check(username, password):
        response = client.post("/api/v1/login", json={"username": username, "password": password})
        assert response.status_code in (400, 401, 429), response.get_json()
        assert response.is_json

    check()


# The pages -------------------------------------------------------------------------------------


PAGE_PLAN_FIELDS = {"number": 64, "title": 300, "decision_number": 64}


@pytest.mark.parametrize("field", list(PAGE_PLAN_FIELDS))
def test_plan_texts_from_the_page(app, team, field):
    lead = logged_in(app, "lead-a")
    numbers: set[str] = {"22/kh-ubnd"}
    serial = itertools.count(100)

    @given(raw=page_texts(PAGE_PLAN_FIELDS[field]))
    def check(raw):
        form = {
            "number": f"{next(serial)}/KH",
            "issued_on": "22/02/2024",
            "year": "2024",
            "title": "Kiểm tra",
            "template": "cchc-xa:2",
            "decision_number": "",
            field: raw,
        }
        rule = {"limit": PAGE_PLAN_FIELDS[field], "required": field != "decision_number"}
        want = expected_on_page(raw, **rule)
        response = post_form(lead, "/plans/new", form)
        if want is None or (field == "number" and want.casefold() in numbers):
            assert 400 <= response.status_code < 500, raw
        else:
            assert response.status_code == 302, (raw, response.get_data(as_text=True)[-2000:])
            page = lead.get(response.headers["Location"])
            assert page.status_code == 200 and shown(page.get_data(as_text=True), want)
            if field == "number":
                numbers.add(want.casefold())
        assert lead.get("/plans/").status_code == 200

    check()


def test_visit_texts_from_the_page(app, team):
    plan, _visit = team
    lead = logged_in(app, "lead-a")

    @given(place=page_texts(200), people=page_texts(400))
    def check(place, people):
        url = f"/plans/{plan.id}/visits/new"
        day = dt.date.fromisoformat(next_day()).strftime("%d/%m/%Y")
        form = {
            "unit_code": "ninh-da",
            "scheduled_on": day,
            "inspectors": "insp-a",
            "place": place,
            "participants": people,
        }
        response = post_form(lead, url, form)
        assert response.status_code in (302, 400), response.status_code
        if response.status_code == 302 and (
            want := expected_on_page(place, limit=200, required=False)
        ):
            page = lead.get(f"/plans/{plan.id}")
            assert page.status_code == 200 and shown(page.get_data(as_text=True), want)
        assert lead.get(f"/plans/{plan.id}").status_code == 200

    check()


def test_answer_texts_from_the_page(app, team):
    _plan, visit = team
    insp = logged_in(app, "insp-a")
    lead = logged_in(app, "lead-a")
    url = f"/visits/{visit.id}/items/ghi-chu-chung"

    @given(typed=page_texts(10_000), note=page_texts(4000))
    def check(typed, note):
        token = csrf_from(insp.get(f"/visits/{visit.id}").get_data(as_text=True))
        response = insp.post(url, data={"text": typed, "note": note, "csrf_token": token})
        assert response.status_code in (302, 400), response.status_code
        want_note = answer_expected(note, limit=4000)
        if response.status_code == 302:
            assert want_note is not None
        for client in (insp, lead):
            page = client.get(f"/visits/{visit.id}")
            assert page.status_code == 200
            if response.status_code == 302 and want_note and want_note.strip():
                assert shown(page.get_data(as_text=True), want_note.strip()) or shown(
                    page.get_data(as_text=True), want_note
                )

    check()


USER_FIELDS = {"full_name": 120, "position": 120}


@pytest.mark.parametrize("field", list(USER_FIELDS))
def test_user_texts_from_the_admin_page(app, team, field):
    admin = logged_in(app, "admin")
    serial = itertools.count()

    @given(raw=page_texts(USER_FIELDS[field]))
    def check(raw):
        form = {
            "username": f"nguoi-{next(serial)}",
            "full_name": "Trần Văn C",
            "position": "",
            "role": "inspector",
            "unit_code": "",
            "password": "mat-khau-123",
            field: raw,
        }
        response = post_form(admin, "/admin/users/new", form)
        want = expected_on_page(raw, limit=USER_FIELDS[field], required=field == "full_name")
        if want is None:
            assert 400 <= response.status_code < 500, raw
        else:
            assert response.status_code in (200, 302), (raw, response.status_code)
            page = admin.get("/admin/users")
            assert page.status_code == 200 and shown(page.get_data(as_text=True), want)
        assert admin.get("/admin/users").status_code == 200

    check()


AGENCY_FIELDS = {"issuer_name": 200, "parent_body": 200, "signer_name": 120, "notice_code": 40}


@pytest.mark.parametrize("field", list(AGENCY_FIELDS))
def test_agency_texts_from_the_admin_page(app, team, field):
    admin = logged_in(app, "admin")

    @given(raw=page_texts(AGENCY_FIELDS[field]))
    def check(raw):
        form = {
            "issuer_name": "ĐOÀN KIỂM TRA",
            "parent_body": "UBND",
            "notice_code": "TB-ĐKT",
            "place_name": "Ninh Hòa",
            "signer_name": "",
            "signer_title": "TRƯỞNG ĐOÀN",
            "timezone": "Asia/Ho_Chi_Minh",
            "remediation_days": "30",
            field: raw,
        }
        required = field in ("issuer_name", "notice_code")
        want = expected_on_page(raw, limit=AGENCY_FIELDS[field], required=required)
        response = post_form(admin, "/admin/agency", form)
        if want is None:
            assert 400 <= response.status_code < 500, raw
        else:
            assert response.status_code in (200, 302), (raw, response.status_code)
            page = admin.get("/admin/agency")
            assert page.status_code == 200 and shown(page.get_data(as_text=True), want)
        assert admin.get("/admin/agency").status_code == 200

    check()


def test_unit_csv_from_the_admin_page(app, team):
    from tests.factories import post_file

    admin = logged_in(app, "admin")
    serial = itertools.count()

    @given(name=page_texts(200))
    def check(name):
        code = f"csv-{next(serial)}"
        quoted = '"' + name.replace('"', '""') + '"'
        data = f"code,name,kind\n{code},{quoted},xa\n".encode()
        token = csrf_from(admin.get("/admin/units").get_data(as_text=True))
        response = post_file(
            admin,
            "/admin/units/import",
            {"csrf_token": token},
            name="units.csv",
            data=data,
            content_type="text/csv",
        )
        assert response.status_code in (200, 302, 400), response.status_code
        page = admin.get("/admin/units")
        assert page.status_code == 200
        want = expected(name, limit=200)
        if want is not None and response.status_code != 400 and "\n" not in name + "\r":
            assert shown(page.get_data(as_text=True), want)

    check()


# Photo captions ----------------------------------------------------------------------------------
# A caption is text like any other (multi-line, at most 500 characters, may be empty): from the
# API's PATCH (JSON, surrogates possible), with the photo itself (multipart form fields) and from
# the photo page's form.

CAPTION_LIMIT = 500
PHOTO_ITEM = "niem-yet-qr"
PHOTO_SERIAL = itertools.count(1)


def caption_expected(raw: str) -> str | None:
    return expected(raw, limit=CAPTION_LIMIT, multiline=True, required=False)


def captions_of(api: ApiClient, visit) -> dict[int, str]:
    response = api.get(f"/api/v1/visits/{visit.id}/photos")
    assert response.status_code == 200
    return {p["id"]: p["caption"] for p in response.get_json()["photos"]}


def photo_pages_open(api: ApiClient, visit) -> str:
    """The item's photo page and the checklist answer; the photo page's HTML."""
    assert api.get(f"/visits/{visit.id}").status_code == 200
    page = api.get(f"/visits/{visit.id}/items/{PHOTO_ITEM}/photos")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_photo_captions_from_the_api(app, team):
    _plan, visit = team
    insp = ApiClient(app, "insp-a")
    lead = ApiClient(app, "lead-a")
    photo = upload_photo(insp, visit, photo_bytes(0), item_key=PHOTO_ITEM).get_json()
    url = f"/api/v1/photos/{photo['id']}"

    @given(raw=texts(CAPTION_LIMIT))
    def check(raw):
        before = captions_of(insp, visit)[photo["id"]]
        want = caption_expected(over_json(raw))
        response = insp.patch(url, json={"caption": raw})
        if want is None:
            assert_refused(response, "caption")
            assert captions_of(insp, visit)[photo["id"]] == before
        else:
            assert response.status_code == 200, (raw, response.get_json())
            assert response.get_json()["caption"] == want
            for reader in (insp, lead):
                assert captions_of(reader, visit)[photo["id"]] == want
            assert shown(photo_pages_open(lead, visit), want)
        photo_pages_open(insp, visit)

    check()


def test_photo_captions_sent_with_the_photo(app, team):
    _plan, visit = team
    insp = ApiClient(app, "insp-a")

    @given(raw=page_texts(CAPTION_LIMIT))
    def check(raw):
        before = captions_of(insp, visit)
        data = photo_bytes(next(PHOTO_SERIAL))
        response = upload_photo(insp, visit, data, item_key=PHOTO_ITEM, caption=raw)
        want = caption_expected(raw)
        if want is None:
            assert_refused(response, "caption")
            assert captions_of(insp, visit) == before
        else:
            assert response.status_code == 201, (raw, response.get_json())
            assert response.get_json()["caption"] == want
            assert captions_of(insp, visit)[response.get_json()["id"]] == want
            assert shown(photo_pages_open(insp, visit), want)
        photo_pages_open(insp, visit)

    check()


def test_photo_captions_from_the_page(app, team):
    _plan, visit = team
    insp = ApiClient(app, "insp-a")
    photo = upload_photo(insp, visit, photo_bytes(0), item_key=PHOTO_ITEM).get_json()
    browser = logged_in(app, "insp-a")
    page = browser.get(f"/visits/{visit.id}/items/{PHOTO_ITEM}/photos").get_data(as_text=True)
    token = csrf_from(page)

    @given(raw=page_texts(CAPTION_LIMIT))
    def check(raw):
        before = captions_of(insp, visit)[photo["id"]]
        response = browser.post(
            f"/visits/{visit.id}/photos/{photo['id']}/caption",
            data={"csrf_token": token, "item_key": PHOTO_ITEM, "caption": raw},
        )
        want = caption_expected(raw)
        if want is None:
            assert response.status_code == 400, (raw, response.status_code)
            assert captions_of(insp, visit)[photo["id"]] == before
        else:
            assert response.status_code == 302, (raw, response.status_code)
            assert captions_of(insp, visit)[photo["id"]] == want
            shown_page = browser.get(response.headers["Location"])
            assert shown_page.status_code == 200
            assert shown(shown_page.get_data(as_text=True), want)

    check()


# What was stored before these checks ------------------------------------------------------------


def test_text_stored_before_the_checks_never_breaks_a_page(app, team):
    """A surrogate can sit in the JSON columns (answers, participants) of a database written
    before the door was closed: every page and API read still answers, the text shown with
    U+FFFD in the surrogate's place."""
    from inspection.db import get_session
    from inspection.models import Answer, Visit

    _plan, visit = team
    with app.app_context():
        session = get_session()
        row = session.get(Visit, visit.id)
        row.participants = [{"name": "Lê\ud800 B", "position": "Công chức\udfff"}]
        session.add(row)
        session.add(Answer(visit_id=visit.id, item_key="ghi-chu-chung", value="Đã\ud800 xem\x1b"))
        session.commit()
    insp = ApiClient(app, "insp-a")
    lead = ApiClient(app, "lead-a")
    page = insp.get(f"/visits/{visit.id}")
    assert page.status_code == 200 and "Đã\ufffd xem" in page.get_data(as_text=True)
    for client, url in [
        (lead, f"/visits/{visit.id}"),
        (lead, f"/plans/{visit.plan_id}"),
        (lead, f"/plans/{visit.plan_id}/visits/{visit.id}/edit"),
        (insp, f"/api/v1/visits/{visit.id}"),
        (insp, f"/api/v1/visits/{visit.id}/score"),
        (lead, f"/api/v1/plans/{visit.plan_id}"),
        (insp, "/"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        response.get_data().decode("utf-8")  # valid UTF-8 throughout
