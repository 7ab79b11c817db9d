"""Static scripts and stylesheets are sent minified.

The sources in static/ stay readable, with the comments that say why; what travels to a tablet
over a weak link is the same code without them (rjsmin and rcssmin: comments and whitespace only,
no renaming). The visit page with its assets must stay within the page budget (bench/pages.py),
and about a third of the scripts' bytes are comments.

Each file is minified once per process and kept with its modification time (an edited file is
read again); it is served like Flask's static files: conditional, with an ETag.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

import rcssmin
import rjsmin
from flask import Flask, current_app, request
from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join
from werkzeug.wrappers import Response as BaseResponse

MINIFIERS: dict[str, tuple[Callable[[str], str], str]] = {
    ".js": (rjsmin.jsmin, "text/javascript"),
    ".css": (rcssmin.cssmin, "text/css"),
}

_cache: dict[str, tuple[float, bytes, str]] = {}  # path → (mtime, minified bytes, etag)
_lock = threading.Lock()


def init_app(app: Flask) -> None:
    plain = app.send_static_file

    def static(filename: str) -> BaseResponse:
        suffix = Path(filename).suffix
        if suffix not in MINIFIERS:
            return plain(filename)
        return _minified(filename, suffix)

    app.view_functions["static"] = static


def _minified(filename: str, suffix: str) -> BaseResponse:
    folder = current_app.static_folder or ""
    path = safe_join(folder, filename)
    if path is None or not Path(path).is_file():
        raise NotFound()
    mtime = Path(path).stat().st_mtime
    found = _cache.get(path)
    if found is None or found[0] != mtime:
        minify, _ = MINIFIERS[suffix]
        data = minify(Path(path).read_text(encoding="utf-8")).encode("utf-8")
        found = (mtime, data, hashlib.sha256(data).hexdigest()[:32])
        with _lock:
            _cache[path] = found
    _, data, etag = found
    response = current_app.response_class(data, mimetype=MINIFIERS[suffix][1])
    response.set_etag(etag)
    max_age = current_app.get_send_file_max_age(filename)
    if max_age is not None:
        response.cache_control.max_age = max_age
    response.cache_control.no_cache = max_age is None or None
    return response.make_conditional(request)
