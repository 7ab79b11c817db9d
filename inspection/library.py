"""The checklist template library, kept in a TinyDB file.

TinyDB is not safe for concurrent writers, so every write is one read-modify-write under a lock
file (`filelock`, which also works on Windows) and the file is replaced atomically (temp file,
fsync, rename): a reader never sees half a file. Readers keep the documents in memory, keyed by
the file's identity (inode, size, mtime), so a read costs one `stat` until another process writes.

Every `(key, version)` is immutable: the identical document again is a no-op, other content under
an existing version is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock
from tinydb import Query, TinyDB
from tinydb.storages import Storage

from inspection import strict_json
from inspection.checklist import Problem, validate

log = logging.getLogger(__name__)


class LibraryError(Exception):
    """Base of the library's domain errors."""


class TemplateInvalid(LibraryError):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class VersionExists(LibraryError):
    def __init__(self, key: str, version: int):
        super().__init__(f"{key} version {version} already exists with different content")
        self.key = key
        self.version = version


@dataclass(frozen=True)
class StoredTemplate:
    key: str
    version: int
    sha256: str
    title: str
    document: dict[str, Any]
    source: str
    imported_at: str


@dataclass(frozen=True)
class ImportResult:
    template: StoredTemplate
    created: bool
    warnings: list[Problem]


@dataclass(frozen=True)
class FolderReport:
    """What loading the `forms/` folder did with each file."""

    loaded: list[tuple[str, ImportResult]]
    refused: list[tuple[str, str]]  # (file name, reason)


def canonical_sha256(document: dict[str, Any]) -> str:
    """Hash of the document's content, independent of key order and white space."""
    data = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


class AtomicJSONStorage(Storage):
    """TinyDB storage that replaces the whole file atomically on each write."""

    def __init__(self, path: str):
        self.path = Path(path)

    def read(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return json.loads(text) if text.strip() else None

    def write(self, data: dict[str, Any]) -> None:
        atomic_write(self.path, json.dumps(data, ensure_ascii=False).encode("utf-8"))


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class TemplateLibrary:
    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self._lock = FileLock(str(self.path) + ".lock", timeout=30)
        self._cache_stamp: tuple[int, int, int] | None = None
        self._cache: dict[tuple[str, int], StoredTemplate] = {}
        self._cache_guard = threading.Lock()

    # Reading ---------------------------------------------------------------------------------

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _documents(self) -> dict[tuple[str, int], StoredTemplate]:
        stamp = self._stamp()
        with self._cache_guard:
            if stamp != self._cache_stamp:
                self._cache = self._read_all() if stamp else {}
                self._cache_stamp = stamp
            return self._cache

    def _read_all(self) -> dict[tuple[str, int], StoredTemplate]:
        data = AtomicJSONStorage(str(self.path)).read() or {}
        rows = data.get("templates", {}).values()
        return {(r["key"], r["version"]): StoredTemplate(**r) for r in rows}

    def get(self, key: str, version: int | None = None) -> StoredTemplate | None:
        """One version, or the latest version of `key` when `version` is None."""
        documents = self._documents()
        if version is not None:
            return documents.get((key, version))
        versions = [t for (k, _), t in documents.items() if k == key]
        return max(versions, key=lambda t: t.version, default=None)

    def all(self) -> list[StoredTemplate]:
        """Every version of every template, by key then version."""
        return sorted(self._documents().values(), key=lambda t: (t.key, t.version))

    def latest(self) -> list[StoredTemplate]:
        """The latest version of each template, by key."""
        newest: dict[str, StoredTemplate] = {}
        for template in self.all():
            newest[template.key] = template
        return list(newest.values())

    # Writing ---------------------------------------------------------------------------------

    def import_document(self, document: Any, *, source: str = "api") -> ImportResult:
        """Validate and store a template. Raises TemplateInvalid or VersionExists."""
        report = validate(document)
        if not report.ok:
            raise TemplateInvalid(report.errors)
        key, version = document["key"], document["version"]
        sha = canonical_sha256(document)
        existing, created = self.get(key, version), False
        if existing is None:
            with self._lock:
                existing, created = self._insert_locked(document, sha, source)
        if existing.sha256 != sha:
            raise VersionExists(key, version)
        return ImportResult(template=existing, created=created, warnings=report.warnings)

    def _insert_locked(
        self, document: dict[str, Any], sha: str, source: str
    ) -> tuple[StoredTemplate, bool]:
        """Insert unless another process got there first; the caller holds the lock."""
        key, version = document["key"], document["version"]
        with TinyDB(str(self.path), storage=AtomicJSONStorage) as db:
            table = db.table("templates")
            row = table.get((Query().key == key) & (Query().version == version))
            if row is not None:
                return StoredTemplate(**row), False
            record = {
                "key": key,
                "version": version,
                "sha256": sha,
                "title": document["title"],
                "document": document,
                "source": source,
                "imported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
            table.insert(record)
        return StoredTemplate(**record), True

    def load_folder(self, folder: str | os.PathLike[str]) -> FolderReport:
        """Import every `*.json` of a folder; a file that is broken, invalid, or changed without a
        new version is reported and not loaded."""
        loaded: list[tuple[str, ImportResult]] = []
        refused: list[tuple[str, str]] = []
        directory = Path(folder)
        files = sorted(directory.glob("*.json")) if directory.is_dir() else []
        for path in files:
            try:
                document = strict_json.loads(path.read_text(encoding="utf-8"))
                loaded.append((path.name, self.import_document(document, source=path.name)))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                refused.append((path.name, f"not readable JSON: {exc}"))
            except TemplateInvalid as exc:
                refused.append((path.name, "; ".join(str(p) for p in exc.problems)))
            except VersionExists as exc:
                refused.append(
                    (path.name, f"{exc}: the file changed without a new version; not loaded")
                )
        for name, reason in refused:
            log.warning("forms/%s refused: %s", name, reason)
        return FolderReport(loaded=loaded, refused=refused)
