"""The access log cannot be forged or broken by a request, and a request that failed inside the
database still leaves its line with its 500 (inspection/logging_setup.py)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from inspection import auth, logging_setup
from inspection.db import get_session
from inspection.models import Answer, User
from inspection.services import answers, plans
from tests.factories import ApiClient, user_named

FORGED = (
    "2026-01-01 00:00:00,000 INFO [forged] inspection.access: GET /admin/users 200 1.0 ms user=1"
)
LINE_START = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")


def access_lines(out: str, request_id: str | None = None) -> list[str]:
    lines = [line for line in out.splitlines() if " inspection.access: " in line]
    return [line for line in lines if request_id is None or f"[{request_id}]" in line]


def quoted(text: str) -> str:
    """`text` percent-encoded as a client puts it in a URL path."""
    return "".join(f"%{b:02X}" if b < 0x21 or b > 0x7E else chr(b) for b in text.encode())


# Escaping ------------------------------------------------------------------------------------


def test_a_path_with_cr_lf_cannot_add_a_line_to_the_log(logged_app, capsys):
    path = "/api/v1/health" + quoted("\r\n" + FORGED)
    response = logged_app.test_client().get(path)
    assert response.status_code == 404
    out = capsys.readouterr().out
    assert not [line for line in out.splitlines() if line.startswith(FORGED[:23])], out
    [line] = [line for line in out.splitlines() if "[forged]" in line]  # inside the real line
    request_id = response.headers["X-Request-ID"]
    assert line == access_lines(out, request_id)[0]
    assert "GET /api/v1/health\\r\\n2026-01-01\\x2000:00:00,000\\x20INFO\\x20[forged]" in line
    assert re.search(r"\\x20user=1 404 [\d.]+ ms user=-$", line), line  # its own status last


@pytest.mark.parametrize(
    ("char", "written"),
    [
        ("\x1b", "\\x1b"),
        ("\x00", "\\x00"),
        ("\t", "\\t"),
        ("\x07", "\\x07"),
        ("\x7f", "\\x7f"),
        ("\x85", "\\x85"),
        ("\x9b", "\\x9b"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
        (" ", "\\x20"),
    ],
    ids=["ESC", "NUL", "TAB", "BEL", "DEL", "NEL", "CSI", "LINE-SEP", "PARA-SEP", "space"],
)
def test_every_control_character_of_the_path_is_escaped(logged_app, capsys, char, written):
    response = logged_app.test_client().get("/no" + quoted(char + "[31mred"))
    [line] = access_lines(capsys.readouterr().out, response.headers["X-Request-ID"])
    method, path, status, *_ = line.partition(" inspection.access: ")[2].split(" ")
    assert (method, path, status) == ("GET", f"/no{written}[31mred", "404")
    assert char not in path


def test_the_method_is_escaped_and_headers_never_reach_the_log(logged_app, capsys):
    headers = {"HTTP_USER_AGENT": "tablet\r\n" + FORGED, "HTTP_REFERER": "http://x/\r\n" + FORGED}
    client = logged_app.test_client()
    response = client.open("/api/v1/health", method="GET\rX Y", environ_overrides=headers)
    out = capsys.readouterr().out
    [line] = access_lines(out, response.headers["X-Request-ID"])
    assert " inspection.access: GET\\rX\\x20Y /api/v1/health 405 " in line
    assert "[forged]" not in out and "tablet" not in out


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("a\r\nb", "a\\r\\nb"),
        ("x\ud800y", "x\\ud800y"),
        ("\udfff", "\\udfff"),
        ("\x1b[2J", "\\x1b[2J"),
        ("tiếng Việt, 50% đạt", "tiếng Việt, 50% đạt"),
    ],
)
def test_escape(text, written):
    assert logging_setup.escape(text) == written
    assert logging_setup.escape(text, spaces=True) == written.replace(" ", "\\x20")


def test_the_apps_records_are_one_line_and_a_traceback_keeps_its_lines(logged_app, capsys):
    def crash() -> None:
        raise RuntimeError("boom")

    logged_app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 as in production
    logged_app.before_request(crash)
    response = logged_app.test_client().get("/api/v1/health" + quoted("\r\n" + FORGED))
    assert response.status_code == 500
    logging.getLogger("inspection.tests").warning("unit %s", "x\x1b\nFORGED LINE")
    out = capsys.readouterr().out
    assert not [line for line in out.splitlines() if line.startswith(FORGED[:23])], out
    assert "Exception on /api/v1/health\\r\\n2026-01-01 00:00:00,000 INFO [forged]" in out
    assert "\nTraceback (most recent call last):\n" in out and "\nRuntimeError: boom" in out
    assert "WARNING [-] inspection.tests: unit x\\x1b\\nFORGED LINE\n" in out


def test_an_unpaired_surrogate_in_a_record_is_written_escaped():
    """Formatted directly: pytest's own log capture (and xdist's report of it) cannot carry an
    unencodable text, the app's handler must."""
    record = logging.LogRecord(
        "inspection.tests", logging.WARNING, __file__, 1, "unit %s", ("x\ud800\nFORGED LINE",), None
    )
    line = logging_setup.OneLineFormatter("%(message)s").format(record)
    assert line == "unit x\\ud800\\nFORGED LINE"
    line.encode("utf-8")


# A request that failed inside the database ----------------------------------------------------


@pytest.fixture
def database_stops(app: Flask) -> Iterator[Callable[[], None]]:
    """A switch: once called, every statement on the app's engine fails as on a database that
    stopped answering (a full disk, a lost connection)."""
    stopped: list[bool] = []

    def refuse(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:  # noqa: ANN401
        if stopped:
            raise OperationalError(statement, None, Exception("disk I/O error"))

    engine = app.extensions["inspection.engine"]
    event.listen(engine, "before_cursor_execute", refuse)
    yield lambda: stopped.append(True)
    event.remove(engine, "before_cursor_execute", refuse)


def failing_service(stop: Callable[[], None]) -> Callable[..., Any]:
    """A service that reads, then meets the stopped database and rolls back as the services do
    (which expires every loaded row: the logged-in user's attributes too)."""

    def service(*_args: Any, **_kwargs: Any) -> Any:  # noqa: ANN401
        session = get_session()
        session.exec(select(User.id)).all()
        stop()
        try:
            session.exec(select(Answer)).all()
        except BaseException:
            session.rollback()
            raise

    return service


@pytest.fixture
def inspector_visit(app, visit):
    return user_named(app, "insp-a"), visit


def test_an_api_write_that_failed_in_the_database_leaves_its_500_line(
    logged_app, capsys, monkeypatch, inspector_visit, database_stops
):
    inspector, visit = inspector_visit
    api = ApiClient(logged_app, "insp-a")
    logged_app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    monkeypatch.setattr(answers, "put_answer", failing_service(database_stops))
    response = api.put(f"/api/v1/visits/{visit.id}/answers/kh-cchc", json={"value": "yes"})
    assert response.status_code == 500 and response.is_json
    out = capsys.readouterr().out
    [line] = access_lines(out, response.headers["X-Request-ID"])
    assert re.search(
        rf"inspection\.access: PUT /api/v1/visits/{visit.id}/answers/kh-cchc 500 [\d.]+ ms "
        rf"user={inspector.id}$",
        line,
    ), line
    assert "OperationalError" in out  # Flask's own record of the error, with its traceback


def test_a_page_whose_error_page_failed_too_still_leaves_its_500_line(
    logged_app, capsys, monkeypatch, inspector_visit, database_stops
):
    """The 500 page reads the logged-in user (the menu), expired by the rollback, from the
    stopped database: rendering it fails as well, and the server answers the 500 itself."""
    inspector, _ = inspector_visit
    client = logged_app.test_client()
    client.post("/api/v1/login", json={"username": "insp-a", "password": "mat-khau-123"})
    logged_app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(plans, "visits_of_inspector", failing_service(database_stops))
    try:
        status = client.get("/", headers={"X-Request-ID": "home-1"}).status_code
    except OperationalError:
        status = 500  # what waitress, gunicorn and werkzeug answer when the app raised
    assert status == 500
    [line] = access_lines(capsys.readouterr().out, "home-1")
    assert re.search(rf"inspection\.access: GET / 500 [\d.]+ ms user={inspector.id}$", line), line


def test_an_error_raised_in_a_view_after_a_query_leaves_its_500_line(
    logged_app, capsys, monkeypatch
):
    """Also when the exception reaches the server (PROPAGATE_EXCEPTIONS, as in tests and debug)."""

    def boom() -> str:
        get_session().exec(select(User.id)).all()
        raise OperationalError(
            "UPDATE visits SET revision=?", None, Exception("database is locked")
        )

    monkeypatch.setitem(auth.ACCESS, "boom", auth.PUBLIC)
    logged_app.add_url_rule("/boom", "boom", boom)
    logged_app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(OperationalError):
        logged_app.test_client().get("/boom", headers={"X-Request-ID": "boom-1"})
    [line] = access_lines(capsys.readouterr().out, "boom-1")
    assert re.search(r"inspection\.access: GET /boom 500 [\d.]+ ms user=-$", line), line
