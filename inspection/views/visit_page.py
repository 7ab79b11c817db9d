"""What the checklist page shows of a template, computed once per (template version, language).

The page is the inspectors' hot path: the template's texts, point labels and hints never change
for a pinned version, so they are translated and formatted once per process instead of per item
per request (see bench/pages.py).
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, render_template
from flask_babel import gettext as _
from markupsafe import Markup, escape

from inspection.checklist import MAX_TEXT_ANSWER
from inspection.formatting import decimal_separator, format_date, format_number
from inspection.labels import is_question
from inspection.scoring import ItemResult
from inspection.services.answers import MAX_NOTE

_cache: dict[tuple[str, str], PageModel] = {}
_labels: dict[str, dict[str, str]] = {}
_guard = threading.Lock()


@dataclass(frozen=True)
class ItemView:
    key: str
    type: str
    text: str
    points_label: str
    hint: str
    show_if: str | None  # the rule as JSON, for the page's script
    options: list[tuple[str, str, str]]  # (value, label, points shown)
    allow_na: bool
    guidance: str
    legal_basis: str
    photo: str  # "", or the badge text of a required photo
    scored: bool
    question: bool  # a yes_no worth nothing: answered Yes / No, never failed


@dataclass(frozen=True)
class SectionView:
    key: str
    title: str
    items: list[ItemView]


@dataclass(frozen=True)
class PageModel:
    sections: list[SectionView]
    fragments: dict[str, str]  # item key -> its HTML as a str.format template

    def item(self, key: str) -> ItemView | None:
        return next((i for s in self.sections for i in s.items if i.key == key), None)


def page_model(template: dict[str, Any], sha256: str, locale: str) -> PageModel:
    """The template's sections and item fragments for one language, built on first use."""
    key = (sha256, locale)
    model = _cache.get(key)
    if model is None:
        sections = [_section(s) for s in template["sections"]]
        macro = current_app.jinja_env.get_template("visits/_item.html").module.item_block
        words = labels(locale)
        fragments = {i.key: _compile(macro, i, words) for s in sections for i in s.items}
        model = PageModel(sections, fragments)
        with _guard:
            _cache[key] = model
    return model


class _Placeholders:
    """Stands in for an item's answer state while its fragment is compiled: every field renders
    as a marker that becomes a str.format field."""

    def __getattr__(self, name: str) -> Markup:
        if name.startswith("_"):
            raise AttributeError(name)
        return Markup(f"\x00{name}\x00")

    __getitem__ = __getattr__


_MARKER = re.compile("\x00(\\w+)\x00")


def _compile(macro: Any, item: ItemView, words: dict[str, str]) -> str:
    html = str(macro(item, _Placeholders(), words))
    return _MARKER.sub(r"{\1}", html.replace("{", "{{").replace("}", "}}"))


# The fields only a form post's outcome fills (see with_outcome); empty on every other render.
NO_OUTCOME = {"state": "", "message": "", "focus_value": "", "focus_note": ""}


def _common(action: str, token: str, writable: bool) -> dict[str, Any]:
    """The fields every item shares on one render."""
    return {
        **NO_OUTCOME,
        "action": escape(action),
        "token": token if token == TOKEN_MARK else escape(token),
        "disabled": "" if writable else " disabled",
    }


def render_items(
    model: PageModel,
    results: dict[str, ItemResult],
    stored: dict[str, Any],
    *,
    action: str,
    token: str,
    writable: bool,
) -> dict[str, Markup]:
    """Every item's HTML with this visit's answers filled in (all values escaped)."""
    common = _common(action, token, writable)
    separator = decimal_separator()
    html = {}
    for section in model.sections:
        for item in section.items:
            fields = _fields(item, results[item.key], stored.get(item.key), separator)
            html[item.key] = Markup(model.fragments[item.key].format_map({**common, **fields}))
    return html


@dataclass(frozen=True)
class Outcome:
    """What became of a plain form post (JavaScript off), shown inside its item on the page that
    follows: the server sends the browser back to the item, far below any message at the top."""

    item_key: str
    state: str  # saved, invalid, conflict or locked: as the page's script names them
    message: str
    typed: dict[str, str] = field(default_factory=dict)  # a refused post's fields, as typed
    focus: str = ""  # "value" or "note": the field to correct


def with_outcome(
    html: str,
    model: PageModel,
    outcome: Outcome,
    result: ItemResult,
    answer: Any,
    *,
    action: str,
    writable: bool,
) -> str:
    """The checklist's HTML with one item showing the outcome of its form post."""
    item = model.item(outcome.item_key)
    if item is None:
        return html
    fields = {
        **_common(action, TOKEN_MARK, writable),
        **_fields(item, result, answer, decimal_separator()),
    }
    fields["state"] = Markup(' data-state="{}"').format(outcome.state)
    fields["message"] = escape(outcome.message)
    for name, value in outcome.typed.items():
        fields[name] = escape(value)
    if outcome.typed:
        fields["percent"] = ""  # of the stored answer, not of what was typed
    if outcome.typed.get("note") or outcome.focus == "note":
        fields["note_open"] = " open"
    if outcome.focus:
        fields[f"focus_{outcome.focus}"] = " autofocus"  # brings a refused field into view
    block = model.fragments[item.key].format_map(fields)
    start = rf'<article class="item[^"]*" id="item-{re.escape(item.key)}"'
    return re.sub(start + ".*?</article>", lambda _match: block, html, count=1, flags=re.S)


def _fields(item: ItemView, result: ItemResult, answer: Any, sep: str) -> dict[str, Any]:
    value = answer.value if answer else None
    fields: dict[str, Any] = {
        "failed": " failed" if result.failed else "",
        "hidden": "" if result.visible else " hidden",
        "json": escape(json.dumps(value, ensure_ascii=False)) if value is not None else "null",
        "revision": answer.revision if answer else 0,
        "note": escape(answer.note) if answer else "",
        "note_open": " open" if answer and answer.note else "",
        "score": escape(item.points_label),
        "pressed_na": "true" if value == "na" else "false",
    }
    if result.not_applicable:  # short, as the page's script writes it
        fields["score"] = escape(_("Not applicable"))
    elif result.max is not None:
        fields["score"] = (
            f"{format_number(result.score, decimal_sep=sep)} / "
            f"{format_number(result.max, decimal_sep=sep)}"
        )
    kind = item.type
    if kind == "yes_no":
        fields["pressed_yes"] = "true" if value == "yes" else "false"
        fields["pressed_no"] = "true" if value == "no" else "false"
    elif kind == "choice":
        for n, (option, _label, _points) in enumerate(item.options):
            fields[f"pressed_{n}"] = "true" if value == option else "false"
    elif kind == "ratio":
        ratio = value if isinstance(value, dict) else {}
        fields["num"] = escape(ratio.get("num", ""))
        fields["den"] = escape(ratio.get("den", ""))
        fields["percent"] = (
            format_number(result.percent) + " %" if result.percent is not None else ""
        )
    elif kind in ("score", "number"):
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        fields["number"] = format_number(number, decimal_sep=sep) if number is not None else ""
    elif kind == "date":
        fields["text"] = escape(format_date(value)) if isinstance(value, str) else ""
    else:
        fields["text"] = escape(value) if isinstance(value, str) and value != "na" else ""
    return fields


def labels(locale: str) -> dict[str, str]:
    """The page's fixed words, translated once per language, and its length limits."""
    found = _labels.get(locale)
    if found is None:
        found = {
            "pass": _("Pass"),
            "fail": _("Fail"),
            "na": _("Not applicable"),
            "save": _("Save"),
            "numerator": _("Numerator"),
            "denominator": _("Denominator"),
            "number": _("Number"),
            "date": _("Date"),
            "date_format": _("dd/mm/yyyy"),
            "text": _("Text"),
            "answer": _("Answer"),
            "guidance": _("Guidance"),
            "legal_basis": _("Legal basis:"),
            "note": _("Note"),
            "save_note": _("Save note"),
            "yes": _("Yes"),
            "no": _("No"),
            "note_max": str(MAX_NOTE),
            "text_max": str(MAX_TEXT_ANSWER),
        }
        with _guard:
            _labels[locale] = found
    return found


def _section(section: dict[str, Any]) -> SectionView:
    return SectionView(section["key"], section["title"], [_item(i) for i in section["items"]])


def _item(item: dict[str, Any]) -> ItemView:
    kind = item["type"]
    photo = ""
    if item.get("photo") == "required":
        photo = _("Photo required")
        if item.get("photos_min", 1) > 1:
            photo += f" ({item['photos_min']})"
    options = [
        (o["value"], o["label"], format_number(o["points"])) for o in item.get("options", [])
    ]
    rule = item.get("show_if")
    return ItemView(
        key=item["key"],
        type=kind,
        text=item["text"],
        points_label=points_label(item),
        hint=value_hint(item),
        show_if=json.dumps(rule, ensure_ascii=False) if rule else None,
        options=options,
        allow_na=kind in ("yes_no", "choice", "score", "ratio") and item.get("allow_na", True),
        guidance=item.get("guidance", ""),
        legal_basis=item.get("legal_basis", ""),
        photo=photo,
        scored=kind in ("yes_no", "choice", "score", "ratio") and not is_question(item),
        question=is_question(item),
    )


def value_hint(item: dict[str, Any]) -> str:
    """What a valid answer to this item looks like, in the page's language."""
    kind = item["type"]
    if kind == "yes_no":
        return _("Choose Yes or No.") if is_question(item) else _("Choose Pass or Fail.")
    if kind == "choice":
        return _("Choose one of the options.")
    if kind == "score":
        return _("Enter points from 0 to %(max)s.", max=format_number(item["points"]))
    if kind == "ratio":
        return _("Enter whole numbers, the numerator not above the denominator.")
    if kind == "number":
        return _("Enter a number.")
    if kind == "date":
        return _("Enter a date as dd/mm/yyyy.")
    return _("Enter a text of at most %(count)s characters.", count=format_number(MAX_TEXT_ANSWER))


def points_label(item: dict[str, Any]) -> str:
    if item["type"] not in ("yes_no", "choice", "score", "ratio"):
        return ""
    points = item.get("points")
    if points is None:
        points = max(o["points"] for o in item["options"])
    label = _("%(points)s points", points=format_number(points))
    if item["type"] == "ratio":
        if "steps" in item:
            steps = ", ".join(
                f"≥ {format_number(s['min'])} %: {format_number(s['points'])}"
                for s in item["steps"]
            )
            return f"{label} ({steps})"
        return _(
            "%(label)s, target %(target)s %%",
            label=label,
            target=format_number(item.get("target", 100)),
        )
    return label


TOKEN_MARK = "\x01csrf-token\x01"


class ChecklistCache:
    """Rendered checklists (score sheet and sections' HTML) by what they depend on: the visit, its
    revision (every change to a visit increases it), its status, whether the viewer may write,
    and the language. Process-local and bounded; size 0 turns it off."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[tuple, tuple[Any, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[Any, str] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple, value: tuple[Any, str]) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def render_checklist(
    model: PageModel, sheet: Any, stored: dict[str, Any], *, action: str, writable: bool
) -> str:
    """The sections with their items, with TOKEN_MARK where the CSRF token goes."""
    items = render_items(
        model, sheet.items, stored, action=action, token=TOKEN_MARK, writable=writable
    )
    return render_template(
        "visits/_checklist.html", sections=model.sections, items=items, sheet=sheet
    )
