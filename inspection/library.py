"""The checklist template library, kept in a TinyDB file.

TinyDB is not safe for concurrent writers, so every write is one read-modify-write under a lock
file (`filelock`, which also works on Windows) and the file is replaced atomically (temp file,
fsync, rename): a reader never sees half a file. Readers keep the documents in memory, keyed by
the file's identity (inode, size, mtime), so a read costs one `stat` until another process writes.

Every `(key, version)` is immutable: the identical document again is a no-op, other content under
an existing version is refused.

What the file holds is checked each time it is read, never trusted: a document nested deeper than
a template can be (read with the same bound as an import, so parsing never depends on the
thread's stack), not a valid template, or whose content no longer matches its stored hash is
logged, left out (not offered for new plans) and listed as broken for the admin; a file that is not
JSON at all leaves the library empty and says why. The file itself is never "repaired": a write
keeps every stored document as it was, even one this version cannot read, and a file that cannot
be read at all refuses writes rather than be replaced.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import os
import tempfile
import threading
import unicodedata
import uuid
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from filelock import FileLock
from flask import Flask, current_app
from tinydb import Query, TinyDB
from tinydb.storages import Storage

from inspection import strict_json
from inspection.checklist import (
    MAX_TEMPLATE_BYTES,
    MAX_TEMPLATE_DEPTH,
    Problem,
    Template,
    parse,
    validate,
)

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


class StoredVersionBroken(VersionExists):
    """The library holds this key and version already, but its copy cannot be used."""

    def __init__(self, key: str, version: int, reason: str):
        super().__init__(key, version)
        self.args = (f"{key} version {version} is in the library but cannot be used: {reason}",)
        self.reason = reason


class LibraryUnreadable(LibraryError):
    """The library file is not JSON at all (or not readable): nothing in it can be used, and it
    is not written to, so that nothing in it is lost."""


class TemplateTooLarge(LibraryError):
    def __init__(self, size: int):
        super().__init__(
            f"the template is {size:,} bytes, over the limit of {MAX_TEMPLATE_BYTES:,} bytes"
        )
        self.size = size
        self.limit = MAX_TEMPLATE_BYTES


@dataclass(frozen=True)
class StoredTemplate:
    key: str
    version: int
    sha256: str
    title: str
    document: dict[str, Any]
    source: str
    imported_at: str

    @functools.cached_property
    def form(self) -> Template[Any]:
        """The document as models (it is valid: the library checked it on import)."""
        return parse(self.document)


@dataclass(frozen=True)
class BrokenTemplate:
    """A document of the library file that cannot be used; `key`, `version` and `title` are
    what the file says, made printable, when it says it."""

    doc_id: str
    key: str | None
    version: int | None
    title: str | None
    reason: str

    @property
    def name(self) -> str:
        """`document 3 (cchc-xa v2)`: how the log and the admin's page name it."""
        label = " ".join(str(p) for p in (self.key, self.version and f"v{self.version}") if p)
        return f"document {self.doc_id}" + (f" ({label})" if label else "")


@dataclass(frozen=True)
class LibraryState:
    """What one read of the library file found."""

    templates: dict[tuple[str, int], StoredTemplate]
    broken: list[BrokenTemplate]
    unreadable: str | None  # why nothing in the file can be read


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


# The file is {"templates": {"<id>": {..., "document": <template>}}}: three levels around each
# template, which may have MAX_TEMPLATE_DEPTH of its own.
LIBRARY_DEPTH = MAX_TEMPLATE_DEPTH + 3
TOO_DEEP_IN_FILE = f"a template has at most {MAX_TEMPLATE_DEPTH} levels of lists and objects"
# Stands in, while the file is in memory, for a value nested deeper than LIBRARY_DEPTH: a string
# that no valid template holds (it starts with a NUL), made unique by a random suffix.
CUT_MARK = "\x00unreadable:"


@dataclass(frozen=True)
class CutValue:
    raw: str  # the value as the file has it
    path: str  # its key path in the file, e.g. templates.3.document.sections[0].items[0]…


class AtomicJSONStorage(Storage):
    """TinyDB storage that reads strictly with bounded nesting and replaces the whole file
    atomically on each write.

    A list or object nested deeper than LIBRARY_DEPTH is never parsed: it is cut out of the text
    and stands in memory as a mark (`cut` maps each mark to the text it replaces), which a write
    puts back as it was. A file that is not JSON raises LibraryUnreadable (and so refuses the
    write that would replace it)."""

    def __init__(self, path: str):
        self.path = Path(path)
        self.cut: dict[str, CutValue] = {}

    def read(self) -> dict[str, Any] | None:
        self.cut = {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise LibraryUnreadable(f"the file cannot be read: {exc}") from exc
        if not text.strip():
            return None
        try:
            data = strict_json.loads(self._cut_deep_values(text), max_depth=LIBRARY_DEPTH)
        except json.JSONDecodeError as exc:
            raise LibraryUnreadable(f"the file is not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise LibraryUnreadable("the file is JSON but not a template library")
        return data

    def _cut_deep_values(self, text: str) -> str:
        if not strict_json.is_too_deep(text, LIBRARY_DEPTH):
            return text
        pieces: list[str] = []
        end = 0
        for deep in strict_json.deep_values(text, LIBRARY_DEPTH):
            mark = f"{CUT_MARK}{uuid.uuid4().hex}"
            self.cut[mark] = CutValue(raw=text[deep.start : deep.end], path=deep.path)
            pieces += [text[end : deep.start], json.dumps(mark)]
            end = deep.end
        return "".join([*pieces, text[end:]])

    def write(self, data: dict[str, Any]) -> None:
        try:
            encoded = self._serialise(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # a stored text with an unpaired surrogate: keep it escaped
            encoded = self._serialise(data, ensure_ascii=True).encode("utf-8")
        atomic_write(self.path, encoded)

    def _serialise(self, data: dict[str, Any], *, ensure_ascii: bool) -> str:
        text = json.dumps(data, ensure_ascii=ensure_ascii)
        for mark, cut in self.cut.items():
            text = text.replace(json.dumps(mark), cut.raw, 1)
        return text


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
        self._cache = LibraryState(templates={}, broken=[], unreadable=None)
        self._cache_guard = threading.Lock()
        self._logged: set[str] = set()  # the problems this process has logged already
        self._valid: set[str] = set()  # canonical hashes of documents found valid already

    # Reading ---------------------------------------------------------------------------------

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _state(self) -> LibraryState:
        stamp = self._stamp()
        with self._cache_guard:
            if stamp != self._cache_stamp:
                self._cache = self._read_all() if stamp else LibraryState({}, [], None)
                self._cache_stamp = stamp
                self._log_problems(self._cache)
            return self._cache

    def _documents(self) -> dict[tuple[str, int], StoredTemplate]:
        return self._state().templates

    def _read_all(self) -> LibraryState:
        storage = AtomicJSONStorage(str(self.path))
        try:
            data = storage.read() or {}
        except LibraryUnreadable as exc:
            return LibraryState(templates={}, broken=[], unreadable=_printable(str(exc), 1000))
        templates: dict[tuple[str, int], StoredTemplate] = {}
        broken: list[BrokenTemplate] = []
        for doc_id, row in data.get("templates", {}).items():
            reason = self._row_problem(doc_id, row, storage.cut)
            if reason is None and (row["key"], row["version"]) in templates:
                reason = "another document of the file holds the same key and version"
            if reason is None:
                templates[(row["key"], row["version"])] = StoredTemplate(**row)
            else:
                broken.append(_broken(doc_id, row, reason))
        return LibraryState(templates=templates, broken=broken, unreadable=None)

    def _row_problem(self, doc_id: str, row: Any, cut: dict[str, CutValue]) -> str | None:
        """Why a stored row cannot be used (None: it can)."""
        prefix = f"templates.{doc_id}."
        for value in cut.values():
            if value.path.startswith(prefix):
                where = value.path.removeprefix(prefix).removeprefix("document.")
                return f"nested too deeply at {where}: {TOO_DEEP_IN_FILE}"
        names = {f.name for f in fields(StoredTemplate)}
        if not isinstance(row, dict) or set(row) != names:
            return "not a stored template (its fields are not " + ", ".join(sorted(names)) + ")"
        document = row["document"]
        try:
            sha: str | None = canonical_sha256(document)
        except (TypeError, ValueError, UnicodeEncodeError):
            sha = None
        if sha is None or sha not in self._valid:
            report = validate(document, stored=True)
            if not report.ok:
                shown = "; ".join(str(p) for p in report.errors[:3])
                more = len(report.errors) - 3
                return f"not a valid template: {shown}" + (f"; and {more} more" if more > 0 else "")
            if sha is None:
                return "its document cannot be written back as JSON"
            self._valid.add(sha)
        if row["sha256"] != sha:
            return "its content no longer matches its stored hash (the file was edited?)"
        stored = (row["key"], row["version"], row["title"])
        if stored != (document["key"], document["version"], document["title"]):
            return "its key, version or title differ from its document's"
        return None

    def _log_problems(self, state: LibraryState) -> None:
        """Each problem once per process (the file is read again after every import)."""
        if state.unreadable and state.unreadable not in self._logged:
            self._logged.add(state.unreadable)
            log.error(
                "The template library %s cannot be read, so none of its checklists can be used "
                "until the file is repaired (it is left as it is): %s",
                self.path,
                state.unreadable,
            )
        for broken in state.broken:
            line = f"{broken.name}: {broken.reason}"
            if line not in self._logged:
                self._logged.add(line)
                log.error(
                    "The template library %s: %s cannot be used and is not offered for new "
                    "plans: %s",
                    self.path,
                    broken.name,
                    broken.reason,
                )

    def broken(self) -> list[BrokenTemplate]:
        """The documents of the file that cannot be used, with the reason."""
        return self._state().broken

    def unreadable(self) -> str | None:
        """Why the library file cannot be read at all (None when it can)."""
        return self._state().unreadable

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
            try:
                row = table.get((Query().key == key) & (Query().version == version))
            except (TypeError, ValueError) as exc:  # a row that is not an object, an odd id
                message = f"the file holds a document TinyDB cannot read: {exc}"
                raise LibraryUnreadable(message) from exc
            if row is not None:
                reason = self._row_problem(str(row.doc_id), dict(row), db.storage.cut)
                if reason is not None:
                    raise StoredVersionBroken(key, version, reason)
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
        self._state()  # read (and report) the library even when the folder is empty
        directory = Path(folder)
        files = sorted(directory.glob("*.json")) if directory.is_dir() else []
        for path in files:
            try:
                document = read_template_file(path)
                loaded.append((path.name, self.import_document(document, source=path.name)))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                refused.append((path.name, f"not readable JSON: {exc}"))
            except TemplateTooLarge as exc:
                refused.append((path.name, str(exc)))
            except TemplateInvalid as exc:
                refused.append((path.name, "; ".join(str(p) for p in exc.problems)))
            except StoredVersionBroken as exc:
                refused.append((path.name, f"not loaded: {exc}"))
            except LibraryUnreadable as exc:
                refused.append(
                    (path.name, f"not loaded: the template library cannot be read: {exc}")
                )
            except VersionExists as exc:
                refused.append(
                    (path.name, f"{exc}: the file changed without a new version; not loaded")
                )
        for name, reason in refused:
            log.warning("forms/%s refused: %s", name, reason)
        return FolderReport(loaded=loaded, refused=refused)


def parse_template(data: bytes) -> Any:  # noqa: ANN401
    """A template file's content as JSON: at most MAX_TEMPLATE_BYTES, UTF-8, strict JSON (its
    nesting is then the validator's to judge, with the key path). Raises TemplateTooLarge,
    UnicodeDecodeError or json.JSONDecodeError."""
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateTooLarge(len(data))
    return strict_json.loads(data.decode("utf-8"))


def read_template_file(path: str | os.PathLike[str]) -> Any:  # noqa: ANN401
    """`parse_template` of a file, reading no more than the limit allows. Raises OSError too."""
    with Path(path).open("rb") as handle:
        data = handle.read(MAX_TEMPLATE_BYTES + 1)
        if len(data) > MAX_TEMPLATE_BYTES:
            raise TemplateTooLarge(os.fstat(handle.fileno()).st_size)
    return parse_template(data)


def _printable(value: str, limit: int = 300) -> str:
    """A text from the file as a page or a log line can show it: control characters and broken
    Unicode replaced, at most `limit` characters."""
    shown = "".join(
        "\ufffd" if unicodedata.category(c) in ("Cc", "Cs") else c for c in value[:limit]
    )
    return shown + ("…" if len(value) > limit else "")


def _broken(doc_id: str, row: Any, reason: str) -> BrokenTemplate:  # noqa: ANN401
    def field(name: str) -> Any:  # noqa: ANN401
        return row.get(name) if isinstance(row, dict) else None

    key, version, title = field("key"), field("version"), field("title")
    return BrokenTemplate(
        doc_id=_printable(str(doc_id), 40),
        key=_printable(key, 64) if isinstance(key, str) else None,
        version=version if isinstance(version, int) and not isinstance(version, bool) else None,
        title=_printable(title) if isinstance(title, str) else None,
        reason=_printable(reason, 1000),
    )


EXTENSION_KEY = "inspection.library"


def init_app(app: Flask) -> FolderReport:
    """The app's library, filled from its forms folder; returns what loading the folder did."""
    library = TemplateLibrary(app.config["LIBRARY_PATH"])
    app.extensions[EXTENSION_KEY] = library
    return library.load_folder(app.config["FORMS_DIR"])


def get_library() -> TemplateLibrary:
    """The template library of the current app (one per process, shared by its requests)."""
    library: TemplateLibrary = current_app.extensions[EXTENSION_KEY]
    return library
