"""The logged-in visit page of the commune checklist, every item answered, and the lead's review
page of a submitted visit of the same checklist (with deficiencies, a warning and comments),
against /api/v1/health of the same app: throughput ratios measured in one run, and the bytes each
page moves.

The app is served by gunicorn (3 workers) on 127.0.0.1 and loaded with wrk (stress shape: no think
time, 16 connections, bounded by duration). A Lua script makes wrk count every response that is not
a 200 (wrk itself lets 3xx pass) or, for the page, lacks the logged-in checklist's marker; any such
response fails the bench. The page is also fetched without following redirects before and after
the load and must be the real checklist: 200, the inspector's page, every item present and answered.

Without wrk (`apt-get install -y wrk`; `make bench` installs it when run as root), or with
BENCH_CLIENT=python, a bounded Python client takes its place: several processes with keep-alive
connections. It shares the 2 cores with gunicorn and costs far more CPU per request than wrk, which
holds the health rate down more than the page's and so flatters the ratio; the output says so.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine  # noqa: E402

from inspection import create_app, migrate  # noqa: E402
from inspection.db import get_session  # noqa: E402
from inspection.models import Visit  # noqa: E402
from inspection.services import answers, findings, review, users, visit_photos  # noqa: E402
from inspection.storage import get_store  # noqa: E402
from tests.builders import iter_items  # noqa: E402
from tests.factories import (  # noqa: E402
    PASSWORD,
    make_plan,
    make_unit,
    make_user,
    make_visit,
    photo_bytes,
)
from tests.test_shipped_forms import best_answers  # noqa: E402

DURATION_S = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = 16
FALLBACK_PROCESSES = 4  # the Python client spreads its CONNECTIONS over this many processes
TARGET_RATIO = 0.2
TARGET_BYTES = 150 * 1024

# Counts, in every wrk thread, the responses that are not a 200 or whose body lacks one of the
# markers given after `--` (none for the health check); `done` prints the totals for `wrk_rps`.
WRK_SCRIPT = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  markers = args
  bad_status, missing_marker, first_bad = 0, 0, ""
end
function response(status, headers, body)
  if status ~= 200 then
    bad_status = bad_status + 1
    if first_bad == "" then first_bad = tostring(status) .. " " .. tostring(headers["Location"]) end
  else
    for _, marker in ipairs(markers) do
      if not string.find(body, marker, 1, true) then
        missing_marker = missing_marker + 1
        break
      end
    end
  end
end
function done(summary, latency, requests)
  local status, missing, first = 0, 0, ""
  for _, t in ipairs(threads) do
    status = status + t:get("bad_status")
    missing = missing + t:get("missing_marker")
    if first == "" then first = t:get("first_bad") end
  end
  io.write(string.format("bench non-200: %d; bench missing marker: %d; bench first bad: %s\n",
                         status, missing, first))
end
"""


@dataclass(frozen=True)
class Expected:
    """What the real, logged-in checklist page of the bench's visit must contain."""

    visit_id: int
    user_id: int
    item_keys: tuple[str, ...]  # every item of the template
    answered: tuple[str, ...]  # every item the bench answered
    review_id: int  # the submitted visit the lead reviews

    @property
    def path(self) -> str:
        return f"/visits/{self.visit_id}"

    @property
    def review_path(self) -> str:
        return f"/visits/{self.review_id}/review"

    @property
    def review_markers(self) -> tuple[str, ...]:
        """The lead's review of this visit, with the decisions the lead may make."""
        return f'action="/visits/{self.review_id}/approve"', 'class="card review-head"'

    @property
    def markers(self) -> tuple[str, ...]:
        """Cheap proof, on every loaded response, that it is this inspector's page of this visit
        (`data-user` is on the visit page only, and only for a logged-in user)."""
        return f'data-visit="{self.visit_id}"', f'data-user="{self.user_id}"'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(instance: Path) -> tuple[dict[str, str], Expected]:
    env = {
        "INSPECTION_INSTANCE_PATH": str(instance),
        "INSPECTION_SECRET_KEY": "bench-secret",
        "INSPECTION_DATABASE_URL": f"sqlite:///{instance / 'bench.db'}",
        "INSPECTION_LIBRARY_PATH": str(instance / "library.json"),
        "INSPECTION_UPLOAD_DIR": str(instance / "uploads"),
    }
    os.environ.update(env)
    schema = create_engine(env["INSPECTION_DATABASE_URL"])
    migrate.upgrade(schema)  # as `init-db` would, before the app is built
    schema.dispose()
    app = create_app()
    make_unit(app, code="ninh-xuan", name="UBND xã Ninh Xuân")
    lead = make_user(app, "lead-a", "lead")
    inspector = make_user(app, "insp-a", "inspector")
    plan = make_plan(app, lead)
    visit = make_visit(app, plan, ["insp-a"], unit_code="ninh-xuan")
    make_unit(app, code="ninh-da", name="UBND phường Ninh Đa")
    reviewed = make_visit(app, plan, ["insp-a"], unit_code="ninh-da")
    library = app.extensions["inspection.library"]
    with app.app_context():
        session = get_session()
        template = library.get("cchc-xa").document
        values = best_answers(template)
        values.update(
            {
                "so-tthc-niem-yet": 133,
                "kh-cchc-ngay": "2024-01-15",
                "ghi-chu-chung": "Đoàn làm việc buổi sáng",
                "co-ho-so-tre-han": "yes",
                "co-website": "yes",
            }
        )
        user = users.find_by_username(session, "insp-a")
        for target in (visit, reviewed):
            data = [
                answers.AnswerWrite.parse({"item_key": k, "value": v}) for k, v in values.items()
            ]
            outcome = answers.apply_batch(
                session, library, visit=session.get(Visit, target.id), user=user, data=data
            )
            assert outcome.result == answers.BatchResult.APPLIED, outcome.results
        keys = tuple(item["key"] for _, item in iter_items(template))
        _submitted_with_findings(session, library, session.get(Visit, reviewed.id), user)
    missing = sorted(set(keys) - set(values))
    assert not missing, f"the bench leaves items unanswered: {missing}"
    app.extensions["inspection.engine"].dispose()
    return env, Expected(visit.id, inspector.id, keys, tuple(values), reviewed.id)


def _submitted_with_findings(session, library, visit, user) -> None:
    """The reviewed visit as a lead finds it: three failed items with their deficiencies, the
    raised warning explained, a lead's comment, submitted."""
    failed = {"niem-yet-qr": "no", "tiet-kiem": "no", "the-cong-chuc": "no"}
    data = [answers.AnswerWrite.parse({"item_key": k, "value": v}) for k, v in failed.items()]
    answers.apply_batch(session, library, visit=visit, user=user, data=data)
    template = library.get(visit.plan.form_key, visit.plan.form_version).form
    for key in failed:
        item = template.by_key[key]
        write = findings.FindingWrite.parse(
            {"item_key": key, "text": item.deficiency, "remedy": item.remedy}
        )
        findings.create_finding(session, library, visit=visit, user=user, data=write)
    sheet = answers.visit_sheet(session, library, visit)
    for warning in sheet.warnings:
        explanation = review.ExplanationWrite.parse({"explanation": "Đã đối chiếu sổ theo dõi"})
        review.explain(
            session, library, visit=visit, user=user, check_key=warning.key, data=explanation
        )
    for item in template.items():  # photo: required, as the tablets uploaded them
        key = item.key
        for number in range(item.photos_needed):
            upload = visit_photos.PhotoUpload.parse(
                {"item_key": key, "client_id": str(uuid.uuid4())}
            )
            visit_photos.upload_photo(
                session,
                library,
                get_store(),
                visit=visit,
                user=user,
                data=upload,
                content=photo_bytes(hash((key, number)) % 1000),
                max_bytes=25 * 1024 * 1024,
                timezone="Asia/Ho_Chi_Minh",
            )
    try:
        review.submit(session, library, visit=visit, user=user)
    except review.Incomplete as exc:
        raise RuntimeError(f"the reviewed visit cannot be submitted: {exc.extra}") from None


def get(base: str, path: str, cookie: str) -> tuple[int, dict[str, str], bytes]:
    """One GET that does not follow redirects."""
    parts = urllib.request.urlparse(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def login(base: str, username: str = "insp-a") -> str:
    request = urllib.request.Request(
        f"{base}/api/v1/login",
        data=f'{{"username": "{username}", "password": "{PASSWORD}"}}'.encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        cookie = SimpleCookie(response.headers["Set-Cookie"])
    return f"session={cookie['session'].value}"


def wait_until_up(base: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/api/v1/health", timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def check_page(base: str, cookie: str, expected: Expected, when: str) -> bytes:
    """The visit page, not followed through any redirect, must be the inspector's real checklist."""
    status, headers, body = get(base, expected.path, cookie)
    where = f"{expected.path} {when} loading"
    if status != 200:
        raise RuntimeError(f"{where}: {status} (Location: {headers.get('Location')}), not 200")
    html = body.decode()
    problems = []
    for needle, what in (
        (expected.markers[0], "the visit"),
        (expected.markers[1], "the logged-in inspector"),
        ('action="/logout"', "the logout form"),
    ):
        if needle not in html:
            problems.append(f"{what} ({needle}) missing")
    absent = [k for k in expected.item_keys if f'id="item-{k}"' not in html]
    if absent:
        problems.append(f"{len(absent)} of {len(expected.item_keys)} items missing: {absent[:5]}")
    unanswered = [
        k
        for k in expected.answered
        if not re.search(rf'id="item-{re.escape(k)}"[^>]*\sdata-value="(?!null")[^"]', html)
    ]
    if unanswered:
        problems.append(f"{len(unanswered)} items shown unanswered: {unanswered[:5]}")
    if problems:
        raise RuntimeError(f"{where} is not the answered checklist: " + "; ".join(problems))
    return body


def check_review(base: str, cookie: str, expected: Expected, when: str) -> bytes:
    """The review page, not followed through any redirect, must be the lead's real review of the
    submitted visit: its decisions and every item."""
    status, headers, body = get(base, expected.review_path, cookie)
    where = f"{expected.review_path} {when} loading"
    if status != 200:
        raise RuntimeError(f"{where}: {status} (Location: {headers.get('Location')}), not 200")
    html = body.decode()
    problems = [f"{needle} missing" for needle in expected.review_markers if needle not in html]
    absent = [k for k in expected.item_keys if f'id="item-{k}"' not in html]
    if absent:
        problems.append(f"{len(absent)} of {len(expected.item_keys)} items missing: {absent[:5]}")
    if html.count('class="finding-text"') != 3:
        problems.append("the three deficiencies are not all shown")
    if problems:
        raise RuntimeError(f"{where} is not the lead's review: " + "; ".join(problems))
    return body


def check_health(base: str) -> None:
    status, _, body = get(base, "/api/v1/health", "")
    if status != 200 or b'"ok"' not in body:
        raise RuntimeError(f"/api/v1/health: {status} {body[:200]!r}")


def wrk_rps(url: str, cookie: str, markers: tuple[str, ...], script: Path) -> float:
    command = [
        "wrk",
        "-t2",
        f"-c{CONNECTIONS}",
        f"-d{DURATION_S}s",
        "-H",
        f"Cookie: {cookie}",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(
        [*command, "--", *markers], capture_output=True, text=True, check=True
    ).stdout
    counts = re.search(
        r"bench non-200: (\d+); bench missing marker: (\d+); bench first bad: (.*)", out
    )
    requests = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if counts is None or requests is None:
        raise RuntimeError(f"wrk's output not understood for {url}:\n{out}")
    failures = []
    if int(counts[1]):
        failures.append(f"{counts[1]} responses not 200 (first: {counts[3]})")
    if int(counts[2]):
        failures.append(f"{counts[2]} responses without {markers}")
    if errors and any(int(n) for n in errors.groups()):
        failures.append(errors[0])
    if int(requests[1]) == 0:
        failures.append("no request completed")
    if failures:
        raise RuntimeError(f"errors while loading {url}: " + "; ".join(failures) + f"\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def _python_worker(
    url: str, cookie: str, markers: tuple[str, ...], start: float, connections: int, results
) -> None:
    """One client process: `connections` keep-alive connections, a thread each, in the window."""
    parts = urllib.request.urlparse(url)
    deadline = start + DURATION_S
    counts = [0] * connections
    bad: list[str] = []
    needles = [m.encode() for m in markers]

    def run(n: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        while time.time() < start:
            time.sleep(0.001)
        try:
            while time.time() < deadline and not bad:
                conn.request("GET", parts.path, headers={"Cookie": cookie})
                response = conn.getresponse()
                body = response.read()
                if response.status != 200:
                    bad.append(f"{response.status} (Location: {response.getheader('Location')})")
                elif not all(n in body for n in needles):
                    bad.append(f"200 without {markers}")
                else:
                    counts[n] += 1
        except OSError as error:
            bad.append(repr(error))
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put((sum(counts), bad[:1]))


def python_rps(url: str, cookie: str, markers: tuple[str, ...], _script: Path) -> float:
    """A bounded stand-in for wrk: CONNECTIONS keep-alive connections over FALLBACK_PROCESSES
    processes (so the GIL does not hold the client to one core), all in one DURATION_S window."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start = time.time() + 0.5  # every process starts sending at once
    per = CONNECTIONS // FALLBACK_PROCESSES
    processes = [
        context.Process(target=_python_worker, args=(url, cookie, markers, start, per, results))
        for _ in range(FALLBACK_PROCESSES)
    ]
    for p in processes:
        p.start()
    outcomes = [results.get(timeout=DURATION_S + 30) for _ in processes]
    for p in processes:
        p.join(timeout=10)
    bad = [b for _, first in outcomes for b in first]
    if bad or any(p.exitcode != 0 for p in processes):
        raise RuntimeError(f"errors while loading {url}: {bad or 'a client process failed'}")
    return sum(n for n, _ in outcomes) / DURATION_S


def page_bytes(base: str, page: bytes, cookie: str) -> tuple[int, list[tuple[str, int]]]:
    parts = [("page", len(page))]
    for asset in dict.fromkeys(re.findall(r'(?:href|src)="(/static/[^"]+)"', page.decode())):
        status, _, body = get(base, asset, cookie)
        if status != 200:
            raise RuntimeError(f"{asset}: {status}, not 200")
        parts.append((asset, len(body)))
    return sum(size for _, size in parts), parts


@dataclass
class Measured:
    health_rps: float
    page_rps: float
    review_rps: float
    page_bytes: tuple[int, list[tuple[str, int]]]
    review_bytes: tuple[int, list[tuple[str, int]]]


def measure(env: dict[str, str], expected: Expected, load, script: Path) -> Measured:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-w",
            "3",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--no-control-socket",
            "app:app",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,  # the access log: one line per request, written but not shown
    )
    try:
        wait_until_up(base)
        cookie = login(base)
        lead = login(base, "lead-a")
        check_health(base)
        check_page(base, cookie, expected, "before")
        check_review(base, lead, expected, "before")
        page = base + expected.path
        review_page = base + expected.review_path
        health = f"{base}/api/v1/health"
        load(page, cookie, expected.markers, script)  # warm up every worker
        load(review_page, lead, expected.review_markers, script)
        # Interleaved, best of two rounds each: a shared machine's noise hits all alike.
        health_rps = page_rps = review_rps = 0.0
        for _ in range(2):
            health_rps = max(health_rps, load(health, cookie, (), script))
            page_rps = max(page_rps, load(page, cookie, expected.markers, script))
            review_rps = max(review_rps, load(review_page, lead, expected.review_markers, script))
        body = check_page(base, cookie, expected, "after")
        review_body = check_review(base, lead, expected, "after")
        sizes = page_bytes(base, body, cookie)
        review_sizes = page_bytes(base, review_body, lead)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return Measured(health_rps, page_rps, review_rps, sizes, review_sizes)


def main() -> None:
    forced = os.environ.get("BENCH_CLIENT") == "python"
    use_wrk = shutil.which("wrk") is not None and not forced
    load = wrk_rps if use_wrk else python_rps
    if use_wrk:
        print(f"load client: wrk, {CONNECTIONS} connections, {DURATION_S} s each, gunicorn -w 3")
    else:
        why = "BENCH_CLIENT=python" if forced else "wrk not installed: apt-get install -y wrk"
        print(
            f"load client: PYTHON FALLBACK ({why}), {CONNECTIONS} keep-alive connections in "
            f"{FALLBACK_PROCESSES} processes, {DURATION_S} s each, gunicorn -w 3\n"
            "  CAVEAT: this client shares the 2 cores with gunicorn and spends far more CPU per "
            "request than wrk;\n  it holds the health rate down more than the page's, so the "
            "ratio below reads HIGHER than wrk's would."
        )
    with tempfile.TemporaryDirectory() as tmp:
        env, expected = prepare(Path(tmp))
        script = Path(tmp) / "count.lua"
        script.write_text(WRK_SCRIPT)
        print(
            f"visit page {expected.path}: {len(expected.item_keys)} items, all answered; "
            "checked (200, no redirect, logged-in, every item) before and after loading"
        )
        # A miss: the checklist rendered for the request, as after a new answer revision (every
        # change to a visit gives it one); with the cache off every request is one.
        modes = (("cache hit", "64"), ("cache miss: rendered every request", "0"))
        for label, cache in modes:
            measured = measure({**env, "INSPECTION_PAGE_CACHE_SIZE": cache}, expected, load, script)
            for name, rps in (
                ("visit page", measured.page_rps),
                ("review page", measured.review_rps),
            ):
                ratio = rps / measured.health_rps
                if cache == "0":  # what a page costs after each change; reported, no target
                    verdict = "reported"
                else:
                    verdict = f"target ≥ {TARGET_RATIO}: " + (
                        "ok" if ratio >= TARGET_RATIO else "BELOW TARGET"
                    )
                print(
                    f"[{label}] health {measured.health_rps:6.0f} req/s, {name} {rps:6.0f} req/s, "
                    f"ratio {ratio:.3f} ({verdict})"
                    + ("" if use_wrk else " [python fallback: flattered]")
                )
    for title, (total, parts) in (
        ("visit page", measured.page_bytes),
        ("review page", measured.review_bytes),
    ):
        for name, size in parts:
            print(f"  {name:<40} {size / 1024:7.1f} KB")
        verdict = "ok" if total <= TARGET_BYTES else "ABOVE TARGET"
        print(
            f"{title} with its assets: {total / 1024:.1f} KB uncompressed "
            f"(target ≤ 150 KB: {verdict})"
        )


if __name__ == "__main__":
    main()
