"""Vietnamese is the default language: every string the code shows has a Vietnamese translation."""

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("inspection/**.py", "python"), ("inspection/templates/**.html", "jinja2")]


def extracted_messages() -> set[str]:
    # As the Makefile's extract-messages: `message(code, text)` of the checklist checker too.
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "N_": None, "message": (2,)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalog(lang: str):
    with open(
        ROOT / "inspection" / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb"
    ) as handle:
        return read_po(handle, locale=lang)


def test_every_user_facing_string_has_a_vietnamese_translation():
    vi = catalog("vi")
    messages = extracted_messages()
    assert len(messages) > 50
    missing = sorted(m for m in messages if m not in vi or not vi[m].string or vi[m].fuzzy)
    assert missing == []


def test_translations_keep_their_placeholders():
    vi = catalog("vi")
    for message in vi:
        if message.id and isinstance(message.id, str) and "%(" in message.id:
            for name in re.findall(r"%\((\w+)\)s", message.id):
                assert f"%({name})s" in message.string, message.id
