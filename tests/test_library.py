"""The template library on TinyDB: versions are immutable, writes are safe across processes."""

from __future__ import annotations

import copy
import json
import multiprocessing
from pathlib import Path

import pytest

from inspection.library import TemplateInvalid, TemplateLibrary, VersionExists
from tests.builders import valid_template


@pytest.fixture
def library(tmp_path: Path) -> TemplateLibrary:
    return TemplateLibrary(tmp_path / "library.json")


def test_import_then_read_back(library):
    result = library.import_document(valid_template(), source="test")
    assert result.created
    stored = library.get("mau-thu", 1)
    assert stored.document == valid_template()
    assert stored.sha256 == result.template.sha256 and len(stored.sha256) == 64
    assert library.get("mau-thu") == stored
    assert library.get("mau-thu", 2) is None and library.get("khac") is None


def test_identical_reimport_is_a_noop_even_with_other_key_order(library):
    library.import_document(valid_template())
    size = library.path.stat().st_size
    reordered = dict(reversed(list(valid_template().items())))
    again = library.import_document(reordered)
    assert not again.created
    assert len(library.all()) == 1
    assert library.path.stat().st_size == size


def test_conflicting_reimport_is_refused_and_keeps_the_original(library):
    library.import_document(valid_template())
    changed = valid_template()
    changed["sections"][0]["items"][0]["points"] = 5
    with pytest.raises(VersionExists):
        library.import_document(changed)
    assert library.get("mau-thu", 1).document["sections"][0]["items"][0]["points"] == 2


def test_new_version_sits_beside_the_old_and_becomes_latest(library):
    library.import_document(valid_template())
    newer = valid_template()
    newer["version"] = 2
    newer["title"] = "Mẫu thử, bản 2"
    library.import_document(newer)
    assert [(t.key, t.version) for t in library.all()] == [("mau-thu", 1), ("mau-thu", 2)]
    assert library.get("mau-thu").title == "Mẫu thử, bản 2"
    assert library.get("mau-thu", 1).title == "Mẫu thử"
    assert [t.version for t in library.latest()] == [2]


def test_invalid_document_is_refused_with_every_problem_and_nothing_written(library):
    bad = valid_template()
    bad["key"] = "Sai"
    bad["sections"][0]["items"][0]["points"] = -1
    with pytest.raises(TemplateInvalid) as caught:
        library.import_document(bad)
    assert [p.path for p in caught.value.problems] == ["key", "sections[0].items[0].points"]
    assert not library.path.exists()


def test_forms_folder_changed_file_without_new_version_is_reported_and_not_loaded(tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "mau.json").write_text(json.dumps(valid_template(), ensure_ascii=False))
    library = TemplateLibrary(tmp_path / "library.json")
    first = library.load_folder(forms)
    assert [name for name, _ in first.loaded] == ["mau.json"] and first.refused == []

    edited = valid_template()
    edited["title"] = "Sửa mà không tăng phiên bản"
    (forms / "mau.json").write_text(json.dumps(edited, ensure_ascii=False))
    (forms / "hong.json").write_text('{"key": "hong", ')
    second = TemplateLibrary(tmp_path / "library.json").load_folder(forms)
    refused = dict(second.refused)
    assert "changed without a new version" in refused["mau.json"]
    assert refused["hong.json"].startswith("not readable JSON")
    assert library.get("mau-thu", 1).title == "Mẫu thử"


def test_reader_sees_another_writers_import(tmp_path):
    path = tmp_path / "library.json"
    reader, writer = TemplateLibrary(path), TemplateLibrary(path)
    assert reader.all() == []
    writer.import_document(valid_template())
    assert [t.key for t in reader.all()] == ["mau-thu"]


def _import_many(path: str, worker: int, count: int, barrier) -> None:
    library = TemplateLibrary(path)
    shared = valid_template()
    barrier.wait()
    for n in range(count):
        own = copy.deepcopy(valid_template())
        own["key"] = f"mau-{worker}-{n}"
        library.import_document(own)
        library.import_document(shared)  # both processes race on the same document too


def test_two_processes_importing_at_once_lose_nothing(tmp_path):
    path = str(tmp_path / "library.json")
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    count = 15
    workers = [context.Process(target=_import_many, args=(path, w, count, barrier)) for w in (1, 2)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    assert [p.exitcode for p in workers] == [0, 0]
    keys = [t.key for t in TemplateLibrary(path).all()]
    expected = {f"mau-{w}-{n}" for w in (1, 2) for n in range(count)} | {"mau-thu"}
    assert sorted(keys) == sorted(expected)  # every write kept, the shared one exactly once
    json.loads(Path(path).read_text(encoding="utf-8"))  # the file is whole
    assert list(tmp_path.glob("*.tmp")) == []
