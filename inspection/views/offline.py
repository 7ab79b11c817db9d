"""What lets a tablet work without a connection: the service worker, the web app manifest and
the page shown for a page that was never kept.

The service worker is served from the site's root (its scope is the whole site) with the list of
static files it keeps and their version written at its top: a release that changes any of them
changes the script, which is how a browser learns there is an update (static/js/outbox.js
registers it; inspection/offline/sw.js says what it keeps and when). What waits to be sent lives
in IndexedDB, not in the service worker's caches, so an update never touches it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_babel import gettext as _

from inspection import assets
from inspection.i18n import once_per_language, page_locale

bp = Blueprint("offline", __name__)

SOURCE = Path(__file__).resolve().parent.parent / "offline" / "sw.js"


@bp.app_context_processor
def page_words() -> dict[str, Any]:
    return {"net_words": net_words, "page_time": page_time}


def page_time() -> int:
    """When the server made this page (ms since 1970): a copy kept offline says how old it is."""
    return int(time.time() * 1000)


def net_words() -> dict[str, str]:
    """What the outbox's bar and the logout warning say (static/js/outbox.js), on every page."""
    return once_per_language(f"net:{page_locale()}", _net_words)


def _net_words() -> dict[str, str]:
    return {
        "offline": _("Offline"),
        "one": _("1 change waiting to be sent"),
        "many": _("{n} changes waiting to be sent"),
        "refused": _("{n} refused: see the item"),
        "login": _("The session has ended: log in again to send them."),
        "relogin": _("Log in again"),
        "full": _("The tablet's space for waiting changes is nearly full: connect to send them."),
        "copy": _("Copy kept on this tablet, made at {time}"),
        "discard": _("Discard the refused ones"),
        "confirm_discard": _("Discard the {n} refused changes? They will not be sent."),
        "logout": _(
            "{n} changes are still waiting on this tablet. They are kept for your next login"
            " here. Log out anyway?"
        ),
    }


@bp.get("/sw.js")
def service_worker() -> Response:
    names, version = assets.shell(current_app.static_folder or "")
    shell = [url_for("static", filename=name) for name in names] + [url_for("offline.page")]
    head = f"var VERSION = {json.dumps(version)};\nvar SHELL = {json.dumps(shell)};\n"
    response = current_app.response_class(
        head.encode() + assets.minified(SOURCE), mimetype="text/javascript"
    )
    # Checked on every visit while online: an update is found at once.
    response.cache_control.no_cache = True
    response.cache_control.private = True
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    icon = url_for("static", filename="icons/icon.svg")
    body = {
        "name": _("Administrative reform inspection"),
        "short_name": _("CCHC inspection"),
        "lang": "vi",
        "start_url": url_for("main.index"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f4f6f9",
        "theme_color": "#0b5394",
        "icons": [{"src": icon, "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json"
    )
    response.cache_control.no_cache = True
    return response


@bp.get("/offline")
def page() -> str:
    """Shown by the service worker for a page this tablet never kept, while it is offline."""
    return render_template("offline/page.html")
