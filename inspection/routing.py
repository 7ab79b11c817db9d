"""URL converters. Every `<int:…>` in a route is a row id: a number beyond the id columns'
range (a 32-bit INTEGER on PostgreSQL) cannot name a row, so it is a 404 before any query,
not a database overflow error."""

from __future__ import annotations

from typing import Any

from flask import Flask
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


def init_app(app: Flask) -> None:
    """Before any blueprint: a rule binds its converters when it is added."""
    app.url_map.converters["int"] = IdConverter
