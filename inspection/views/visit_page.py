"""The checklist page: what it shows of a template, and its rendering.

The page is the inspectors' hot path. What a pinned template version shows in one language (its
texts, point labels, hints) is computed once per process (`page_model`). The rendered checklist
of a visit is the same for every viewer of one revision, status, writability and language, so it
is kept (`ChecklistCache`) with a marker where each viewer's CSRF token goes; nothing else of the
viewer is in it. Rendering is plain Jinja with autoescaping (templates/visits/_item.html).
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from flask import render_template
from flask_babel import gettext as _
from flask_babel import ngettext

from inspection import formatting
from inspection.checklist import MAX_TEXT_ANSWER, NA, Item, Template
from inspection.checklist.item import Choice
from inspection.i18n import PageWords, once_per_language
from inspection.photos import MAX_PIXELS
from inspection.photos import MESSAGES as REFUSALS
from inspection.scoring import ItemResult, ScoreSheet
from inspection.services.answers import MAX_NOTE, AnswerRow
from inspection.services.visit_photos import MAX_CAPTION

_cache: dict[tuple[str, str], PageModel] = {}
_guard = threading.Lock()


@dataclass(frozen=True)
class ItemView:
    """An item as the page shows it in one language (its class decides every part)."""

    model: Item
    key: str
    type: str
    input: str  # how the page's script reads and fills the answer (items.py)
    fragment: str  # the Jinja template of the answer row
    text: str
    points_label: str
    hint: str
    show_if: str | None  # the rule as JSON, for the page's script
    choices: list[Choice]  # the buttons of an item answered by a tap
    allow_na: bool
    guidance: str
    legal_basis: str
    photo: str  # "", or the badge text of a required photo
    photos_needed: int  # how many photos the item requires (0: none)
    scored: bool  # shows its score (a question, worth nothing, does not)


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


def page_model(template: Template[Any], sha256: str, locale: str) -> PageModel:
    """The template's sections as the page shows them in one language, built on first use."""
    key = (sha256, locale)
    model = _cache.get(key)
    if model is None:
        words = PageWords(locale)
        model = PageModel(
            [
                SectionView(s.key, s.title, [_item(i, words) for i in s.items])
                for s in template.sections
            ]
        )
        with _guard:
            _cache[key] = model
    return model


@dataclass(frozen=True)
class Thumb:
    """A photo as the checklist shows it: its thumbnail, linking to the display copy."""

    id: int
    thumb: str
    display: str
    caption: str


class Remark(NamedTuple):
    """A line under an item: a raised consistency warning ("warn", its check's key), a comment
    of the lead's review ("review"), a correction the lead made ("correction")."""

    kind: str
    key: str
    text: str


def warning_remarks(sheet: ScoreSheet, locale: str) -> dict[str, list[Remark]]:
    """Each raised consistency warning under every item it names, in the page's language."""
    found: dict[str, list[Remark]] = {}
    for warning in sheet.warnings:
        text = warning.message_en if locale == "en" and warning.message_en else warning.message
        for key in warning.items:
            found.setdefault(key, []).append(Remark("warn", warning.key, text))
    return found


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
    *,
    timezone: str = "Asia/Ho_Chi_Minh",
    words: PageWords | None = None,
    photos: Sequence[Thumb] = (),
    remarks: Sequence[Remark] = (),
) -> dict[str, Any]:
    """One item's answer and score as the page shows them (plain values: the template escapes),
    with the outcome of its form post when there is one, and, for a page that only shows it, the
    answer in words with who gave it and when."""
    value = answer.value if answer else None
    words = words or PageWords(locale)
    said = labels(locale)
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
        "shown": said["not_answered"],
        "by": "",
        "at": "",
        "photos": photos,
        "need": "",
        "remarks": remarks,
    }
    missing = item.photos_needed - len(photos)
    if missing > 0:  # shown while the item applies (an item that does not is hidden whole)
        state["need"] = missing_photos(missing)  # and not answered "na" (visit.css hides it)
    if result.not_applicable:  # short, as the page's script writes it
        state["score"] = said["na"]
    elif result.max is not None:
        state["score"] = (
            f"{formatting.format_number(result.score, locale=locale)} / "
            f"{formatting.format_number(result.max, locale=locale)}"
        )
    if value is not None:
        state.update(item.model.form_fields(value, words))
        state["shown"] = said["na"] if value == NA else item.model.describe(value, words)
    if answer is not None and value is not None:
        state["by"] = answer.answered_by or ""
        if answer.answered_at is not None:
            state["at"] = formatting.format_moment(answer.answered_at, timezone)
    if outcome is not None:
        state.update(state=outcome.state, message=outcome.message, focus=outcome.focus)
        state.update(outcome.typed)
        if outcome.typed:
            state["percent"] = ""  # of the stored answer, not of what was typed
        if outcome.typed.get("note") or outcome.focus == "note":
            state["note_open"] = True
    return state


def missing_photos(count: int, shown: object = None) -> str:
    """ "2 more photos needed" (`shown` in place of the number: the page's script's "{n}")."""
    return ngettext(
        "%(count)s more photo needed",
        "%(count)s more photos needed",
        count,
        count=count if shown is None else shown,
    )


def script_words(locale: str) -> dict[str, str]:
    """What the page's script says about a save, translated once per language."""
    return once_per_language(f"script:{locale}", _script_words)


def _script_words() -> dict[str, str]:
    return {
        "saving": _("Saving…"),
        "saved": _("Saved"),
        "failed": _("Not saved yet: will retry"),
        "offline": _("No connection: kept on this tablet, sent when the connection returns"),
        "conflict": _("Someone else changed this item a moment ago: here is the latest version."),
        "invalid": _("Not saved:"),
        "login": _("Your session has ended: log in again, and the answer will be sent."),
        "locked": _("This visit can no longer be changed."),
        "too_large": _("Too large to send: shorten the note or the text, then save again."),
        "not_kept": _(
            "Not kept: this tablet's storage is full. Free some space, then answer again."
        ),
        "conflict_kept": _(
            "Someone else changed this item a moment ago: their answer is shown; what you "
            "typed is kept here, not saved."
        ),
        "keep_mine": _("Keep mine"),
        "incomplete": _("Numerator or denominator missing: not saved."),
        "not_applicable": _("Not applicable"),
    }


def head_words(locale: str) -> dict[str, str]:
    """The words of the page's head (its links, the offline row), translated once per language:
    the page is made for every request, from its kept checklist, and should cost little."""
    return once_per_language(f"head:{locale}", _head_words)


def _head_words() -> dict[str, str]:
    return {
        "read_only": _("Read only."),
        "findings": _("Deficiencies and submission"),
        "review": _("Review"),
        "history": _("History"),
        "record": _("On-site record"),
        "returned": _("The team lead returned the visit: to do"),
        "prepare": _("Prepare for offline work"),
        "preparing": _("Preparing…"),
        "ready": _("Ready for offline work: copy of {time}"),
        "not_prepared": _("Not prepared: a connection is needed."),
        "my_visits": _("My visits"),
        "to_plan": _("Back to the plan"),
    }


def photo_words(locale: str, max_upload_mb: int) -> dict[str, Any]:
    """What static/js/photos.js says (the camera button, its progress, the viewer), with the
    reasons a photo is refused by their codes (photos.py), translated once per language."""
    return once_per_language(
        f"photos:{locale}:{max_upload_mb}", lambda: _photo_words(max_upload_mb)
    )


def _photo_words(max_upload_mb: int) -> dict[str, Any]:
    limits = {"limit_mb": max_upload_mb, "limit_mp": MAX_PIXELS // 10**6}
    reasons = {code: _(message, **limits) for code, message in REFUSALS.items()}
    return {
        "take_photo": _("Take photo"),
        "need_one": missing_photos(1),
        "need_many": missing_photos(2, "{n}"),  # {n}: the number, put in by the script
        "uploading": _("Sending photo…"),
        "upload_failed": _("Photo kept on this tablet: sent when the connection returns"),
        "full": _("this tablet has no room left to keep it."),
        "upload_refused": _("Photo refused:"),
        "photo": _("Photo"),
        "close": _("Close"),
        "zoom_in": _("Zoom in"),
        "zoom_out": _("Zoom out"),
        "caption": _("Caption"),
        "caption_max": str(MAX_CAPTION),
        "save_caption": _("Save caption"),
        "caption_saved": _("Caption saved."),
        "remove_photo": _("Remove photo"),
        "confirm_remove": _("Remove this photo from the item?"),
        "original": _("Original file"),
        "login": _("Your session has ended: log in again (in another tab), then try again."),
        "locked": _("This visit can no longer be changed."),
        "reasons": reasons,
    }


def progress(sheet: ScoreSheet) -> list[dict[str, Any]]:
    """Each section as the page's index shows it: its answered x/y and subtotal, and the first
    of its applicable items still waiting for an answer."""
    rows = []
    for section in sheet.sections:
        waiting = [r.key for r in section.items if r.visible and not r.settled]
        rows.append(
            {
                "key": section.key,
                "title": section.title,
                "answered": section.answered,
                "answerable": section.answerable,
                "score": section.score,
                "max": section.max,
                "next": waiting[0] if waiting else None,
            }
        )
    return rows


def labels(locale: str) -> dict[str, str]:
    """The page's fixed words, translated once per language, and its length limits."""
    return once_per_language(f"labels:{locale}", _labels_now)


def _labels_now() -> dict[str, str]:
    return {
        "pass": _("Pass"),
        "fail": _("Fail"),
        "na": _("Not applicable"),
        "not_answered": _("Not answered yet"),
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
        "photos": _("Photos"),
        "photo": _("Photo"),
        "deficiency": _("Deficiency"),
        "note_max": str(MAX_NOTE),
        "text_max": str(MAX_TEXT_ANSWER),
    }


def _item(item: Item, words: PageWords) -> ItemView:
    photo = ""
    if item.photos_needed:
        photo = _("Photo required")
        if item.photos_needed > 1:
            photo += f" ({item.photos_needed})"
    rule = item.show_if
    return ItemView(
        model=item,
        key=item.key,
        type=item.type,
        input=item.input,
        fragment=item.fragment,
        text=item.text,
        points_label=item.points_label(words),
        hint=item.hint(words),
        show_if=json.dumps(rule.model_dump(), ensure_ascii=False) if rule else None,
        choices=item.choices(words),
        allow_na=item.may_be_na,
        guidance=item.guidance,
        legal_basis=item.legal_basis,
        photo=photo,
        photos_needed=item.photos_needed,
        scored=item.scored and not item.question,
    )


# Where each viewer's CSRF token goes in a kept checklist (a text no template can hold: its
# texts refuse control characters).
TOKEN_MARK = "\x01csrf-token\x01"

# (visit id, revision, status, writable, language) → (score sheet, checklist HTML)
CacheKey = tuple[Any, ...]  # what a rendered part depends on (the visit, its revision, …)
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
    timezone: str,
    band_names: Mapping[str, str | None],
    outcome: Outcome | None = None,
    photos: Mapping[str, Sequence[Thumb]] | None = None,
    remarks: Mapping[str, Sequence[Remark]] | None = None,
    findings_url: str = "",
) -> str:
    """The score line and the sections with their items, TOKEN_MARK where the CSRF token goes;
    one item showing the outcome of its form post when `outcome` is given. `band_names`: each
    of the template's band labels as the page's language says it. For those who may answer, a
    section whose every applicable item is answered is folded (the one showing an outcome stays
    open)."""
    words = PageWords(locale)
    warned = warning_remarks(sheet, locale)
    states = {
        item.key: item_state(
            item,
            sheet.items[item.key],
            stored.get(item.key),
            locale,
            outcome if outcome is not None and outcome.item_key == item.key else None,
            timezone=timezone,
            words=words,
            photos=(photos or {}).get(item.key, ()),
            remarks=[*warned.get(item.key, ()), *(remarks or {}).get(item.key, ())],
        )
        for section in model.sections
        for item in section.items
    }
    keep_open = {sheet.items[outcome.item_key].section} if outcome is not None else set()
    # A section that still lacks a required photo stays open too: its badge says how many.
    keep_open |= {
        sheet.items[key].section
        for key, state in states.items()
        if state["need"] and sheet.items[key].visible and state["value"] != NA
    }
    hints = Counter(item.hint for section in model.sections for item in section.items)
    page = {
        "action": action,
        "token": TOKEN_MARK,
        "writable": writable,
        "keep_open": keep_open,
        "findings": findings_url,
        # Said once per section, and by an item only when its own differs (bytes on weak links).
        "hint": hints.most_common(1)[0][0] if hints else "",
    }
    html = render_template(
        "visits/_checklist.html",
        sections=model.sections,
        states=states,
        sheet=sheet,
        band=band_names.get(sheet.band) if sheet.band else None,
        band_names=band_names,
        progress=progress(sheet),
        L=labels(locale),
        page=page,
    )
    # The templates' indentation is for their readers: a line's leading blanks before a tag are
    # dropped (never text: a "<" in text or in an attribute is escaped).
    return INDENT.sub("\n<", html)


INDENT = re.compile(r"\n[ \t]+<")
