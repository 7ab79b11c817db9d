"""Languages: Vietnamese by default, English selectable; the choice is kept in the session."""

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Flask, g, has_request_context, request, session
from flask_babel import Babel, get_locale, gettext

from inspection import formatting

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT_LANGUAGE = "vi"

babel = Babel()


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    asked = request.args.get("lang") if request else None
    return asked if asked in LANGUAGES else DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, get_locale=get_locale)
    app.add_template_filter(format_number, "vi_number")
    app.add_template_filter(formatting.format_date, "vi_date")


def page_locale() -> str:
    """The language of the page being made ("vi" or "en"), looked up once per request."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if "page_locale" not in g:
        g.page_locale = str(get_locale() or DEFAULT_LANGUAGE)
    locale: str = g.page_locale
    return locale


def format_number(value: Decimal | float | int | None, places: int = 2) -> str:
    """formatting.format_number in the page's language."""
    return formatting.format_number(value, places, locale=page_locale())


def decimal_separator() -> str:
    """The decimal separator of the page's language."""
    return formatting.decimal_separator(page_locale())


class PageWords:
    """The page's language as a checklist item needs it (checklist.items.Words)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.decimal_separator = formatting.decimal_separator(locale)

    def __call__(self, text: str, **params: Any) -> str:
        return gettext(text, **params)

    def number(self, value: Any, places: int = 2) -> str:
        return formatting.format_number(value, places, locale=self.locale)

    def date(self, value: dt.date) -> str:
        return formatting.format_date(value)


def page_words() -> PageWords:
    return PageWords(page_locale())
