"""Languages: Vietnamese by default, English selectable; the choice is kept in the session."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, has_request_context, request, session
from flask_babel import Babel, get_locale, gettext

from inspection import formatting

if TYPE_CHECKING:
    from inspection.checklist.problems import Message

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT_LANGUAGE = "vi"

babel = Babel()
log = logging.getLogger(__name__)
MAKE_TRANSLATIONS = "make translations"  # or: pybabel compile -d inspection/translations
CATALOG_NAMES = {"vi": "Vietnamese (vi)", "en": "English (en)"}  # in the logs, for the operator


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    asked = request.args.get("lang") if request else None
    return asked if asked in LANGUAGES else DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    from inspection.migrate import building_to_serve

    if building_to_serve():
        check_catalogs(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, get_locale=get_locale)
    app.add_template_filter(format_number, "vi_number")
    app.add_template_filter(formatting.format_date, "vi_date")
    app.add_template_filter(say, "say")


def catalog_dirs(app: Flask) -> list[Path]:
    """Where Flask-Babel looks for catalogs (BABEL_TRANSLATION_DIRECTORIES, relative to the
    package), as it reads the setting."""
    configured = str(app.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations"))
    return [Path(app.root_path, folder) for folder in configured.split(";") if folder]


def check_catalogs(app: Flask) -> list[str]:
    """Flask-Babel reads only compiled catalogs (.mo) and, without one, silently shows the
    English of the code. At start, a catalog whose .mo is missing or older than its .po (a fresh
    clone, an update without `make translations`) is compiled here, and said so; one that cannot
    be is said loudly, with what the pages will look like and the command that fixes it.
    Returns the languages whose pages will not be translated."""
    untranslated = []
    for lang in LANGUAGES:
        found = [d / lang / "LC_MESSAGES" for d in catalog_dirs(app)]
        po = next((f / "messages.po" for f in found if (f / "messages.po").is_file()), None)
        mo = next((f / "messages.mo" for f in found if (f / "messages.mo").is_file()), None)
        if po is not None and (mo is None or mo.stat().st_mtime < po.stat().st_mtime):
            try:
                mo = compile_catalog(po, lang)
            except (OSError, ValueError) as exc:
                log.error(
                    "the %s catalog %s is not compiled and could not be compiled at start (%s): "
                    "pages in this language show English until `%s` is run and the server "
                    "restarted",
                    CATALOG_NAMES[lang],
                    po,
                    exc,
                    MAKE_TRANSLATIONS,
                )
                if mo is None:
                    untranslated.append(lang)
                continue
            log.warning("compiled the %s catalog at start: %s", CATALOG_NAMES[lang], mo)
        elif mo is None and lang != "en":  # English pages show the code's own words anyway
            log.error(
                "no %s catalog (messages.po or messages.mo) under %s: pages in this language "
                "show English",
                CATALOG_NAMES[lang],
                " or ".join(str(d) for d in catalog_dirs(app)),
            )
            untranslated.append(lang)
    return untranslated


def compile_catalog(po: Path, lang: str) -> Path:
    """messages.po → messages.mo beside it, as `pybabel compile` does (fuzzy entries left
    out), written whole or not at all: a request never reads half a catalog."""
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    mo = po.with_suffix(".mo")
    partial = mo.with_name(f".{mo.name}.{os.getpid()}")
    try:
        with partial.open("wb") as handle:
            write_mo(handle, catalog)
        os.replace(partial, mo)
    finally:
        partial.unlink(missing_ok=True)
    return mo


_words: dict[str, Any] = {}
_words_guard = threading.Lock()
Words = TypeVar("Words")


def once_per_language(key: str, make: Callable[[], Words]) -> Words:
    """What `make` says, made once per language (`key` names the language) and kept for the
    process: the catalogs do not change while it runs, and a page need not translate again."""
    found = _words.get(key)
    if found is None:
        found = make()
        with _words_guard:
            _words[key] = found
    return found


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


def say(found: Message) -> str:
    """A checker's message (a template's problem, a JSON parser's) in the page's language: its
    English text looked up in the catalog, then its parameters put in, numbers written the
    page's way. A text the catalog lacks (a page's own, already translated) stays as it is."""
    return translate(found.text, found.params)


def translate(text: str, params: Mapping[str, Any]) -> str:
    """gettext of an English text with %(name)s places known only at run time."""
    said = gettext(text)
    if not params:
        return said
    return said % {name: _shown(value) for name, value in params.items()}


def _shown(value: Any) -> Any:  # noqa: ANN401
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return format_number(value)
    return value


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
