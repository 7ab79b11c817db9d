"""Browser tests: real headless Chromium (Debian's) driving the app served from a thread.

One browser per test session; each test gets a fresh server, database and browser context. Every
request the page makes is recorded, and a test fails if any goes to a host other than 127.0.0.1.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from werkzeug.serving import make_server

from inspection import create_app
from tests.factories import make_plan, make_unit, make_user, make_visit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {"tablet-portrait": (768, 1024), "tablet-landscape": (1280, 800)}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: apt-get install -y chromium (make test does it as root)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        requests_finished()
        self.app.extensions["inspection.engine"].dispose()


def requests_finished(timeout: float = 5.0) -> None:
    """Until the requests still being answered (a tablet's last sync when its browser closed)
    are done: their database connections go back to the pool before it is closed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(
        t.is_alive() and t.name.endswith("(process_request_thread)") for t in threading.enumerate()
    ):
        time.sleep(0.05)


class RestartableServer:
    """The app served from a thread on a port that stays its own: stopped (the tablet's link,
    or the server, gone: every request fails, the service worker's too) and started again on
    the same address."""

    def __init__(self, app) -> None:
        self.app = app
        self.port = 0
        self.live: LiveServer | None = None
        self.start()
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = server.server_port
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.live = LiveServer.__new__(LiveServer)
        self.live.server, self.live.thread, self.live.app = server, thread, self.app

    def stop(self) -> None:
        if self.live is not None:
            self.live.server.shutdown()
            self.live.server.server_close()
            self.live.thread.join(timeout=5)
            self.live = None


@pytest.fixture
def restartable_server(live_app) -> Iterator[RestartableServer]:
    server = RestartableServer(live_app)
    yield server
    server.stop()
    requests_finished()
    live_app.extensions["inspection.engine"].dispose()


@pytest.fixture
def live_app(app_config) -> Iterator[Flask]:
    """The app on the test's own database (SQLite file or PostgreSQL), served from a thread (or
    only read by a test whose server is a process of its own): its connections closed after."""
    app = create_app(app_config)
    yield app
    app.extensions["inspection.engine"].dispose()


@pytest.fixture
def demo_visit(live_app):
    """A lead's plan with one visit assigned to inspector 'insp-a'."""
    make_unit(live_app, code="ninh-xuan", name="UBND xã Ninh Xuân")
    lead = make_user(live_app, "lead-a", "lead", full_name="Trần Văn Bình")
    make_user(live_app, "insp-a", "inspector", full_name="Lê Thị Hoa")
    plan = make_plan(live_app, lead)
    return make_visit(live_app, plan, ["insp-a"], unit_code="ninh-xuan")


class SlowAnswers:
    """Holds each answer write (a PUT, or a batch from the outbox) `delay` seconds before the
    app sees it: a slow link or a busy server, with the page free to go on meanwhile (the test
    server answers from threads)."""

    def __init__(self, app) -> None:
        self.delay = 0.0
        self.wsgi_app = app.wsgi_app
        app.wsgi_app = self

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        if (method == "PUT" and "/answers/" in path) or (
            method == "POST" and path.endswith("/answers")
        ):
            time.sleep(self.delay)
        return self.wsgi_app(environ, start_response)


@pytest.fixture
def slow_answers(live_app) -> SlowAnswers:
    return SlowAnswers(live_app)


@pytest.fixture
def server(live_app) -> Iterator[LiveServer]:
    with LiveServer(live_app) as live:
        yield live


# What the outbox (static/js/outbox.js) holds on this tablet: each entry's id, kind, item or check
# key, state, visit and user (an async function for page.evaluate).
OUTBOX = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open('inspection', 1);
    open.onupgradeneeded = () => {
        open.result.createObjectStore('outbox', {keyPath: 'id'}).createIndex('user', 'user');
    };
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
        const read = open.result.transaction('outbox').objectStore('outbox').getAll();
        read.onsuccess = () => {
            open.result.close();
            resolve(read.result.map(e => ({id: e.id, kind: e.kind, key: e.key || null,
                state: e.state || null, visit: String(e.visit), user: e.user})));
        };
    };
})"""


def outbox_holds(page: Page, count: int, timeout: float = 15.0) -> list[dict]:
    """Until this tablet's outbox holds `count` entries (drafts included); returns them."""
    deadline = time.monotonic() + timeout
    while True:
        entries = page.evaluate(OUTBOX)
        if len(entries) == count:
            return entries
        if time.monotonic() > deadline:
            raise AssertionError(f"the outbox holds {len(entries)}, not {count}: {entries}")
        page.wait_for_timeout(100)


def waiting_in_outbox(page: Page) -> list[dict]:
    """What this tablet's outbox holds to send (drafts aside)."""
    return [e for e in page.evaluate(OUTBOX) if e["kind"] != "draft"]


class RequestLog:
    def __init__(self) -> None:
        self.urls: list[str] = []

    def foreign(self) -> list[str]:
        return [
            u
            for u in self.urls
            if urlsplit(u).scheme in ("http", "https", "ws", "wss")
            and urlsplit(u).hostname != "127.0.0.1"
        ]


def open_context(
    browser: Browser,
    viewport: tuple[int, int],
    *,
    javascript: bool = True,
    log: RequestLog,
    service_workers: bool = False,
) -> BrowserContext:
    """A fresh profile. Without `service_workers` the pages run without the service worker (as
    on a plain-HTTP address), so that the tests routing the page's requests see them all; the
    offline tests turn it on."""
    width, height = viewport
    context = browser.new_context(
        viewport={"width": width, "height": height},
        java_script_enabled=javascript,
        has_touch=True,
        locale="vi-VN",
        service_workers="allow" if service_workers else "block",
    )
    context.on("request", lambda request: log.urls.append(request.url))
    return context


@pytest.fixture
def requests_log() -> Iterator[RequestLog]:
    log = RequestLog()
    yield log
    assert log.foreign() == [], "requests to other hosts"


def go_offline(context: BrowserContext, page: Page) -> None:
    """The tablet's link cut, and the page showing it before the test acts: a page still
    fetching something (an icon) may hear of it a moment later (a write made meanwhile is said
    to have failed rather than to wait for the link)."""
    context.set_offline(True)
    page.wait_for_function(
        "() => navigator.onLine === false && document.querySelector('.netbar:not([hidden])')"
    )


def login(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    # The click returns once the next page starts loading: wait for it whole, styles included.
    page.wait_for_url(lambda url: not url.endswith("/login"), wait_until="load")
