"""Domain errors and the one place that turns them (and HTTP errors) into responses.

Under `/api/` every error is JSON: `{"error": {"code", "message", "fields"?}}`; never an HTML page.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from inspection.catalog import N_


class DomainError(Exception):
    """A refusal by the domain's rules, in words for people (`message`, `fields`) and a stable
    `code` for programs; which HTTP status it answers is the handler's business (STATUSES)."""

    code = "validation_error"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ):
        # `message` may hold %(name)s places filled from `params`: the API says it filled in
        # English, a page translates the unfilled message first (`translated`).
        self.template = message
        self.params = params or {}
        self.message = message % self.params if self.params else message
        super().__init__(self.message)
        self.fields = fields or {}
        self.extra = extra or {}

    def translated(self) -> str:
        return _(self.template, **self.params)


class ValidationError(DomainError):
    pass


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    code = "conflict"


class TooLarge(ValidationError):
    """An input larger than its limit (a file)."""

    code = "too_large"


class UnsupportedMedia(ValidationError):
    """A file of a kind this app does not take (a photo that is not JPEG, PNG, WebP or HEIC)."""

    code = "unsupported_media_type"


class Unavailable(DomainError):
    """Something the request needs is missing or damaged until an administrator restores it."""

    code = "unavailable"


class VersionExistsError(Conflict):
    code = "version_exists"


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    503: "unavailable",
}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def json_error(
    status: int, code: str, message: str, fields: dict[str, str] | None = None, **extra: Any
) -> Response:
    response = jsonify({**error_body(code, message, fields), **extra})
    response.status_code = status
    return response


# The HTTP status of each kind of domain error (the nearest class in its ancestry decides).
STATUSES: dict[type[DomainError], int] = {
    DomainError: 400,
    TooLarge: 413,
    UnsupportedMedia: 415,
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    Unavailable: 503,
}


def http_status(exc: DomainError) -> int:
    return next(STATUSES[kind] for kind in type(exc).__mro__ if kind in STATUSES)


def domain_error_response(exc: DomainError) -> Response | tuple[str, int]:
    status = http_status(exc)
    if is_api_request():
        return json_error(status, exc.code, exc.message, exc.fields, **exc.extra)
    page = render_template("errors/error.html", message=exc.translated(), status=status)
    return page, status


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, domain_error_response)

    @app.errorhandler(IntegrityError)
    def _integrity_error(exc: IntegrityError) -> Response | tuple[str, int]:
        """Two writers raced past the same check (e.g. one username created twice at once): the
        database refused the second. Nothing was stored by it; say so instead of a 500."""
        from inspection.db import get_session

        get_session().rollback()
        message = N_("Someone else saved the same thing at the same moment. Please try again.")
        return domain_error_response(Conflict(message))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        # What the exception itself would send besides its body (a 405's Allow, a 401's
        # WWW-Authenticate); its Content-Type is not ours.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        if is_api_request():
            response = json_error(
                status, HTTP_CODES.get(status, "error"), exc.description or exc.name
            )
            response.headers.extend(headers)
            return response
        if status < 400 or exc.response is not None:
            return exc
        page = render_template("errors/error.html", message=page_message(status), status=status)
        return page, status, headers


def page_message(status: int) -> str:
    messages = {
        403: _("You do not have access to this page."),
        404: _("This page does not exist."),
        405: _("This action is not allowed here."),
        413: _("The file is too large."),
    }
    return messages.get(status, _("The request could not be processed."))
