"""Security defaults: CSRF on every write, strict headers on every response."""

import json
from typing import Any

from flask import Flask, Response, current_app, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from markupsafe import Markup, escape

from inspection.errors import is_api_request, json_error

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(self), camera=(self), microphone=()",
}


def init_app(app: Flask) -> None:
    # A tablet keeps a page open for hours: the token lives as long as the login session.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    app.after_request(_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.add_template_filter(json_attribute, "attr_json")


def json_attribute(value: Any) -> Markup:
    """A value as JSON for an HTML attribute (`data-words="{{ words|attr_json }}"`): its letters
    as they are (Vietnamese ones are a sixth of the bytes of their \\u escapes: the pages are
    read over weak links), and every character HTML gives a meaning to escaped as an entity,
    which the browser turns back before a script reads the attribute."""
    return escape(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if response.mimetype == "text/html" or response.mimetype == "application/json":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _csrf_error(exc: CSRFError) -> Response | tuple[str, int]:
    if is_api_request():
        return json_error(400, "csrf_failed", f"CSRF check failed: {exc.description}")
    message = _("Your session has expired or the form is stale. Please try again.")
    return render_template("errors/error.html", message=message, status=400), 400
