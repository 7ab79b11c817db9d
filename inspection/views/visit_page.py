"""The checklist page: what it shows of a template, and its rendering.

The page is the inspectors' hot path. What a pinned template version shows in one language (its
texts, point labels, hints) is computed once per process (`page_model`). The rendered checklist
of a visit is the same for every viewer of one revision, status, writability and language, so it
is kept (`ChecklistCache`) with a marker where each viewer's CSRF token goes; nothing else of the
viewer is in it. Rendering is plain Jinja with autoescaping (templates/visits/_item.html).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import render_template
from flask_babel import gettext as _

from inspection import formatting
from inspection.checklist import MAX_TEXT_ANSWER
from inspection.formatting import format_date
from inspection.i18n import format_number
from inspection.labels import is_question
from inspection.scoring import ItemResult, ScoreSheet
from inspection.services.answers import MAX_NOTE, AnswerRow

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

    def item(self, key: str) -> ItemView | None:
        return next((i for s in self.sections for i in s.items if i.key == key), None)


def page_model(template: dict[str, Any], sha256: str, locale: str) -> PageModel:
    """The template's sections as the page shows them in one language, built on first use."""
    key = (sha256, locale)
    model = _cache.get(key)
    if model is None:
        model = PageModel([_section(s) for s in template["sections"]])
        with _guard:
            _cache[key] = model
    return model


@dataclass(frozen=True)
class Outcome:
    """What became of a plain form post (JavaScript off), shown inside its item on the page that
    follows: the server sends the browser back to the item, far below any message at the top."""

    item_key: str
    state: str  # saved, invalid, conflict or locked: as the page's script names them
    message: str
    typed: dict[str, str] = field(default_factory=dict)  # a refused post's fields, as typed
    focus: str = ""  # "value" or "note": the field to correct


def item_state(
    item: ItemView,
    result: ItemResult,
    answer: AnswerRow | None,
    locale: str,
    outcome: Outcome | None = None,
) -> dict[str, Any]:
    """One item's answer and score as the page shows them (plain values: the template escapes),
    with the outcome of its form post when there is one."""
    value = answer.value if answer else None
    state: dict[str, Any] = {
        "value": value,
        "failed": result.failed,
        "hidden": not result.visible,
        "json": json.dumps(value, ensure_ascii=False) if value is not None else "null",
        "revision": answer.revision if answer else 0,
        "note": answer.note if answer else "",
        "note_open": bool(answer and answer.note),
        "score": item.points_label,
        "num": "",
        "den": "",
        "percent": "",
        "number": "",
        "text": "",
        "state": "",
        "message": "",
        "focus": "",
    }
    if result.not_applicable:  # short, as the page's script writes it
        state["score"] = _("Not applicable")
    elif result.max is not None:
        state["score"] = (
            f"{formatting.format_number(result.score, locale=locale)} / "
            f"{formatting.format_number(result.max, locale=locale)}"
        )
    state.update(_typed_value(item, result, value, locale))
    if outcome is not None:
        state.update(state=outcome.state, message=outcome.message, focus=outcome.focus)
        state.update(outcome.typed)
        if outcome.typed:
            state["percent"] = ""  # of the stored answer, not of what was typed
        if outcome.typed.get("note") or outcome.focus == "note":
            state["note_open"] = True
    return state


def _typed_value(item: ItemView, result: ItemResult, value: Any, locale: str) -> dict[str, str]:
    """The answer in the fields an item types it into."""
    kind = item.type
    if kind == "ratio" and isinstance(value, dict):
        percent = ""
        if result.percent is not None:
            percent = formatting.format_number(result.percent, locale=locale) + " %"
        return {
            "num": str(value.get("num", "")),
            "den": str(value.get("den", "")),
            "percent": percent,
        }
    if (
        kind in ("score", "number")
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return {"number": formatting.format_number(value, locale=locale)}
    if kind == "date" and isinstance(value, str):
        return {"text": format_date(value)}
    if kind == "text" and isinstance(value, str) and value != "na":
        return {"text": value}
    return {}


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


# Where each viewer's CSRF token goes in a kept checklist (a text no template can hold: its
# texts refuse control characters).
TOKEN_MARK = "\x01csrf-token\x01"

# (visit id, revision, status, writable, language) → (score sheet, checklist HTML)
CacheKey = tuple[int, int, str, bool, str]
Checklist = tuple[ScoreSheet, str]


class ChecklistCache:
    """Rendered checklists (score sheet and sections' HTML) by what they depend on: the visit, its
    revision (every change to a visit increases it), its status, whether the viewer may write,
    and the language. Process-local and bounded; size 0 turns it off."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[CacheKey, Checklist] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> Checklist | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: CacheKey, value: Checklist) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def render_checklist(
    model: PageModel,
    sheet: ScoreSheet,
    stored: Mapping[str, AnswerRow],
    *,
    action: str,
    writable: bool,
    locale: str,
    outcome: Outcome | None = None,
) -> str:
    """The sections with their items, TOKEN_MARK where the CSRF token goes; one item showing the
    outcome of its form post when `outcome` is given."""
    states = {
        item.key: item_state(
            item,
            sheet.items[item.key],
            stored.get(item.key),
            locale,
            outcome if outcome is not None and outcome.item_key == item.key else None,
        )
        for section in model.sections
        for item in section.items
    }
    page = {"action": action, "token": TOKEN_MARK, "writable": writable}
    return render_template(
        "visits/_checklist.html",
        sections=model.sections,
        states=states,
        sheet=sheet,
        L=labels(locale),
        page=page,
    )
