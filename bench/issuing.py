"""What issuing a conclusion notice costs the others: an inspector's answer saved while the lead
issues a notice, against the same save with nothing else going on, measured in one run, with the
notice rendered under the write lock (what the app did before: RENDER_AHEAD_TRIES = 1) and
rendered before taking it (now).

Workload: the commune checklist; each round the lead issues the notice of another approved visit
(two deficiencies, every item answered) while an inspector, on a visit of their own, saves one
answer as soon as the rendering has started (the save waits for nothing but the database). The
app runs in this process (Flask's test client, two threads), on a SQLite file in WAL mode, whose
write lock is the whole database's: a save waits as long as an issuing transaction holds it.
Medians of ROUNDS rounds per way (BENCH_ROUNDS, default 5), the two ways interleaved; every
notice must be a 201 and every save a 200. In one process the save also waits for Python's
interpreter lock while the notice renders (WeasyPrint's layout is Python): behind a server with
several processes, "now" is closer to "alone".
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine  # noqa: E402

from inspection import create_app, db, migrate  # noqa: E402
from inspection.services import notices  # noqa: E402
from tests.factories import (  # noqa: E402
    ApiClient,
    make_plan,
    make_unit,
    make_user,
    make_visit,
    new_client_id,
)
from tests.notice_helpers import approved_visit, set_agency  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
WAYS = {"rendered under the lock (before)": 1, "rendered ahead (now)": notices.RENDER_AHEAD_TRIES}
ITEM = "kh-cchc"  # a yes/no item of the commune checklist


def main() -> None:
    base = ROOT / "instance"
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-issuing-", dir=base) as tmp:
        instance = Path(tmp)
        url = f"sqlite:///{instance / 'bench.db'}"
        schema = create_engine(url)
        migrate.upgrade(schema)
        schema.dispose()
        app = create_app(
            {
                "SECRET_KEY": "bench-secret",
                "INSTANCE_PATH": str(instance),
                "DATABASE_URL": url,
                "LIBRARY_PATH": str(instance / "library.json"),
                "UPLOAD_DIR": str(instance / "uploads"),
                "LOG_LEVEL": "WARNING",
            }
        )
        set_agency(app)
        lead = make_user(app, "lead-a", "lead")
        make_user(app, "insp-a", "inspector")
        make_user(app, "insp-b", "inspector")
        plan = make_plan(app, lead)
        visits = []
        for n in range(2 * ROUNDS + 1):  # one to warm up
            code = f"xa-{n}"
            make_unit(app, code=code, name=f"UBND xã {n}")
            visits.append(make_visit(app, plan, ["insp-a"], unit_code=code))
        make_unit(app, code="xa-b", name="UBND xã B")
        own = make_visit(app, plan, ["insp-b"], unit_code="xa-b")
        leads = [approved_visit(app, v) for v in visits]
        tablet = ApiClient(app, "insp-b")
        saves = 0

        def save() -> float:
            """One answer saved on the inspector's own visit; milliseconds."""
            nonlocal saves
            saves += 1
            body = {"value": "yes" if saves % 2 else "no", "client_id": new_client_id()}
            started = time.perf_counter()
            response = tablet.put(f"/api/v1/visits/{own.id}/answers/{ITEM}", json=body)
            took = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"save: {response.status_code} {response.get_json()}")
            return took

        real_render = notices.render_files
        rendering = threading.Event()

        def render_files(*args, **kwargs):
            rendering.set()
            return real_render(*args, **kwargs)

        notices.render_files = render_files  # type: ignore[assignment]

        def issue_with_save(n: int, tries: int) -> tuple[float, float]:
            """The n-th visit's notice issued, one save made once its rendering has started:
            the save's and the issuing's milliseconds."""
            notices.RENDER_AHEAD_TRIES = tries
            rendering.clear()
            result: dict[str, object] = {}

            def issue() -> None:
                started = time.perf_counter()
                response = leads[n].post(f"/api/v1/visits/{visits[n].id}/notice", json={})
                result["ms"] = (time.perf_counter() - started) * 1000
                result["status"] = response.status_code

            thread = threading.Thread(target=issue)
            thread.start()
            if not rendering.wait(60):
                raise RuntimeError("the notice never started rendering")
            waited = save()
            thread.join()
            if result.get("status") != 201:
                raise RuntimeError(f"notice of visit {visits[n].id}: {result.get('status')}")
            return waited, float(result["ms"])  # type: ignore[arg-type]

        issue_with_save(0, notices.RENDER_AHEAD_TRIES)  # warm up: fonts, templates
        alone = [save() for _ in range(20)]
        during: dict[str, list[float]] = {way: [] for way in WAYS}
        issuing: dict[str, list[float]] = {way: [] for way in WAYS}
        n = 1
        for round_ in range(ROUNDS):
            order = list(WAYS) if round_ % 2 == 0 else list(reversed(WAYS))
            for way in order:
                waited, took = issue_with_save(n, WAYS[way])
                during[way].append(waited)
                issuing[way].append(took)
                n += 1
        notices.render_files = real_render  # type: ignore[assignment]
        app.extensions[db.ENGINE_KEY].dispose()

    quiet = statistics.median(alone)
    print(
        f"workload: SQLite (WAL) in-process, the commune checklist; {ROUNDS} notices issued per "
        f"way (2 deficiencies each), one answer saved during each rendering; medians"
    )
    print(f"an answer saved with nothing else going on: {quiet:8.1f} ms")
    for way in WAYS:
        waited, took = statistics.median(during[way]), statistics.median(issuing[way])
        print(
            f"saved while a notice is issued, {way:<33} {waited:8.1f} ms "
            f"= {waited / quiet:6.1f}× alone (the issuing took {took:.0f} ms)"
        )


if __name__ == "__main__":
    main()
