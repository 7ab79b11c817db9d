"""The app's response class: a page always encodes, whatever was stored.

Text is checked where it enters (inspection/text.py), but a value stored before those checks, or
by a path that missed one, must not turn every page that shows it into a 500: an unpaired
surrogate cannot be encoded as UTF-8. Such a body is encoded with U+FFFD in its place; valid
text costs nothing extra (the strict encode succeeds first).
"""

from __future__ import annotations

from flask import Flask
from flask import Response as FlaskResponse

from inspection.text import printable


class Response(FlaskResponse):
    def set_data(self, value: bytes | str) -> None:
        if isinstance(value, str):
            text = value
            try:
                value = text.encode()
            except UnicodeEncodeError:
                value = printable(text).encode()
        super().set_data(value)


def init_app(app: Flask) -> None:
    app.response_class = Response
