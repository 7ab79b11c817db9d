"""What durable commits cost: answer PUTs with SQLite's synchronous=FULL (what the app runs with:
an acknowledged answer survives a power cut) against NORMAL (what it ran with before; in WAL mode
NORMAL may roll back the last commits on power loss), measured in one run.

Workload: the commune checklist's visit, its two inspectors logged in through the JSON API, each
saving answers in turn as a tablet does (one PUT per answer, with a note and its own client_id),
cycling through the template's items. The app runs in this process (Flask's test client: no HTTP
server, no network), so the fsync of each commit weighs as much as it ever can: behind a real
server the ratio is closer to 1. Each mode is measured twice, interleaved with the other, and the
better round kept (a shared machine's noise hits both alike); every answer must be a 200, and at
the end the visit's revision must count every one.

The database is a file on the disk of the instance folder (BENCH_DIR to put it elsewhere): on a
tmpfs fsync costs nothing and the ratio would say nothing; the output names the file system.
"""

from __future__ import annotations

import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from inspection import create_app, db, migrate  # noqa: E402
from inspection.models import Visit  # noqa: E402
from tests.factories import (  # noqa: E402
    ApiClient,
    make_plan,
    make_unit,
    make_user,
    make_visit,
    new_client_id,
)
from tests.test_shipped_forms import best_answers  # noqa: E402

DURATION_S = float(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = 2
MODES = ("NORMAL", "FULL")  # the setting before, the setting now
PRAGMA_VALUES = {"NORMAL": 1, "FULL": 2}
NOTE = "Bộ phận một cửa niêm yết đủ thủ tục hành chính; còn thiếu quy trình nội bộ."


def file_system(path: Path) -> str:
    """The type of the file system holding `path` (Linux: from /proc/mounts), or "unknown"."""
    try:
        mounts = [line.split()[1:3] for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "unknown"
    resolved = str(path.resolve())
    best = max(
        (m for m in mounts if resolved == m[0] or resolved.startswith(m[0].rstrip("/") + "/")),
        key=lambda m: len(m[0]),
        default=None,
    )
    return f"{best[1]} (mounted on {best[0]})" if best else "unknown"


def main() -> None:
    base = Path(os.environ.get("BENCH_DIR") or ROOT / "instance")
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-durability-", dir=base) as tmp:
        instance = Path(tmp)
        url = f"sqlite:///{instance / 'bench.db'}"
        schema = create_engine(url)
        migrate.upgrade(schema)  # as `init-db` would, before the app is built
        schema.dispose()
        app = create_app(
            {
                "SECRET_KEY": "bench-secret",
                "INSTANCE_PATH": str(instance),
                "DATABASE_URL": url,
                "LIBRARY_PATH": str(instance / "library.json"),
                "UPLOAD_DIR": str(instance / "uploads"),
                "LOG_LEVEL": "WARNING",  # no access line per PUT on stdout
            }
        )
        make_unit(app)
        lead = make_user(app, "lead-a", "lead")
        make_user(app, "insp-a", "inspector")
        make_user(app, "insp-b", "inspector")
        visit = make_visit(app, make_plan(app, lead), ["insp-a", "insp-b"])
        tablets = [ApiClient(app, "insp-a"), ApiClient(app, "insp-b")]
        template = app.extensions["inspection.library"].get("cchc-xa").document
        writes = itertools.cycle(best_answers(template).items())
        turns = itertools.cycle(tablets)
        saved = 0

        def put_for(seconds: float) -> float:
            """PUT answers for `seconds`; answers per second."""
            nonlocal saved
            count, started = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - started) < seconds:
                key, value = next(writes)
                body = {
                    "value": value,
                    "note": f"{NOTE} ({saved + 1})",
                    "client_id": new_client_id(),
                }
                response = next(turns).put(f"/api/v1/visits/{visit.id}/answers/{key}", json=body)
                if response.status_code != 200:
                    raise RuntimeError(f"PUT {key}: {response.status_code} {response.get_json()}")
                count += 1
                saved += 1
            return count / elapsed

        def use(mode: str) -> None:
            old = app.extensions[db.ENGINE_KEY]
            app.extensions[db.ENGINE_KEY] = db.make_engine(url, synchronous=mode)
            old.dispose()
            with app.extensions[db.ENGINE_KEY].connect() as connection:
                read = connection.execute(text("PRAGMA synchronous")).scalar()
            if read != PRAGMA_VALUES[mode]:
                raise RuntimeError(f"synchronous={mode} asked, {read} in effect")

        print(f"database: {url.removeprefix('sqlite:///')} on {file_system(instance)}, WAL")
        print(
            f"workload: answer PUTs through the app in-process (Flask test client), 2 inspectors "
            f"in turn, {len(best_answers(template))} items with notes and client ids; "
            f"{DURATION_S:g} s a round, best of {ROUNDS} interleaved rounds"
        )
        for mode in MODES:  # warm up: templates, caches, the database file's first pages
            use(mode)
            put_for(min(1.0, DURATION_S))
        best = dict.fromkeys(MODES, 0.0)
        for _ in range(ROUNDS):
            for mode in MODES:
                use(mode)
                best[mode] = max(best[mode], put_for(DURATION_S))
        with app.app_context():
            revision = db.get_session().get(Visit, visit.id).revision
        if revision != saved:
            raise RuntimeError(f"{saved} answers saved but the visit's revision is {revision}")
        app.extensions[db.ENGINE_KEY].dispose()
    normal, full = best["NORMAL"], best["FULL"]
    print(f"synchronous=NORMAL (before): {normal:7.1f} answers/s  {1000 / normal:6.2f} ms each")
    print(f"synchronous=FULL   (now):    {full:7.1f} answers/s  {1000 / full:6.2f} ms each")
    print(
        f"  ratio FULL / NORMAL: {full / normal:.2f} "
        f"(FULL adds {1000 / full - 1000 / normal:.2f} ms to each saved answer; "
        f"{saved} answers saved, every one a 200)"
    )


if __name__ == "__main__":
    main()
