"""Static scripts and stylesheets are sent minified.

The sources in static/ stay readable, with the comments that say why; what travels to a tablet
over a weak link is the same code without them: a script is parsed (calmjs.parse, ES5) and printed
without comments and whitespace, its local names shortened (its globals and every property name
kept); a stylesheet loses its comments and whitespace (rcssmin). A script in a newer syntax than
ES5 is only stripped of comments and whitespace (rjsmin). The visit page with its assets must stay
within the page budget (bench/pages.py): the shortened names take a fifth off the scripts.

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
from calmjs.parse import es5
from calmjs.parse.exceptions import ECMASyntaxError
from calmjs.parse.unparsers.es5 import minify_print
from flask import Flask, current_app, request
from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join
from werkzeug.wrappers import Response as BaseResponse


def minify_js(source: str) -> str:
    """A script printed short: no comments, no whitespace, short local names (ES5); a script
    the ES5 parser cannot read keeps its names (rjsmin)."""
    try:
        tree = es5(source)
    except ECMASyntaxError:
        return str(rjsmin.jsmin(source))
    return str(minify_print(tree, obfuscate=True, obfuscate_globals=False))


MINIFIERS: dict[str, tuple[Callable[[str], str], str]] = {
    ".js": (minify_js, "text/javascript"),
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
    data, etag = _load(path, suffix)
    response = current_app.response_class(data, mimetype=MINIFIERS[suffix][1])
    response.set_etag(etag)
    max_age = current_app.get_send_file_max_age(filename)
    if max_age is not None:
        response.cache_control.max_age = max_age
    response.cache_control.no_cache = max_age is None or None
    return response.make_conditional(request)


def _load(path: str, suffix: str) -> tuple[bytes, str]:
    """A script or stylesheet as sent (minified), and its ETag; read again once edited."""
    mtime = Path(path).stat().st_mtime
    found = _cache.get(path)
    if found is None or found[0] != mtime:
        minify, _ = MINIFIERS[suffix]
        data = minify(Path(path).read_text(encoding="utf-8")).encode("utf-8")
        found = (mtime, data, hashlib.sha256(data).hexdigest()[:32])
        with _lock:
            _cache[path] = found
    return found[1], found[2]


def minified(path: Path) -> bytes:
    """A script as it is sent (the service worker's source, served from its own route)."""
    return _load(str(path), path.suffix)[0]


def shell(static_folder: str) -> tuple[list[str], str]:
    """The app shell a tablet keeps for offline work: every static file (names relative to the
    static folder) and one version for all of them, which changes when any file does."""
    folder = Path(static_folder)
    names = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )
    digest = hashlib.sha256()
    for name in names:
        path = folder / name
        if path.suffix in MINIFIERS:
            etag = _load(str(path), path.suffix)[1]
        else:
            etag = hashlib.sha256(path.read_bytes()).hexdigest()
        digest.update(f"{name}\0{etag}\0".encode())
    return names, digest.hexdigest()[:16]
