"""URL converters, and the templates' URL building. Every `<int:…>` in a route is a row id: a
number beyond the id columns' range (a 32-bit INTEGER on PostgreSQL) cannot name a row, so it is
a 404 before any query, not a database overflow error. The templates' `url_for` keeps what it
built (`KnownUrls`)."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

from flask import Flask, request, url_for
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` limited to the ids a row can have (1 to 2^31 - 1); werkzeug answers 404
    for anything else."""

    regex = r"[0-9]{1,10}"  # ASCII digits: `\d` would take "١٢" or "²" as well

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("min", 0)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class KnownUrls:
    """The templates' `url_for`, keeping what it built: a page names the same few dozen
    addresses on every request (its styles and scripts, the visit's pages and reads), and
    building one costs more than most of what the page does. What a URL depends on here is the
    key: the app's prefix (SCRIPT_NAME, behind a proxy), the blueprint for a relative endpoint,
    the endpoint and its values. External URLs are built each time; past `limit` addresses (a
    `next=` of every page) the kept ones are dropped and built again."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self.built: dict[Hashable, str] = {}
        self.guard = threading.Lock()

    def __call__(self, endpoint: str, **values: Any) -> str:
        if values.get("_external") or "_scheme" in values:
            return url_for(endpoint, **values)
        local = request.blueprint if endpoint.startswith(".") else None
        key = (request.script_root, local, endpoint, tuple(sorted(values.items())))
        try:
            found = self.built.get(key)
        except TypeError:  # a value that cannot be a key (a list): built each time
            return url_for(endpoint, **values)
        if found is None:
            found = url_for(endpoint, **values)
            with self.guard:
                if len(self.built) >= self.limit:
                    self.built.clear()
                self.built[key] = found
        return found


def init_app(app: Flask) -> None:
    """Before any blueprint: a rule binds its converters when it is added."""
    app.url_map.converters["int"] = IdConverter
    app.jinja_env.globals["url_for"] = KnownUrls()
