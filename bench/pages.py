"""The logged-in visit page of the commune checklist, every item answered, against /api/v1/health
of the same app: throughput ratio measured in one run, and the bytes the page moves.

The app is served by gunicorn (3 workers) on 127.0.0.1 and loaded with wrk (stress shape: no think
time, 16 connections, bounded by duration). Without wrk (`apt-get install -y wrk`), a bounded
Python client takes its place and says so.
"""

from __future__ import annotations

import http.client
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
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inspection import create_app  # noqa: E402
from inspection.db import create_schema, get_engine, get_session  # noqa: E402
from inspection.models import Visit  # noqa: E402
from inspection.services import answers, users  # noqa: E402
from tests.factories import PASSWORD, make_plan, make_unit, make_user, make_visit  # noqa: E402
from tests.test_shipped_forms import best_answers  # noqa: E402

DURATION_S = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = 16
TARGET_RATIO = 0.2
TARGET_BYTES = 150 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(instance: Path) -> tuple[dict[str, str], int]:
    env = {
        "INSPECTION_INSTANCE_PATH": str(instance),
        "INSPECTION_SECRET_KEY": "bench-secret",
        "INSPECTION_DATABASE_URL": f"sqlite:///{instance / 'bench.db'}",
        "INSPECTION_LIBRARY_PATH": str(instance / "library.json"),
    }
    os.environ.update(env)
    app = create_app()
    with app.app_context():
        create_schema(get_engine())
    make_unit(app, code="ninh-xuan", name="UBND xã Ninh Xuân")
    lead = make_user(app, "lead-a", "lead")
    make_user(app, "insp-a", "inspector")
    visit = make_visit(app, make_plan(app, lead), ["insp-a"], unit_code="ninh-xuan")
    with app.app_context():
        session = get_session()
        template = app.extensions["inspection.library"].get("cchc-xa").document
        values = best_answers(template)
        values.update({"so-tthc-niem-yet": 133, "kh-cchc-ngay": "2024-01-15",
                       "ghi-chu-chung": "Đoàn làm việc buổi sáng", "co-ho-so-tre-han": "yes",
                       "co-website": "yes"})  # fmt: skip
        entries = [answers.parse_entry({"item_key": k, "value": v}) for k, v in values.items()]
        outcome = answers.apply_batch(session, app.extensions["inspection.library"],
                                      visit=session.get(Visit, visit.id),
                                      user=users.find_by_username(session, "insp-a"),
                                      entries=entries)  # fmt: skip
        assert outcome.status == 200, outcome.results
    app.extensions["inspection.engine"].dispose()
    return env, visit.id


def login(base: str) -> str:
    request = urllib.request.Request(
        f"{base}/api/v1/login",
        data=f'{{"username": "insp-a", "password": "{PASSWORD}"}}'.encode(),
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


def wrk(url: str, cookie: str) -> float:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION_S}s", "-H", f"Cookie: {cookie}", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if re.search(r"Non-2xx or 3xx responses: \d+", out):
        raise RuntimeError(f"errors while loading {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def python_client(url: str, cookie: str) -> float:
    """A bounded stand-in for wrk: CONNECTIONS keep-alive connections for DURATION_S seconds."""
    parts = urllib.request.urlparse(url)
    deadline = time.monotonic() + DURATION_S
    counts = [0] * CONNECTIONS

    def run(n: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        while time.monotonic() < deadline:
            conn.request("GET", parts.path, headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{url}: {response.status}")
            counts[n] += 1

    threads = [threading.Thread(target=run, args=(n,)) for n in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / DURATION_S


def page_bytes(base: str, path: str, cookie: str) -> tuple[int, list[tuple[str, int]]]:
    def get(url: str) -> bytes:
        request = urllib.request.Request(url, headers={"Cookie": cookie})
        with urllib.request.urlopen(request) as response:
            return response.read()

    html = get(base + path)
    parts = [(path, len(html))]
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', html.decode()):
        parts.append((asset, len(get(base + asset))))
    return sum(size for _, size in parts), parts


def measure(env: dict[str, str], visit_id: int, load) -> tuple[float, float, int, list]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", "3", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "--no-control-socket", "app:app"],
        cwd=ROOT, env={**os.environ, **env},
        stdout=subprocess.DEVNULL,  # the access log: one line per request, written but not shown
    )  # fmt: skip
    try:
        wait_until_up(base)
        cookie = login(base)
        page = f"{base}/visits/{visit_id}"
        load(page, cookie)  # warm up every worker
        # Interleaved, best of two rounds each: a shared machine's noise hits both alike.
        health_rps = page_rps = 0.0
        for _ in range(2):
            health_rps = max(health_rps, load(f"{base}/api/v1/health", cookie))
            page_rps = max(page_rps, load(page, cookie))
        total, parts = page_bytes(base, f"/visits/{visit_id}", cookie)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return health_rps, page_rps, total, parts


def main() -> None:
    load = wrk if shutil.which("wrk") else python_client
    print(f"load client: {'wrk' if load is wrk else 'python (wrk not installed)'}, "
          f"{CONNECTIONS} connections, {DURATION_S} s each, gunicorn -w 3")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        env, visit_id = prepare(Path(tmp))
        for label, cache in (("rendered checklist cached", "64"), ("cache off", "0")):
            health_rps, page_rps, total, parts = measure(
                {**env, "INSPECTION_PAGE_CACHE_SIZE": cache}, visit_id, load
            )
            ratio = page_rps / health_rps
            verdict = "ok" if ratio >= TARGET_RATIO else "below target"
            print(f"[{label}] health {health_rps:6.0f} req/s, visit page {page_rps:6.0f} req/s, "
                  f"ratio {ratio:.3f} (target ≥ {TARGET_RATIO}: {verdict})")  # fmt: skip
    for name, size in parts:
        print(f"  {name:<40} {size / 1024:7.1f} KB")
    verdict = "ok" if total <= TARGET_BYTES else "ABOVE TARGET"
    print(f"page with its assets: {total / 1024:.1f} KB uncompressed (target ≤ 150 KB: {verdict})")


if __name__ == "__main__":
    main()
