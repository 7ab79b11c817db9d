"""JSON as the standard defines it: no NaN, Infinity or numbers too large for a double, and no
object naming the same key twice.

Python's `json` reads `NaN`, `Infinity` and `1e400` (as inf) without complaint, and writes them
back as bare `NaN`/`Infinity`, which no browser parses. One such number in a template or an
answer would break every page and API response that shows it, so every JSON the app reads
(request bodies, template files, uploads) goes through `loads` here and is refused instead.
A key written twice is refused too: Python keeps the last silently, so a template author who
pasted an item's `points` twice would never learn which one counts.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider


class StrictJSONError(json.JSONDecodeError):
    """A JSON text this app refuses though Python's parser reads it. A JSONDecodeError, so every
    reader's "not valid JSON" handling covers it."""

    def __init__(self, msg: str) -> None:
        ValueError.__init__(self, msg)
        self.msg, self.doc, self.pos, self.lineno, self.colno = msg, "", 0, 1, 1


class NonFiniteNumber(StrictJSONError):
    """NaN, Infinity or a number beyond a double's range."""


def _constant(name: str) -> Any:  # noqa: ANN401
    raise NonFiniteNumber(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NonFiniteNumber(f"{text[:20]} is too large a number")
    return value


def _int(text: str) -> int:
    if len(text) > 309:  # beyond a double (and Python's 4,300-digit limit would raise anyway)
        raise NonFiniteNumber(f"{text[:20]}… is too large a number")
    return int(text)


class DuplicateKey(StrictJSONError):
    """A JSON object naming the same key twice."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise DuplicateKey(f"the key {json.dumps(twice[:40], ensure_ascii=False)} appears twice")
    return result


class TooDeep(StrictJSONError):
    """A JSON text nested deeper than the parser's recursion allows (`[[[[…]]]]`)."""


def loads(text: str | bytes, **kwargs: Any) -> Any:  # noqa: ANN401
    """`json.loads` refusing non-finite numbers, repeated keys and bottomless nesting (each a
    `json.JSONDecodeError`)."""
    kwargs.setdefault("object_pairs_hook", _object)
    try:
        return json.loads(
            text, parse_constant=_constant, parse_float=_float, parse_int=_int, **kwargs
        )
    except RecursionError:
        raise TooDeep("the JSON is nested too deeply") from None


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's provider, reading request bodies strictly and never writing NaN or Infinity."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:  # noqa: ANN401
        return loads(s, **kwargs)

    def dumps(self, obj: Any, **kwargs: Any) -> str:  # noqa: ANN401
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)


def init_app(app: Flask) -> None:
    app.json = StrictJSONProvider(app)
