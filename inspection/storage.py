"""Where photo files live, and how they get there without ever leaving half a photo behind.

A photo's files sit in one folder, `<root>/<visit>/<folder>/`: the received file exactly as it
arrived (`original.<ext>`, the evidence) beside its display copy and thumbnail. The folder's name
is random (the database row names it), so two uploads never write to the same place.

A photo is stored in this order (DESIGN.md, "Storage"):
1. every file written into a temporary folder (`.tmp-<folder>`) and flushed to disk (fsync);
2. the temporary folder renamed to its final name, and the visit's folder fsynced (the rename
   itself survives a power cut);
3. only then the database row (the caller's transaction).
A crash before 3 leaves a folder no row names; a crash before 2 a temporary folder. The sweep
removes both, but only once they are older than a grace period: another worker may be between
steps 2 and 3 at this very moment. Removing a photo goes the other way: the row first, then
the folder (a crash in between leaves an orphan for the sweep, never a row without its files).

One class, so that another store (object storage) can take its place later; the app keeps one
(`init_app`, `get_store`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app

log = logging.getLogger(__name__)

TEMP_PREFIX = ".tmp-"
# Long enough for any worker to get from the rename to its committed row (a busy database makes
# a writer wait up to its busy timeout, 15 s), short enough that a crash's leftovers go soon.
SWEEP_GRACE = dt.timedelta(minutes=10)
FOLDER_BYTES = 16  # random bytes in a folder's name (32 hex characters)
ORIGINAL = "original"
DISPLAY = "display.jpg"
THUMB = "thumb.jpg"


STORE_KEY = "inspection.photo_store"


def init_app(app: Flask) -> None:
    app.extensions[STORE_KEY] = PhotoStore(app.config["UPLOAD_DIR"])


def get_store() -> PhotoStore:
    """The application's photo store (UPLOAD_DIR)."""
    store: PhotoStore = current_app.extensions[STORE_KEY]
    return store


class StoreError(OSError):
    """The store could not write or read a photo's files (disk full, permissions)."""


@dataclass
class SweepReport:
    """What one sweep removed, and what it left because it was too young to judge."""

    removed: list[Path] = field(default_factory=list)
    young: list[Path] = field(default_factory=list)


class PhotoStore:
    """Photo files under one root folder (the configured UPLOAD_DIR)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    @staticmethod
    def new_folder() -> str:
        """A fresh, unguessable folder name for one photo."""
        return secrets.token_hex(FOLDER_BYTES)

    def folder(self, visit_id: int, folder: str) -> Path:
        if not _plain_name(folder):
            raise ValueError(f"not a photo folder name: {folder!r}")
        return self.root / str(int(visit_id)) / folder

    def file(self, visit_id: int, folder: str, name: str) -> Path:
        return self.folder(visit_id, folder) / name

    def write(self, visit_id: int, folder: str, files: Mapping[str, bytes]) -> Path:
        """Write a photo's files atomically under their final folder (steps 1 and 2 above) and
        return it. On any error nothing is left under the final name; the temporary folder is
        removed (or, if even that fails, left for the sweep)."""
        final = self.folder(visit_id, folder)
        parent = final.parent
        temp = parent / f"{TEMP_PREFIX}{folder}"
        try:
            parent.mkdir(parents=True, exist_ok=True)
            temp.mkdir()
            for name, data in files.items():
                _write_synced(temp / name, data)
            fsync_folder(temp)
            os.rename(temp, final)
            fsync_folder(parent)
        except OSError as exc:
            shutil.rmtree(temp, ignore_errors=True)
            raise StoreError(exc.errno, f"could not store the photo's files: {exc}") from exc
        return final

    def remove(self, visit_id: int, folder: str) -> None:
        """Remove a photo's folder (after its row is gone). A failure is logged, not raised: the
        row is already gone, and the sweep removes the folder later."""
        target = self.folder(visit_id, folder)
        try:
            shutil.rmtree(target)
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("photo folder %s not removed (the sweep will): %s", target, exc)

    def folders(self) -> Iterable[tuple[int, str, Path]]:
        """(visit id, folder name, path) of every photo folder and temporary folder on disk."""
        if not self.root.is_dir():
            return
        for visit_dir in sorted(self.root.iterdir()):
            if not visit_dir.is_dir() or visit_dir.is_symlink() or not visit_dir.name.isdigit():
                continue
            for entry in sorted(visit_dir.iterdir()):
                if entry.is_dir() and not entry.is_symlink():
                    yield int(visit_dir.name), entry.name, entry

    def sweep(
        self,
        known: set[tuple[int, str]],
        *,
        grace: dt.timedelta = SWEEP_GRACE,
        now: float | None = None,
    ) -> SweepReport:
        """Remove the folders no row names (`known`: (visit id, folder) of every photo row, read
        before this call) and leftover temporary folders, when older than `grace`."""
        report = SweepReport()
        cutoff = (time.time() if now is None else now) - grace.total_seconds()
        for visit_id, name, path in self.folders():
            if (visit_id, name) in known:
                continue
            try:
                young = path.stat().st_mtime > cutoff
            except FileNotFoundError:
                continue  # removed meanwhile
            if young:
                report.young.append(path)
                continue
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                report.removed.append(path)
                log.info("photo sweep: removed %s (no photo row names it)", path)
        return report


def _plain_name(name: str) -> bool:
    return bool(name) and all(c.isalnum() or c in "-_" for c in name) and name.isascii()


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_folder(path: Path) -> None:
    """Make a folder's entries (a new file, a rename) durable (POSIX; Windows cannot open a
    folder, and needs no such step)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
