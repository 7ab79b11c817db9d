"""The template library cannot be poisoned: a template nested deeper than the format needs, larger
than a template can be, or holding texts and keys that cannot be stored is refused at every door
(API, upload page, CLI, the forms folder) with the key path; the library file is read with the same
bound, and a server whose file holds a document it cannot use, or is not JSON at all, still
starts, logs it and shows it to the admin."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from inspection import create_app, strict_json
from inspection.backup import _library_content
from inspection.checklist import (
    MAX_KEY,
    MAX_TEMPLATE_BYTES,
    MAX_TEMPLATE_DEPTH,
    TOO_DEEP,
    validate,
)
from inspection.library import (
    LibraryUnreadable,
    StoredVersionBroken,
    TemplateLibrary,
    canonical_sha256,
)
from tests.builders import mutated, valid_template
from tests.conftest import PROJECT_FORMS
from tests.factories import ApiClient, library_keys, logged_in, make_user, upload_checklist

TOO_LONG_KEY = "k" * (MAX_KEY + 1)


def nested(levels: int, inner: object = 1) -> object:
    """`levels` lists inside each other around `inner`."""
    value = inner
    for _ in range(levels):
        value = [value]
    return value


def deep_template(levels: int) -> dict:
    """The valid template with an unknown key on its first item holding `levels` lists: the
    item is at depth 5, so the template is 5 + `levels` deep."""
    return mutated(**{"sections.0.items.0.ghi-chu": nested(levels)})


# The path the validator names: the first list deeper than MAX_TEMPLATE_DEPTH (the item's
# unknown key is the 6th level, each [0] one more).
DEEP_PATH = "sections[0].items[0].ghi-chu" + "[0]" * (MAX_TEMPLATE_DEPTH - 5)


def oversized_body() -> bytes:
    """A valid template padded with white space (still valid JSON) past the limit."""
    body = json.dumps(valid_template(), ensure_ascii=False).encode()
    return body + b" " * (MAX_TEMPLATE_BYTES + 1000 - len(body))


def messages(document: object) -> list[str]:
    return [str(p) for p in validate(document).errors]


# The format's real depth and the shipped templates' sizes ------------------------------------


@pytest.mark.parametrize("path", sorted(PROJECT_FORMS.glob("*.json")), ids=lambda p: p.name)
def test_the_shipped_templates_sit_far_inside_the_limits(path: Path):
    text = path.read_text(encoding="utf-8")
    assert strict_json.max_depth_of(text) == 7  # sections[].items[].options[] or steps[]
    assert MAX_TEMPLATE_DEPTH - 7 >= 3
    assert len(text.encode()) * 10 < MAX_TEMPLATE_BYTES  # 48 KB at most, the limit 1 MB


def test_a_template_at_the_depth_limit_is_valid_one_deeper_is_refused_with_its_path():
    assert validate(deep_template(MAX_TEMPLATE_DEPTH - 5)).ok
    assert messages(deep_template(MAX_TEMPLATE_DEPTH - 4)) == [f"{DEEP_PATH}: {TOO_DEEP}"]


def test_a_deep_value_under_a_known_key_is_refused_too():
    document = mutated(**{"sections.0.items.1.options.0.label": nested(8)})
    found = messages(document)
    assert "sections[0].items[1].options[0].label: must be a non-empty string" in found


# Texts and keys ----------------------------------------------------------------------------------


BAD_TEXTS = [
    pytest.param({"title": "Mẫu \ud800 thử"}, "title: is not valid Unicode text", id="surrogate"),
    pytest.param({"title": "Mẫu\tthử"}, "title: contains control characters", id="tab-title"),
    pytest.param(
        {"sections.0.items.0.text": "Ban hành\x00kế hoạch"},
        "sections[0].items[0].text: contains control characters",
        id="nul-in-item-text",
    ),
    pytest.param(
        {"sections.0.items.0.guidance": "x" * 5001},
        "sections[0].items[0].guidance: must be at most 5000 characters",
        id="guidance-too-long",
    ),
    pytest.param(
        {"sections.0.items.0.legal_basis": "x" * 1001},
        "sections[0].items[0].legal_basis: must be at most 1000 characters",
        id="legal-basis-too-long",
    ),
    pytest.param(
        {"sections.0.items.0.deficiency": "x" * 2001},
        "sections[0].items[0].deficiency: must be at most 2000 characters",
        id="deficiency-too-long",
    ),
    pytest.param(
        {"sections.0.items.0.remedy": "Khắc phục \udfff"},
        "sections[0].items[0].remedy: is not valid Unicode text",
        id="remedy-surrogate",
    ),
    pytest.param(
        {"sections.0.items.0.text": "x" * 1001},
        "sections[0].items[0].text: must be at most 1000 characters",
        id="item-text-too-long",
    ),
    pytest.param(
        {"sections.1.title": "Một cửa\nliên thông"},
        "sections[1].title: contains control characters",
        id="line-break-in-section-title",
    ),
    pytest.param(
        {"description": "x" * 5001},
        "description: must be at most 5000 characters",
        id="description-too-long",
    ),
    pytest.param(
        {"sections.0.items.1.options.0.label": "Đầy\x1bđủ"},
        "sections[0].items[1].options[0].label: contains control characters",
        id="escape-in-option-label",
    ),
    pytest.param(
        {"sections.0.items.1.options.0.value": "d" * 101},
        "sections[0].items[1].options[0].value: must be at most 100 characters",
        id="option-value-too-long",
    ),
    pytest.param(
        {"bands": [{"min": 50, "label": "Đạt" * 40}, {"min": 0, "label": "Chưa đạt"}]},
        "bands[0].label: must be at most 100 characters",
        id="band-label-too-long",
    ),
    pytest.param({"key": TOO_LONG_KEY}, "key: must be at most 64 characters", id="long-key"),
    pytest.param(
        {"sections.0.key": TOO_LONG_KEY},
        "sections[0].key: must be at most 64 characters",
        id="long-section-key",
    ),
    pytest.param(
        {"sections.0.items.0.key": TOO_LONG_KEY},
        "sections[0].items[0].key: must be at most 64 characters",
        id="long-item-key",
    ),
    pytest.param(
        {"sections.1.items.6.show_if": {"item": "tre-han\ud800", "equals": "yes"}},
        "sections[1].items[6].show_if.item: is not valid Unicode text",
        id="surrogate-in-show-if-item",
    ),
    pytest.param(
        {"sections.0.items.0.ghi-chu": "ghi chú riêng \ud800"},
        "sections[0].items[0].ghi-chu: is not valid Unicode text",
        id="surrogate-under-an-unknown-key",
    ),
    pytest.param(
        {"sections.0.items.0.ghi-chu": ["một", "hai\x07"]},
        "sections[0].items[0].ghi-chu[1]: contains control characters",
        id="bell-in-a-list-under-an-unknown-key",
    ),
    pytest.param(
        {"sections.0.items.0.gh\ud800": 1},
        "sections[0].items[0]['gh\\ud800']: the name is not valid Unicode text",
        id="surrogate-in-a-member-name",
    ),
    pytest.param(
        {"sections.0.items.0.a\x00b": 1},
        "sections[0].items[0]['a\\x00b']: the name contains control characters",
        id="nul-in-a-member-name",
    ),
]


@pytest.mark.parametrize(("change", "expected"), BAD_TEXTS)
def test_texts_and_keys_that_cannot_be_stored_are_refused_by_key_path(change, expected):
    found = messages(mutated(**change))
    assert expected in found
    assert all(str(message).encode("utf-8") for message in found)  # every message printable


def test_every_text_problem_is_reported_at_once_and_nothing_twice():
    document = mutated(
        **{
            "title": "Mẫu\x00",
            "sections.0.items.0.text": "x" * 1001,
            "sections.0.items.0.key": TOO_LONG_KEY,
            "sections.0.items.1.options.2.label": "Không \udbff",
        }
    )
    assert messages(document) == [
        "title: contains control characters",
        "sections[0].items[0].key: must be at most 64 characters",
        "sections[0].items[0].text: must be at most 1000 characters",
        "sections[0].items[1].options[2].label: is not valid Unicode text",
    ]


def test_long_real_texts_and_line_breaks_where_texts_span_lines_are_accepted():
    document = mutated(
        **{
            "title": "T" * 300,
            "key": "k" * MAX_KEY,
            "sections.0.items.0.text": "Dòng một\nDòng hai\t" + "x" * 980,
            "sections.0.items.0.guidance": "g" * 5000,
            "sections.0.items.0.deficiency": "d" * 2000,
            "sections.0.items.1.options.0.label": "L" * 300,
        }
    )
    report = validate(document)
    assert report.ok, report.errors
    assert report.warnings == []


def test_an_unknown_key_whose_name_cannot_be_shown_is_an_error_not_a_warning():
    report = validate(mutated(**{"sections.0.items.0.x\ud800": 1}))
    assert not report.ok and report.warnings == []


# strict_json: nesting bounded before parsing -----------------------------------------------------


def test_nesting_is_refused_before_the_parser_runs_naming_the_key_path():
    text = '{"sections": [{"items": [{"k": 1}, {"options": [{"label": [[1]]}]}]}]}'
    with pytest.raises(strict_json.TooDeep) as caught:
        strict_json.loads(text, max_depth=7)
    assert caught.value.path == "sections[0].items[1].options[0].label"
    assert caught.value.pos == text.index("[[1]]")
    assert "sections[0].items[1].options[0].label (line 1, column 59)" in str(caught.value)
    # Python's parser would fail on this one too, but with a RecursionError and no place.
    with pytest.raises(strict_json.TooDeep) as caught:
        strict_json.loads('{"a": ' + "[" * 200_000 + "]" * 200_000 + "}")
    assert caught.value.path == "a[0][0][0][0][0][0][0]…[0][0][0][0]"


def test_the_depth_bound_is_a_json_decode_error_and_ignores_brackets_inside_strings():
    assert strict_json.loads('["[[[[", "\\"[[[[", {"a": "]]]]"}]', max_depth=2) == [
        "[[[[",
        '"[[[[',
        {"a": "]]]]"},
    ]
    with pytest.raises(json.JSONDecodeError, match=r"more than 2 levels .* at \[1\]\.b \(line"):
        strict_json.loads('[1, {"b": [["]"]]}]', max_depth=2)
    with pytest.raises(json.JSONDecodeError, match=r'at \["a\.b"\]\[0\] \(line'):
        strict_json.loads('{"a.b": [[1]]}', max_depth=2)


def test_request_bodies_get_64_levels():
    assert strict_json.loads(json.dumps(nested(64))) == nested(64)
    with pytest.raises(strict_json.TooDeep, match="more than 64 levels"):
        strict_json.loads(json.dumps(nested(65)))


# The API ----------------------------------------------------------------------------------------


def post_raw(api: ApiClient, body: bytes):
    return api.client.post(
        "/api/v1/forms",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": api.token},
    )


def test_the_api_refuses_a_template_nested_too_deeply_with_its_key_path(app, admin_api):
    before = library_keys(app)
    response = admin_api.post("/api/v1/forms", json=deep_template(8))
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {DEEP_PATH: TOO_DEEP}
    bottomless = admin_api.post("/api/v1/forms", json=deep_template(200))
    assert bottomless.status_code == 400
    message = bottomless.get_json()["error"]["message"]
    assert "more than 64 levels of lists and objects at sections[0].items[0].ghi-chu" in message
    assert library_keys(app) == before


def test_the_api_refuses_an_oversized_template_naming_its_size_and_the_limit(app, admin_api):
    before = library_keys(app)
    response = post_raw(admin_api, oversized_body())
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "too_large"
    assert error["message"] == (
        f"the template is {MAX_TEMPLATE_BYTES + 1000:,} bytes, over the limit of "
        f"{MAX_TEMPLATE_BYTES:,} bytes"
    )
    assert library_keys(app) == before
    # The same template without the padding is imported: the size alone was refused.
    assert admin_api.post("/api/v1/forms", json=valid_template()).status_code == 201


def test_the_api_refuses_texts_that_cannot_be_stored_with_their_key_paths(app, admin_api):
    document = mutated(**{"sections.0.items.0.text": "Ban hành\x00", "key": TOO_LONG_KEY})
    response = admin_api.post("/api/v1/forms", json=document)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {
        "key": "must be at most 64 characters",
        "sections[0].items[0].text": "contains control characters",
    }


# The upload page --------------------------------------------------------------------------------


def test_the_page_refuses_a_template_nested_too_deeply_with_its_key_path(app, admin):
    response = upload_checklist(admin, json.dumps(deep_template(8)).encode())
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    deep = "lồng nhau quá sâu: một bộ tiêu chí có tối đa 10 cấp danh sách và đối tượng"
    assert f"<code>{DEEP_PATH}</code>: {deep}" in page
    assert ("mau-thu", 1) not in library_keys(app)


def test_the_page_refuses_an_oversized_template_in_vietnamese_with_size_and_limit(app, admin):
    response = upload_checklist(admin, oversized_body())
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Tệp nặng 1.049.576 byte, vượt giới hạn 1.048.576 byte." in page
    assert ("mau-thu", 1) not in library_keys(app)


def test_the_page_refuses_a_text_that_cannot_be_stored_with_its_key_path(app, admin):
    document = mutated(**{"sections.0.items.0.guidance": "x" * 5001})
    response = upload_checklist(admin, json.dumps(document).encode())
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<code>sections[0].items[0].guidance</code>: không được dài quá 5.000 ký tự" in page


# The CLI and the forms folder ---------------------------------------------------------------


def test_forms_check_and_import_refuse_a_deep_template_by_key_path(app, runner, tmp_path):
    path = tmp_path / "sau.json"
    path.write_text(json.dumps(deep_template(8)), encoding="utf-8")
    for command in ("check", "import"):
        result = runner.invoke(args=["forms", command, str(path)])
        assert result.exit_code == 1
        errors = [line for line in result.stderr.splitlines() if not line.startswith("warning")]
        assert errors == [f"error: {DEEP_PATH}: {TOO_DEEP}"]
    assert ("mau-thu", 1) not in library_keys(app)


def test_forms_check_and_import_refuse_an_oversized_file_in_one_line(app, runner, tmp_path):
    path = tmp_path / "lon.json"
    path.write_bytes(oversized_body())
    for command in ("check", "import"):
        result = runner.invoke(args=["forms", command, str(path)])
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            f"Error: {path}: the template is {MAX_TEMPLATE_BYTES + 1000:,} bytes, over the limit "
            f"of {MAX_TEMPLATE_BYTES:,} bytes"
        ]
    assert ("mau-thu", 1) not in library_keys(app)


def test_forms_check_names_a_text_that_cannot_be_stored(runner, tmp_path):
    path = tmp_path / "mau.json"
    path.write_text(json.dumps(mutated(**{"sections.0.title": "Chỉ đạo\x0b"})), encoding="utf-8")
    result = runner.invoke(args=["forms", "check", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["error: sections[0].title: contains control characters"]


def test_the_forms_folder_refuses_deep_and_oversized_files_by_path_and_size(tmp_path):
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "sau.json").write_text(json.dumps(deep_template(8)), encoding="utf-8")
    (folder / "lon.json").write_bytes(oversized_body())
    library = TemplateLibrary(tmp_path / "library.json")
    refused = dict(library.load_folder(folder).refused)
    assert refused["sau.json"] == f"{DEEP_PATH}: {TOO_DEEP}"
    assert refused["lon.json"] == (
        f"the template is {MAX_TEMPLATE_BYTES + 1000:,} bytes, over the limit of "
        f"{MAX_TEMPLATE_BYTES:,} bytes"
    )
    assert library.all() == []


# The library file -----------------------------------------------------------------------------


def other_template() -> dict:
    return mutated(key="mau-khac", title="Mẫu khác")


def library_file(path: Path, *, extra_rows: dict[str, str]) -> str:
    """A library file holding `valid_template()` (row 1) as the app writes it, and rows given
    as raw JSON texts; returns the file's text."""
    TemplateLibrary(path).import_document(valid_template(), source="test")
    data = json.loads(path.read_text(encoding="utf-8"))
    for doc_id in extra_rows:
        data["templates"][doc_id] = f"@{doc_id}@"
    text = json.dumps(data, ensure_ascii=False)
    for doc_id, raw in extra_rows.items():
        text = text.replace(json.dumps(f"@{doc_id}@"), raw)
    path.write_text(text, encoding="utf-8")
    return text


def stored_row(document: dict, **change: object) -> str:
    row = {
        "key": document["key"],
        "version": document["version"],
        "sha256": change.pop("sha256", None) or canonical_sha256(document),
        "title": document["title"],
        "document": document,
        "source": "test",
        "imported_at": "2024-01-01T00:00:00+00:00",
        **change,
    }
    return json.dumps(row)  # an unpaired surrogate stays an escape: the file is UTF-8


def deep_row(levels: int) -> str:
    """A stored row whose document holds `levels` lists under an unknown key, as a file edited by
    hand or written by an older version that took it would have it."""
    document = mutated(key="mau-sau", title="Mẫu lồng sâu")
    row = json.loads(stored_row(document))
    row["document"]["sections"][0]["items"][0]["ghi-chu"] = "@DEEP@"
    return json.dumps(row).replace('"@DEEP@"', "[" * levels + "1" + "]" * levels)


@pytest.mark.parametrize("levels", [8, 5000])
def test_a_too_deep_document_in_the_file_is_broken_and_the_others_are_served(tmp_path, levels):
    path = tmp_path / "library.json"
    original = library_file(path, extra_rows={"2": deep_row(levels)})
    library = TemplateLibrary(path)
    assert [(t.key, t.version) for t in library.all()] == [("mau-thu", 1)]
    [broken] = library.broken()
    assert (broken.doc_id, broken.key, broken.version, broken.title) == (
        "2",
        "mau-sau",
        1,
        "Mẫu lồng sâu",
    )
    assert broken.reason == (
        f"nested too deeply at {DEEP_PATH}: a template has at most {MAX_TEMPLATE_DEPTH} levels "
        "of lists and objects"
    )
    assert broken.name == "document 2 (mau-sau v1)"
    assert library.get("mau-sau", 1) is None and library.get("mau-sau") is None
    # Importing another template keeps the unreadable document exactly as the file had it.
    library.import_document(other_template())
    written = '"ghi-chu": ' + "[" * levels + "1" + "]" * levels
    assert written in original and written in path.read_text(encoding="utf-8")
    again = TemplateLibrary(path)
    assert [t.key for t in again.all()] == ["mau-khac", "mau-thu"]
    assert [b.doc_id for b in again.broken()] == ["2"]
    # Its key and version stay taken: the same version cannot be imported over it.
    with pytest.raises(StoredVersionBroken, match="mau-sau version 1 is in the library but"):
        again.import_document(mutated(key="mau-sau", title="Mẫu lồng sâu"))


def test_invalid_altered_or_odd_documents_in_the_file_are_broken_with_the_reason(tmp_path):
    path = tmp_path / "library.json"
    invalid = mutated(key="mau-hong", **{"sections.0.items.0.points": -1})
    altered = json.loads(stored_row(other_template()))
    altered["document"]["sections"][0]["items"][0]["points"] = 1  # sha256 left as it was
    texts = mutated(key="mau-chu", **{"title": "Mẫu \ud800"})
    rows = {"2": stored_row(invalid), "3": json.dumps(altered), "4": '"not a row"'}
    library_file(path, extra_rows={**rows, "5": stored_row(texts, sha256="0" * 64)})
    library = TemplateLibrary(path)
    assert [t.key for t in library.all()] == ["mau-thu"]
    reasons = {b.doc_id: b.reason for b in library.broken()}
    assert reasons["2"] == "not a valid template: sections[0].items[0].points: must be a number ≥ 0"
    assert reasons["3"] == "its content no longer matches its stored hash (the file was edited?)"
    assert reasons["4"].startswith("not a stored template")
    assert reasons["5"] == "its document cannot be written back as JSON"  # not valid Unicode
    titles = {b.doc_id: b.title for b in library.broken()}
    assert titles["5"] == "Mẫu \ufffd"  # shown, never an unencodable text
    # A write keeps all of them, the unpaired surrogate too (escaped: the file stays UTF-8).
    library.import_document(valid_template() | {"version": 2})
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data["templates"]) == {"1", "2", "3", "4", "5", "6"}
    assert data["templates"]["5"]["title"] == "Mẫu \ud800"


def test_a_library_file_that_is_not_json_is_reported_and_never_overwritten(tmp_path):
    path = tmp_path / "library.json"
    path.write_bytes(b"<html>not a library</html>")
    library = TemplateLibrary(path)
    assert library.all() == [] and library.broken() == []
    assert library.unreadable().startswith("the file is not valid JSON: Expecting value")
    with pytest.raises(LibraryUnreadable):
        library.import_document(valid_template())
    report = library.load_folder(PROJECT_FORMS)
    assert report.loaded == [] and all("cannot be read" in why for _, why in report.refused)
    assert path.read_bytes() == b"<html>not a library</html>"


# A server started on such a file ----------------------------------------------------------------


@pytest.fixture
def start(app_config):
    """create_app on the test instance, after the test wrote its library file."""
    apps = []

    def started():
        app = create_app(app_config)
        apps.append(app)
        return app

    yield started
    for app in apps:
        app.extensions["inspection.engine"].dispose()


def library_errors(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "inspection.library" and r.levelno == logging.ERROR
    ]


def test_a_server_on_a_library_holding_a_too_deep_document_starts_and_shows_it(
    app_config, start, caplog
):
    path = Path(app_config["LIBRARY_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    library_file(path, extra_rows={"2": deep_row(5000)})
    caplog.set_level(logging.INFO)
    app = start()
    assert app.test_client().get("/api/v1/health").status_code == 200
    [logged] = library_errors(caplog)
    assert "document 2 (mau-sau v1) cannot be used and is not offered for new plans" in logged
    assert f"nested too deeply at {DEEP_PATH}" in logged

    make_user(app, "admin", "admin")
    admin = logged_in(app, "admin")
    page = admin.get("/checklists/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Bộ tiêu chí trong thư viện không dùng được" in html
    assert "<strong>Mẫu lồng sâu</strong> (mau-sau v1): nested too deeply at" in html
    assert "Kiểm tra công tác cải cách hành chính cấp xã" in html  # the shipped ones load
    assert admin.get("/", follow_redirects=True).status_code == 200

    make_user(app, "lead-a", "lead")
    lead = logged_in(app, "lead-a")
    new_plan = lead.get("/plans/new").get_data(as_text=True)
    assert "mau-thu:1" in new_plan and "mau-sau" not in new_plan
    api = ApiClient(app, "lead-a")
    forms = {f["key"] for f in api.get("/api/v1/forms").get_json()["forms"]}
    assert "mau-sau" not in forms and {"mau-thu", "cchc-xa"} <= forms
    plan = {"number": "1/KH", "title": "Kế hoạch", "year": 2024, "form_key": "mau-sau"}
    refused = api.post("/api/v1/plans", json=plan)
    assert refused.status_code == 400 and "form_key" in refused.get_json()["error"]["fields"]


def test_a_server_on_a_library_file_that_is_not_json_starts_and_tells_the_admin(
    app_config, start, caplog
):
    path = Path(app_config["LIBRARY_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00\x01 garbage, not JSON")
    caplog.set_level(logging.INFO)
    app = start()
    assert app.test_client().get("/api/v1/health").status_code == 200
    [logged] = library_errors(caplog)
    assert "cannot be read, so none of its checklists can be used" in logged
    assert "the file is not valid JSON" in logged

    make_user(app, "admin", "admin")
    admin = logged_in(app, "admin")
    page = admin.get("/checklists/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Không đọc được tệp thư viện mẫu" in html
    assert "the file is not valid JSON" in html and str(path) in html
    refused = upload_checklist(admin, json.dumps(valid_template()).encode())
    assert refused.status_code == 503
    assert "chưa thể nhập bộ tiêu chí nào" in refused.get_data(as_text=True)
    api = ApiClient(app, "admin")
    response = api.post("/api/v1/forms", json=valid_template())
    assert response.status_code == 503
    assert response.get_json()["error"]["message"].startswith("the template library cannot be")
    assert path.read_bytes() == b"\x00\x01 garbage, not JSON"  # never replaced


def test_a_restore_never_counts_an_unreadable_or_broken_library_as_empty(tmp_path):
    path = tmp_path / "library.json"
    library_file(path, extra_rows={"2": deep_row(8)})
    assert "document 2 (mau-sau v1)" in _library_content(path, PROJECT_FORMS)
    path.write_bytes(b"not JSON")
    assert _library_content(path, PROJECT_FORMS) == (
        f"the template library {path} exists but cannot be read"
    )


def test_forms_list_names_the_broken_documents(app_config, start):
    path = Path(app_config["LIBRARY_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    library_file(path, extra_rows={"2": deep_row(8)})
    result = start().test_cli_runner().invoke(args=["forms", "list"])
    assert result.exit_code == 0
    assert f"broken in the library: document 2 (mau-sau v1): nested too deeply at {DEEP_PATH}" in (
        result.stderr
    )
    assert "mau-thu\tv1" in result.stdout


def test_a_version_stored_under_looser_text_rules_stays_usable(tmp_path: Path):
    """The text rules are a condition of import: a version stored before them (a tab pasted into
    a section title) keeps serving the visits that pinned it, and is not listed as broken."""
    from inspection.library import TemplateLibrary, canonical_sha256

    path = tmp_path / "library.json"
    TemplateLibrary(str(path)).import_document(valid_template())
    data = json.loads(path.read_text())
    row = next(iter(data["templates"].values()))
    row["document"]["sections"][0]["title"] = "Lĩnh vực\tchỉ đạo\x0b"
    row["sha256"] = canonical_sha256(row["document"])
    path.write_text(json.dumps(data))
    assert "sections[0].title: contains control characters" in messages(row["document"])
    library = TemplateLibrary(str(path))
    assert library.broken() == []
    stored = library.get("mau-thu", 1)
    assert stored is not None and stored.sha256 == row["sha256"]


def test_a_visit_whose_checklist_went_missing_says_so_and_its_plan_still_opens(app, visit):
    """Someone edited the library file by hand: the pinned version no longer matches its hash.
    The visit's pages and API answer 503 with the reason (nothing can be scored or saved against
    another checklist), the plan and its visits stay readable."""
    path = Path(app.config["LIBRARY_PATH"])
    data = json.loads(path.read_text(encoding="utf-8"))
    for row in data["templates"].values():
        if row["key"] == "cchc-xa":
            row["document"]["title"] += " (sửa tay)"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    insp, lead = ApiClient(app, "insp-a"), ApiClient(app, "lead-a")
    page = insp.get(f"/visits/{visit.id}")
    assert page.status_code == 503
    assert "không còn trong thư viện mẫu" in page.get_data(as_text=True)
    for response in (
        insp.get(f"/api/v1/visits/{visit.id}"),
        insp.get(f"/api/v1/visits/{visit.id}/score"),
        insp.put(f"/api/v1/visits/{visit.id}/answers/ghi-chu-chung", json={"value": "Đã xem"}),
    ):
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "template_unavailable"
    plan_page = lead.get(f"/plans/{visit.plan_id}")
    assert plan_page.status_code == 200
    assert "không còn trong thư viện mẫu" in plan_page.get_data(as_text=True)
    plan = lead.get(f"/api/v1/plans/{visit.plan_id}").get_json()
    assert [v["score"] for v in plan["visits"]] == [None]
