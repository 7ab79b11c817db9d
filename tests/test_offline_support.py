"""What the server gives a tablet for offline work (views/offline.py): the service worker with
the app shell and its version, the manifest, the page for a page never kept; a batch's results
carrying each answer as stored; the shortened scripts; JSON in attributes; a deficiency for any
item from the form for any deficiency."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from inspection import assets
from inspection.security import json_attribute
from tests.factories import (
    ApiClient,
    csrf_from,
    logged_in,
    make_plan,
    make_unit,
    make_user,
    make_visit,
    new_client_id,
)

STATIC = Path(__file__).resolve().parent.parent / "inspection" / "static"


@pytest.fixture
def visit(app):
    make_unit(app)
    lead = make_user(app, "lead-a", "lead")
    make_user(app, "insp-a", "inspector")
    return make_visit(app, make_plan(app, lead), ["insp-a"])


def worker_head(body: str) -> tuple[str, list[str]]:
    version = re.search(r'var VERSION = "([0-9a-f]+)";', body)
    shell = re.search(r"var SHELL = (\[.*?\]);", body)
    assert version and shell, body[:300]
    return version.group(1), json.loads(shell.group(1))


def test_the_service_worker_lists_every_static_file_and_the_offline_page(client):
    response = client.get("/sw.js")  # no login: the browser fetches it on its own
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert "no-cache" in response.headers["Cache-Control"]  # an update is found at once
    version, shell = worker_head(response.get_data(as_text=True))
    files = sorted(
        "/static/" + p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*") if p.is_file()
    )
    assert sorted(shell[:-1]) == files and shell[-1] == "/offline"
    for url in shell:  # each one the service worker keeps is there, without a session
        kept = client.get(url)
        kept.close()
        assert kept.status_code == 200, url
    assert "caches.open" in response.get_data(as_text=True)


def test_the_shell_version_changes_when_any_static_file_does(tmp_path):
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder)
    names, before = assets.shell(str(folder))
    assert names == sorted(names) and "js/outbox.js" in names
    assert assets.shell(str(folder))[1] == before  # stable
    icon = folder / "icons" / "icon.svg"
    icon.write_bytes(icon.read_bytes() + b"\n")
    after_icon = assets.shell(str(folder))[1]
    assert after_icon != before
    script = folder / "js" / "outbox.js"
    script.write_text(script.read_text() + "\n// a comment only: the same code is sent\n")
    assert assets.shell(str(folder))[1] == after_icon
    script.write_text(script.read_text().replace('"use strict";', '"use strict"; var x = 1;', 1))
    assert assets.shell(str(folder))[1] != after_icon


def test_the_manifest_names_the_app_in_vietnamese_with_an_icon_it_serves(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["short_name"] == "Kiểm tra CCHC" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/" and manifest["lang"] == "vi"
    icon = manifest["icons"][0]
    served = client.get(icon["src"])
    served.close()
    assert served.status_code == 200 and icon["type"] == "image/svg+xml"


def test_the_offline_page_says_what_still_opens(client):
    response = client.get("/offline")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Không có kết nối mạng" in page
    assert "các cuộc kiểm tra đã chuẩn bị ngoại tuyến vẫn mở được" in page


def test_a_logged_in_page_tells_its_scripts_the_user_the_api_and_the_limits(app, visit):
    page = logged_in(app, "insp-a").get(f"/visits/{visit.id}").get_data(as_text=True)
    body = re.search(r"<body ([^>]*)>", page).group(1)
    assert 'data-api="/api/v1/"' in body and 'data-sw="/sw.js"' in body
    assert 'data-body-limit="2097152"' in body and re.search(r'data-user="\d+"', body)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert "Chuẩn bị làm việc ngoại tuyến" in page  # the visit's "prepare" button
    anonymous = visit and app.test_client().get("/login").get_data(as_text=True)
    assert "<body>" in anonymous and "outbox.js" not in anonymous


def test_a_batch_result_carries_each_answer_as_stored(app, visit):
    insp_a = ApiClient(app, "insp-a")
    entries = [
        {
            "item_key": key,
            "value": value,
            "client_id": new_client_id(),
            "answered_at": "2024-06-28T09:15:00+07:00",
            "base_revision": 0,
        }
        for key, value in (("kh-cchc", "yes"), ("sipas-diem", 10.5))
    ]
    body = insp_a.post(f"/api/v1/visits/{visit.id}/answers", json={"answers": entries}).get_json()
    answers = {r["item_key"]: r["answer"] for r in body["results"]}
    single = insp_a.get(f"/api/v1/visits/{visit.id}").get_json()["answers"]
    for stored in single:
        assert answers[stored["item_key"]]["revision"] == stored["revision"] == 1
        assert answers[stored["item_key"]]["value"] == stored["value"]
    assert answers["kh-cchc"]["score"] == answers["kh-cchc"]["max"] > 0
    replay = insp_a.post(f"/api/v1/visits/{visit.id}/answers", json={"answers": entries})
    assert [r["answer"]["revision"] for r in replay.get_json()["results"]] == [1, 1]
    # Someone's later answer is not handed back for a replay: a tablet basing its next write on
    # it, never shown, would overwrite it without a conflict.
    changed = insp_a.put(f"/api/v1/visits/{visit.id}/answers/kh-cchc", json={"value": "no"})
    assert changed.status_code == 200
    replay = insp_a.post(f"/api/v1/visits/{visit.id}/answers", json={"answers": entries})
    results = {r["item_key"]: r for r in replay.get_json()["results"]}
    assert results["kh-cchc"]["replayed"] is True and "answer" not in results["kh-cchc"]
    assert results["sipas-diem"]["answer"]["revision"] == 1


def test_json_in_an_attribute_keeps_its_letters_and_escapes_markup():
    out = str(json_attribute({"t": "Đạt \"<b>\" & 'x'"}))
    assert "Đạt" in out and "<" not in out and '"' not in out and "'" not in out
    assert out == "{&#34;t&#34;:&#34;Đạt \\&#34;&lt;b&gt;\\&#34; &amp; &#39;x&#39;&#34;}"


def test_a_script_is_sent_with_short_local_names_and_its_globals_and_properties_kept():
    source = (STATIC / "js" / "outbox.js").read_text(encoding="utf-8")
    short = assets.minify_js(source)
    assert "function chunkBytes" not in short and "var chunkBytes" not in short
    for kept in ("window.inspectionOutbox", "dataset.bodyLimit", "indexedDB.open", '"outbox"'):
        assert kept in short, kept
    assert len(short) < 0.85 * len(assets.minify_js.__globals__["rjsmin"].jsmin(source))
    modern = "const f = (x) => x * 2; // newer than ES5\n"
    assert assets.minify_js(modern) == "const f=(x)=>x*2;"  # comments and spaces only


def test_a_deficiency_for_any_item_is_recorded_from_the_form_for_any_deficiency(app, visit):
    inspector = logged_in(app, "insp-a")
    url = f"/visits/{visit.id}/findings"
    page = inspector.get(url).get_data(as_text=True)
    assert '<select name="item_key">' in page and 'value="kh-cchc"' in page
    form = {
        "csrf_token": csrf_from(page),
        "client_id": new_client_id(),
        "anchor": "other",
        "item_key": "kh-cchc",
        "text": "",  # refused: said at the form it came from, the item still chosen
        "remedy": "Ban hành kế hoạch",
        "severity": "medium",
    }
    refused = inspector.post(url, data=form)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    other = text[text.index('id="other"') :]
    assert 'class="flash flash-error"' in other
    assert '<option value="kh-cchc" selected>' in other
    stored = inspector.post(url, data={**form, "text": "Chưa ban hành kế hoạch CCHC"})
    assert stored.status_code == 302
    findings = ApiClient(app, "insp-a").get(f"/api/v1/visits/{visit.id}/findings").get_json()
    assert [(f["item_key"], f["text"]) for f in findings["findings"]] == [
        ("kh-cchc", "Chưa ban hành kế hoạch CCHC")
    ]
