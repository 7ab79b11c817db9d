"""URL converters, and the templates' URL building. Every `<int:…>` in a route is a row id: a
number beyond the id columns' range (a 32-bit INTEGER on PostgreSQL) cannot name a row, so it is
a 404 before any query, not a database overflow error. The templates' `url_for` keeps what it
built (`KnownUrls`)."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from enum import Enum
from typing import Any

from flask import Flask, has_request_context, request, url_for
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1
MAX_KEPT_TEXT = 80  # a value longer than this (a `next=` path) makes an address built each time


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
    the endpoint and its values. External URLs, and those with a long text (`keepable`), are
    built each time; past `limit` addresses the kept ones are dropped and built again."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self.built: dict[Hashable, str] = {}
        self.guard = threading.Lock()

    def __call__(self, endpoint: str, **values: Any) -> str:
        if not self.keepable(values):
            return url_for(endpoint, **values)
        local = request.blueprint if endpoint.startswith(".") else None
        # The values' types too: 1, 1.0 and True are equal keys but different URLs.
        named = tuple((k, type(v), v) for k, v in sorted(values.items()))
        key = (request.script_root, local, endpoint, named)
        found = self.built.get(key)
        if found is None:
            found = url_for(endpoint, **values)
            with self.guard:
                if len(self.built) >= self.limit:
                    self.built.clear()
                self.built[key] = found
        return found

    @staticmethod
    def keepable(values: dict[str, Any]) -> bool:
        """Ids, names and short texts: not an external URL (its host is the request's), nor a
        long text (a `next=` path: what a visitor asks for is not kept), nor a list."""
        if not has_request_context() or values.get("_external") or "_scheme" in values:
            return False
        return all(
            isinstance(v, int | Enum) or (isinstance(v, str) and len(v) <= MAX_KEPT_TEXT)
            for v in values.values()
        )


def init_app(app: Flask) -> None:
    """Before any blueprint: a rule binds its converters when it is added."""
    app.url_map.converters["int"] = IdConverter
    app.jinja_env.globals["url_for"] = KnownUrls()
