"""The conclusion notice through the API and the pages: the lead's draft, issuing (409 unless
approved; numbers per series, also from racing processes), the frozen record (the stored PDF
and its hash never change; deficiencies are refused), the superseding correction, who reads
it (the unit only its own: another unit gets 404), escaping, and the backup round trip."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pytest
from docx import Document
from PIL import ImageFile
from sqlalchemy import text, update
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from inspection.db import get_session, make_engine
from inspection.models import Finding, Notice, NoticeFile, Unit, Visit
from inspection.notices.content import NoticeContent
from inspection.services import notices as notices_service
from inspection.services.agency import get_agency
from tests.factories import (
    PASSWORD,
    ApiClient,
    audit_events,
    csrf_from,
    logged_in,
    make_unit,
    make_user,
    make_visit,
    set_visit_status,
)
from tests.notice_helpers import DEFICIENCIES, approved_visit, pdf_text
from tests.test_serving import server_env, start_together


def issue(lead: ApiClient, visit: Visit, **kw):
    return lead.post(f"/api/v1/visits/{visit.id}/notice", json={}, **kw)


def stored(app, notice_id: int) -> tuple[Notice, dict[str, NoticeFile]]:
    with app.app_context():
        session = get_session()
        notice = session.get(Notice, notice_id)
        files = {
            f.kind: f
            for f in session.exec(select(NoticeFile).where(NoticeFile.notice_id == notice_id))
        }
        return notice, files


def findings_of(app, visit: Visit) -> list[Finding]:
    with app.app_context():
        return list(
            get_session().exec(
                select(Finding).where(Finding.visit_id == visit.id).order_by(col(Finding.id))
            )
        )


def status_of(client: ApiClient, url: str) -> int:
    """The status of a GET whose body (a file) is not read."""
    response = client.get(url)
    response.close()
    return response.status_code


def visit_status(app, visit: Visit) -> str:
    with app.app_context():
        return get_session().get(Visit, visit.id).status


@pytest.fixture
def lead(app, visit) -> ApiClient:
    """The plan's lead, with the visit approved (two deficiencies)."""
    return approved_visit(app, visit)


# Issuing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["planned", "in_progress", "submitted", "returned"])
def test_a_notice_for_a_visit_not_approved_is_refused(app, visit, state):
    set_visit_status(app, visit, state)
    answer = issue(ApiClient(app, "lead-a"), visit)
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "wrong_state"
    with app.app_context():
        assert len(get_session().exec(select(Notice)).all()) == 0


def test_issuing_numbers_freezes_and_moves_the_visit_on(app, visit, lead):
    answer = issue(lead, visit)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["number"] == "01/TB-ĐKT"
    assert set(body["urls"]) == {"html", "pdf", "docx"}
    pdf = lead.get(body["urls"]["pdf"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    assert hashlib.sha256(pdf.data).hexdigest() == body["sha256"]
    docx = lead.get(body["urls"]["docx"])
    assert docx.status_code == 200 and docx.data.startswith(b"PK")
    assert visit_status(app, visit) == "notice_issued"
    assert {f.status for f in findings_of(app, visit)} == {"open"}
    [event] = audit_events(app, "notice.issue")
    assert event.after["number"] == "01/TB-ĐKT" and event.after["sha256"] == body["sha256"]
    # Issued once: a second is a 409, and the API's copy is the same notice.
    again = issue(lead, visit)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "wrong_state"
    read = lead.get(f"/api/v1/notices/{body['id']}").get_json()
    assert read["number"] == body["number"] and read["sha256"] == body["sha256"]
    assert [d["text"] for d in read["content"]["deficiencies"]] == DEFICIENCIES


def test_a_notice_without_deficiencies_closes_the_visit(app, visit):
    lead = approved_visit(app, visit, texts=[])
    answer = issue(lead, visit)
    assert answer.status_code == 201, answer.get_json()
    assert visit_status(app, visit) == "closed"
    assert answer.get_json()["content"]["deficiencies"] == []


def test_withdrawn_deficiencies_stay_out_of_the_notice(app, visit):
    inspector_texts = ["Thiếu sổ theo dõi thư xin lỗi", "Không tính: đã khắc phục tại chỗ"]
    lead = approved_visit(app, visit, texts=inspector_texts)
    with app.app_context():
        session = get_session()
        row = session.exec(select(Finding).where(Finding.text == inspector_texts[1])).one()
        row.withdrawn = True
        session.commit()
    body = issue(lead, visit).get_json()
    assert [d["text"] for d in body["content"]["deficiencies"]] == inspector_texts[:1]


def test_numbers_follow_the_series_of_issuer_code_and_year(app, plan, visit, lead):
    make_unit(app, code="ninh-xuan", name="UBND xã Ninh Xuân")
    second = make_visit(app, plan, ["insp-a"], unit_code="ninh-xuan", scheduled_on="2024-07-01")
    approved_visit(app, second)
    assert issue(lead, visit).get_json()["number"] == "01/TB-ĐKT"
    assert issue(lead, second).get_json()["number"] == "02/TB-ĐKT"
    with app.app_context():
        session = get_session()
        # Another code is another series; so is another year.
        assert (
            notices_service.take_number(
                session, issuer="ĐOÀN KIỂM TRA CẢI CÁCH HÀNH CHÍNH", code="TB-TKT", year=2026
            )
            == 1
        )
        session.rollback()
    assert notices_service.format_number(5, "TB-ĐKT") == "05/TB-ĐKT"
    assert notices_service.format_number(12, "TB-ĐKT") == "12/TB-ĐKT"


# Racing processes: each issues the notice of its own visit at the same instant.
RACE = """
import json, sys, time
from pathlib import Path
from inspection import create_app
ready, go, password = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
urls = json.loads(sys.argv[4])
app = create_app()
client = app.test_client()
token = client.post("/api/v1/login", json={"username": "lead-a", "password": password}).get_json()
headers = {"X-CSRFToken": token["csrf_token"]}
url = urls[int(ready.name.removeprefix("ready-"))]
ready.touch()
while not go.exists():
    time.sleep(0.0005)
response = client.post(url, json={}, headers=headers)
print("RESULT " + json.dumps({"status": response.status_code, "body": response.get_json()}))
app.extensions["inspection.engine"].dispose()
"""


@pytest.mark.slow
def test_notices_issued_at_once_from_several_processes_get_different_numbers(
    app, app_config, plan, visit, tmp_path
):
    units = ["ninh-xuan", "ninh-tan", "ninh-hung"]
    visits = [visit]
    for n, code in enumerate(units):
        make_unit(app, code=code, name=f"UBND xã {code}")
        visits.append(
            make_visit(app, plan, ["insp-a"], unit_code=code, scheduled_on=f"2024-07-0{n + 1}")
        )
    for each in visits:
        approved_visit(app, each)
    urls = [f"/api/v1/visits/{v.id}/notice" for v in visits]
    env = server_env(app_config, INSPECTION_LOG_LEVEL="WARNING")
    runs = start_together(RACE, len(urls), tmp_path / "gate", env, PASSWORD, json.dumps(urls))
    results = []
    for returncode, out, err in runs:
        assert returncode == 0 and "Traceback" not in err, err
        results += [
            json.loads(x.removeprefix("RESULT "))
            for x in out.splitlines()
            if x.startswith("RESULT ")
        ]
    assert [r["status"] for r in results] == [201] * len(urls), results
    numbers = sorted(r["body"]["number"] for r in results)
    assert numbers == ["01/TB-ĐKT", "02/TB-ĐKT", "03/TB-ĐKT", "04/TB-ĐKT"]
    assert {visit_status(app, v) for v in visits} == {"notice_issued"}


def test_a_failed_rendering_takes_no_number_and_stores_nothing(app, visit, lead, monkeypatch):
    def broken(*_args, **_kw):
        raise OSError("disk full")

    monkeypatch.setattr(notices_service.word, "render_docx", broken)
    with pytest.raises(OSError):
        issue(lead, visit)
    monkeypatch.undo()
    with app.app_context():
        assert len(get_session().exec(select(Notice)).all()) == 0
    assert visit_status(app, visit) == "approved"
    assert {f.status for f in findings_of(app, visit)} == {"draft"}
    assert issue(lead, visit).get_json()["number"] == "01/TB-ĐKT"  # the number was not used up


def elsewhere(app):
    """Another process's connection to the database, waiting at most 0.3 s for a lock."""
    engine = make_engine(app.config["DATABASE_URL"], busy_timeout_ms=300)
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection.execute(text("SET lock_timeout = '300ms'"))
        connection.commit()
    return engine, connection


def rendering_with(monkeypatch, meanwhile) -> list[NoticeContent]:
    """Every notice rendered, in order; `meanwhile(content)` runs as each starts rendering."""
    real, seen = notices_service.render_files, []

    def render_files(session, content, store):
        seen.append(content)
        meanwhile(content)
        return real(session, content, store)

    monkeypatch.setattr(notices_service, "render_files", render_files)
    return seen


def test_while_a_notice_renders_the_others_saves_are_not_held_up(app, visit, lead, monkeypatch):
    """Rendering takes seconds: it happens before the write lock, so an inspector's save (here
    a write to the very visit's row, as every answer's) goes through meanwhile. One rendering,
    for the number given."""
    refused = []

    def save_meanwhile(_content):
        engine, connection = elsewhere(app)
        try:
            with connection.begin():
                connection.execute(
                    update(Visit)
                    .where(col(Visit.id) == visit.id)
                    .values(revision=col(Visit.revision) + 1)
                )
        except OperationalError as error:  # the lock held: "database is locked", lock_timeout
            refused.append(error)
        finally:
            connection.close()
            engine.dispose()

    seen = rendering_with(monkeypatch, save_meanwhile)
    answer = issue(lead, visit)
    assert answer.status_code == 201, answer.get_json()
    assert refused == []
    assert [c.number for c in seen] == ["01/TB-ĐKT"]
    assert answer.get_json()["number"] == "01/TB-ĐKT"


def test_a_number_taken_while_rendering_is_rendered_again_with_the_next(
    app, visit, lead, monkeypatch, tmp_path
):
    """Another process issues a notice of the same series while this one renders: this one
    gets the next number, and its PDF says that number (rendered again), never the other's."""

    def take_one(content):
        if content.number != "01/TB-ĐKT":
            return
        engine, connection = elsewhere(app)
        with connection.begin():
            connection.execute(
                text(
                    "INSERT INTO notice_series (issuer, code, year, last) VALUES (:i, :c, :y, 1)"
                    " ON CONFLICT (issuer, code, year) DO UPDATE SET last = notice_series.last + 1"
                ),
                {"i": content.issuer, "c": content.code, "y": content.issued_on.year},
            )
        connection.close()
        engine.dispose()

    seen = rendering_with(monkeypatch, take_one)
    answer = issue(lead, visit)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["number"] == "02/TB-ĐKT"
    assert [c.number for c in seen] == ["01/TB-ĐKT", "02/TB-ĐKT"]
    notice, files = stored(app, body["id"])
    printed = pdf_text(files["pdf"].data, tmp_path)
    assert "02/TB-ĐKT" in printed and "01/TB-ĐKT" not in printed
    assert hashlib.sha256(files["pdf"].data).hexdigest() == notice.sha256 == body["sha256"]
    document = Document(io.BytesIO(files["docx"].data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert any("02/TB-ĐKT" in c for c in cells) and not any("01/TB-ĐKT" in c for c in cells)


@pytest.mark.parametrize("edited", ["deficiency", "unit"])
def test_what_is_edited_while_rendering_is_issued_as_edited(
    app, visit, lead, monkeypatch, tmp_path, edited
):
    """A deficiency's text, or the unit's name, changed while the notice renders: the notice
    issued says the new words (rendered again), never the old."""
    first = findings_of(app, visit)[0]
    if edited == "deficiency":
        change = update(Finding).where(col(Finding.id) == first.id).values(text="Sửa lúc in")
    else:
        change = update(Unit).where(col(Unit.id) == visit.unit_id).values(name="Sửa lúc in")

    def edit(_content):
        if len(seen) > 1:
            return
        engine, connection = elsewhere(app)
        with connection.begin():
            connection.execute(change)
        connection.close()
        engine.dispose()

    seen = rendering_with(monkeypatch, edit)
    answer = issue(lead, visit)
    assert answer.status_code == 201, answer.get_json()
    assert len(seen) == 2
    content = answer.get_json()["content"]
    said = content["deficiencies"][0]["text"] if edited == "deficiency" else content["unit_name"]
    assert said == "Sửa lúc in"
    _notice, files = stored(app, answer.get_json()["id"])
    assert "Sửa lúc in" in pdf_text(files["pdf"].data, tmp_path)


def test_a_refused_notice_renders_nothing(app, visit, monkeypatch):
    """Refusals come before the seconds of rendering: another role, a visit not approved."""
    seen = rendering_with(monkeypatch, lambda _content: None)
    assert issue(ApiClient(app, "insp-a"), visit).status_code == 403
    set_visit_status(app, visit, "submitted")
    assert issue(ApiClient(app, "lead-a"), visit).status_code == 409
    assert seen == []


# The frozen record --------------------------------------------------------------------------------


def test_after_issue_deficiencies_are_refused_and_the_pdf_never_changes(app, visit, lead):
    body = issue(lead, visit).get_json()
    first = lead.get(body["urls"]["pdf"]).data
    finding = findings_of(app, visit)[0]
    for who in (lead, ApiClient(app, "insp-a")):
        refused = who.patch(f"/api/v1/findings/{finding.id}", json={"text": "Sửa sau khi ban hành"})
        assert refused.status_code == 409, refused.get_json()
    refused = lead.put(f"/api/v1/visits/{visit.id}/notice/draft", json={"opening": "Thêm"})
    assert refused.status_code == 409
    assert findings_of(app, visit)[0].text == finding.text
    again = lead.get(body["urls"]["pdf"]).data
    notice, files = stored(app, body["id"])
    assert again == first and notice.sha256 == body["sha256"]
    assert hashlib.sha256(files["pdf"].data).hexdigest() == notice.sha256


def test_a_superseding_notice_keeps_both_readable(app, visit, lead):
    old = issue(lead, visit).get_json()
    finding = findings_of(app, visit)[0]
    bad = lead.post(f"/api/v1/notices/{old['id']}/supersede", json={"findings": []})
    assert bad.status_code == 400 and "reason" in bad.get_json()["error"]["fields"]
    corrected = lead.post(
        f"/api/v1/notices/{old['id']}/supersede",
        json={
            "reason": "Sai thời hạn khắc phục",
            "findings": [{"id": finding.id, "due_on": "2025-03-31", "remedy": "Gửi thư xin lỗi"}],
            "narrative": {"results": "Đơn vị đã cố gắng."},
        },
    )
    assert corrected.status_code == 201, corrected.get_json()
    new = corrected.get_json()
    assert new["number"] == "02/TB-ĐKT" and new["supersedes"] == old["id"]
    content = new["content"]
    assert content["supersedes"]["number"] == "01/TB-ĐKT"
    assert content["results"] == "Đơn vị đã cố gắng."
    assert content["deficiencies"][0]["due_on"] == "2025-03-31"
    assert content["deficiencies"][0]["remedy"] == "Gửi thư xin lỗi"
    assert findings_of(app, visit)[0].due_on.isoformat() == "2025-03-31"
    # The old one: readable, its PDF as it was, marked superseded.
    read = lead.get(f"/api/v1/notices/{old['id']}").get_json()
    assert read["superseded_by"] == new["id"] and read["sha256"] == old["sha256"]
    assert hashlib.sha256(lead.get(old["urls"]["pdf"]).data).hexdigest() == old["sha256"]
    page = logged_in(app, "lead-a").get(old["urls"]["html"]).get_data(as_text=True)
    assert "02/TB-ĐKT" in page
    # Only the notice in force is corrected.
    again = lead.post(f"/api/v1/notices/{old['id']}/supersede", json={"reason": "Lần nữa"})
    assert again.status_code == 409
    unknown = lead.post(
        f"/api/v1/notices/{new['id']}/supersede", json={"reason": "x", "findings": [{"id": 999}]}
    )
    assert unknown.status_code == 400


# The draft ----------------------------------------------------------------------------------------


def test_the_draft_is_saved_previewed_and_guarded_against_stale_edits(app, visit, lead):
    url = f"/api/v1/visits/{visit.id}/notice/draft"
    first = lead.get(url).get_json()
    assert first["draft"]["revision"] == 0
    sections = [a["key"] for a in first["content"]["areas"]]
    saved = lead.put(
        url,
        json={
            "opening": "Buổi kiểm tra có <script>alert(1)</script> đại diện Mặt trận.",
            "areas": {sections[0]: "Ban hành kế hoạch CCHC đúng hạn."},
            "report_due_on": "2025-03-15",
            "base_revision": 0,
        },
    )
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["draft"]["revision"] == 1
    stale = lead.put(url, json={"opening": "Khác", "base_revision": 0})
    assert stale.status_code == 409 and stale.get_json()["current"]["revision"] == 1
    wrong = lead.put(url, json={"areas": {"khong-co": "x"}})
    assert wrong.status_code == 400 and "areas.khong-co" in wrong.get_json()["error"]["fields"]
    content = lead.get(url).get_json()["content"]
    assert content["areas"][0]["narrative"] == "Ban hành kế hoạch CCHC đúng hạn."
    assert content["report_due_on"] == "2025-03-15" and content["number"] is None
    page = logged_in(app, "lead-a").get(f"/visits/{visit.id}/notice/preview")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "DỰ THẢO" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    notice = issue(lead, visit).get_json()
    assert notice["content"]["opening"].startswith("Buổi kiểm tra có <script>")


def test_past_deadlines_are_flagged_before_issuing(app, visit, lead):
    # The deficiencies are due 30 days after the visit of 2024: past on today's date.
    flagged = lead.get(f"/api/v1/visits/{visit.id}/notice/draft").get_json()["past_deadlines"]
    assert len(flagged) == 2
    client = logged_in(app, "lead-a")
    page = client.get(f"/visits/{visit.id}/notice").get_data(as_text=True)
    assert "accept_past" in page
    refused = client.post(f"/visits/{visit.id}/notice/issue", data={"csrf_token": csrf_from(page)})
    assert refused.status_code == 409
    with app.app_context():
        assert len(get_session().exec(select(Notice)).all()) == 0
    [first, second] = findings_of(app, visit)
    saved = lead.put(
        f"/api/v1/visits/{visit.id}/notice/draft",
        json={"due_dates": {str(first.id): "2099-01-31", str(second.id): "2099-02-28"}},
    )
    assert saved.status_code == 200, saved.get_json()
    assert lead.get(f"/api/v1/visits/{visit.id}/notice/draft").get_json()["past_deadlines"] == []
    page = client.get(f"/visits/{visit.id}/notice").get_data(as_text=True)
    issued = client.post(f"/visits/{visit.id}/notice/issue", data={"csrf_token": csrf_from(page)})
    assert issued.status_code == 302
    assert [f.due_on.isoformat() for f in findings_of(app, visit)] == ["2099-01-31", "2099-02-28"]


def test_the_lead_drafts_on_the_page_and_issues(app, visit, lead):
    client = logged_in(app, "lead-a")
    page = client.get(f"/visits/{visit.id}/notice").get_data(as_text=True)
    saved = client.post(
        f"/visits/{visit.id}/notice/draft",
        data={
            "csrf_token": csrf_from(page),
            "base_revision": "0",
            "results": "Đơn vị thực hiện tốt công tác CCHC.",
            "report_due_on": "15/03/2099",
            "signer_name": "Trần Văn Bình",
            "recipients": "UBND xã Ninh Đa;\nLưu: VT, ĐKT.",
        },
    )
    assert saved.status_code == 302
    draft = lead.get(f"/api/v1/visits/{visit.id}/notice/draft").get_json()
    assert draft["content"]["report_due_on"] == "2099-03-15"
    assert draft["content"]["signer_name"] == "Trần Văn Bình"
    assert draft["content"]["recipients"] == ["UBND xã Ninh Đa;", "Lưu: VT, ĐKT."]
    bad = client.post(
        f"/visits/{visit.id}/notice/draft",
        data={"csrf_token": csrf_from(page), "report_due_on": "31/02/2025", "results": "Giữ lại"},
    )
    assert bad.status_code == 400
    assert "Giữ lại" in bad.get_data(as_text=True)  # what was typed stays


# Who reads it -------------------------------------------------------------------------------------


def test_the_unit_reads_its_own_notices_and_another_unit_gets_404(app, visit, lead):
    make_user(app, "ninhda", "unit", unit_code="ninh-da")
    make_unit(app, code="ninh-xuan", name="UBND xã Ninh Xuân")
    make_user(app, "ninhxuan", "unit", unit_code="ninh-xuan")
    body = issue(lead, visit).get_json()
    own = logged_in(app, "ninhda")
    home = own.get("/", follow_redirects=True).get_data(as_text=True)
    assert body["number"] in home
    assert own.get(body["urls"]["html"]).status_code == 200
    pdf = own.get(body["urls"]["pdf"])
    assert pdf.status_code == 200 and hashlib.sha256(pdf.data).hexdigest() == body["sha256"]
    assert own.get(body["urls"]["docx"]).status_code == 403
    assert (
        "docx"
        not in ApiClient(app, "ninhda").get(f"/api/v1/notices/{body['id']}").get_json()["urls"]
    )
    assert own.get(f"/visits/{visit.id}").status_code == 403  # the notice, nothing else
    assert own.get(f"/visits/{visit.id}/review").status_code == 403
    other = logged_in(app, "ninhxuan")
    assert other.get(body["urls"]["html"]).status_code == 404
    assert other.get(body["urls"]["pdf"]).status_code == 404
    assert other.get(body["urls"]["docx"]).status_code == 403  # no unit's, like the own unit's
    assert body["number"] not in other.get("/", follow_redirects=True).get_data(as_text=True)
    api_other = ApiClient(app, "ninhxuan")
    assert api_other.get(f"/api/v1/notices/{body['id']}").status_code == 404
    assert ApiClient(app, "ninhda").get(f"/api/v1/notices/{body['id']}").status_code == 200


def test_the_unit_sees_the_visits_photos_only_once_the_notice_is_issued(app, visit):
    make_user(app, "ninhda", "unit", unit_code="ninh-da")
    make_unit(app, code="ninh-xuan", name="UBND xã Ninh Xuân")
    make_user(app, "ninhxuan", "unit", unit_code="ninh-xuan")
    lead = approved_visit(app, visit)
    photos = lead.get(f"/api/v1/visits/{visit.id}/photos").get_json()["photos"]
    thumb = photos[0]["urls"]["thumb"]
    own = ApiClient(app, "ninhda")
    assert status_of(own, thumb) == 404  # before the notice, as if it did not exist
    lead.put(f"/api/v1/visits/{visit.id}/notice/draft", json={"photo_annex": True})
    body = issue(lead, visit).get_json()
    assert len(body["content"]["annex"]) == len(photos)
    assert all(len(p["sha256"]) == 64 for p in body["content"]["annex"])
    assert status_of(own, thumb) == 200
    assert status_of(ApiClient(app, "ninhxuan"), thumb) == 404


def test_the_notice_routes_refuse_other_roles_and_other_leads(app, visit, lead):
    make_user(app, "lead-b", "lead")
    body = issue(lead, visit).get_json()
    other = ApiClient(app, "lead-b")
    assert (
        other.post(f"/api/v1/notices/{body['id']}/supersede", json={"reason": "x"}).status_code
        == 403
    )
    assert other.get(f"/api/v1/notices/{body['id']}").status_code == 200  # leads read all plans
    inspector = ApiClient(app, "insp-a")
    assert inspector.get(f"/api/v1/notices/{body['id']}").status_code == 200
    assert (
        inspector.post(f"/api/v1/notices/{body['id']}/supersede", json={"reason": "x"}).status_code
        == 403
    )
    no_csrf = lead.post(f"/api/v1/notices/{body['id']}/supersede", json={"reason": "x"}, csrf=False)
    assert no_csrf.status_code == 400 and no_csrf.get_json()["error"]["code"] == "csrf_failed"
    anonymous = app.test_client()
    assert anonymous.get(body["urls"]["pdf"]).status_code == 302  # to the login page
    assert anonymous.get(f"/api/v1/notices/{body['id']}").status_code == 401


# The backup round trip ----------------------------------------------------------------------------


def test_notices_and_their_files_join_the_backup_round_trip(app, visit, lead, databases, tmp_path):
    from inspection import create_app
    from tests.conftest import instance_config
    from tests.test_backup import records

    body = issue(lead, visit).get_json()
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "out" / "b.tar.gz")])
    assert result.exit_code == 0, result.output
    url = databases.create_empty(tmp_path / "target")
    target = create_app(instance_config(tmp_path, url, prefix="target-"))
    try:
        restored = target.test_cli_runner().invoke(
            args=["restore", str(tmp_path / "out" / "b.tar.gz")]
        )
        assert restored.exit_code == 0, restored.output
        source, copy = records(app), records(target)
        for table in ("notices", "notice_files", "notice_series", "notice_drafts"):
            assert copy[table] == source[table], table
        assert len(copy["notices"]) == 1 and len(copy["notice_files"]) == 2
        pdf = ApiClient(target, "lead-a").get(body["urls"]["pdf"])
        assert hashlib.sha256(pdf.data).hexdigest() == body["sha256"]
    finally:
        target.extensions["inspection.engine"].dispose()
        databases.drop(url)


def test_a_later_change_of_the_agency_does_not_reach_an_issued_notice(
    app, visit, lead, tmp_path: Path
):
    """The issued notice is its snapshot and its stored files: renaming the issuer afterwards
    changes neither what the API gives nor the PDF served."""
    body = issue(lead, visit).get_json()
    before = lead.get(body["urls"]["pdf"]).data
    with app.app_context():
        session = get_session()
        row = get_agency(session)
        row.issuer_name = "TỔ KIỂM TRA KHÁC"
        session.commit()
    read = lead.get(f"/api/v1/notices/{body['id']}").get_json()
    assert read["content"]["issuer"] == "ĐOÀN KIỂM TRA CẢI CÁCH HÀNH CHÍNH"
    after = lead.get(body["urls"]["pdf"]).data
    assert after == before
    assert "TỔ KIỂM TRA KHÁC" not in pdf_text(after, tmp_path)
    assert "ĐOÀN KIỂM TRA" in pdf_text(after, tmp_path)


def test_the_word_copy_has_the_parts_of_the_pdf(app, visit, lead, tmp_path: Path):
    """The stored DOCX, read back, says what the stored PDF says, paragraph by paragraph."""
    lead.put(
        f"/api/v1/visits/{visit.id}/notice/draft",
        json={"results": "Đơn vị thực hiện tốt.", "implementation": "Giao Văn phòng theo dõi."},
    )
    body = issue(lead, visit).get_json()
    text = pdf_text(lead.get(body["urls"]["pdf"]).data, tmp_path)
    pdf, pdf_words = "".join(text.split()), set(text.split())
    document = Document(io.BytesIO(lead.get(body["urls"]["docx"]).data))
    paragraphs = [" ".join(p.text.split()) for p in document.paragraphs if p.text.strip()]
    # The body, paragraph by paragraph (line breaks aside); the tables' cells (the header's two
    # columns interleave in extracted text) word by word.
    assert [p for p in paragraphs if "".join(p.split()) not in pdf] == []
    cells = [
        " ".join(p.text.split())
        for table in document.tables
        for row in table.rows
        for cell in row.cells
        for p in cell.paragraphs
        if p.text.strip()
    ]
    assert [w for c in cells for w in c.split() if w not in pdf_words and w not in pdf] == []
    paragraphs += cells
    for part in ("Đơn vị thực hiện tốt.", "Giao Văn phòng theo dõi.", "Nơi nhận:", *DEFICIENCIES):
        assert part in paragraphs or any(part in p for p in paragraphs), part
    assert any(p.startswith("UBND xã Ninh Đa xây dựng kế hoạch khắc phục") for p in paragraphs)


def test_the_notice_date_and_its_year_are_the_agencys(app, plan, visit, lead, monkeypatch):
    """At 17:30 UTC on 31 December it is already 1 January in Vietnam: the notice is dated
    then, and opens the new year's series."""
    from inspection.views import notices as notice_views

    first = issue(lead, visit).get_json()  # this year's series
    make_unit(app, code="ninh-xuan", name="UBND xã Ninh Xuân")
    second = make_visit(app, plan, ["insp-a"], unit_code="ninh-xuan", scheduled_on="2024-07-01")
    approved_visit(app, second)
    moment = dt.datetime(2030, 12, 31, 17, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(notice_views, "clock", lambda: moment)
    body = issue(lead, second).get_json()
    assert body["issued_on"] == "2031-01-01"
    assert body["number"] == "01/TB-ĐKT" == first["number"]
    notice, _files = stored(app, body["id"])
    assert notice.year == 2031


def test_production_refuses_to_issue_without_its_public_address(app, visit, lead):
    from inspection.views import notices as notice_views

    app.config.update(ENV="production", BASE_URL=None)
    with app.test_request_context("/"), pytest.raises(notice_views.NotConfigured):
        notice_views.verify_url("abc")
    app.config.update(BASE_URL="https://kiemtra.example.vn/")
    with app.test_request_context("/"):
        assert notice_views.verify_url("abc") == "https://kiemtra.example.vn/verify/abc"


def test_rendering_a_notice_leaves_truncated_photos_refused(app, visit, lead):
    """WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on when imported; the photo pipeline
    needs it off (a truncated upload is refused, tests/test_photos.py)."""
    issue(lead, visit)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_a_stale_save_on_the_draft_page_never_overwrites(app, visit, lead):
    url = f"/api/v1/visits/{visit.id}/notice/draft"
    client = logged_in(app, "lead-a")
    page = client.get(f"/visits/{visit.id}/notice").get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "base_revision": "0", "results": "Bản của tôi"}
    assert (
        lead.put(url, json={"results": "Bản của người khác", "base_revision": 0}).status_code == 200
    )
    refused = client.post(f"/visits/{visit.id}/notice/draft", data=form)
    assert refused.status_code == 409
    again_page = refused.get_data(as_text=True)
    assert "Bản của tôi" in again_page  # what was typed stays on screen
    assert 'name="base_revision" value="0"' in again_page
    again = client.post(
        f"/visits/{visit.id}/notice/draft", data={**form, "csrf_token": csrf_from(again_page)}
    )
    assert again.status_code == 409
    assert lead.get(url).get_json()["draft"]["results"] == "Bản của người khác"


def test_the_correction_page_changes_what_it_is_given_and_keeps_the_rest(app, visit, lead):
    body = issue(lead, visit).get_json()
    client = logged_in(app, "lead-a")
    page = client.get(f"/notices/{body['id']}/supersede").get_data(as_text=True)
    first = findings_of(app, visit)[0]
    sent = client.post(
        f"/notices/{body['id']}/supersede",
        data={
            "csrf_token": csrf_from(page),
            "reason": "Sửa thời hạn",
            f"due.{first.id}": "30/04/2099",
        },
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)[:500]
    new = lead.get(sent.headers["Location"].replace("/notices/", "/api/v1/notices/")).get_json()
    old = body["content"]
    assert new["content"]["requirements"] == old["requirements"]
    assert new["content"]["results"] == old["results"]
    assert new["content"]["deficiencies"][0]["due_on"] == "2099-04-30"
    assert new["content"]["deficiencies"][1] == old["deficiencies"][1]
    [event] = audit_events(app, "notice.supersede")
    assert event.after["findings"] == [first.id] and event.after["reason"] == "Sửa thời hạn"


# Bad input --------------------------------------------------------------------------------------

BAD_DRAFTS = [
    ({"areas": ["a"]}, "areas"),
    ({"areas": {"x": 5}}, "areas"),
    ({"due_dates": {"abc": "2025-01-01"}}, "due_dates"),
    ({"due_dates": {"1": "31/02/2025"}}, "due_dates"),
    ({"due_dates": ["2025-01-01"]}, "due_dates"),
    ({"report_due_on": "tomorrow"}, "report_due_on"),
    ({"photo_annex": "maybe"}, "photo_annex"),
    ({"opening": "x" * 8001}, "opening"),
    ({"opening": "chuông\x07"}, "opening"),
    ({"signer_name": "Tên\nhai dòng"}, "signer_name"),
    ({"base_revision": -1}, "base_revision"),
]


@pytest.mark.parametrize(("body", "field"), BAD_DRAFTS)
def test_a_bad_draft_is_a_400_naming_the_field_and_saves_nothing(app, visit, lead, body, field):
    url = f"/api/v1/visits/{visit.id}/notice/draft"
    answer = lead.put(url, json=body)
    assert answer.status_code == 400, answer.get_json()
    assert field in " ".join(answer.get_json()["error"]["fields"])
    assert lead.get(url).get_json()["draft"]["revision"] == 0


BAD_CORRECTIONS = [
    {"reason": ""},
    {"reason": "x", "findings": "all"},
    {"reason": "x", "findings": [{"text": "không có id"}]},
    {"reason": "x", "findings": [{"id": "abc"}]},
    {"reason": "x", "findings": [{"id": 1, "due_on": "2025-13-01"}]},
    {"reason": "x", "narrative": {"title": "Đổi tiêu đề"}},
    {"reason": "x", "narrative": "văn bản"},
]


@pytest.mark.parametrize("body", BAD_CORRECTIONS)
def test_a_bad_correction_is_a_400_and_issues_nothing(app, visit, lead, body):
    notice = issue(lead, visit).get_json()
    answer = lead.post(f"/api/v1/notices/{notice['id']}/supersede", json=body)
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["error"]["code"] == "validation_error"
    with app.app_context():
        assert len(get_session().exec(select(Notice)).all()) == 1
    assert lead.get(f"/api/v1/notices/{notice['id']}").get_json()["superseded_by"] is None


def test_odd_requests_to_the_notice_routes_are_clear_refusals(app, visit, lead):
    assert lead.get("/api/v1/notices/999999").status_code == 404
    assert lead.get("/api/v1/notices/99999999999999999999").status_code == 404
    not_json = lead.client.put(
        f"/api/v1/visits/{visit.id}/notice/draft",
        data="opening=x",
        headers={"X-CSRFToken": lead.token, "Content-Type": "text/plain"},
    )
    assert not_json.status_code == 400 and not_json.is_json
    page = logged_in(app, "lead-a")
    assert page.get("/notices/999999").status_code == 404
    assert page.get("/notices/1/notice.exe").status_code == 404
    html = page.get(f"/visits/{visit.id}/notice").get_data(as_text=True)
    for odd in ("99999999999999999999", "²", "-1", "abc"):
        refused = page.post(
            f"/visits/{visit.id}/notice/draft",
            data={"csrf_token": csrf_from(html), "base_revision": odd, "results": "Giữ"},
        )
        assert refused.status_code == 400, odd
        assert "Giữ" in refused.get_data(as_text=True)
    assert lead.get(f"/api/v1/visits/{visit.id}/notice/draft").get_json()["draft"]["revision"] == 0
    no_token = page.post(f"/visits/{visit.id}/notice/issue", data={})
    assert no_token.status_code == 400
    with app.app_context():
        assert len(get_session().exec(select(Notice)).all()) == 0
    anyone = app.test_client()
    assert anyone.get("/verify/" + "x" * 500).status_code == 404


def test_the_review_page_leads_to_the_draft_and_then_to_the_notice(app, visit, lead):
    lead_page = logged_in(app, "lead-a").get(f"/visits/{visit.id}/review").get_data(as_text=True)
    assert f'href="/visits/{visit.id}/notice"' in lead_page
    inspector = logged_in(app, "insp-a")
    assert "/notice" not in inspector.get(f"/visits/{visit.id}/review").get_data(as_text=True)
    body = issue(lead, visit).get_json()
    page = inspector.get(f"/visits/{visit.id}/review").get_data(as_text=True)
    assert f'href="{body["urls"]["html"]}"' in page
    assert inspector.get(body["urls"]["html"]).status_code == 200
