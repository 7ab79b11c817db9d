"""Small helpers shared by the page blueprints."""

import re
from urllib.parse import urlsplit

from flask import flash
from flask_babel import gettext as _
from wtforms import Form

from inspection.errors import DomainError

# What a path this app links to can hold: printable ASCII without spaces or backslashes (browsers
# read "\\" as "/", so "/\\evil.example" would leave the site). Anything else came from no link
# of ours; it is dropped, never put into a Location header.
_PLAIN_PATH = re.compile(r"[!-\[\]-~]{1,2000}")


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after login or a language switch."""
    if not target or not _PLAIN_PATH.fullmatch(target):
        return default  # CR/LF, other control characters, spaces, backslashes: no redirect
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def flash_domain_error(form: Form, exc: DomainError) -> None:
    """Show a service's refusal on the form: per field where it names fields, else on top."""
    placed = False
    for name, why in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, _(why)]
            placed = True
    if not placed:
        flash(exc.translated(), "error")
