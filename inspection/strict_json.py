"""JSON as the standard defines it: no NaN, Infinity or numbers too large for a double, and no
object naming the same key twice.

Python's `json` reads `NaN`, `Infinity` and `1e400` (as inf) without complaint, and writes them
back as bare `NaN`/`Infinity`, which no browser parses. One such number in a template or an
answer would break every page and API response that shows it, so every JSON the app reads
(request bodies, template files, uploads) goes through `loads` here and is refused instead.
A key written twice is refused too: Python keeps the last silently, so a template author who
pasted an item's `points` twice would never learn which one counts.

Nesting is bounded before the parser runs. Python's parser recurses once per level, and how deep
it can go depends on the thread's stack: a document nested ~970 deep parsed under waitress but
raised RecursionError in gunicorn workers. A linear scan of the brackets outside strings refuses a
text nested deeper than `max_depth` (64 by default, far beyond any body this app reads), naming
where: `sections[0].items[3].options[0]` and the line and column.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from inspection.catalog import N_

NOT_A_NUMBER = N_("%(name)s is not a JSON number")
TOO_LARGE = N_("%(number)s is too large a number")
TWICE = N_("the key %(key)s appears twice")
TOO_DEEP = N_("the JSON is nested too deeply: more than %(most)s levels of lists and objects")
TOO_DEEP_AT = N_(
    "the JSON is nested too deeply: more than %(most)s levels of lists and objects at %(path)s "
    "(line %(line)s, column %(column)s)"
)
TOO_DEEP_HERE = N_("the JSON is nested too deeply")


class StrictJSONError(json.JSONDecodeError):
    """A JSON text this app refuses though Python's parser reads it. A JSONDecodeError, so every
    reader's "not valid JSON" handling covers it. `said` and `params`: the message as English
    with %(name)s places and what goes in them, for a page to translate."""

    def __init__(self, said: str, **params: Any) -> None:
        msg = said % params if params else said
        ValueError.__init__(self, msg)
        self.msg, self.doc, self.pos, self.lineno, self.colno = msg, "", 0, 1, 1
        self.said, self.params = said, params


class NonFiniteNumber(StrictJSONError):
    """NaN, Infinity or a number beyond a double's range."""


def _constant(name: str) -> Any:  # noqa: ANN401
    raise NonFiniteNumber(NOT_A_NUMBER, name=name)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NonFiniteNumber(TOO_LARGE, number=text[:20])
    return value


def _int(text: str) -> int:
    if len(text) > 309:  # beyond a double (and Python's 4,300-digit limit would raise anyway)
        raise NonFiniteNumber(TOO_LARGE, number=f"{text[:20]}…")
    return int(text)


class DuplicateKey(StrictJSONError):
    """A JSON object naming the same key twice."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                shown = json.dumps(key[:40], ensure_ascii=False)
                raise DuplicateKey(TWICE, key=shown)
            seen.add(key)
    return result


MAX_DEPTH = 64  # levels of lists and objects in any JSON the app reads; a template needs 7
# Past this size a refused text is not scanned again for the key path (a Python loop over its
# tokens, ~0.3 s a megabyte); the refusal then gives the limit alone.
PATH_SCAN_LIMIT = 1024 * 1024 + 1024

# A JSON string (an unterminated one runs to the end of the text).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
# A string, a bracket or a comma: what the key path needs.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{},]', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [{91: 1, 123: 1, 93: -1, 125: -1}.get(b, 0) for b in range(256)]
_PLAIN_NAME = re.compile(r"[\w-]{1,64}")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")


class TooDeep(StrictJSONError):
    """A JSON text nested deeper than allowed (`[[[[…]]]]`); `path` names the list or object that
    went one level too deep, `pos` is its offset in the text."""

    def __init__(self, said: str, *, pos: int = 0, **params: Any) -> None:
        super().__init__(said, **params)
        self.path, self.pos = params.get("path", ""), pos
        self.lineno, self.colno = params.get("line", 1), params.get("column", 1)


@dataclass(frozen=True)
class DeepValue:
    """A list or object that starts one level deeper than allowed: `text[start:end]`."""

    start: int
    end: int
    path: str


def max_depth_of(text: str) -> int:
    """How deeply lists and objects nest in a JSON text (0 for a bare value), measured without
    parsing: the brackets outside strings, counted in C (about as fast as parsing the text)."""
    if "[" not in text and "{" not in text:
        return 0
    if '\\"' in text:  # an escaped quote: find the strings one by one
        outside = _STRING.sub("", text)
    else:  # every other piece between two quotes is a string
        outside = "".join(text.split('"')[0::2])
    brackets = outside.encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKET)
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets)), default=0))


def is_too_deep(text: str, max_depth: int) -> bool:
    if text.count("[") + text.count("{") <= max_depth:
        return False
    return max_depth_of(text) > max_depth


def deep_values(text: str, max_depth: int, *, first_only: bool = False) -> list[DeepValue]:
    """Every list or object nested deeper than `max_depth`, outermost only (what lies inside one
    is not looked at again), with its key path and its place in the text. A Python loop over
    the text's strings, brackets and commas: for texts already known to be too deep."""
    found: list[DeepValue] = []
    tokens = _TOKEN.finditer(text)
    # One frame per open list or object: [is_object, member name or index, expecting a name].
    frames: list[list[Any]] = []
    for match in tokens:
        token = match.group()
        first = token[0]
        if first == '"':
            if frames and frames[-1][2]:
                frames[-1][1], frames[-1][2] = token, False
        elif first in "[{":
            if len(frames) < max_depth:
                frames.append([first == "{", None if first == "{" else 0, first == "{"])
                continue
            start = match.start()
            end = _skip_value(tokens, len(text))
            found.append(DeepValue(start, end, key_path([frame[1] for frame in frames])))
            if first_only:
                break
        elif first in "]}":
            if frames:
                frames.pop()
        elif frames:  # a comma
            if frames[-1][0]:
                frames[-1][2] = True
            else:
                frames[-1][1] += 1
    return found


def _skip_value(tokens: Iterator[re.Match[str]], length: int) -> int:
    """Consume the tokens of a list or object whose opening bracket was just read; the offset
    after its closing bracket (the text's length when it never closes)."""
    depth = 1
    for match in tokens:
        first = match.group()[0]
        if first in "[{":
            depth += 1
        elif first in "]}":
            depth -= 1
            if depth == 0:
                return match.end()
    return length


def key_path(parts: list[str | int | None]) -> str:
    """`sections[0].items[3]` from the parts: an index, or a member name as written in the JSON
    text (quoted, escapes and all); very long paths keep their two ends."""
    shown = [_part(part) for part in parts]
    if len(shown) > 16:
        shown = [*shown[:8], "…", *shown[-4:]]
    return "".join(shown).removeprefix(".") or "(top level)"


def _part(part: str | int | None) -> str:
    if isinstance(part, int):
        return f"[{part}]"
    if part is None:
        return "[?]"
    try:
        name = json.loads(part)
    except ValueError:
        name = part.strip('"')
    if isinstance(name, str) and _PLAIN_NAME.fullmatch(name):
        return f".{name}"
    quoted = json.dumps(str(name)[:40], ensure_ascii=False)
    return "[" + _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted) + "]"


def too_deep(text: str, max_depth: int) -> TooDeep | None:
    """The error for a text nested deeper than `max_depth`, naming where; None if it is not."""
    if not is_too_deep(text, max_depth):
        return None
    deep = deep_values(text, max_depth, first_only=True) if len(text) <= PATH_SCAN_LIMIT else []
    if not deep:
        return TooDeep(TOO_DEEP, most=max_depth)
    where = deep[0]
    lineno = text.count("\n", 0, where.start) + 1
    colno = where.start - text.rfind("\n", 0, where.start)
    return TooDeep(
        TOO_DEEP_AT,
        path=where.path,
        pos=where.start,
        most=max_depth,
        line=lineno,
        column=colno,
    )


def decode(data: str | bytes | bytearray) -> str:
    """A JSON text as `json.loads` would decode it (UTF-8, -16 or -32, found by its first bytes)."""
    if isinstance(data, str):
        return data
    return bytes(data).decode(json.detect_encoding(data), "surrogatepass")


def loads(text: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH, **kwargs: Any) -> Any:  # noqa: ANN401
    """`json.loads` refusing non-finite numbers, repeated keys and nesting deeper than
    `max_depth` (each a `json.JSONDecodeError`; the depth is checked before parsing)."""
    text = decode(text)
    if (deep := too_deep(text, max_depth)) is not None:
        raise deep
    kwargs.setdefault("object_pairs_hook", _object)
    try:
        return json.loads(
            text, parse_constant=_constant, parse_float=_float, parse_int=_int, **kwargs
        )
    except RecursionError:  # only with a max_depth beyond what this thread's stack allows
        raise TooDeep(TOO_DEEP_HERE) from None


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's provider, reading request bodies strictly and never writing NaN or Infinity."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:  # noqa: ANN401
        return loads(s, **kwargs)

    def dumps(self, obj: Any, **kwargs: Any) -> str:  # noqa: ANN401
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)


def init_app(app: Flask) -> None:
    app.json = StrictJSONProvider(app)
