"""Request bodies are capped before anything reads them.

Every route takes at most `MAX_BODY_KB` (2048 KB by default): a JSON write, a form, a checklist
template or a unit CSV, far below the 25 MB of a photo. What real requests need, in Vietnamese
text as JSON (UTF-8; escaped as \\uXXXX, ~1.5 times as much):
- a template import or a unit CSV: refused above 1 MB by their own checks;
- one answer with the longest text, note and reason: 24 KB (at most ~110 KB, every letter escaped);
- a batch of a whole 53-item visit with every note 4000 characters long: 290 KB;
- a batch of 500 answers (MAX_BATCH) with 1000-character notes: 770 KB.
Only hundreds of answers that all carry notes near 4000 characters (500 of them: 2.7 MB) go
beyond; the 413 says to send such a batch in several smaller ones.

The cap is checked in the first `before_request` hook after the request id is made, so it comes
before the access check (an anonymous client gets its 413, not a 401 after the server read the
body) and before the CSRF check (which parses a form). A body with a `Content-Length` over the cap
is refused without reading a byte of it. A chunked body (no `Content-Length`: werkzeug's server and
gunicorn pass it on as it streams; waitress collects it first and sets the length) is read up to
one byte past the cap, and refused if that byte came.

A route that takes photos opts into the upload limit (`MAX_CONTENT_LENGTH`: `MAX_UPLOAD_MB` and
room for the multipart envelope) with one line under its route decorator:

    @bp.post("/visits/<int:visit_id>/photos")
    @body_limits.takes_uploads
    def upload_photo(visit_id: int): ...

Werkzeug enforces that limit while the upload is parsed, without reading it into memory first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from inspection.config import ConfigError
from inspection.errors import is_api_request, json_error
from inspection.i18n import format_number

UPLOADS = "inspection_takes_uploads"  # the attribute `takes_uploads` sets on a view

View = TypeVar("View", bound=Callable[..., Any])


def takes_uploads(view: View) -> View:
    """Let this view's requests be as large as an upload (MAX_CONTENT_LENGTH) instead of the
    small body cap."""
    setattr(view, UPLOADS, True)
    return view


class BodyTooLarge(RequestEntityTooLarge):
    """A request body over this route's limit, refused before it was parsed."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the request body is over the limit of {limit // 1024} KB: refused before it was "
            "parsed, nothing was saved (send a long batch of answers as several smaller ones)"
        )
        self.limit = limit


def init_app(app: Flask) -> None:
    app.config["MAX_BODY_KB"] = _max_body_kb(app.config.get("MAX_BODY_KB"))
    hooks = app.before_request_funcs.setdefault(None, [])
    if cap_body not in hooks:
        from inspection import logging_setup

        # Right after the hook that starts the request's clock and id (the 413 gets its access
        # line like any answer), before every other one.
        first = 1 if hooks and hooks[0] is logging_setup.start_request else 0
        hooks.insert(first, cap_body)
    app.register_error_handler(BodyTooLarge, too_large)


def _max_body_kb(value: Any) -> int:  # noqa: ANN401  (a setting as configured)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"INSPECTION_MAX_BODY_KB must be a whole number of kilobytes above 0, not {value!r}"
        )
    return value


def takes_uploads_here() -> bool:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return bool(getattr(view, UPLOADS, False))


def body_limit() -> int:
    """The largest body, in bytes, that this request's route accepts."""
    if takes_uploads_here():
        return current_app.config["MAX_CONTENT_LENGTH"]
    return current_app.config["MAX_BODY_KB"] * 1024


def cap_body() -> None:
    """Before every request: refuse a body over the route's limit before anything parses it."""
    limit = body_limit()
    request.max_content_length = limit  # werkzeug's own guard for whatever reads the stream
    length = request.content_length
    if length is not None:
        if length > limit:
            raise BodyTooLarge(limit)
        return
    if _chunked() and not takes_uploads_here():
        # Read at most one byte past the cap: werkzeug's `get_data` stops quietly at the maximum
        # (a longer body would come out cut short), so the extra byte tells. What was read stays
        # cached for the view (get_json, the form parser): the body is still read only once.
        request.max_content_length = limit + 1
        body = request.get_data(cache=True)
        request.max_content_length = limit
        if len(body) > limit:
            raise BodyTooLarge(limit)


def _chunked() -> bool:
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def too_large(exc: BodyTooLarge) -> Response | tuple[str, int]:
    if is_api_request():
        return json_error(413, "too_large", exc.description or "", max_bytes=exc.limit)
    message = _(
        "What was sent is too large (more than %(limit)s): nothing was saved.",
        limit=size_text(exc.limit),
    )
    return render_template("errors/error.html", message=message, status=413), 413


def size_text(size: int) -> str:
    """A size for people: "2 MB", "1,5 MB" (Vietnamese separators), "512 KB"."""
    if size >= 1024 * 1024:
        return f"{format_number(size / (1024 * 1024), 1)} MB"
    return f"{format_number(size / 1024, 0)} KB"
