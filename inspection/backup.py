"""Backup and restore: one archive holding the database, the photos and the template library.

The three stores belong together (a photo row without its file, or a visit pinned to a template
that is gone, are both losses), so they travel in one `.tar.gz` with a manifest of SHA-256
hashes. The archive is taken while the server runs:

- the database first, as a consistent snapshot: SQLite's online backup API (a read transaction
  that writers in WAL mode do not disturb), or `pg_dump`, which reads one MVCC snapshot;
- then the template library, read while holding the library's own lock, so no import is
  half-way;
- then the photos. A photo's files are written before its row, so every row in the snapshot
  already has its files; files newer than the snapshot are harmless extras.

A restore proves the whole archive (every member present, listed, of the listed size and hash,
safely named) before it writes anything, and only ever writes into an empty instance: it never
merges with, or overwrites, data it would then lose.

No Flask here: the functions take the configuration values, the engine and paths, so the CLI,
tests and scripts call them alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from filelock import Timeout as LockTimeout
from sqlalchemy import Connection, Engine, MetaData, func, inspect, literal, select, table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from inspection import migrate, strict_json
from inspection.library import TemplateLibrary, atomic_write, canonical_sha256
from inspection.storage import fsync_folder

FORMAT = 1
APP = "inspection"
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {
    "sqlite": "database/inspection.sqlite3",
    "postgresql": "database/inspection.pgdump",
}
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
LIBRARY_MEMBER = "library/library.json"
UPLOADS_PREFIX = "uploads/"
ARCHIVE_NAME = "inspection-backup-{:%Y%m%d-%H%M%S}.tar.gz"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
CHUNK = 1024 * 1024
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
COMPRESS_LEVEL = 6  # photos are JPEGs already: a higher level costs time and saves nothing
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
PG_BIN_ROOT = Path("/usr/lib/postgresql")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is a sentence for the operator."""


@dataclass(frozen=True)
class RestoreReport:
    """What a restore put back, for the CLI to print."""

    archive: Path
    backend: str
    created_at: str
    revision: str | None  # the schema revision after the upgrade to head
    tables: int
    rows: int
    files: int
    templates: int


# Backup ------------------------------------------------------------------------------------------


def create_backup(
    *,
    engine: Engine,
    database_url: str,
    library_path: str | os.PathLike[str],
    upload_dir: str | os.PathLike[str],
    dest: str | os.PathLike[str],
) -> Path:
    """Write one archive and return its path.

    DEST is the archive's file name (ending in .tar.gz or .tgz), or else a folder (created when
    missing) that receives `inspection-backup-YYYYmmdd-HHMMSS.tar.gz`. The archive is written to
    a temporary file beside it and renamed when complete, so a crash never leaves half an archive
    under the final name; an existing file is never overwritten.
    """
    try:
        return _create_backup(
            engine=engine,
            database_url=database_url,
            library_path=Path(library_path),
            upload_dir=Path(upload_dir),
            dest=dest,
        )
    except (OSError, sqlite3.Error, SQLAlchemyError, LockTimeout) as exc:
        raise BackupError(f"the backup was not written: {reason(exc)}") from exc


def _create_backup(
    *,
    engine: Engine,
    database_url: str,
    library_path: Path,
    upload_dir: Path,
    dest: str | os.PathLike[str],
) -> Path:
    now = dt.datetime.now().astimezone()
    backend = _backend(engine)
    revision = _revision_to_back_up(engine, backend, database_url)
    target = _archive_path(dest, now)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise BackupError(f"{target} already exists: a backup never overwrites a file")
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with (
            os.fdopen(fd, "wb") as raw,
            tempfile.TemporaryDirectory(dir=target.parent, prefix=".inspection-backup-") as work,
        ):
            # typeshed's overloads of tarfile.open lack `copybufsize`, which open passes on to
            # TarFile (whose stub has it).
            archive = tarfile.open(  # type: ignore[call-overload]
                fileobj=raw, mode="w:gz", compresslevel=COMPRESS_LEVEL, copybufsize=CHUNK
            )
            with archive as tar:
                _write_members(
                    tar,
                    revision=revision,
                    backend=backend,
                    database_url=database_url,
                    library_path=library_path,
                    upload_dir=upload_dir,
                    work=Path(work),
                    now=now,
                )
            raw.flush()
            os.fsync(raw.fileno())
        if target.exists():
            raise BackupError(f"{target} appeared while the backup was written: not overwritten")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_folder(target.parent)
    return target


def _archive_path(dest: str | os.PathLike[str], now: dt.datetime) -> Path:
    """A DEST ending in .tar.gz or .tgz names the archive; anything else is a folder (created
    when missing), so `backup /var/backups/inspection/$(date +%F)` does what it says."""
    path = Path(dest)
    if path.name.endswith(ARCHIVE_SUFFIXES):
        if path.is_dir():
            raise BackupError(f"{path} is a folder: name the archive inside it, or give the folder")
        return path
    if path.exists() and not path.is_dir():
        raise BackupError(f"{path} exists and is not a folder; an archive's name ends in .tar.gz")
    return path / ARCHIVE_NAME.format(now)


def _revision_to_back_up(engine: Engine, backend: str, database_url: str) -> str:
    """The schema revision of the database to back up, which must exist and hold the schema:
    a mistyped path or URL must fail the nightly job, not archive an empty database."""
    if backend == "sqlite":
        source = _sqlite_path(database_url)
        if not source.is_file():  # checked first: connecting would create an empty file
            raise BackupError(f"the SQLite database {source} does not exist")
    revision = migrate.current_revision(engine)
    if revision is None:
        raise BackupError(
            f"the database {_describe(engine)} holds no Inspection schema (was `init-db` run, "
            "and is INSPECTION_DATABASE_URL right?)"
        )
    return revision


def _write_members(
    tar: tarfile.TarFile,
    *,
    revision: str,
    backend: str,
    database_url: str,
    library_path: Path,
    upload_dir: Path,
    work: Path,
    now: dt.datetime,
) -> None:
    """Database, then library, then photos (see the module's docstring for why this order),
    and the manifest last: it lists the hashes of the bytes actually written."""
    files: dict[str, dict[str, Any]] = {}
    member = DATABASE_MEMBERS[backend]
    snapshot = _snapshot_database(backend, database_url, work)
    files[member] = _add_file(tar, member, snapshot)
    snapshot.unlink()
    library = _read_library(library_path)
    if library is not None:
        files[LIBRARY_MEMBER] = _add_bytes(tar, LIBRARY_MEMBER, library)
    for relative, path in _upload_files(upload_dir):
        name = UPLOADS_PREFIX + relative
        try:
            files[name] = _add_file(tar, name, path)
        except FileNotFoundError:
            continue  # removed since the walk (the sweep of orphans): not part of the snapshot
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(timespec="seconds"),
        "app": APP,
        "database": {"backend": backend, "revision": revision, "member": member},
        "files": files,
    }
    data = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
    _add_bytes(tar, MANIFEST, data)


def _snapshot_database(backend: str, database_url: str, work: Path) -> Path:
    if backend == "sqlite":
        return _snapshot_sqlite(database_url, work / "inspection.sqlite3")
    return _dump_postgresql(database_url, work / "inspection.pgdump")


def _snapshot_sqlite(database_url: str, target: Path) -> Path:
    """SQLite's online backup API copies the live file in one step inside a read transaction: a
    consistent snapshot while the server keeps writing (WAL lets writers go on meanwhile)."""
    source = _sqlite_path(database_url)
    if not source.is_file():
        raise BackupError(f"the SQLite database {source} does not exist")
    with closing(sqlite3.connect(source, timeout=30)) as live:
        with closing(sqlite3.connect(target)) as copy:
            live.backup(copy)
            # One self-contained file: no -wal file needed beside it.
            copy.execute("PRAGMA journal_mode=DELETE").fetchall()
    return target


def _dump_postgresql(database_url: str, target: Path) -> Path:
    """pg_dump reads one snapshot of the database: consistent while the server writes."""
    url, env = _libpq(database_url)
    _run_tool(
        "pg_dump",
        ["--format=custom", "--no-owner", "--no-privileges", f"--file={target}", f"--dbname={url}"],
        env,
    )
    return target


def _read_library(path: Path) -> bytes | None:
    """The library file as it is between two imports (read under the library's own lock)."""
    if not path.is_file():
        return None
    with _library_lock(path):
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None


def _library_lock(path: Path) -> Any:
    """The lock every library write takes (same lock file and timeout as TemplateLibrary)."""
    return TemplateLibrary(path)._lock


def _upload_files(upload_dir: Path) -> Iterator[tuple[str, Path]]:
    """(POSIX path relative to the folder, path) of every photo file, sorted. Temporary files
    (`*.tmp`), dot-files and dot-folders are work in progress, not content; links are skipped."""
    if upload_dir.is_dir():
        yield from _walk(upload_dir, "")


def _walk(folder: Path, prefix: str) -> Iterator[tuple[str, Path]]:
    try:
        with os.scandir(folder) as found:
            entries = sorted(found, key=lambda entry: entry.name)
    except FileNotFoundError:
        return  # removed meanwhile (the sweep of orphan folders)
    for entry in entries:
        if _is_work_file(entry.name):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path), f"{prefix}{entry.name}/")
        elif entry.is_file(follow_symlinks=False):
            yield f"{prefix}{entry.name}", Path(entry.path)


def _is_work_file(name: str) -> bool:
    return name.startswith(".") or name.endswith(".tmp")


class _HashingReader:
    """Hands a file to tarfile while hashing it: big files are read once, in chunks."""

    def __init__(self, handle: IO[bytes]):
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _tarinfo(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o600
    info.type = tarfile.REGTYPE
    return info


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        stat = os.fstat(handle.fileno())
        reader = _HashingReader(handle)
        tar.addfile(_tarinfo(name, stat.st_size, stat.st_mtime), reader)
    return {"sha256": reader.digest.hexdigest(), "size": reader.size}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> dict[str, Any]:
    tar.addfile(_tarinfo(name, len(data), dt.datetime.now().timestamp()), io.BytesIO(data))
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


# Verification ------------------------------------------------------------------------------------


def verify_backup(src: str | os.PathLike[str]) -> dict[str, Any]:
    """Read the whole archive and check it against its manifest; returns the manifest.

    Refuses (BackupError) an archive that is unreadable or truncated, has no valid manifest, has
    a member missing, unlisted, of another size or hash, unsafely named, or not a regular file.
    """
    path = archive_file(src)
    seen: dict[str, dict[str, Any]] = {}
    manifest_bytes: bytes | None = None
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for member in tar:
                _check_member(member, seen)
                with _member_file(tar, member) as handle:
                    if member.name == MANIFEST:
                        manifest_bytes = _read_manifest_bytes(handle, member)
                        seen[member.name] = {}
                    else:
                        seen[member.name] = _hash_stream(handle)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(
            f"{path} is not a readable backup archive (truncated, damaged or not a .tar.gz): {exc}"
        ) from exc
    if manifest_bytes is None:
        raise BackupError(f"{path} has no {MANIFEST}: it is not an Inspection backup")
    manifest = _parse_manifest(manifest_bytes)
    _compare(manifest["files"], {k: v for k, v in seen.items() if k != MANIFEST})
    _check_single_database(manifest)
    return manifest


def _check_single_database(manifest: dict[str, Any]) -> None:
    """One database, the one the manifest names: another database member would be restored as
    nothing, or worse, as something else."""
    named = manifest["database"]["member"]
    for member in DATABASE_MEMBERS.values():
        if member != named and member in manifest["files"]:
            raise BackupError(
                f"{member} is not the database the manifest names ({named}): refusing the archive"
            )


def archive_file(src: str | os.PathLike[str]) -> Path:
    """The archive SRC names: the file itself, or the only backup archive in a folder (a folder
    of several is refused: which one to restore is the operator's choice)."""
    path = Path(src)
    if path.is_dir():
        found = sorted(path.glob("inspection-backup-*.tar.gz"))
        if len(found) == 1:
            return found[0]
        names = ", ".join(p.name for p in found[-3:])
        hint = f"name one of its {len(found)} archives (… {names})" if found else "it has none"
        raise BackupError(f"{path} is a folder, not a backup archive: {hint}")
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    return path


def _safe_name(name: str) -> bool:
    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        return False
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return False
    known = {MANIFEST, LIBRARY_MEMBER, *DATABASE_MEMBERS.values()}
    return name in known or (name.startswith(UPLOADS_PREFIX) and len(parts) >= 2)


def _check_member(member: tarfile.TarInfo, seen: dict[str, Any]) -> None:
    name = member.name
    if not _safe_name(name):
        raise BackupError(
            f"the archive holds a member named {name!r}, which is absolute, climbs out with '..' "
            "or lies outside the backup's folders: refusing the archive"
        )
    if not member.isreg():
        raise BackupError(
            f"{name} is a link, folder or device, not a regular file: refusing the archive"
        )
    if name in seen:
        raise BackupError(f"{name} is in the archive twice: refusing the archive")


def _member_file(tar: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    """A member's content: a regular file (_check_member refuses the other kinds, of which
    `extractfile` gives None)."""
    handle = tar.extractfile(member)
    if handle is None:
        raise BackupError(f"{member.name} is not a regular file: refusing the archive")
    return handle


def _hash_stream(handle: IO[bytes]) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def _read_manifest_bytes(handle: IO[bytes], member: tarfile.TarInfo) -> bytes:
    if member.size > MAX_MANIFEST_BYTES:
        raise BackupError(f"{MANIFEST} is {member.size} bytes: too large to be a manifest")
    return handle.read()


def _parse_manifest(data: bytes) -> dict[str, Any]:
    try:
        manifest = strict_json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"{MANIFEST} is not valid JSON: the archive is damaged ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("app") != APP:
        raise BackupError(f"{MANIFEST} is not the manifest of an Inspection backup")
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{MANIFEST} has format {manifest.get('format')!r}; this version of "
            f"Inspection reads format {FORMAT}"
        )
    database, files = manifest.get("database"), manifest.get("files")
    if not isinstance(files, dict) or not all(_valid_entry(e) for e in files.values()):
        raise BackupError(f"{MANIFEST} has no valid list of files with their size and SHA-256")
    if not isinstance(database, dict) or database.get("backend") not in DATABASE_MEMBERS:
        raise BackupError(f"{MANIFEST} does not say which database the backup holds")
    member = DATABASE_MEMBERS[database["backend"]]
    if database.get("member") != member or member not in files:
        raise BackupError(f"{MANIFEST} does not list the database as {member}")
    return manifest


def _valid_entry(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("sha256"), str)
        and bool(SHA256_HEX.fullmatch(entry["sha256"]))
        and isinstance(entry.get("size"), int)
    )


def _compare(listed: dict[str, dict[str, Any]], found: dict[str, dict[str, Any]]) -> None:
    unlisted = sorted(set(found) - set(listed))
    if unlisted:
        raise BackupError(
            f"{unlisted[0]} is in the archive but not in its manifest: refusing "
            "an archive that was changed after it was written"
        )
    for name, entry in sorted(listed.items()):
        actual = found.get(name)
        if actual is None:
            raise BackupError(
                f"{name} is listed in the manifest but missing from the archive: "
                "the archive is damaged"
            )
        if actual["size"] != entry["size"]:
            raise BackupError(
                f"{name} is {actual['size']} bytes where the manifest says "
                f"{entry['size']}: the archive is damaged"
            )
        if actual["sha256"] != entry["sha256"]:
            raise BackupError(
                f"{name} does not match its SHA-256 in the manifest: the archive is damaged"
            )


# Restore -----------------------------------------------------------------------------------------


# What can stop a restore part-way. KeyError: the archive changed between the check and the
# restore; SystemExit and KeyboardInterrupt: stopped (SIGTERM, Ctrl+C).
RESTORE_STOPS = (
    BackupError,
    OSError,
    tarfile.TarError,
    EOFError,
    zlib.error,
    SQLAlchemyError,
    migrate.MigrationRefused,
    KeyError,
    SystemExit,
    KeyboardInterrupt,
)


def restore_backup(
    *,
    src: str | os.PathLike[str],
    engine: Engine,
    database_url: str,
    library_path: str | os.PathLike[str],
    upload_dir: str | os.PathLike[str],
    forms_dir: str | os.PathLike[str] | None = None,
) -> RestoreReport:
    """Verify the archive fully, check that this instance is empty, then put the backup back and
    upgrade its schema to this version's head. Stop the server first.

    `forms_dir` is the shipped templates' folder: the app loads it into the library at every
    start, so a library holding exactly those (and nothing imported) still counts as empty.
    """
    archive = archive_file(src)
    manifest = verify_backup(archive)
    backend = _backend(engine)
    _check_backend(manifest, backend, engine)
    _check_revision(manifest)
    library_path, upload_dir = Path(library_path), Path(upload_dir)
    try:
        _check_empty(
            engine, library_path, upload_dir, None if forms_dir is None else Path(forms_dir)
        )
    except (OSError, SQLAlchemyError, LockTimeout) as exc:
        raise BackupError(f"nothing was restored: {reason(exc)}") from exc
    try:
        files = _restore_members(
            archive,
            manifest,
            engine=engine,
            backend=backend,
            database_url=database_url,
            library_path=library_path,
            upload_dir=upload_dir,
        )
        revision = migrate.upgrade(engine)
    except RESTORE_STOPS as exc:
        # KeyError: the archive changed between the check and the restore; SystemExit and
        # KeyboardInterrupt: stopped (SIGTERM, Ctrl+C). Each leaves part of the backup behind.
        why = "stopped" if isinstance(exc, SystemExit | KeyboardInterrupt) else reason(exc)
        raise BackupError(
            f"the restore stopped part-way ({why}); empty the instance (database, "
            "template library, upload folder) and run restore again"
        ) from exc
    try:
        tables, rows = _count_rows(engine)
        templates = len(TemplateLibrary(library_path).all())
    except (OSError, SQLAlchemyError, LockTimeout) as exc:
        raise BackupError(f"restored, but it could not be read back: {reason(exc)}") from exc
    return RestoreReport(
        archive=archive,
        backend=backend,
        created_at=str(manifest.get("created_at", "")),
        revision=revision,
        tables=tables,
        rows=rows,
        files=files,
        templates=templates,
    )


def _check_backend(manifest: dict[str, Any], backend: str, engine: Engine) -> None:
    held = manifest["database"]["backend"]
    if held != backend:
        raise BackupError(
            f"this backup holds a {BACKEND_NAMES[held]} database and cannot be restored into "
            f"the {BACKEND_NAMES[backend]} database {_describe(engine)}: point "
            f"INSPECTION_DATABASE_URL at an empty {BACKEND_NAMES[held]} database"
        )


def _check_revision(manifest: dict[str, Any]) -> None:
    """A backup made by a newer version cannot be downgraded by this one."""
    revision = manifest["database"].get("revision")
    if revision is None:
        return
    if not isinstance(revision, str) or not re.fullmatch(r"[0-9A-Za-z_]{1,64}", revision):
        raise BackupError(
            f"the manifest's schema revision {revision!r} is not one: the archive "
            "was altered after it was written"
        )
    script = ScriptDirectory.from_config(migrate.alembic_config())
    try:
        known = script.get_revision(str(revision)) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupError(
            f"the backup's database is at schema revision {revision}, which this version of "
            f"Inspection does not know (its latest is {script.get_current_head()}): restore it "
            "with the version that made it, or a newer one"
        )


def _check_empty(
    engine: Engine, library_path: Path, upload_dir: Path, forms_dir: Path | None
) -> None:
    problems = [
        problem
        for problem in (
            _database_content(engine),
            _library_content(library_path, forms_dir),
            _upload_content(upload_dir),
        )
        if problem
    ]
    if problems:
        raise BackupError("restore needs an empty instance: " + "; ".join(problems))


def _database_content(engine: Engine) -> str | None:
    """Rows a restore would lose. Tables without rows are no loss: a database that `init-db`
    (or `make serve`) has just prepared is as empty as one without a schema."""
    with engine.connect() as connection:
        used = _tables_with_rows(connection)
    if not used:
        return None
    shown = ", ".join(used[:4]) + (", …" if len(used) > 4 else "")
    return f"the database {_describe(engine)} has rows in {len(used)} tables ({shown})"


def _tables_with_rows(connection: Connection) -> list[str]:
    names = sorted(set(inspect(connection).get_table_names()) - {"alembic_version"})
    probe = select(literal(1)).limit(1)
    return [n for n in names if connection.execute(probe.select_from(table(n))).first()]


def _library_content(library_path: Path, forms_dir: Path | None) -> str | None:
    """Templates that a restore would lose: anything but the shipped forms, which the app loads
    again at every start."""
    if not library_path.exists():
        return None
    shipped = _shipped_templates(forms_dir)
    library = TemplateLibrary(library_path)
    if library.unreadable():
        return f"the template library {library_path} exists but cannot be read"
    imported = [
        f"{t.key} v{t.version}"
        for t in library.all()
        if shipped.get((t.key, t.version)) != t.sha256
    ]
    imported += [b.name for b in library.broken()]  # unusable, but not to be lost either
    if not imported:
        return None
    shown = ", ".join(imported[:4]) + (", …" if len(imported) > 4 else "")
    return f"the template library {library_path} holds imported templates ({shown})"


def _shipped_templates(forms_dir: Path | None) -> dict[tuple[str, int], str]:
    shipped: dict[tuple[str, int], str] = {}
    if forms_dir is None or not forms_dir.is_dir():
        return shipped
    for path in sorted(forms_dir.glob("*.json")):
        try:
            document = strict_json.loads(path.read_text(encoding="utf-8"))
            shipped[(document["key"], document["version"])] = canonical_sha256(document)
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a broken shipped file is never loaded, so it cannot be in the library
    return shipped


def _upload_content(upload_dir: Path) -> str | None:
    first = next(_upload_files(upload_dir), None)
    if first is None:
        return None
    return f"the upload folder {upload_dir} holds files (e.g. {first[0]})"


def _restore_members(
    src: Path,
    manifest: dict[str, Any],
    *,
    engine: Engine,
    backend: str,
    database_url: str,
    library_path: Path,
    upload_dir: Path,
) -> int:
    """Second pass over the verified archive; each member is hashed again as it is written, so
    an archive changed since the verification is still caught. Returns the photo files written."""
    listed = manifest["files"]
    database_member = DATABASE_MEMBERS[backend]
    files = 0
    # The dump waits beside the library (the instance folder), not in a /tmp that may be small.
    library_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        tarfile.open(src, mode="r:gz") as tar,
        tempfile.TemporaryDirectory(dir=library_path.parent, prefix=".inspection-restore-") as work,
    ):
        for member in tar:
            if member.name == MANIFEST:
                continue
            expected = listed[member.name]
            with _member_file(tar, member) as handle:
                if member.name == database_member:
                    _restore_database(
                        handle,
                        expected,
                        member.name,
                        engine=engine,
                        backend=backend,
                        database_url=database_url,
                        work=Path(work),
                    )
                elif member.name == LIBRARY_MEMBER:
                    _restore_library(handle, expected, library_path)
                elif not member.name.startswith(UPLOADS_PREFIX):
                    raise BackupError(f"{member.name} has no place in this instance")
                else:
                    relative = member.name[len(UPLOADS_PREFIX) :]
                    _restore_upload(handle, expected, member.name, upload_dir, relative)
                    files += 1
    return files


def _restore_database(
    handle: IO[bytes],
    expected: dict[str, Any],
    name: str,
    *,
    engine: Engine,
    backend: str,
    database_url: str,
    work: Path,
) -> None:
    if backend == "sqlite":
        target = _sqlite_path(database_url)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = _write_checked(handle, expected, name, target.parent)
        try:
            engine.dispose()  # no pooled connection may keep the old file open
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)  # never replayed onto the copy
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        fsync_folder(target.parent)
        return
    dump = _write_checked(handle, expected, name, work)
    with engine.begin() as connection:
        _drop_empty_schema(connection)
    url, env = _libpq(database_url)
    options = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    _run_tool("pg_restore", [*options, f"--dbname={url}", str(dump)], env)
    dump.unlink()


def _drop_empty_schema(connection: Connection) -> None:
    """Make room for the dump: drop the tables of a schema that holds no rows (an instance
    prepared by `init-db`), checking again inside this transaction that none has rows now."""
    used = _tables_with_rows(connection)
    if used:
        raise BackupError(
            f"the database received rows in {', '.join(used)} during the restore: "
            "stop the server first"
        )
    existing = MetaData()
    existing.reflect(bind=connection)
    existing.drop_all(bind=connection)


def _restore_library(handle: IO[bytes], expected: dict[str, Any], library_path: Path) -> None:
    data = handle.read()
    if hashlib.sha256(data).hexdigest() != expected["sha256"]:
        raise BackupError(f"{LIBRARY_MEMBER} changed since it was verified")
    library_path.parent.mkdir(parents=True, exist_ok=True)  # the lock file lives beside it
    with _library_lock(library_path):
        atomic_write(library_path, data)


def _restore_upload(
    handle: IO[bytes], expected: dict[str, Any], name: str, upload_dir: Path, relative: str
) -> None:
    target = upload_dir.joinpath(*PurePosixPath(relative).parts)
    root = upload_dir.resolve()
    if not target.resolve().is_relative_to(root):
        raise BackupError(f"{name} would be written outside {upload_dir}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_checked(handle, expected, name, target.parent)
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_checked(handle: IO[bytes], expected: dict[str, Any], name: str, folder: Path) -> Path:
    """Copy a member to a synced temporary file in `folder`, checking its hash on the way."""
    fd, tmp_name = tempfile.mkstemp(
        dir=folder, prefix=f".{PurePosixPath(name).name}.", suffix=".tmp"
    )
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != expected["sha256"]:
            raise BackupError(f"{name} changed since it was verified")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _count_rows(engine: Engine) -> tuple[int, int]:
    names = inspect(engine).get_table_names()
    with engine.connect() as connection:
        rows = sum(
            connection.execute(select(func.count()).select_from(table(n))).scalar_one()
            for n in names
        )
    return len(names), rows


# Shared helpers ----------------------------------------------------------------------------------


def _backend(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in DATABASE_MEMBERS:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def reason(exc: BaseException) -> str:
    """One line for the operator: what failed and on which file, without a traceback."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    if isinstance(exc, SQLAlchemyError):
        exc = getattr(exc, "orig", None) or exc
    if isinstance(exc, LockTimeout):
        return f"the template library stayed locked ({exc.lock_file}); try again"
    first = str(exc).strip().splitlines()
    return first[0] if first else type(exc).__name__


def _describe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"{database_url} is not a SQLite database file")
    return Path(database)


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL as libpq reads it (no `+psycopg`, no password) and the environment carrying the
    password, so it never appears on a command line that `ps` shows."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _pg_tool(name: str) -> str:
    """The newest installed PostgreSQL's tool (pg_dump must not be older than the server)."""

    def version(folder: Path) -> tuple[int, ...]:
        try:
            return tuple(int(part) for part in folder.parent.name.split("."))
        except ValueError:
            return (-1,)

    for folder in sorted(PG_BIN_ROOT.glob("*/bin"), key=version, reverse=True):
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(
        f"{name} not found: install the PostgreSQL client tools "
        "(Debian: postgresql-client), of the server's version or newer"
    )


def _run_tool(name: str, arguments: list[str], env: dict[str, str]) -> None:
    command = [_pg_tool(name), *arguments]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = result.stderr.strip() or result.stdout.strip() or "no message"
        raise BackupError(f"{name} failed (exit status {result.returncode}): {message}")
