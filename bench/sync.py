"""How long the tablet's outbox takes to send what was kept offline once the link returns, against
the same payload posted straight to the API: 200 answers and 10 photos, both methods measured in
one run against the same server, and their ratio (target: the drain ≤ 2× the direct posts).

The app runs as it is served (waitress, `python app.py`, 4 threads) on a temp instance seeded
with the demo data (`seed-demo`); every run sends to 4 new visits of the commune checklist
(`cchc-xa`) of the demo plan, assigned to the demo inspector, so that nothing sent is a replay
of an earlier run: 50 answers each (the first 50 of the template's best answers, tests/builders.py)
and 10 photos spread over them, on the items that take photos. The photos are 10 different
1600×1200 Pillow JPEGs (quality 85, ~300 KB each), the same bytes for both methods, new client
ids each run.

- drain: what the tablet does. Headless Chromium (Debian's, through Playwright; service workers
  blocked, as on a plain-HTTP address) logged in through the login page, on one of the visits'
  checklist pages; the context goes offline, the 200 answer and 10 photo entries are put in the
  outbox (static/js/outbox.js, `inspectionOutbox.put`) as visit.js and camera.js put them, and
  the context goes online again. Timed in the page, from the window's "online" event (which
  starts the drain) to the outbox found empty after an "ok" event: one GET /api/v1/me, a POST
  of each visit's answers, a multipart POST of each photo, and the outbox's own bookkeeping in
  IndexedDB and the page's handling of its events.
- direct: the same requests from a Python client (http.client, one keep-alive connection, as the
  browser keeps one), logged in through the API as the same inspector: GET /api/v1/me for the
  CSRF token, each visit's 50 answers in one POST, then the 10 photos, one after the other.
  Timed end to end, the bodies built inside the timing as the outbox builds them.

Every run is checked: each answer batch 200 with every result ok, each photo 201 created with
its bytes' SHA-256, every outbox event "sending" or "ok", the browser's API requests exactly the
expected ones (one /me, one POST per visit's answers and per photo), and afterwards through the
API, per visit, exactly the answers and photos sent. A failure stops the bench (non-zero exit).

One warm-up of each method first (1 visit, 20 answers, 2 photos; not measured), then ROUNDS
rounds (BENCH_ROUNDS, default 3), each running both methods once, the order alternating; the
medians are compared. It reports and exits 0 whatever the ratio, like the other benchmarks. Each
median run's time is split into the time spent in its requests (the page's Resource Timing, the
client's own clock) and the rest: what the outbox adds around them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.client
import io
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402
from playwright.sync_api import BrowserContext, Page, Request, sync_playwright  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlmodel import select  # noqa: E402

from inspection import create_app, db, demo, migrate  # noqa: E402
from inspection.library import get_library  # noqa: E402
from inspection.models import Plan  # noqa: E402
from inspection.services import plans, users  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.builders import best_answers, iter_items  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
VISITS = 4  # per run
ANSWERS_PER_VISIT = 50  # 200 answers a run
PHOTOS = 10
PHOTO_SIZE = (1600, 1200)
PHOTO_QUALITY = 85
WARM_UP = (1, 20, 2)  # visits, answers per visit, photos
THREADS = 4
TARGET = 2.0  # the drain at most this many times the direct posts
INSPECTOR = "thanhvien1"  # a demo inspector
DRAIN_TIMEOUT_MS = 120_000
FIRST_DAY = dt.date(2024, 9, 2)  # the bench's visits, after the demo's own (June, July)

# Puts the entries in the outbox as the checklist page (visit.js `keep`) and the camera
# (camera.js `keep`) put them, each put awaited; returns how many entries the outbox holds.
FILL = """async ({answers, photos}) => {
    const box = window.inspectionOutbox;
    for (const a of answers) {
        await box.put({
            id: "answer/" + a.visit + "/" + box.user + "/" + a.key, kind: "answer",
            visit: String(a.visit), key: a.key,
            body: {item_key: a.key, value: a.value, client_id: box.uuid(),
                   answered_at: box.localTime(Date.now()), base_revision: 0},
        });
    }
    for (const p of photos) {
        const bytes = Uint8Array.from(atob(p.b64), c => c.charCodeAt(0));
        const blob = new Blob([bytes], {type: "image/jpeg"});
        const id = box.uuid();
        await box.put({
            id: "photo/" + id, kind: "photo", visit: String(p.visit), key: p.key, blob: blob,
            name: "photo.jpg",
            body: {item_key: p.key, client_id: id, taken_at: box.localTime(Date.now())},
        });
    }
    return (await box.list()).length;
}"""

# Installed before the link returns: `window.__bench.done` resolves with the "online" event's
# time and the time the outbox was found empty after an "ok" event (the entry is removed just
# after its event: the check waits for the next task), with the events counted and the API
# requests' Resource Timing; it rejects at the first event other than "sending" or "ok".
ARM = """(timeout) => {
    const box = window.inspectionOutbox;
    const bench = window.__bench = {events: {}, online: null};
    performance.clearResourceTimings();
    bench.done = new Promise((resolve, reject) => {
        let finished = false;
        const timer = setTimeout(() => {
            finished = true;
            reject(new Error("not drained in " + timeout + " ms: " + JSON.stringify(bench.events)));
        }, timeout);
        window.addEventListener("online", () => { bench.online = performance.now(); },
                                {capture: true});
        document.addEventListener("outbox", (event) => {
            const status = event.detail.status, entry = event.detail.entry;
            bench.events[status] = (bench.events[status] || 0) + 1;
            if (finished) return;
            if (status !== "ok" && status !== "sending") {
                finished = true;
                clearTimeout(timer);
                const data = JSON.stringify(event.detail.data);
                reject(new Error(entry.id + ": " + status + " " + data));
                return;
            }
            if (status !== "ok") return;
            setTimeout(() => box.list().then((left) => {
                if (left.length || finished) return;
                const empty = performance.now();
                finished = true;
                clearTimeout(timer);
                const requests = performance.getEntriesByType("resource")
                    .filter((e) => e.name.indexOf("/api/v1/") !== -1)
                    .map((e) => ({url: e.name, start: e.startTime, end: e.responseEnd}));
                resolve({online: bench.online, empty: empty, events: bench.events,
                         requests: requests});
            }, reject), 0);
        });
    });
}"""


@dataclass(frozen=True)
class Payload:
    """What one run sends: each visit's answers (item key → value) and the photos (visit, item
    key, index of the JPEG)."""

    answers: dict[int, dict[str, Any]]
    photos: list[tuple[int, str, int]]

    @property
    def visits(self) -> list[int]:
        return list(self.answers)

    @property
    def entries(self) -> int:
        return sum(len(a) for a in self.answers.values()) + len(self.photos)

    def expected_requests(self) -> list[str]:
        """The API requests sending it takes, sorted: the session check, one batch per visit,
        one upload per photo."""
        sent = ["GET /api/v1/me"]
        sent += [f"POST /api/v1/visits/{v}/answers" for v in self.visits]
        sent += [f"POST /api/v1/visits/{v}/photos" for v, _, _ in self.photos]
        return sorted(sent)


@dataclass
class Run:
    """One run's time and its requests' times (label, ms) in the order sent."""

    ms: float
    requests: list[tuple[str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class World:
    env: dict[str, str]
    values: dict[str, Any]  # the answers, in the template's order
    photo_items: list[str]  # the items that take photos
    groups: list[list[int]]  # fresh visits: one group per run, warm-ups first


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def photo(seed: int) -> bytes:
    """A 1600×1200 JPEG at quality 85 (~300 KB), different for every seed: a gradient, noise and
    a notice board whose boxes move with the seed."""
    width, height = PHOTO_SIZE
    noise = Image.effect_noise((width // 2, height // 2), 20 + seed).resize(PHOTO_SIZE)
    gradient = Image.linear_gradient("L").resize(PHOTO_SIZE)
    if seed % 2:
        gradient = gradient.transpose(Image.Transpose.ROTATE_90).resize(PHOTO_SIZE)
    scene = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_180)))
    draw = ImageDraw.Draw(scene)
    draw.rectangle((200 + seed * 10, 150, width - 200, height - 150), fill=(235, 235, 225))
    for row in range(16):
        y = 200 + row * 52
        for col in range(5):
            x = 260 + col * 220 + (seed * 37 + row * 11) % 60
            draw.rectangle((x, y, x + 150, y + 22), fill=(30, 30, 40))
    buffer = io.BytesIO()
    scene.save(buffer, "JPEG", quality=PHOTO_QUALITY)
    return buffer.getvalue()


def prepare(instance: Path, groups: list[int]) -> World:
    """A temp instance with the demo data and, for each size in `groups`, that many new visits
    of the demo plan assigned to INSPECTOR; the answers and photo items of its checklist."""
    env = {
        "INSPECTION_INSTANCE_PATH": str(instance),
        "INSPECTION_SECRET_KEY": "bench-secret",
        "INSPECTION_DATABASE_URL": f"sqlite:///{instance / 'bench.db'}",
        "INSPECTION_LIBRARY_PATH": str(instance / "library.json"),
        "INSPECTION_UPLOAD_DIR": str(instance / "uploads"),
    }
    os.environ.update(env)  # create_app reads its settings from the environment
    schema = create_engine(env["INSPECTION_DATABASE_URL"])
    migrate.upgrade(schema)  # as `init-db` would, before the app is built
    schema.dispose()
    app = create_app()
    with app.app_context():
        session = db.get_session()
        demo.seed_demo(session, get_library())  # as `flask seed-demo`
        plan = session.exec(select(Plan).where(Plan.number == demo.PLAN_NUMBER)).one()
        doc = plans.pinned_template(get_library(), plan).document
        lead = users.find_by_username(session, "truongdoan")
        if lead is None:
            raise RuntimeError("the demo lead is missing")
        made: list[list[int]] = []
        serial = 0
        for size in groups:
            group = []
            for _ in range(size):
                code, name, kind = demo.UNITS[serial % len(demo.UNITS)]
                data = plans.VisitCreate(
                    unit_code=code,
                    scheduled_on=FIRST_DAY + dt.timedelta(days=serial // len(demo.UNITS)),
                    inspectors=[INSPECTOR],
                    place=f"Trụ sở {name}",
                    participants=demo.participants(code, kind),
                )
                visit = plans.create_visit(session, lead=lead, plan=plan, data=data)
                group.append(int(visit.id or 0))
                serial += 1
            made.append(group)
        session.close()
    app.extensions["inspection.engine"].dispose()
    values = best_answers(doc)
    if len(values) < ANSWERS_PER_VISIT:
        raise RuntimeError(f"{doc['key']} has {len(values)} answerable items, not 50")
    photo_items = [item["key"] for _, item in iter_items(doc) if item.get("photo")]
    if not photo_items:
        raise RuntimeError(f"{doc['key']} has no item that takes photos")
    return World(env, values, photo_items, made)


def payload(world: World, visits: list[int], per_visit: int, photos: int) -> Payload:
    chosen = dict(list(world.values.items())[:per_visit])
    return Payload(
        answers={visit: dict(chosen) for visit in visits},
        photos=[
            (visits[n % len(visits)], world.photo_items[n % len(world.photo_items)], n)
            for n in range(photos)
        ],
    )


# The server and the direct client ---------------------------------------------------------------


def call(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn.request(method, path, body=body or None, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.headers, response.read()


def wait_until_up(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        if server.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the server exited with {server.returncode}:\n{tail}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            if call(conn, "GET", "/api/v1/health")[0] == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.1)
    raise RuntimeError("the server did not start")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=15)


def password() -> str:
    return next(secret for name, secret, *_ in demo.USERS if name == INSPECTOR)


def api_login(port: int) -> str:
    """The session cookie of an API login as INSPECTOR."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        credentials = json.dumps({"username": INSPECTOR, "password": password()}).encode()
        status, headers, body = call(
            conn, "POST", "/api/v1/login", credentials, {"Content-Type": "application/json"}
        )
    finally:
        conn.close()
    if status != 200:
        raise RuntimeError(f"login as {INSPECTOR}: {status} {body[:200]!r}")
    return f"session={SimpleCookie(headers['Set-Cookie'])['session'].value}"


def multipart(fields: dict[str, str], data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body of `fields` and `data` as the file `file`, as FormData sends."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
    )
    body = b"".join(parts) + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def direct_run(port: int, cookie: str, load: Payload, jpegs: list[bytes]) -> Run:
    """The payload posted straight to the API, the requests the outbox makes, one after the
    other on one keep-alive connection; each reply checked."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.connect()  # as the browser's connection, open before the link returns
    run = Run(0.0)

    def timed(label: str, method: str, path: str, body: bytes, headers: dict[str, str]) -> Any:
        started = time.perf_counter()
        status, _, answer = call(conn, method, path, body, {"Cookie": cookie, **headers})
        run.requests.append((label, (time.perf_counter() - started) * 1000))
        return status, json.loads(answer) if answer else {}

    try:
        started = time.perf_counter()
        status, me = timed("me", "GET", "/api/v1/me", b"", {})
        if status != 200:
            raise RuntimeError(f"GET /api/v1/me: {status} {me}")
        json_headers = {"X-CSRFToken": me["csrf_token"], "Content-Type": "application/json"}
        for visit, values in load.answers.items():
            batch = [
                {
                    "item_key": key,
                    "value": value,
                    "client_id": str(uuid.uuid4()),
                    "answered_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    "base_revision": 0,
                }
                for key, value in values.items()
            ]
            body = json.dumps({"answers": batch}).encode()
            path = f"/api/v1/visits/{visit}/answers"
            status, reply = timed("answers", "POST", path, body, json_headers)
            results = reply.get("results", [])
            if status != 200 or [r.get("status") for r in results] != ["ok"] * len(batch):
                raise RuntimeError(f"POST {path}: {status} {str(reply)[:300]}")
        for visit, key, index in load.photos:
            fields = {
                "item_key": key,
                "client_id": str(uuid.uuid4()),
                "taken_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            }
            body, content_type = multipart(fields, jpegs[index])
            path = f"/api/v1/visits/{visit}/photos"
            headers = {"X-CSRFToken": me["csrf_token"], "Content-Type": content_type}
            status, reply = timed("photos", "POST", path, body, headers)
            if status != 201 or reply.get("result") != "created":
                raise RuntimeError(f"POST {path}: {status}, not 201 created: {str(reply)[:300]}")
        run.ms = (time.perf_counter() - started) * 1000
    finally:
        conn.close()
    return run


def check_landed(port: int, cookie: str, load: Payload, jpegs: list[bytes], method: str) -> None:
    """Through the API: each visit has exactly the answers and the photos sent to it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for visit in load.visits:
            status, _, body = call(conn, "GET", f"/api/v1/visits/{visit}", b"", {"Cookie": cookie})
            if status != 200:
                raise RuntimeError(f"{method}: GET /api/v1/visits/{visit}: {status}")
            data = json.loads(body)
            stored = {a["item_key"]: a["value"] for a in data["answers"]}
            if len(data["answers"]) != len(stored) or stored != load.answers[visit]:
                raise RuntimeError(
                    f"{method}: visit {visit} holds {len(data['answers'])} answers, not exactly "
                    f"the {len(load.answers[visit])} sent"
                )
            sent = sorted(
                (hashlib.sha256(jpegs[index]).hexdigest(), key)
                for owner, key, index in load.photos
                if owner == visit
            )
            found = sorted((p["sha256"], ",".join(p["item_keys"])) for p in data["photos"])
            if found != sent:
                raise RuntimeError(
                    f"{method}: visit {visit} holds {len(found)} photos, not exactly the "
                    f"{len(sent)} sent: {found}"
                )
    finally:
        conn.close()


# The browser's drain ----------------------------------------------------------------------------


def log_in_page(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", INSPECTOR)
    page.fill("input[name=password]", password())
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"), wait_until="load")


def drain_run(context: BrowserContext, base: str, load: Payload, jpegs64: list[str]) -> Run:
    """The payload put in the outbox offline, then the link back: timed from the "online" event
    to the outbox found empty; its events and the browser's API requests checked."""
    page = context.new_page()
    sent: list[str] = []

    def seen(request: Request) -> None:
        path = urlsplit(request.url).path
        if path.startswith("/api/"):
            sent.append(f"{request.method} {path}")

    try:
        page.goto(f"{base}/visits/{load.visits[0]}")
        page.wait_for_selector(".visit.js")
        held = page.evaluate("() => window.inspectionOutbox.list().then((l) => l.length)")
        if held:
            raise RuntimeError(f"drain: the outbox holds {held} entries before the run")
        context.set_offline(True)
        page.wait_for_function("() => navigator.onLine === false")
        entries = {
            "answers": [
                {"visit": visit, "key": key, "value": value}
                for visit, values in load.answers.items()
                for key, value in values.items()
            ],
            "photos": [
                {"visit": visit, "key": key, "b64": jpegs64[index]}
                for visit, key, index in load.photos
            ],
        }
        held = page.evaluate(FILL, entries)
        if held != load.entries:
            raise RuntimeError(f"drain: the outbox holds {held} entries, not {load.entries}")
        page.evaluate(ARM, DRAIN_TIMEOUT_MS)
        page.on("request", seen)
        context.set_offline(False)
        outcome = page.evaluate("() => window.__bench.done")
    finally:
        context.set_offline(False)
        page.close()
    if outcome["online"] is None:
        raise RuntimeError("drain: no online event")
    events = outcome["events"]
    if events.get("ok") != load.entries or events.get("sending") != load.entries:
        raise RuntimeError(f"drain: events {events}, not {load.entries} sending and ok")
    if sorted(sent) != load.expected_requests():
        raise RuntimeError(f"drain: the browser's API requests were {sorted(sent)}")
    run = Run(outcome["empty"] - outcome["online"])
    for timing in sorted(outcome["requests"], key=lambda r: r["start"]):
        path = urlsplit(timing["url"]).path
        label = path.rsplit("/", 1)[-1]
        run.requests.append((label, timing["end"] - timing["start"]))
    return run


# The report -------------------------------------------------------------------------------------


def breakdown(run: Run) -> str:
    """A run's time in its requests, by kind, and outside them."""
    by_kind: dict[str, list[float]] = {}
    for label, ms in run.requests:
        by_kind.setdefault(label, []).append(ms)
    inside = sum(ms for _, ms in run.requests)
    kinds = ", ".join(
        f"{label} {len(times)}× {sum(times):.0f} ms" for label, times in by_kind.items()
    )
    outside = run.ms - inside
    return f"in {len(run.requests)} requests {inside:.0f} ms ({kinds}); outside {outside:.0f} ms"


def median_run(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.ms)[len(runs) // 2]


def main() -> None:
    jpegs = [photo(seed) for seed in range(PHOTOS)]
    jpegs64 = [base64.b64encode(data).decode() for data in jpegs]
    total_kb = sum(len(data) for data in jpegs) / 1024
    visits_w, answers_w, photos_w = WARM_UP
    sizes = [visits_w, visits_w] + [VISITS] * (2 * ROUNDS)
    drains: list[Run] = []
    directs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp:
        world = prepare(Path(tmp), sizes)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "server.log"
        env = {**os.environ, **world.env, "INSPECTION_PORT": str(port)}
        env["INSPECTION_THREADS"] = str(THREADS)
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            wait_until_up(port, server, log)
            cookie = api_login(port)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    context = browser.new_context(
                        viewport={"width": 768, "height": 1024}, service_workers="block"
                    )
                    first = context.new_page()
                    log_in_page(first, base)
                    first.close()
                    groups = iter(world.groups)
                    # Warm-ups: the server's first requests, the page's scripts, the photo code.
                    load = payload(world, next(groups), answers_w, photos_w)
                    drain_run(context, base, load, jpegs64)
                    check_landed(port, cookie, load, jpegs, "drain (warm-up)")
                    load = payload(world, next(groups), answers_w, photos_w)
                    direct_run(port, cookie, load, jpegs)
                    check_landed(port, cookie, load, jpegs, "direct (warm-up)")
                    for number in range(ROUNDS):
                        loads = {
                            name: payload(world, next(groups), ANSWERS_PER_VISIT, PHOTOS)
                            for name in ("drain", "direct")
                        }
                        order = ["drain", "direct"] if number % 2 == 0 else ["direct", "drain"]
                        for name in order:
                            load = loads[name]
                            if name == "drain":
                                drains.append(drain_run(context, base, load, jpegs64))
                            else:
                                directs.append(direct_run(port, cookie, load, jpegs))
                            check_landed(port, cookie, load, jpegs, name)
                    context.close()
                finally:
                    browser.close()
        finally:
            stop(server)
    answers = VISITS * ANSWERS_PER_VISIT
    print(
        f"payload: {answers} answers in {VISITS} batches of {ANSWERS_PER_VISIT} (4 new visits of "
        f"the commune checklist each run), {PHOTOS} photos {PHOTO_SIZE[0]}×{PHOTO_SIZE[1]} JPEG "
        f"q{PHOTO_QUALITY}, {total_kb:.0f} KB in all"
    )
    print(
        f"server: waitress (python app.py, {THREADS} threads), SQLite; {ROUNDS} rounds of both "
        "methods (+1 warm-up each), the order alternating; every run landed exactly once"
    )
    drain_ms = statistics.median(r.ms for r in drains)
    direct_ms = statistics.median(r.ms for r in directs)
    for label, runs, median in (
        ("drain (Chromium outbox, online → empty)", drains, drain_ms),
        ("direct (Python client, same requests)", directs, direct_ms),
    ):
        each = ", ".join(f"{r.ms:.0f}" for r in runs)
        print(f"  {label:<42} median {median:7.1f} ms  (runs: {each})")
        print(f"    median run: {breakdown(median_run(runs))}")
    ratio = drain_ms / direct_ms
    verdict = "ok" if ratio <= TARGET else "ABOVE TARGET"
    print(f"  drain / direct: {ratio:.2f}× (target ≤ {TARGET:g}×: {verdict})")


if __name__ == "__main__":
    main()
