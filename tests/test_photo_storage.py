"""Where photo files live (inspection/storage.py) and the order that never leaves half a photo:
files into a temporary folder, renamed into place, then the row; a failure at any step leaves
nothing, and what a crash leaves is swept once it is older than the grace period."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from inspection import storage
from inspection.db import get_session
from inspection.library import get_library
from inspection.models import ClientRequest, Photo, User, Visit
from inspection.services import visit_photos
from inspection.storage import SWEEP_GRACE, PhotoStore, StoreError
from tests.factories import (
    ApiClient,
    new_client_id,
    photo_bytes,
    photo_folders,
    photo_records,
    upload_photo,
    upload_tree,
)

FILES = {"original.jpg": b"the evidence", "display.jpg": b"display", "thumb.jpg": b"thumb"}
NOTHING = {"photos": 0, "photo_links": 0, "client_requests": 0}


def aged(path: Path, seconds: float) -> None:
    """Make a folder look `seconds` old (as if its writer stopped that long ago)."""
    then = time.time() - seconds
    os.utime(path, (then, then))


OLD = SWEEP_GRACE.total_seconds() + 60
YOUNG = SWEEP_GRACE.total_seconds() - 60


# Writing -----------------------------------------------------------------------------------------


def test_a_write_leaves_exactly_the_final_folder_with_the_files(tmp_path):
    store = PhotoStore(tmp_path / "uploads")
    folder = store.new_folder()
    final = store.write(7, folder, FILES)
    assert final == tmp_path / "uploads" / "7" / folder
    assert [p.name for p in (tmp_path / "uploads" / "7").iterdir()] == [folder]  # no .tmp-*
    assert {p.name: p.read_bytes() for p in final.iterdir()} == FILES


def test_folder_names_are_random_and_paths_stay_inside_the_store(tmp_path):
    store = PhotoStore(tmp_path)
    names = {store.new_folder() for _ in range(50)}
    assert len(names) == 50 and all(len(n) == 32 and n.isalnum() for n in names)
    for bad in ("", "..", "../7", "a/b", ".tmp-x", "ảnh"):
        with pytest.raises(ValueError):
            store.folder(7, bad)


@pytest.mark.parametrize("failing", ["_write_synced", "rename"])
def test_a_failure_while_writing_raises_store_error_and_leaves_nothing(
    tmp_path, monkeypatch, failing
):
    store = PhotoStore(tmp_path / "uploads")
    calls = []

    def disk_full(*args, **kwargs):
        calls.append(args)
        if failing == "_write_synced" and len(calls) == 1:
            return real(*args, **kwargs)  # the first file goes, the second does not
        raise OSError(28, "No space left on device")

    if failing == "rename":
        real = os.rename
        monkeypatch.setattr(storage.os, "rename", disk_full)
    else:
        real = storage._write_synced
        monkeypatch.setattr(storage, "_write_synced", disk_full)
    folder = store.new_folder()
    with pytest.raises(StoreError) as caught:
        store.write(7, folder, FILES)
    monkeypatch.undo()
    assert caught.value.errno == 28
    assert "No space left on device" in str(caught.value)
    assert list((tmp_path / "uploads" / "7").iterdir()) == []
    assert calls


def test_a_write_never_replaces_an_existing_folder(tmp_path):
    store = PhotoStore(tmp_path)
    folder = store.new_folder()
    store.write(7, folder, FILES)
    with pytest.raises(StoreError):
        store.write(7, folder, {"original.jpg": b"something else"})
    assert (store.folder(7, folder) / "original.jpg").read_bytes() == b"the evidence"
    assert [p.name for p in (tmp_path / "7").iterdir()] == [folder]


def test_removing_a_folder_that_is_gone_is_no_error(tmp_path):
    store = PhotoStore(tmp_path)
    folder = store.new_folder()
    store.write(7, folder, FILES)
    store.remove(7, folder)
    store.remove(7, folder)
    assert list((tmp_path / "7").iterdir()) == []


# Through the service: a failed upload leaves neither files nor rows -------------------------------


def service_upload(app, visit: Visit, data: bytes, item_key: str = "niem-yet-qr"):
    """The service as the upload route calls it, as `insp-a`."""
    with app.app_context():
        session = get_session()
        user = session.exec(select(User).where(User.username == "insp-a")).one()
        row = session.get(Visit, visit.id)
        upload = visit_photos.PhotoUpload.parse(
            {"client_id": new_client_id(), "item_key": item_key}
        )
        return visit_photos.upload_photo(
            session,
            get_library(),
            PhotoStore(app.config["UPLOAD_DIR"]),
            visit=row,
            user=user,
            data=upload,
            content=data,
            max_bytes=25 * 1024 * 1024,
            timezone="Asia/Ho_Chi_Minh",
        )


def test_a_store_failure_refuses_the_upload_whole(app, visit, monkeypatch):
    def disk_full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage, "_write_synced", disk_full)
    with pytest.raises(StoreError):
        service_upload(app, visit, photo_bytes(1))
    monkeypatch.undo()
    assert photo_records(app) == NOTHING
    assert photo_folders(app) == []
    # Nothing is left half-done: the next upload goes through.
    assert service_upload(app, visit, photo_bytes(1)).result == "created"


def test_a_row_that_cannot_be_inserted_takes_its_files_away(app, visit, monkeypatch):
    """The files are in place when the insert fails (the database went away between them)."""
    flushes = []
    real_flush = Session.flush

    def flaky_flush(session, *args, **kwargs):
        if any(isinstance(obj, Photo) for obj in session.new) and not flushes:
            flushes.append(True)
            assert len(photo_folders(app)) == 1  # files first, then the row
            raise OperationalError("INSERT INTO photos", {}, Exception("database is locked"))
        return real_flush(session, *args, **kwargs)

    monkeypatch.setattr(Session, "flush", flaky_flush)
    with pytest.raises(OperationalError):
        service_upload(app, visit, photo_bytes(2))
    monkeypatch.undo()
    assert flushes
    assert photo_records(app) == NOTHING
    assert photo_folders(app) == [] and upload_tree(app) == ["1"]


def test_a_commit_that_fails_leaves_its_files_to_the_sweep(app, visit, monkeypatch):
    """A failed commit may yet have stored the row (a connection lost after the server
    committed): the files are not removed at once, and the sweep removes them when no row came."""
    real_commit = Session.commit
    failed = []

    def failing_commit(session):
        # The upload's last commit is the one carrying its client request.
        if any(isinstance(obj, ClientRequest) for obj in session.new) and not failed:
            failed.append(True)
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))
        return real_commit(session)

    monkeypatch.setattr(Session, "commit", failing_commit)
    with pytest.raises(OperationalError):
        service_upload(app, visit, photo_bytes(3))
    monkeypatch.undo()
    assert failed
    assert photo_records(app) == NOTHING
    [left] = photo_folders(app)
    with app.app_context():
        assert get_session().get(Visit, visit.id).status == "planned"
        aged(left, 2 * SWEEP_GRACE.total_seconds())
        visit_photos.sweep(get_session(), PhotoStore(app.config["UPLOAD_DIR"]))
    assert photo_folders(app) == []


# The sweep ---------------------------------------------------------------------------------------


def crashed_after_rename(app, visit_id: int) -> Path:
    """What a worker that died between the rename and its row leaves: a complete folder that
    no row names."""
    store = PhotoStore(app.config["UPLOAD_DIR"])
    return store.write(visit_id, store.new_folder(), FILES)


def crashed_before_rename(app, visit_id: int) -> Path:
    """What a worker that died while writing leaves: a temporary folder."""
    temp = Path(app.config["UPLOAD_DIR"]) / str(visit_id) / f".tmp-{PhotoStore.new_folder()}"
    temp.mkdir(parents=True)
    (temp / "original.jpg").write_bytes(b"half")
    return temp


def sweep(app) -> list[str]:
    with app.app_context():
        return visit_photos.sweep(get_session(), PhotoStore(app.config["UPLOAD_DIR"]))


def test_the_sweep_removes_old_leftovers_and_keeps_young_ones_and_photos(app, visit):
    insp = ApiClient(app, "insp-a")
    photo = upload_photo(insp, visit, photo_bytes(4), item_key="niem-yet-qr").get_json()
    [kept] = photo_folders(app)
    aged(kept, OLD)  # a photo's folder is never judged by its age

    old_orphan = crashed_after_rename(app, visit.id)
    young_orphan = crashed_after_rename(app, visit.id)
    old_temp = crashed_before_rename(app, visit.id)
    young_temp = crashed_before_rename(app, visit.id)
    orphan_of_gone_visit = crashed_after_rename(app, 999)
    for path in (old_orphan, old_temp, orphan_of_gone_visit):
        aged(path, OLD)
    aged(young_orphan, YOUNG)
    aged(young_temp, YOUNG)

    removed = sweep(app)
    assert sorted(removed) == sorted(map(str, (old_orphan, old_temp, orphan_of_gone_visit)))
    assert sorted(photo_folders(app)) == sorted([kept, young_orphan, young_temp])
    response = insp.get(photo["urls"]["original"])
    assert response.status_code == 200 and response.get_data() == photo_bytes(4)
    response.close()

    # Once they are old, the young ones go too; the photo stays.
    aged(young_orphan, OLD)
    aged(young_temp, OLD)
    assert sorted(sweep(app)) == sorted(map(str, (young_orphan, young_temp)))
    assert photo_folders(app) == [kept]
    assert sweep(app) == []


def test_a_crash_between_files_and_row_is_swept_once_old(app, visit, monkeypatch):
    """The fault injected at the worst moment: the files renamed into place, the row never
    written (the insert fails and the clean-up cannot run, as when the process dies)."""
    monkeypatch.setattr(PhotoStore, "remove", lambda self, visit_id, folder: None)
    real_flush = Session.flush

    def crash(session, *args, **kwargs):
        if any(isinstance(obj, Photo) for obj in session.new):
            raise OperationalError("INSERT INTO photos", {}, Exception("server closed"))
        return real_flush(session, *args, **kwargs)

    monkeypatch.setattr(Session, "flush", crash)
    with pytest.raises(OperationalError):
        service_upload(app, visit, photo_bytes(5))
    monkeypatch.undo()
    [orphan] = photo_folders(app)
    assert photo_records(app) == NOTHING
    assert sweep(app) == []  # within the grace period: maybe a worker about to write its row
    assert photo_folders(app) == [orphan]
    aged(orphan, OLD)
    assert sweep(app) == [str(orphan)]
    assert photo_folders(app) == []


def test_the_sweep_leaves_what_is_not_a_photo_folder(app, visit):
    root = Path(app.config["UPLOAD_DIR"])
    (root / ".gitkeep").write_bytes(b"")
    (root / "notes").mkdir()
    aged(root / "notes", OLD)
    (root / str(visit.id)).mkdir()
    (root / str(visit.id) / "stray.txt").write_bytes(b"x")
    assert sweep(app) == []
    assert upload_tree(app) == [".gitkeep", "1", "1/stray.txt", "notes"]
