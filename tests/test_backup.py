"""`backup DEST` and `restore SRC`: one verified archive, restored whole into an empty instance.

Every test runs on the suite's database (SQLite, or PostgreSQL under `tests.pg_cluster`): the
source is the test's own instance, the target a second instance on an empty database.
Later issues that add stores (notices' files, …) add them to `demo` and to the round trip.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import signal
import sqlite3
import tarfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import inspect, select, text
from sqlmodel import SQLModel

from inspection import backup, create_app, migrate, models
from inspection.db import get_engine
from inspection.library import TemplateLibrary
from tests.builders import iter_items, valid_template
from tests.conftest import instance_config
from tests.databases import BACKEND
from tests.factories import ApiClient, upload_photo

DEMO_PASSWORDS = {"admin": "admin-demo", "truongdoan": "lead-demo", "thanhvien1": "inspector-demo"}
DATABASE_MEMBER = backup.DATABASE_MEMBERS[BACKEND]
PHOTO_SIZES = {"original.jpg": (1600, 1200), "display.jpg": (800, 600), "thumb.jpg": (320, 240)}
STRAY = [".gitkeep", "1/7/.display.jpg.k3j2.tmp", "1/8.tmp/original.jpg"]
PHOTO_ITEMS = ("niem-yet-qr", "niem-yet-hotline")
PHOTO_FILES = ("original.jpg", "display.jpg", "thumb.jpg")

# Helpers -----------------------------------------------------------------------------------------


def login(app: Flask, username: str) -> ApiClient:
    """An API client logged in as a demo user (the demo has its own passwords)."""
    api = ApiClient(app)
    response = api.client.post(
        "/api/v1/login", json={"username": username, "password": DEMO_PASSWORDS[username]}
    )
    assert response.status_code == 200, response.get_json()
    api.token = response.get_json()["csrf_token"]
    return api


def jpeg(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 48).convert("RGB").save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def records(app: Flask) -> dict[str, list[tuple]]:
    """Every row of every table of the models (and the schema revision), by primary key."""
    with app.app_context(), get_engine().connect() as connection:
        rows = {
            t.name: [tuple(r) for r in connection.execute(select(t).order_by(*t.primary_key))]
            for t in SQLModel.metadata.sorted_tables
        }
        rows["alembic_version"] = list(connection.execute(text("SELECT * FROM alembic_version")))
    return rows


def file_hashes(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def library_rows(app: Flask) -> list[tuple]:
    """Every stored template with all it records (document, source, import time)."""
    library = TemplateLibrary(app.config["LIBRARY_PATH"])
    return [
        (t.key, t.version, t.sha256, t.title, t.document, t.source, t.imported_at)
        for t in library.all()
    ]


def photo_rows(app: Flask) -> list[dict[str, Any]]:
    """Every photo row as stored, with the items it is linked to."""
    with app.app_context(), get_engine().connect() as connection:
        links: dict[int, list[str]] = {}
        for link in connection.execute(select(models.PhotoLink.__table__)):
            links.setdefault(link.photo_id, []).append(link.item_key)
        query = select(models.Photo.__table__).order_by(models.Photo.__table__.c.id)
        return [
            {**row._asdict(), "item_keys": sorted(links.get(row.id, []))}
            for row in connection.execute(query)
        ]


def table_names(app: Flask) -> list[str]:
    with app.app_context():
        return inspect(get_engine()).get_table_names()


def read_members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        members = {}
        for member in tar:
            with tar.extractfile(member) as handle:
                members[member.name] = handle.read()
    return members


def write_members(
    path: Path,
    members: dict[str, bytes],
    *extra: tuple[str, bytes],
    special: tarfile.TarInfo | None = None,
) -> Path:
    """An archive of these members, then `extra` ones (names may repeat), then a special one."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in [*members.items(), *extra]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if special is not None:
            tar.addfile(special)
    return path


def rehashed(members: dict[str, bytes], change: Callable[[dict], Any]) -> dict[str, bytes]:
    """The members with an edited manifest whose hashes are right again (a forged archive that
    passes the hash check, to reach the checks after it)."""
    manifest = json.loads(members[backup.MANIFEST])
    change(manifest)
    manifest["files"] = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in members.items()
        if name != backup.MANIFEST
    }
    return {**members, backup.MANIFEST: json.dumps(manifest).encode()}


def restore(app: Flask, archive: Path):
    return app.test_cli_runner().invoke(args=["restore", str(archive)])


def assert_empty(app: Flask) -> None:
    """Nothing of a backup reached the instance."""
    assert table_names(app) == []
    assert file_hashes(Path(app.config["UPLOAD_DIR"])) == {}
    shipped = {(t.key, t.version) for t in TemplateLibrary(app.config["LIBRARY_PATH"]).all()}
    assert shipped == {("cchc-xa", 1), ("cchc-xa", 2), ("niem-yet-tthc", 1)}


# Fixtures ----------------------------------------------------------------------------------------


@pytest.fixture
def target(databases, tmp_path: Path):
    """A second instance on an empty database, without a schema: where restores go."""
    url = databases.create_empty(tmp_path / "target")
    app = create_app(instance_config(tmp_path, url, prefix="target-"))
    yield app
    app.extensions["inspection.engine"].dispose()
    databases.drop(url)


@pytest.fixture
def seeded(app: Flask, runner) -> Flask:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def demo(seeded: Flask) -> Flask:
    """The demo, some answers, an imported template, a photo sent through the API (linked to
    two items) and three more files in the upload folder that no photo row names, plus stray
    work files that a backup must leave out."""
    app = seeded
    inspector = login(app, "thanhvien1")
    for key, body in [
        ("kh-cchc", {"value": "yes"}),
        ("kh-cchc-hoan-thanh", {"value": {"num": 9, "den": 10}}),
        ("bao-cao-cchc", {"value": "no", "note": "Chưa gửi báo cáo quý III"}),
    ]:
        response = inspector.put(f"/api/v1/visits/1/answers/{key}", json=body)
        assert response.status_code == 200, response.get_json()
    imported = login(app, "admin").post("/api/v1/forms", json=valid_template())
    assert imported.status_code == 201, imported.get_json()
    # A real photo, sent as a tablet sends it, evidence of two items.
    photo = jpeg((640, 480))
    for key, status in [(PHOTO_ITEMS[0], 201), (PHOTO_ITEMS[1], 200)]:
        sent = upload_photo(inspector, 1, photo, item_key=key, caption="Bảng niêm yết mã QR")
        assert sent.status_code == status, sent.get_json()
    uploads = Path(app.config["UPLOAD_DIR"])
    for name, size in PHOTO_SIZES.items():
        path = uploads / "1" / "7" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(jpeg(size))
    for name in STRAY:
        (uploads / name).parent.mkdir(parents=True, exist_ok=True)
        (uploads / name).write_bytes(b"work in progress")
    return app


@pytest.fixture
def archive(demo: Flask, runner, tmp_path: Path) -> Path:
    result = runner.invoke(args=["backup", str(tmp_path / "out" / "demo.tar.gz")])
    assert result.exit_code == 0, result.output
    return tmp_path / "out" / "demo.tar.gz"


# The round trip ----------------------------------------------------------------------------------


def test_round_trip_restores_every_record_file_and_template(demo, runner, target, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    [archive] = (tmp_path / "out").iterdir()
    assert re.fullmatch(r"inspection-backup-\d{8}-\d{6}\.tar\.gz", archive.name)
    assert f"Backup written to {archive}" in result.output

    manifest = backup.verify_backup(archive)
    assert manifest["database"] == {
        "backend": BACKEND,
        "revision": migrate.head_revision(),
        "member": DATABASE_MEMBER,
    }
    assert re.search(r"[+-]\d\d:\d\d$", manifest["created_at"])
    [photo] = photo_rows(demo)
    photos = {n for n in manifest["files"] if n.startswith("uploads/")}
    assert photos == {f"uploads/1/7/{name}" for name in PHOTO_SIZES} | {
        f"uploads/1/{photo['folder']}/{name}" for name in PHOTO_FILES
    }

    restored = restore(target, tmp_path / "out")  # a folder holding one archive names it
    assert restored.exit_code == 0, restored.output
    assert f"Restored {archive}" in restored.output and "6 upload files" in restored.output

    source, copy = records(demo), records(target)
    assert source == copy
    assert len(source["answers"]) == 3 and len(source["visits"]) == 10
    assert len(source["photos"]) == 1 and len(source["photo_links"]) == 2
    assert source["audit_events"] and source["client_requests"] is not None
    source_files = file_hashes(Path(demo.config["UPLOAD_DIR"]))
    for stray in STRAY:
        source_files.pop(stray)
    assert file_hashes(Path(target.config["UPLOAD_DIR"])) == source_files
    assert len(source_files) == 6
    assert library_rows(target) == library_rows(demo)
    assert ("mau-thu", 1) in {row[:2] for row in library_rows(target)}
    library_file = Path(demo.config["LIBRARY_PATH"]).read_bytes()
    assert Path(target.config["LIBRARY_PATH"]).read_bytes() == library_file

    score = login(demo, "truongdoan").get("/api/v1/visits/1/score").get_json()
    assert login(target, "truongdoan").get("/api/v1/visits/1/score").get_json() == score
    assert score["answered"] == 3 and score["total"] > 0

    # The photo: its row and links, and its files as they were, served again.
    assert photo_rows(target) == [photo]
    assert photo["item_keys"] == sorted(PHOTO_ITEMS)
    folder = Path(target.config["UPLOAD_DIR"]) / "1" / photo["folder"]
    source_folder = Path(demo.config["UPLOAD_DIR"]) / "1" / photo["folder"]
    for name in PHOTO_FILES:
        assert (folder / name).read_bytes() == (source_folder / name).read_bytes(), name
    assert hashlib.sha256((folder / "original.jpg").read_bytes()).hexdigest() == photo["sha256"]
    before = login(demo, "thanhvien1").get("/api/v1/visits/1/photos").get_json()
    reader = login(target, "thanhvien1")
    after = reader.get("/api/v1/visits/1/photos").get_json()
    assert after == before
    [listed] = after["photos"]
    assert listed["caption"] == "Bảng niêm yết mã QR"
    for kind, url in listed["urls"].items():
        response = reader.get(url)
        body = response.get_data()
        response.close()
        assert response.status_code == 200, kind
        assert body == (folder / f"{kind}.jpg").read_bytes()
        if kind == "original":
            assert response.get_etag() == (photo["sha256"], False)


# Damaged and forged archives ---------------------------------------------------------------------


def test_a_damaged_member_is_refused_by_name_and_nothing_is_written(archive, target, tmp_path):
    members = read_members(archive)
    data = bytearray(members[DATABASE_MEMBER])
    data[len(data) // 2] ^= 0x01
    damaged = write_members(tmp_path / "damaged.tar.gz", {**members, DATABASE_MEMBER: bytes(data)})
    result = restore(target, damaged)
    assert result.exit_code == 1
    assert (
        f"{DATABASE_MEMBER} does not match its SHA-256 in the manifest: the archive is damaged"
    ) in result.output
    assert_empty(target)


@pytest.mark.parametrize("kind", ["truncated", "not an archive", "empty file", "plain tar"])
def test_an_unreadable_archive_is_refused(archive, target, tmp_path, kind):
    broken = tmp_path / "broken.tar.gz"
    if kind == "truncated":
        data = archive.read_bytes()
        broken.write_bytes(data[: len(data) // 2])
    elif kind == "not an archive":
        broken.write_text("Biên bản kiểm tra, not a backup\n", encoding="utf-8")
    elif kind == "empty file":
        broken.write_bytes(b"")
    else:
        with tarfile.open(broken, "w") as tar:
            tar.add(archive, arcname="manifest.json")
    result = restore(target, broken)
    assert result.exit_code == 1
    assert f"{broken} is not a readable backup archive" in result.output
    assert_empty(target)


def _symlink(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
    return info


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda m: m.update({"uploads/extra.jpg": b"x"}),
            "uploads/extra.jpg is in the archive but not in its manifest",
        ),
        (lambda m: m.update({"../evil": b"x"}), "'../evil'"),
        (lambda m: m.update({"uploads/../../evil": b"x"}), "'uploads/../../evil'"),
        (lambda m: m.update({"/etc/evil": b"x"}), "'/etc/evil'"),
        (lambda m: m.update({"notes.txt": b"x"}), "'notes.txt'"),
        (
            lambda m: m.pop("uploads/1/7/thumb.jpg"),
            "uploads/1/7/thumb.jpg is listed in the manifest but missing from the archive",
        ),
        (lambda m: m.pop(backup.MANIFEST), "has no manifest.json"),
        (lambda m: m.update({backup.MANIFEST: b"{not json"}), "manifest.json is not valid JSON"),
    ],
    ids=[
        "unlisted",
        "dotdot",
        "dotdot-inside",
        "absolute",
        "unknown-folder",
        "missing",
        "no-manifest",
        "bad-manifest",
    ],
)
def test_a_changed_archive_is_refused(archive, target, tmp_path, change, message):
    members = read_members(archive)
    change(members)
    result = restore(target, write_members(tmp_path / "changed.tar.gz", members))
    assert result.exit_code == 1
    assert message in result.output
    assert_empty(target)


def test_links_and_duplicates_are_refused(archive, target, tmp_path):
    members = read_members(archive)
    link = _symlink("uploads/1/7/link.jpg")
    result = restore(target, write_members(tmp_path / "link.tar.gz", members, special=link))
    assert result.exit_code == 1 and "not a regular file" in result.output
    doubled = write_members(tmp_path / "twice.tar.gz", members, ("uploads/1/7/thumb.jpg", b""))
    result = restore(target, doubled)
    assert result.exit_code == 1
    assert "uploads/1/7/thumb.jpg is in the archive twice" in result.output
    assert_empty(target)


def test_a_backup_of_the_other_database_is_refused(archive, target, tmp_path):
    other = "postgresql" if BACKEND == "sqlite" else "sqlite"
    members = read_members(archive)
    members[backup.DATABASE_MEMBERS[other]] = members.pop(DATABASE_MEMBER)
    forged = rehashed(
        members,
        lambda m: m["database"].update(backend=other, member=backup.DATABASE_MEMBERS[other]),
    )
    result = restore(target, write_members(tmp_path / "other.tar.gz", forged))
    assert result.exit_code == 1
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    assert (
        f"this backup holds a {names[other]} database and cannot be restored into the "
        f"{names[BACKEND]} database"
    ) in result.output
    assert_empty(target)


def test_an_archive_with_two_databases_is_refused(archive, target, tmp_path):
    other = next(m for m in backup.DATABASE_MEMBERS.values() if m != DATABASE_MEMBER)
    members = read_members(archive)
    forged = rehashed({**members, other: members[DATABASE_MEMBER]}, lambda m: None)
    result = restore(target, write_members(tmp_path / "two.tar.gz", forged))
    assert result.exit_code == 1
    assert f"{other} is not the database the manifest names ({DATABASE_MEMBER})" in result.output
    assert_empty(target)


def test_a_backup_from_a_newer_schema_is_refused(archive, target, tmp_path):
    forged = rehashed(read_members(archive), lambda m: m["database"].update(revision="9999"))
    result = restore(target, write_members(tmp_path / "newer.tar.gz", forged))
    assert result.exit_code == 1
    assert "schema revision 9999, which this version of Inspection does not know" in result.output
    assert_empty(target)


@pytest.mark.parametrize("revision", ["", 7, "../0001", ["0001"]])
def test_a_manifest_with_a_malformed_revision_is_refused(archive, target, tmp_path, revision):
    forged = rehashed(read_members(archive), lambda m: m["database"].update(revision=revision))
    result = restore(target, write_members(tmp_path / "odd.tar.gz", forged))
    assert result.exit_code == 1
    assert "is not one: the archive was altered" in result.output
    assert_empty(target)


def test_a_manifest_of_another_format_is_refused(archive, target, tmp_path):
    forged = rehashed(read_members(archive), lambda m: m.update(format=2))
    result = restore(target, write_members(tmp_path / "format2.tar.gz", forged))
    assert result.exit_code == 1 and "has format 2" in result.output
    assert_empty(target)


# Only into an empty instance ---------------------------------------------------------------------


def test_restore_into_a_used_instance_is_refused_and_changes_nothing(archive, demo):
    before = (records(demo), file_hashes(Path(demo.config["UPLOAD_DIR"])), library_rows(demo))
    result = restore(demo, archive)
    assert result.exit_code == 1
    assert "restore needs an empty instance: the database" in result.output
    assert "holds imported templates (mau-thu v1)" in result.output
    assert "the upload folder" in result.output
    after = (records(demo), file_hashes(Path(demo.config["UPLOAD_DIR"])), library_rows(demo))
    assert after == before


def test_restore_into_an_instance_prepared_by_init_db(archive, demo, target):
    """`make serve` and the deployment guide run init-db first: empty tables are no loss."""
    prepared = target.test_cli_runner().invoke(args=["init-db"])
    assert prepared.exit_code == 0, prepared.output
    assert "visits" in table_names(target)
    result = restore(target, archive)
    assert result.exit_code == 0, result.output
    assert records(target) == records(demo)


def test_restore_refuses_photos_already_in_the_target(archive, target):
    photo = Path(target.config["UPLOAD_DIR"]) / "3" / "1" / "original.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"a photo of another instance")
    result = restore(target, archive)
    assert result.exit_code == 1
    assert "restore needs an empty instance: the upload folder" in result.output
    assert table_names(target) == [] and photo.read_bytes() == b"a photo of another instance"


def test_a_folder_of_several_archives_is_not_guessed(archive, target, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for name in (
        "inspection-backup-20250101-010000.tar.gz",
        "inspection-backup-20250102-010000.tar.gz",
    ):
        (folder / name).write_bytes(archive.read_bytes())
    result = restore(target, folder)
    assert result.exit_code == 1 and "name one of its 2 archives" in result.output
    missing = restore(target, tmp_path / "nowhere.tar.gz")
    assert missing.exit_code == 1 and "nowhere.tar.gz does not exist" in missing.output
    assert_empty(target)


# While the server writes -------------------------------------------------------------------------


def test_a_backup_taken_while_answers_are_saved_is_consistent(seeded, runner, target, tmp_path):
    app = seeded
    template = app.extensions["inspection.library"].get("cchc-xa").document
    keys = [item["key"] for _, item in iter_items(template) if item["type"] == "yes_no"][:10]
    inspector = login(app, "thanhvien1")
    saved: list[tuple[int, str, str]] = []  # (visit revision after the write, item, value)
    started, done = threading.Event(), threading.Event()

    def write_answers() -> None:
        try:
            for n in range(100):
                key, value = keys[n % len(keys)], ("yes", "no")[(n // len(keys)) % 2]
                response = inspector.put(f"/api/v1/visits/1/answers/{key}", json={"value": value})
                assert response.status_code == 200, response.get_json()
                saved.append((response.get_json()["visit"]["revision"], key, value))
                if n == 5:
                    started.set()
        finally:
            started.set()
            done.set()

    archives = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        writer = pool.submit(write_answers)
        assert started.wait(60)
        while not done.is_set() and len(archives) < 4:
            dest = tmp_path / "out" / f"during-{len(archives)}.tar.gz"
            result = runner.invoke(args=["backup", str(dest)])  # verifies what it wrote
            assert result.exit_code == 0, result.output
            archives.append(dest)
        writer.result(timeout=120)
    assert len(saved) == 100

    restored = restore(target, archives[0])
    assert restored.exit_code == 0, restored.output
    with target.app_context(), get_engine().connect() as connection:
        visits = {v.id: v.revision for v in connection.execute(select(models.Visit.__table__))}
        answers = list(connection.execute(select(models.Answer.__table__)))
    revision = visits[1]
    assert 6 <= revision <= len(saved)  # taken after the sixth write, at most after the last
    # Exactly the answers as they were at that revision: a snapshot, not a mix.
    expected: dict[str, str] = {}
    for at, key, value in saved:
        if at <= revision:
            expected[key] = value
    assert {a.item_key: a.value for a in answers if a.visit_id == 1} == expected
    assert all(a.visit_id in visits and a.revision <= visits[a.visit_id] for a in answers)


# Where the archive goes --------------------------------------------------------------------------


def test_dest_names_an_archive_or_a_folder_and_never_overwrites(seeded, runner, tmp_path):
    existing = tmp_path / "existing"
    existing.mkdir()
    result = runner.invoke(args=["backup", str(existing)])
    assert result.exit_code == 0, result.output
    [made] = existing.iterdir()
    assert re.fullmatch(r"inspection-backup-\d{8}-\d{6}\.tar\.gz", made.name)
    again = runner.invoke(args=["backup", str(made)])
    assert again.exit_code == 1 and "already exists" in again.output
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("x")
    refused = runner.invoke(args=["backup", str(not_a_folder)])
    assert refused.exit_code == 1 and "is not a folder" in refused.output


def test_a_failed_backup_leaves_no_file_behind(seeded, runner, tmp_path, monkeypatch):
    dest = tmp_path / "out"

    def broken_walk(upload_dir: Path):
        yield "1/7/original.jpg", tmp_path / "gone" / "original.jpg"
        raise OSError("disk unplugged")

    (tmp_path / "gone").mkdir()
    (tmp_path / "gone" / "original.jpg").write_bytes(jpeg((64, 48)))
    monkeypatch.setattr(backup, "_upload_files", broken_walk)
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 1 and "the backup was not written: disk unplugged" in result.output
    assert list(dest.iterdir()) == []

    def refused_dump(*_args: Any) -> Path:
        raise backup.BackupError("pg_dump failed (exit status 1): no space left on device")

    monkeypatch.setattr(backup, "_snapshot_database", refused_dump)
    result = runner.invoke(args=["backup", str(dest / "named.tar.gz")])
    assert result.exit_code == 1 and "no space left on device" in result.output
    assert list(dest.iterdir()) == []


def test_a_backup_stopped_by_sigterm_leaves_no_file_behind(seeded, runner, tmp_path, monkeypatch):
    """systemd stops a job with SIGTERM: the partial archive and the work folder (a database
    copy) go too."""
    dest = tmp_path / "out"
    walk = backup._upload_files

    def stopped_walk(upload_dir: Path):
        os.kill(os.getpid(), signal.SIGTERM)
        yield from walk(upload_dir)

    monkeypatch.setattr(backup, "_upload_files", stopped_walk)
    result = runner.invoke(args=["backup", str(dest)])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 128 + signal.SIGTERM
    assert list(dest.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is put back


def test_a_backup_that_cannot_be_written_says_why(seeded, runner, tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    result = runner.invoke(args=["backup", str(a_file / "sub")])
    assert result.exit_code == 1
    assert "the backup was not written: Not a directory" in result.output
    assert "Traceback" not in result.output


@pytest.mark.sqlite_only
def test_a_backup_of_a_missing_database_is_refused_and_creates_nothing(tmp_path):
    """A mistyped path must fail the nightly job, not archive a new empty database."""
    missing = tmp_path / "typo" / "inspection.db"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path / "i"),
            "DATABASE_URL": f"sqlite:///{missing}",
            "UPLOAD_DIR": str(tmp_path / "up"),
        }
    )
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "out")])
    app.extensions["inspection.engine"].dispose()
    assert (
        result.exit_code == 1 and f"the SQLite database {missing} does not exist" in result.output
    )
    assert not missing.exists() and not (tmp_path / "out").exists()


def test_a_backup_of_a_database_without_the_schema_is_refused(target, tmp_path):
    with target.app_context(), get_engine().connect():
        pass  # the database exists (SQLite makes its file), with no table in it
    result = target.test_cli_runner().invoke(args=["backup", str(tmp_path / "out")])
    assert result.exit_code == 1 and "holds no Inspection schema" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.sqlite_only
def test_sqlite_restore_never_replays_a_leftover_wal_onto_the_copy(archive, target, monkeypatch):
    """A -wal file beside the target when the copy is put in place (left by a process that had
    another database of that name open) would be replayed onto the copy: SQLite applies any
    valid WAL it finds. A real, un-checkpointed WAL of another database is planted after the
    emptiness check (opening the empty target deletes one that is there before) by a process
    other than ours."""
    database = Path(target.config["DATABASE_URL"].removeprefix("sqlite:///"))
    database.parent.mkdir(parents=True, exist_ok=True)
    other = database.with_name("other.db")
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA wal_autocheckpoint=0")
        connection.execute("CREATE TABLE visits (id INTEGER PRIMARY KEY, note TEXT)")
        connection.executemany("INSERT INTO visits VALUES (?, ?)", [(i, "x") for i in range(99)])
        connection.commit()
        stale = {suffix: Path(f"{other}{suffix}").read_bytes() for suffix in ("-wal", "-shm")}
    check_empty = backup._check_empty

    def check_then_plant(engine: Any, *args: Any) -> None:
        check_empty(engine, *args)
        engine.dispose()  # our last connection would check the WAL in and delete it on closing
        for suffix, data in stale.items():
            Path(f"{database}{suffix}").write_bytes(data)

    monkeypatch.setattr(backup, "_check_empty", check_then_plant)
    result = restore(target, archive)
    assert result.exit_code == 0, result.output
    with target.app_context(), get_engine().connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    assert len(records(target)["visits"]) == 10


@pytest.mark.postgresql_only
def test_postgresql_restore_goes_into_a_database_with_a_bare_alembic_table(archive, target):
    with target.app_context(), get_engine().begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num varchar(32))"))
    result = restore(target, archive)
    assert result.exit_code == 0, result.output
    assert records(target)["alembic_version"] == [(migrate.head_revision(),)]


def test_a_restore_stopped_by_sigterm_says_how_to_go_on(archive, target, monkeypatch):
    restore_upload = backup._restore_upload

    def stopped(*args: Any) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        restore_upload(*args)

    monkeypatch.setattr(backup, "_restore_upload", stopped)
    result = restore(target, archive)
    assert result.exit_code == 1
    assert "the restore stopped part-way (stopped); empty the instance" in result.output
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
