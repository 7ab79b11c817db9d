"""The one check every text passes on its way in, and the repair of text on its way out.

A text the server accepts (an answer, a note, a name, a plan number, a template's title, a login
field, a CSV cell) is refused when it cannot be stored and shown back:
- not valid Unicode: an unpaired surrogate (`"\\ud800"`) reaches Python through JSON escapes, is
  stored by the JSON columns, and then fails when a page, a log line or the database encodes it;
- control characters other than line breaks and tabs (those too in a one-line field): a NUL cannot
  even be stored in PostgreSQL, and none of them is text anyone typed;
- longer than its field allows.
Pure: no Flask, no database. The messages are marked for translation where they are shown.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from inspection.catalog import N_

Fault = tuple[str, dict[str, int]]  # an English message with %(name)s places, its parameters

SURROGATE = re.compile("[\ud800-\udfff]")
# Invisible characters that a copy from Word or a web page leaves at the ends of a name.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


NOT_UNICODE = N_("is not valid Unicode text")
CONTROL = N_("contains control characters")
NOT_TEXT = N_("must be a string")
TOO_LONG = N_("must be at most %(limit)s characters")


def too_long(limit: int) -> str:
    return TOO_LONG % {"limit": limit}


def has_surrogate(text: str) -> bool:
    return SURROGATE.search(text) is not None


# Unicode's control characters (category Cc: C0, DEL and C1), with and without line breaks and tabs.
CONTROL_IN_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")


def has_control_characters(text: str, *, multiline: bool = True) -> bool:
    """A control character other than line breaks and tabs (those too unless `multiline`)."""
    return (CONTROL_IN_LINES if multiline else CONTROL_IN_LINE).search(text) is not None


def text_problem(value: Any, *, limit: int, multiline: bool = True) -> str | None:
    """Why `value` cannot be stored as a text of at most `limit` characters (None: it can)."""
    fault = text_fault(value, limit=limit, multiline=multiline)
    return None if fault is None else fault[0] % fault[1]


def text_fault(value: Any, *, limit: int, multiline: bool = True) -> Fault | None:
    """`text_problem` as its English message (one of the constants above) and the parameters
    to put in it, so that a page can say it in its own language."""
    if not isinstance(value, str):
        return NOT_TEXT, {}
    if has_surrogate(value):
        return NOT_UNICODE, {}
    if has_control_characters(value, multiline=multiline):
        return CONTROL, {}
    if len(value) > limit:
        return TOO_LONG, {"limit": limit}
    return None


def normalise(value: str, *, multiline: bool = False) -> str:
    """NFC (Vietnamese keyboards differ: composed or combining accents), without spaces and
    invisible characters at the ends; a tab inside a one-line text becomes a space (a cell pasted
    from a table). Call it on text that `text_problem` accepted, or on any text: surrogates
    survive it unchanged, to be refused by the check."""
    if has_surrogate(value):
        return value  # NFC would raise nothing, but the text is refused anyway
    value = unicodedata.normalize("NFC", value).strip().strip(INVISIBLE).strip()
    if not multiline:
        value = value.replace("\t", " ")
    return value


def fold(value: str) -> str:
    """The form two texts share when they differ only in case or in how accents are composed
    ("22/KH-UBND", "22/kh-ubnd", "Đ" and "đ"): compare and index by this."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", value).casefold())


def surrogate_path(value: Any, path: str = "") -> str | None:
    """The key path of the first string (or object key) in a parsed JSON value that holds an
    unpaired surrogate, e.g. `participants[0].name`; None when there is none."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, str):
            if has_surrogate(node):
                return where or "(body)"
        elif isinstance(node, dict):
            for key, child in node.items():
                child_path = f"{where}.{key}" if where else str(key)
                if has_surrogate(key):
                    return where or "(body)"
                stack.append((child_path, child))
        elif isinstance(node, list):
            stack.extend((f"{where}[{i}]", child) for i, child in enumerate(node))
    return None


def printable(value: str) -> str:
    """The text with any unpaired surrogate replaced by U+FFFD, so that it can always be encoded
    (a page, a JSON answer, a log line never fails on what was stored before these checks)."""
    return SURROGATE.sub("\ufffd", value) if has_surrogate(value) else value
