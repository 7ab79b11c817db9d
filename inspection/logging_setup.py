"""Logs to stdout, one access line per request, and a request id that ties them together.

Servers and supervisors (systemd/journald, Docker, Windows services) collect stdout, so the
application writes there and leaves files and rotation to them. Every record carries the id of
the request it was emitted in: the `X-Request-ID` a reverse proxy sent (nginx's `$request_id`),
or one generated here, echoed back in the response so a report from a tablet can be found in the
logs. Request bodies, cookies and query strings are never logged: they can hold passwords,
session cookies and tokens.

One record is one line, whatever a request sends: the parts of an access line that come from the
request (method, path) have their control characters (CR, LF, ESC, every other C0 and C1
character, the Unicode line separators) and unpaired surrogates written as backslash escapes, and
their spaces too, so that a path cannot add a line or fake a status or a user. The app's own
records (Flask's "Exception on <path>" among them) get the same escaping of their message; a
traceback keeps its lines.

The access line is written when the request is torn down, so every request leaves one: also one
whose error handling failed in turn (a database that stopped answering also fails the error
page), when the server answers the 500 itself.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import sys
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler
from sqlalchemy import inspect as orm_state

from inspection.config import ConfigError

REQUEST_ID_HEADER = "X-Request-ID"
FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
# Only short, plain tokens are taken from the client: anything else could forge log lines.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
APP_LOGGER = "inspection"  # the package, and Flask's app.logger (named after it)
ACCESS_LOGGER = "inspection.access"
EXTENSION_KEY = "inspection.logging"
# C0 and C1 control characters (CR, LF, TAB, ESC, NUL, DEL, NEL …), the line and paragraph
# separators that some viewers and `str.splitlines` break lines at, and unpaired surrogates.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
UNSAFE_OR_SPACE = re.compile("[\x00-\x20\x7f-\x9f\u2028\u2029\ud800-\udfff]")
SHORT_ESCAPES = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}


def escape(text: str, *, spaces: bool = False) -> str:
    """`text` safe on one log line: unsafe characters written as `\\r`, `\\n`, `\\t`, `\\x1b`,
    `\\u2028`, `\\ud800` …; with `spaces`, spaces as `\\x20` too (one field of a line)."""
    return (UNSAFE_OR_SPACE if spaces else UNSAFE).sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return SHORT_ESCAPES.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def is_app_record(record: logging.LogRecord) -> bool:
    return record.name == APP_LOGGER or record.name.startswith(APP_LOGGER + ".")


class OneLineFormatter(logging.Formatter):
    """Escapes the message of the app's own records (see `escape`); a traceback after it keeps
    its lines, and the libraries' records are written as they are."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802  (logging's name)
        if is_app_record(record) and UNSAFE.search(record.message):
            record = copy.copy(record)  # other handlers see the record as it was logged
            record.message = escape(record.message)
        return super().formatMessage(record)


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id`: the current request's id, or "-" outside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class StdoutHandler(logging.StreamHandler):
    """A handler writing to whatever `sys.stdout` is at the time of each record.

    Binding the stream once would keep writing to a replaced stream (a test runner's capture, a
    service wrapper's redirect) after it is closed; `logging.lastResort` does the same for stderr.
    """

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> Any:  # noqa: ANN401  (a text stream)
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:  # noqa: ANN401
        """StreamHandler assigns its stream in __init__ and setStream; the property wins."""


def init_app(app: Flask) -> None:
    """Send logs to stdout and give each request an id. Safe to call again, for the same app
    or another app in the same process (the handler is installed once per process, the request
    hooks once per app)."""
    install_handler(log_level(app))
    # Flask puts a stderr handler on the app's logger if it is used before any handler exists;
    # with ours on the root logger it would print every app record twice.
    logging.getLogger(app.name).removeHandler(default_handler)
    if app.extensions.get(EXTENSION_KEY):
        return
    app.extensions[EXTENSION_KEY] = True
    # First before any other hook and last after them all, whatever order the steps of
    # create_app run in: the id exists before the access check, and the status recorded for the
    # access line is the final one. The line itself is written at teardown (which runs even when
    # handling an error failed), before the teardown functions registered so far.
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish_request)
    app.teardown_request_funcs.setdefault(None, []).append(_log_access)


def log_level(app: Flask) -> int:
    """`INSPECTION_LOG_LEVEL` (a name such as INFO or DEBUG, or a number), INFO by default."""
    value = app.config.get("LOG_LEVEL", os.environ.get("INSPECTION_LOG_LEVEL", "INFO"))
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and isinstance(logging.getLevelName(value.upper()), int):
        return logging.getLevelName(value.upper())
    raise ConfigError(
        f"INSPECTION_LOG_LEVEL={value!r} is not a log level (DEBUG, INFO, WARNING, ERROR)"
    )


def install_handler(level: int) -> logging.Handler:
    """The one stdout handler, on the root logger so that warnings of the libraries (waitress,
    SQLAlchemy, …) are written the same way; added once per process.

    The level applies to the app's own loggers (`inspection.*`). The root logger keeps its
    level (WARNING unless a host configured it), so the libraries' INFO chatter, e.g. Alembic's
    on every `flask init-db`, does not mix with what commands print on stdout.
    """
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, StdoutHandler)), None)
    if handler is None:
        handler = StdoutHandler()
        handler.setFormatter(OneLineFormatter(FORMAT))
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    logging.getLogger(APP_LOGGER).setLevel(level)
    return handler


def request_id() -> str:
    """The current request's id: the client's `X-Request-ID` if sane, else a new one."""
    if "request_id" not in g:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    return g.request_id


def start_request() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _finish_request(response: Response) -> Response:
    """After every response, the error pages' too: the id goes out, the status is noted."""
    response.headers[REQUEST_ID_HEADER] = request_id()
    g.response_status = response.status_code
    return response


def _log_access(exc: BaseException | None) -> None:
    """The request's access line, at teardown. `exc` is an exception that escaped the view
    and its error handlers: Flask then answered with its 500 page, or, when that failed too, the
    server answered 500 itself; either way the client got a 500."""
    status = 500 if exc is not None else g.get("response_status", "-")
    started = g.get("request_started")
    duration = f"{(time.perf_counter() - started) * 1000:.1f}" if started is not None else "-"
    logging.getLogger(ACCESS_LOGGER).info(
        "%s %s %s %s ms user=%s",
        escape(request.method, spaces=True),
        escape(request.path, spaces=True),
        status,
        duration,
        _user_id(),
    )


def _user_id() -> str:
    """The logged-in user's id if this request loaded the user; never loads it just to log,
    and never asks the database: after a failed write rolled back, the user's attributes are
    expired, and reading `user.id` would query a database that may be what failed."""
    user = g.get("_login_user")  # where Flask-Login keeps the user it loaded for this request
    state = orm_state(user, raiseerr=False) if user is not None else None
    if state is None or state.identity is None:  # the anonymous user, or not a stored row
        return "-"
    return escape(str(state.identity[0]), spaces=True)
