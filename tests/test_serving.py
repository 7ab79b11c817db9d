"""Serving: the request id and the logs, the proxy headers, and the real servers.

The slow tests start gunicorn (several processes) and waitress (`python app.py`) as
subprocesses on a free port of 127.0.0.1, against the test's own database, library and upload
folder, and always stop them; others start several app processes at the same instant, to see
what they create at once (the template library, the development secret, the upload folder).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import pytest
from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from inspection import create_app, logging_setup, proxy
from inspection.config import ConfigError
from inspection.library import TemplateLibrary
from tests.builders import iter_items
from tests.factories import PASSWORD, ApiClient, make_user

ROOT = Path(__file__).resolve().parent.parent
GENERATED_ID = re.compile(r"[0-9a-f]{32}")
STARTUP_TIMEOUT_S = 30
REQUEST_TIMEOUT_S = 30


# The request id and the logs ------------------------------------------------------------------


def stdout_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_a_sane_request_id_is_echoed_and_on_the_access_line(logged_app, capsys):
    response = logged_app.test_client().get(
        "/api/v1/health", headers={"X-Request-ID": "tablet-07.a_1"}
    )
    assert response.headers["X-Request-ID"] == "tablet-07.a_1"
    access = [line for line in stdout_lines(capsys) if "inspection.access" in line]
    assert len(access) == 1, access
    assert re.search(
        r"INFO \[tablet-07\.a_1\] inspection\.access: GET /api/v1/health 200 [\d.]+ ms user=-$",
        access[0],
    ), access[0]


@pytest.mark.parametrize(
    "given", [None, "", "has space", "x" * 65, "semi;colon", "tab\tinside", "ý-tiếng-việt"]
)
def test_a_missing_or_unsafe_request_id_is_replaced(logged_app, capsys, given):
    headers = {} if given is None else {"X-Request-ID": given}
    response = logged_app.test_client().get("/api/v1/health", headers=headers)
    generated = response.headers["X-Request-ID"]
    assert GENERATED_ID.fullmatch(generated)
    assert f"[{generated}] inspection.access: GET /api/v1/health 200" in capsys.readouterr().out


def test_a_request_id_of_64_characters_is_kept(logged_app):
    given = "A" * 64
    response = logged_app.test_client().get("/api/v1/health", headers={"X-Request-ID": given})
    assert response.headers["X-Request-ID"] == given


def test_each_request_gets_its_own_id(logged_app):
    client = logged_app.test_client()
    ids = {client.get("/api/v1/health").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def test_records_logged_during_a_request_carry_its_id(logged_app, capsys, caplog):
    def note() -> None:
        logging.getLogger("tests.serving").warning("inside the request")

    logged_app.before_request(note)
    logged_app.test_client().get("/api/v1/health", headers={"X-Request-ID": "req-42"})
    logging.getLogger("tests.serving").warning("outside any request")

    inside, outside = [r for r in caplog.records if r.name == "tests.serving"]
    assert inside.request_id == "req-42"
    assert outside.request_id == "-"
    out = capsys.readouterr().out
    assert "WARNING [req-42] tests.serving: inside the request" in out
    assert "WARNING [-] tests.serving: outside any request" in out


def test_errors_get_an_id_and_an_access_line_too(logged_app, capsys):
    response = logged_app.test_client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    request_id = response.headers["X-Request-ID"]
    assert f"[{request_id}] inspection.access: GET /api/v1/no-such-thing 404" in (
        capsys.readouterr().out
    )


def test_a_crash_is_logged_with_the_id_the_500_carries(logged_app, capsys):
    def crash() -> None:
        raise RuntimeError("boom")

    logged_app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 as in production
    logged_app.before_request(crash)
    response = logged_app.test_client().get("/api/v1/health")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    out = capsys.readouterr().out
    assert f"ERROR [{request_id}] inspection: Exception on /api/v1/health [GET]" in out
    assert "RuntimeError: boom" in out
    assert f"[{request_id}] inspection.access: GET /api/v1/health 500" in out


def test_the_access_line_names_the_user_and_never_the_password_or_cookie(logged_app, capsys):
    user = make_user(logged_app, "insp-a", "inspector")
    api = ApiClient(logged_app, "insp-a")
    api.get("/api/v1/me", query_string={"token": "secret-in-query"})
    out = capsys.readouterr().out
    me_line = next(line for line in out.splitlines() if "GET /api/v1/me " in line)
    assert me_line.endswith(f"user={user.id}")
    assert "POST /api/v1/login 200" in out
    for secret in (PASSWORD, "session=", api.token, "secret-in-query"):
        assert secret not in out


def test_set_up_again_still_one_handler_and_one_access_line(app_config, logged_app, capsys):
    other = create_app(app_config)  # a second app in the same process
    logging_setup.init_app(other)
    logging_setup.init_app(logged_app)
    root = logging.getLogger()
    assert sum(isinstance(h, logging_setup.StdoutHandler) for h in root.handlers) == 1
    logged_app.test_client().get("/api/v1/health")
    assert sum("inspection.access" in line for line in stdout_lines(capsys)) == 1
    other.extensions["inspection.engine"].dispose()


def test_the_log_level_comes_from_configuration(app_config, root_logging, capsys):
    quiet = create_app({**app_config, "LOG_LEVEL": "WARNING"})
    logging_setup.init_app(quiet)
    assert logging.getLogger("inspection").level == logging.WARNING
    quiet.test_client().get("/api/v1/health")
    assert "inspection.access" not in capsys.readouterr().out
    quiet.extensions["inspection.engine"].dispose()


@pytest.mark.parametrize("value, level", [("debug", 10), ("WARNING", 30), (20, 20)])
def test_log_levels_by_name_or_number(value, level):
    bare = Flask("bare")
    bare.config["LOG_LEVEL"] = value
    assert logging_setup.log_level(bare) == level


def test_an_unknown_log_level_is_refused(monkeypatch):
    monkeypatch.setenv("INSPECTION_LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigError, match="INSPECTION_LOG_LEVEL='LOUD'"):
        logging_setup.log_level(Flask("bare"))  # read from the environment without a config


# Proxy headers ------------------------------------------------------------------------------------

FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Host": "kiemtra.example.vn",
}


def seen_by_app(app: Flask) -> list[tuple[str, str | None, str]]:
    """Record what each request looks like from inside the app."""
    seen: list[tuple[str, str | None, str]] = []
    app.before_request(lambda: seen.append((request.scheme, request.remote_addr, request.host)))
    return seen


@pytest.fixture
def proxied_app(app_config: dict) -> Iterator[Flask]:
    proxied = create_app({**app_config, "PROXY_FIX": 1})
    proxy.init_app(proxied)
    proxy.init_app(proxied)  # not wrapped twice
    yield proxied
    proxied.extensions["inspection.engine"].dispose()


def test_forwarded_headers_are_ignored_by_default(app):
    proxy.init_app(app)
    seen = seen_by_app(app)
    app.test_client().get("/api/v1/health", headers=FORWARDED)
    assert seen == [("http", "127.0.0.1", "localhost")]


def test_with_proxy_fix_the_app_sees_the_tablets_https_request(proxied_app):
    seen = seen_by_app(proxied_app)
    proxied_app.test_client().get("/api/v1/health", headers=FORWARDED)
    assert seen == [("https", "203.0.113.7", "kiemtra.example.vn")]
    assert not isinstance(proxied_app.wsgi_app.app, ProxyFix)


def test_behind_the_proxy_writes_need_a_referrer_of_the_public_origin(proxied_app):
    """Over HTTPS Flask-WTF also checks that the Referer is this host: the proxy must pass the
    public host on (nginx: Host and X-Forwarded-Host), and API clients must send a Referer."""
    make_user(proxied_app, "insp-a", "inspector")
    client = proxied_app.test_client()
    login = {"username": "insp-a", "password": PASSWORD}
    token = client.post("/api/v1/login", json=login, headers=FORWARDED).get_json()["csrf_token"]
    headers = {**FORWARDED, "X-CSRFToken": token}

    no_referrer = client.post("/api/v1/logout", headers=headers)
    assert (
        no_referrer.status_code == 400 and "referrer" in no_referrer.get_json()["error"]["message"]
    )
    foreign = client.post("/api/v1/logout", headers={**headers, "Referer": "https://evil.example/"})
    assert foreign.status_code == 400
    own = client.post(
        "/api/v1/logout", headers={**headers, "Referer": "https://kiemtra.example.vn/"}
    )
    assert own.status_code == 200


@pytest.mark.parametrize("value, hops", [(None, 0), (0, 0), (False, 0), (True, 1), ("2", 2)])
def test_proxy_fix_values(value, hops):
    assert proxy.proxy_hops(value) == hops


@pytest.mark.parametrize("value", ["yes", -1, 1.5])
def test_proxy_fix_nonsense_is_refused(value):
    with pytest.raises(ConfigError, match="INSPECTION_PROXY_FIX"):
        proxy.proxy_hops(value)


# Real servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(app_config: dict, **extra: str) -> dict[str, str]:
    """The environment of a server process: this test's database, library and folders, and
    no INSPECTION_* variable of the caller's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSPECTION_")}
    for key in ("SECRET_KEY", "INSTANCE_PATH", "DATABASE_URL", "LIBRARY_PATH", "FORMS_DIR"):
        env[f"INSPECTION_{key}"] = str(app_config[key])
    env["INSPECTION_UPLOAD_DIR"] = str(app_config["UPLOAD_DIR"])
    env["PYTHONUNBUFFERED"] = "1"
    return {**env, **extra}


def call(
    base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, Any]:
    """One HTTP request; returns (status, JSON body or text, headers), 4xx/5xx included."""
    data = None if body is None else json.dumps(body).encode()
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    req = urllib.request.Request(base + path, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT_S) as response:
            return response.status, _decode(response.read()), response.headers
    except HTTPError as error:
        with error:
            return error.code, _decode(error.read()), error.headers


def _decode(raw: bytes) -> Any:  # noqa: ANN401  (JSON or text)
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


class Session:
    """A user logged in through the JSON API of a running server: cookie and CSRF token."""

    def __init__(self, base: str, username: str):
        self.base = base
        status, body, headers = call(
            base, "POST", "/api/v1/login", {"username": username, "password": PASSWORD}
        )
        assert status == 200, body
        cookies = SimpleCookie()
        for value in headers.get_all("Set-Cookie"):
            cookies.load(value)
        self.headers = {
            "Cookie": f"session={cookies['session'].value}",
            "X-CSRFToken": body["csrf_token"],
        }

    def __call__(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, answer, _ = call(self.base, method, path, body, self.headers)
        return status, answer


def output(*logs: Path | None) -> str:
    return "".join(log.read_text() for log in logs if log is not None)


def wait_until_up(base: str, process: subprocess.Popen, *logs: Path | None) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{output(*logs)}")
        try:
            if call(base, "GET", "/api/v1/health")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the server did not answer within {STARTUP_TIMEOUT_S} s:\n{output(*logs)}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM (a graceful stop for both servers), then SIGKILL if it hangs."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def serving(
    command: list[str], env: dict[str, str], log: Path, base: str, errors: Path | None = None
) -> Iterator[subprocess.Popen]:
    """A server subprocess answering on `base`; stopped whatever happens, its output in `log`
    (its stderr too, unless `errors` names a file of its own)."""
    with (
        log.open("wb") as out,
        (errors or Path(os.devnull)).open("wb") as err,
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=err if errors else subprocess.STDOUT
        ) as process,
    ):
        try:
            wait_until_up(base, process, log, errors)
            yield process
            assert process.poll() is None, f"the server stopped:\n{output(log, errors)}"
        finally:
            stop(process)
    assert "Traceback" not in output(log, errors), output(log, errors)


def gunicorn_command(port: int, workers: int = 3, *options: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        "--no-control-socket",  # gunicorn 25+ would share ~/.gunicorn/gunicorn.ctl
        *options,
        "app:app",
    ]


def commune_yes_no_keys(app: Flask, count: int) -> list[str]:
    """Yes/no items of the commune template that are always shown (no `show_if`)."""
    template = app.extensions["inspection.library"].get("cchc-xa").document
    keys = [
        i["key"] for _, i in iter_items(template) if i["type"] == "yes_no" and "show_if" not in i
    ]
    assert len(keys) >= count
    return keys[:count]


def new_templates(app: Flask) -> list[dict[str, Any]]:
    """Two templates the library does not have yet, copies of the commune one."""
    base = app.extensions["inspection.library"].get("cchc-xa").document
    documents = []
    for key in ("song-song-a", "song-song-b"):
        document = copy.deepcopy(base)
        document.update(key=key, version=1, title=f"Mẫu thử nhiều tiến trình {key}")
        documents.append(document)
    return documents


def shipped_forms(forms_dir: str | Path) -> dict[tuple[str, int], dict[str, Any]]:
    """The templates of forms/, by (key, version)."""
    documents = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(Path(forms_dir).glob("*.json"))
    ]
    return {(d["key"], d["version"]): d for d in documents}


def library_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a library file as stored: a TemplateLibrary, keyed by (key, version), would
    hide a template stored twice."""
    return list(json.loads(path.read_text(encoding="utf-8"))["templates"].values())


def assert_library_holds(path: Path, expected: dict[tuple[str, int], dict[str, Any]]) -> None:
    """Exactly these templates, once each, readable, with their documents intact."""
    rows = library_rows(path)
    assert sorted((r["key"], r["version"]) for r in rows) == sorted(expected)
    for row in rows:
        assert row["document"] == expected[(row["key"], row["version"])]
    stored = TemplateLibrary(path).all()
    assert [(t.key, t.version) for t in stored] == sorted(expected)
    leftovers = [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == [], leftovers


def answered_by(access_log: Path, path: str) -> list[str]:
    """The pids of the gunicorn workers that answered GET `path` (access format `%(p)s …`)."""
    lines = access_log.read_text().splitlines() if access_log.exists() else []
    return [m[1] for line in lines if (m := re.fullmatch(rf"<(\d+)> GET {path} \d+", line))]


def from_every_worker(
    session: Session, path: str, access_log: Path, workers: int, server_log: Path
) -> list[Any]:
    """GET `path` in parallel until each of the `workers` processes has answered it at least
    once (per gunicorn's access log); returns every answer. The server answers as soon as one
    worker is up, and on a loaded machine the last one may still be importing the app: this
    keeps asking until STARTUP_TIMEOUT_S has passed, not for a fixed number of rounds."""
    answers: list[Any] = []
    give_up = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < give_up:
        answers += parallel([lambda: session("GET", path) for _ in range(12)], threads=6)
        deadline = time.monotonic() + 5  # a worker logs the access after sending the answer
        while len(answered_by(access_log, path)) < len(answers):
            assert time.monotonic() < deadline, access_log.read_text()
            time.sleep(0.05)
        if len(set(answered_by(access_log, path))) == workers:
            return answers
        time.sleep(0.2)
    pytest.fail(
        f"not every worker answered {path} within {STARTUP_TIMEOUT_S} s; "
        f"answered by {sorted(set(answered_by(access_log, path)))}:\n"
        f"{server_log.read_text()}"
    )


def parallel(calls: list[Callable[[], Any]], threads: int) -> list[Any]:
    """Run the calls from `threads` threads, the first ones released together; results in
    order."""
    go = threading.Event()

    def run(fn: Callable[[], Any]) -> Any:  # noqa: ANN401
        go.wait(timeout=REQUEST_TIMEOUT_S)
        return fn()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(run, fn) for fn in calls]
        go.set()
        return [f.result(timeout=2 * REQUEST_TIMEOUT_S) for f in futures]


@pytest.mark.slow
def test_gunicorn_workers_share_the_database_library_and_uploads(app, app_config, tmp_path, visit):
    make_user(app, "admin-a", "admin")
    keys = commune_yes_no_keys(app, 30)
    writes = [(keys[n % len(keys)], "yes" if n < len(keys) else "no") for n in range(60)]
    documents = new_templates(app)
    app.extensions["inspection.engine"].dispose()  # the servers own the database from here
    # Several workers start without these: they create the folders and fill the new library
    # from forms/ at the same time.
    uploads = tmp_path / "not-yet" / "uploads"
    library_path = tmp_path / "not-yet" / "instance" / "library.json"
    env = server_env({**app_config, "UPLOAD_DIR": str(uploads), "LIBRARY_PATH": str(library_path)})
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    access_log = tmp_path / "gunicorn-access.log"  # its `%(p)s` names the worker that answered
    command = gunicorn_command(
        port,
        3,
        "--access-logfile",
        str(access_log),
        "--access-logformat",
        "%(p)s %(m)s %(U)s %(s)s",
    )
    log = tmp_path / "gunicorn.log"
    shipped = shipped_forms(app_config["FORMS_DIR"])

    with serving(command, env, log, base):
        inspector, admin = Session(base, "insp-a"), Session(base, "admin-a")
        assert_library_holds(library_path, shipped)
        listings = from_every_worker(admin, "/api/v1/forms", access_log, 3, log)
        assert all(listing == listings[0] for listing in listings), listings
        status, body = listings[0]
        assert status == 200
        assert [(f["key"], f["version"]) for f in body["forms"]] == sorted(shipped)

        start = inspector("GET", f"/api/v1/visits/{visit.id}")[1]["revision"]
        statuses = parallel(
            [
                lambda key=key, value=value: inspector(
                    "PUT", f"/api/v1/visits/{visit.id}/answers/{key}", {"value": value}
                )[0]
                for key, value in writes
            ],
            threads=8,
        )
        assert statuses == [200] * len(writes), statuses
        current = inspector("GET", f"/api/v1/visits/{visit.id}")[1]
        assert current["revision"] == start + len(writes)
        score = inspector("GET", f"/api/v1/visits/{visit.id}/score")[1]
        assert score["answered"] == len(keys)

        imports = parallel(
            [lambda d=d: admin("POST", "/api/v1/forms", d)[0] for d in documents for _ in range(2)],
            threads=4,
        )
        assert sorted(imports[:2]) == [200, 201] and sorted(imports[2:]) == [200, 201], imports
        assert_library_holds(
            library_path, {**shipped, **{(d["key"], d["version"]): d for d in documents}}
        )
        for _ in range(6):  # whichever worker answers sees both
            listed = {f["key"] for f in admin("GET", "/api/v1/forms")[1]["forms"]}
            assert {"song-song-a", "song-song-b", "cchc-xa"} <= listed

    text = log.read_text()
    assert text.count("Booting worker") == 3 and "Worker failed to boot" not in text, text
    assert uploads.is_dir(), "create_app must create UPLOAD_DIR (mkdir parents, exist_ok)"


@pytest.mark.slow
def test_python_app_py_serves_with_waitress(app_config, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = server_env(
        app_config,
        INSPECTION_PORT=str(port),
        INSPECTION_THREADS="4",
        INSPECTION_TRUSTED_PROXY="127.0.0.1",
    )
    log = tmp_path / "waitress.log"
    with serving([sys.executable, "app.py"], env, log, base):
        status, body, _ = call(base, "GET", "/api/v1/health", headers=FORWARDED)
        assert (status, body) == (200, {"status": "ok", "db": "ok"})


ACCESS_LINE = (
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO \[%s\] inspection\.access: "
    r"GET /api/v1/health 200 [\d.]+ ms user=-"
)


@pytest.mark.slow
@pytest.mark.parametrize("server", ["waitress", "gunicorn"])
def test_a_real_server_writes_the_access_line_with_the_request_id_to_stdout(
    app_config, tmp_path, server
):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if server == "waitress":
        command, env = [sys.executable, "app.py"], server_env(app_config, INSPECTION_PORT=str(port))
    else:
        command, env = gunicorn_command(port, 2), server_env(app_config)
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with serving(command, env, stdout, base, errors=stderr):
        _, _, given = call(base, "GET", "/api/v1/health", headers={"X-Request-ID": "tablet-07.a_1"})
        _, _, generated = call(base, "GET", "/api/v1/health")
    assert given["X-Request-ID"] == "tablet-07.a_1"  # the response carries the id back
    new_id = generated["X-Request-ID"]
    assert GENERATED_ID.fullmatch(new_id)
    out = stdout.read_text()
    for request_id in ("tablet-07\\.a_1", new_id):
        lines = [line for line in out.splitlines() if re.search(rf"\[{request_id}\]", line)]
        assert len(lines) == 1, out
        assert re.fullmatch(ACCESS_LINE % request_id, lines[0]), lines[0]
    assert "inspection.access" not in stderr.read_text()


SECRET_KEY_FILE = re.compile(r"[0-9a-f]{64}")
# Run by several processes at once: import, say ready, wait for the common start, build the app.
START_TOGETHER = """
import hashlib, json, sys, time
from pathlib import Path
from inspection import create_app
ready, go = Path(sys.argv[1]), Path(sys.argv[2])
ready.touch()
while not go.exists():
    time.sleep(0.001)
app = create_app()
report, library = app.extensions["inspection.forms_report"], app.extensions["inspection.library"]
print("RESULT " + json.dumps({
    "secret": hashlib.sha256(app.secret_key.encode()).hexdigest(),
    "created": [name for name, result in report.loaded if result.created],
    "refused": report.refused,
    "forms": [[t.key, t.version, t.sha256] for t in library.all()],
}))
app.extensions["inspection.engine"].dispose()
"""


def start_together(
    script: str, count: int, gate: Path, env: dict[str, str], *args: str
) -> list[tuple[int, str, str]]:
    """Run `script` in `count` processes released at the same instant, once each has imported
    what it needs (its argv: its own ready file `ready-<n>`, the common start file, `args`);
    returns (exit status, stdout, stderr) of each."""
    gate.mkdir()
    ready = [gate / f"ready-{n}" for n in range(count)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(r), str(gate / "go"), *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for r in ready
    ]
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not all(r.exists() for r in ready):
            if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
                break  # the results below say why
            time.sleep(0.01)
        (gate / "go").touch()
        outputs = [p.communicate(timeout=2 * STARTUP_TIMEOUT_S) for p in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return [(p.returncode, out, err) for p, (out, err) in zip(processes, outputs, strict=True)]


@pytest.mark.slow
def test_app_processes_starting_together_fill_a_new_library_once(app_config, tmp_path):
    """Workers booting at once on a new instance: no library, no development secret, no upload
    folder yet. Each template of forms/ is stored by exactly one of them, all agree on one
    secret, and no temporary file is left."""
    fresh = tmp_path / "fresh"
    instance, uploads = fresh / "instance", fresh / "uploads" / "photos"
    env = server_env(
        {
            **app_config,
            "INSTANCE_PATH": str(instance),
            "LIBRARY_PATH": str(instance / "library.json"),
            "UPLOAD_DIR": str(uploads),
        },
        INSPECTION_LOG_LEVEL="WARNING",
    )
    del env["INSPECTION_SECRET_KEY"]  # development: the first process makes <instance>/secret_key
    runs = start_together(START_TOGETHER, 4, tmp_path / "gate", env)

    for returncode, _, err in runs:
        assert returncode == 0 and "Traceback" not in err, err
    results = [
        json.loads(line.removeprefix("RESULT "))
        for _, out, _ in runs
        for line in out.splitlines()
        if line.startswith("RESULT ")
    ]
    assert len(results) == 4, runs
    shipped = shipped_forms(app_config["FORMS_DIR"])
    files = sorted(p.name for p in Path(app_config["FORMS_DIR"]).glob("*.json"))
    assert sorted(name for r in results for name in r["created"]) == files  # once, in all
    assert all(r["refused"] == [] and r["forms"] == results[0]["forms"] for r in results)
    assert [(key, version) for key, version, _ in results[0]["forms"]] == sorted(shipped)
    assert_library_holds(instance / "library.json", shipped)

    secret = (instance / "secret_key").read_text()
    assert SECRET_KEY_FILE.fullmatch(secret)
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0
    assert {r["secret"] for r in results} == {hashlib.sha256(secret.encode()).hexdigest()}
    assert sorted(p.name for p in instance.iterdir()) == [
        "library.json",
        "library.json.lock",
        "secret_key",
    ]
    assert uploads.is_dir() and list(uploads.iterdir()) == []


# Run by several processes at once: write files into the upload folder with atomic_write, the
# helper the library writes with (a photo store does not exist yet).
WRITE_TOGETHER = """
import sys, time
from pathlib import Path
from inspection.library import atomic_write
ready, go, uploads = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
size, rounds = int(sys.argv[4]), int(sys.argv[5])
writer = int(ready.name.removeprefix("ready-"))
ready.touch()
while not go.exists():
    time.sleep(0.001)
for n in range(rounds):
    mark = bytes([1 + (writer * rounds + n) % 250])
    atomic_write(uploads / "1" / "shared" / "original.jpg", mark * size)
    atomic_write(uploads / "1" / str(writer) / f"{n}.jpg", mark * size)
"""


def whole(data: bytes, size: int) -> bool:
    """One writer's complete file: `size` bytes, all the same."""
    return len(data) == size and data.count(data[:1]) == size


@pytest.mark.slow
def test_processes_writing_into_the_upload_folder_at_once_leave_only_whole_files(
    app_config, tmp_path
):
    """atomic_write (temporary file, fsync, rename) from several processes into an upload
    folder none of them has created: a reader sees a file whole or not at all, never part of
    one, and no temporary file is left."""
    uploads, size, rounds, writers = tmp_path / "uploads", 256 * 1024, 10, 3
    env = server_env(app_config)
    shared = uploads / "1" / "shared" / "original.jpg"
    seen: list[bool] = []
    stop_reading = threading.Event()

    def read_while_writing() -> None:
        while not stop_reading.is_set():
            try:
                seen.append(whole(shared.read_bytes(), size))
            except FileNotFoundError:
                pass

    reader = threading.Thread(target=read_while_writing)
    reader.start()
    try:
        runs = start_together(
            WRITE_TOGETHER, writers, tmp_path / "gate", env, str(uploads), str(size), str(rounds)
        )
    finally:
        stop_reading.set()
        reader.join()
    for returncode, _, err in runs:
        assert returncode == 0, err
    assert seen and all(seen), f"{seen.count(False)} of {len(seen)} reads saw a partial file"
    assert whole(shared.read_bytes(), size)
    for writer in range(writers):
        files = sorted((uploads / "1" / str(writer)).iterdir())
        assert [f.name for f in files] == sorted(f"{n}.jpg" for n in range(rounds))
        assert all(whole(f.read_bytes(), size) for f in files)
    assert [p for p in uploads.rglob("*") if p.name.endswith(".tmp")] == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("INSPECTION_THREADS", "many", "INSPECTION_THREADS='many': must be a whole number"),
        ("INSPECTION_PORT", "80a", "INSPECTION_PORT='80a': must be a whole number"),
        ("INSPECTION_PORT", "70000", "INSPECTION_PORT=70000: must be between 1 and 65535"),
        ("INSPECTION_THREADS", "0", "INSPECTION_THREADS=0: must be between 1 and 256"),
        ("INSPECTION_URL_SCHEME", "ftp", "INSPECTION_URL_SCHEME='ftp': must be http or https"),
        ("INSPECTION_PROXY_FIX", "maybe", "INSPECTION_PROXY_FIX='maybe': give the number"),
        ("INSPECTION_ENV", "production", "INSPECTION_SECRET_KEY must be set"),
        ("INSPECTION_ENV", "prodution", "INSPECTION_ENV must be development or production"),
        ("INSPECTION_SECRET_KEY", "short", "must be at least 32 characters in production"),
    ],
)
def test_python_app_py_refuses_bad_settings_clearly(app_config, variable, value, message):
    env = server_env(app_config, **{variable: value})
    if value == "production":
        del env["INSPECTION_SECRET_KEY"]
    if variable == "INSPECTION_SECRET_KEY":
        env["INSPECTION_ENV"] = "production"
    done = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
