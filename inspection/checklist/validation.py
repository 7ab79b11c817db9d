"""Validation of a template document: every problem at once, each named by its key path with
0-based indexes (`sections[2].items[4].points: must be a number ≥ 0`). Pure: no Flask, no DB.

The field and item rules are the models' (form.py, items.py); what spans items is here: keys
unique across the template, `show_if` pointing at an item that can control it, with a value that
item can take, and no cycle. Then what no model sees: unknown members (warned about and ignored),
texts anywhere that cannot be stored, nesting deeper than the format needs."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from inspection import text
from inspection.checklist.checks import check_problems
from inspection.checklist.fields import (
    MAX_KEY,
    MAX_TEMPLATE_BYTES,
    MAX_TEMPLATE_DEPTH,
    MISSING,
    NOT_AN_OBJECT,
    REQUIRED,
    text_message,
    text_problem,
)
from inspection.checklist.form import Band, Section, Template, item_adapter, template_model
from inspection.checklist.item import ITEM_TYPES, N_, Item, ShowIf, every_item_member
from inspection.checklist.problems import Message, Report, message

DEEP = message(
    "too_deep",
    "is nested too deeply: a template has at most %(most)s levels of lists and objects",
    most=MAX_TEMPLATE_DEPTH,
)
TOO_DEEP = str(DEEP)
TEMPLATE_MEMBERS = set(Template.model_fields)
SECTION_MEMBERS = set(Section.model_fields)
BAND_MEMBERS = set(Band.model_fields)
SHOW_IF_MEMBERS = set(ShowIf.model_fields)


def validate(doc: Any, *, stored: bool = False) -> Report:
    """Every problem of a template document. `stored`: a document the library already holds,
    checked for what its use needs (its structure), not for the text rules of an import."""
    report = Report()
    if not isinstance(doc, dict):
        report.error("", message("not_object", "the template must be a JSON object"))
        return report
    context = {"stored": stored}
    try:
        template_model().model_validate(doc, context=context)
    except ValidationError as exc:
        for error in exc.errors():
            path, found = _problem(error, doc)
            report.error(path, found)
    items = _items(doc, context)
    _keys_unique(report, doc, items)
    _show_if_rules(report, items, stored=stored)
    models: dict[str, Item | None] = {}
    for _where, raw, model in items:
        if isinstance(raw.get("key"), str):
            models.setdefault(raw["key"], model)
    for path, found in check_problems(doc.get("checks"), models, stored=stored):
        report.error(path, found)
    _warnings(report, doc, items)
    if not stored:
        reported = {problem.path for problem in report.errors}
        for path, found in _every_value(doc):
            if path not in reported:
                report.error(path, found)
    return report


# Every item that is an object: (key path, the raw item, its model when the item alone is valid).
Found = list[tuple[str, dict[str, Any], Item | None]]


def _items(doc: dict[str, Any], context: dict[str, Any]) -> Found:
    """Every item of the document that is an object, with its path and, when valid, its model."""
    adapter = item_adapter()
    found = []
    for s, section in _members(doc.get("sections")):
        if not isinstance(section, dict):
            continue
        for i, raw in _members(section.get("items")):
            if not isinstance(raw, dict):
                continue
            try:
                model: Item | None = adapter.validate_python(raw, context=context)
            except ValidationError:
                model = None
            found.append((f"sections[{s}].items[{i}]", raw, model))
    return found


def _members(value: Any) -> list[tuple[int, Any]]:
    return list(enumerate(value)) if isinstance(value, list) else []


def _problem(error: Any, doc: dict[str, Any]) -> tuple[str, Message]:
    """A pydantic error as a Problem: its path without the union's tag, our message."""
    loc = _without_tags(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if "text" in ctx:  # raised by one of our rules
        return _path(loc), Message(kind, ctx["text"], ctx.get("params") or {})
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        choices = ", ".join(sorted(ITEM_TYPES))
        return _path((*loc, "type")), message(
            "item_type", "must be one of %(choices)s", choices=choices
        )
    if kind in ("model_attributes_type", "model_type", "dict_type"):
        return _path(loc), NOT_AN_OBJECT
    if kind == "extra_forbidden":  # a check's members are a closed list
        return _path(loc), message("unknown_member", "unknown key: a check does not take it")
    if kind == "missing":
        name = loc[-1] if loc else ""
        return _path(loc), MISSING.get(str(name), REQUIRED)
    return _path(loc), Message(kind, error["msg"])  # not reached by a rule of the format


def _without_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """`('sections', 0, 'items', 3, 'yes_no', 'points')` → `('sections', 0, 'items', 3,
    'points')`: the union's tag follows an item's index."""
    kept: list[Any] = []
    for n, part in enumerate(loc):
        if n >= 2 and loc[n - 2] == "items" and isinstance(loc[n - 1], int):
            continue
        kept.append(part)
    return tuple(kept)


def _path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _keys_unique(report: Report, doc: dict[str, Any], items: Found) -> None:
    sections = [
        (f"sections[{s}]", section.get("key"))
        for s, section in _members(doc.get("sections"))
        if isinstance(section, dict)
    ]
    _unique(report, DUPLICATE_SECTION, sections)
    _unique(report, DUPLICATE_ITEM, [(path, raw.get("key")) for path, raw, _model in items])


DUPLICATE_SECTION = N_("duplicate section key '%(key)s' (also %(other)s)")
DUPLICATE_ITEM = N_("duplicate item key '%(key)s' (also %(other)s)")


def _unique(report: Report, said: str, keyed: list[tuple[str, Any]]) -> None:
    """Each key once: a repeat is refused, naming where the key was first."""
    first: dict[str, str] = {}
    for path, key in keyed:
        if not isinstance(key, str):
            continue
        if key in first:
            found = message("duplicate", said, key=key, other=first[key])
            report.error(f"{path}.key", found)
        else:
            first[key] = path


def _show_if_rules(report: Report, items: Found, *, stored: bool) -> None:
    by_key: dict[str, tuple[str, dict[str, Any], Item | None]] = {}
    for entry in items:
        key = entry[1].get("key")
        if isinstance(key, str):
            by_key.setdefault(key, entry)
    edges: dict[str, str] = {}
    for key, (path, raw, _model) in by_key.items():
        rule = raw.get("show_if")
        if not isinstance(rule, dict) or "item" not in rule or "equals" not in rule:
            continue  # the item's model says what is wrong with it
        rpath = f"{path}.show_if"
        target = rule["item"]
        if not isinstance(target, str):
            continue  # the same
        if target == key:
            report.error(f"{rpath}.item", message("self", "an item cannot depend on itself"))
            continue
        if not stored and (problem := text_problem(target, (MAX_KEY, False))):
            report.error(f"{rpath}.item", problem)
            continue
        if target not in by_key:
            found = message("unknown_item", "unknown item key %(key)s", key=repr(target))
            report.error(f"{rpath}.item", found)
            continue
        controller_raw, controller = by_key[target][1], by_key[target][2]
        kind = controller_raw.get("type")
        cls = ITEM_TYPES.get(kind) if isinstance(kind, str) else None
        if cls is None or not cls.can_control:
            controllers = [name for name, c in ITEM_TYPES.items() if c.can_control]
            found = message(
                "not_controller",
                "'%(key)s' is a %(type)s item; show_if needs a %(types)s or %(last)s item",
                key=target,
                type=repr(kind),
                types=", ".join(controllers[:-1]),
                last=controllers[-1],
            )
            report.error(f"{rpath}.item", found)
            continue
        if controller is not None and (problem := controller.equals_problem(rule["equals"])):
            report.error(f"{rpath}.equals", problem)
        edges[key] = target
    _cycles(report, by_key, edges)


def _cycles(
    report: Report,
    by_key: dict[str, tuple[str, dict[str, Any], Item | None]],
    edges: dict[str, str],
) -> None:
    reported: set[str] = set()
    for start in edges:
        chain: list[str] = []
        node: str | None = start
        while node is not None and node not in chain and node not in reported:
            chain.append(node)
            node = edges.get(node)
        if node is not None and node in chain:
            cycle = chain[chain.index(node) :]
            for key in cycle:
                reported.add(key)
                found = message(
                    "cycle",
                    "show_if forms a cycle: %(cycle)s",
                    cycle=" → ".join([*cycle, cycle[0]]),
                )
                report.error(f"{by_key[key][0]}.show_if.item", found)


UNKNOWN = message("unknown_member", "unknown key, ignored")


def _warnings(report: Report, doc: dict[str, Any], items: Found) -> None:
    """Unknown members, and what an item has that it will not use."""
    _unknown(report, "", doc, TEMPLATE_MEMBERS)
    for b, band in _members(doc.get("bands")):
        if isinstance(band, dict):
            _unknown(report, f"bands[{b}]", band, BAND_MEMBERS)
    for s, section in _members(doc.get("sections")):
        if isinstance(section, dict):
            _unknown(report, f"sections[{s}]", section, SECTION_MEMBERS)
    for path, raw, model in items:
        _unknown(report, path, raw, every_item_member())
        if isinstance(raw.get("show_if"), dict):
            _unknown(report, f"{path}.show_if", raw["show_if"], SHOW_IF_MEMBERS)
        if model is not None:
            for where, found in model.warnings(raw):
                report.warn(f"{path}.{where}", found)


def _unknown(
    report: Report, path: str, obj: dict[str, Any], known: set[str] | frozenset[str]
) -> None:
    for name in obj:
        if name not in known and not text.text_problem(name, limit=MAX_KEY, multiline=False):
            report.warn(f"{path}.{name}" if path else name, UNKNOWN)


def _every_value(doc: dict[str, Any]) -> list[tuple[str, Message]]:
    """What the rules above do not see, anywhere in the document (unknown members included,
    which are stored too): a text that cannot be stored, a member name that is not a short
    one-line text, a list or object nested deeper than the format needs. Iterative."""
    found: list[tuple[str, Message]] = []
    stack: list[tuple[str, Any, int]] = [("", doc, 1)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, str):
            problem = text_message(text.text_fault(value, limit=MAX_TEMPLATE_BYTES))
            if problem:
                found.append((path, problem))
        elif isinstance(value, dict | list) and depth > MAX_TEMPLATE_DEPTH:
            found.append((path, DEEP))
        elif isinstance(value, list):
            children = [(f"{path}[{i}]", child, depth + 1) for i, child in enumerate(value)]
            stack.extend(reversed(children))
        elif isinstance(value, dict):
            children = []
            for name, child in value.items():
                fault = text.text_fault(name, limit=MAX_KEY, multiline=False)
                if fault:
                    found.append((_odd_name(path, name), name_message(fault)))
                else:
                    children.append((f"{path}.{name}" if path else name, child, depth + 1))
            stack.extend(reversed(children))
    return found


# What is wrong with a member's name, one whole sentence per text.py finding (so that each can
# be translated as a whole).
NAME_FAULTS = {
    text.NOT_TEXT: N_("the name must be a string"),
    text.NOT_UNICODE: N_("the name is not valid Unicode text"),
    text.CONTROL: N_("the name contains control characters"),
    text.TOO_LONG: N_("the name must be at most %(limit)s characters"),
}


def name_message(fault: text.Fault) -> Message:
    return message("name", NAME_FAULTS[fault[0]], **fault[1])


def _odd_name(path: str, name: Any) -> str:
    """A key path naming a member whose name is not plain text, written so that it can be shown
    (escapes instead of control characters or broken Unicode)."""
    if isinstance(name, str) and len(name) > 40:
        name = name[:40] + "…"
    return f"{path}[{name!r}]"
