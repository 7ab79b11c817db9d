"""The checklist template format (CHECKLIST-FORMAT.md): validation and small accessors.

`validate(doc)` checks every rule and returns every problem at once, each named by its key path
with 0-based indexes (`sections[2].items[4].points: must be a number ≥ 0`). Pure: no Flask, no DB.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from inspection import text

KEY_PATTERN = re.compile(r"^[a-z0-9-]+$")
SCORED_TYPES = frozenset({"yes_no", "choice", "score", "ratio"})
UNSCORED_TYPES = frozenset({"number", "text", "date"})
ITEM_TYPES = SCORED_TYPES | UNSCORED_TYPES
CONTROLLER_TYPES = frozenset({"yes_no", "choice", "number", "text", "date"})
PHOTO_MODES = ("none", "optional", "required")
ON_EMPTY = ("na", "full", "zero")
DEFAULT_BANDS: list[dict[str, Any]] = [
    {"min": 80, "label": "Tốt"},
    {"min": 70, "label": "Khá"},
    {"min": 60, "label": "Trung bình"},
    {"min": 0, "label": "Thấp"},
]

TEMPLATE_KEYS = {"key", "version", "title", "description", "bands", "sections"}
SECTION_KEYS = {"key", "title", "description", "items"}
ITEM_KEYS = {
    "key",
    "text",
    "type",
    "points",
    "guidance",
    "legal_basis",
    "photo",
    "photos_min",
    "deficiency",
    "remedy",
    "required",
    "allow_na",
    "show_if",
    "options",
    "target",
    "steps",
    "on_empty",
}
SHOW_IF_KEYS = {"item", "equals"}


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass
class Report:
    """The outcome of validating one template document."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # The paths whose text a rule has put through `text.text_problem` (not checked again).
    checked: set[str] = field(default_factory=set, repr=False, compare=False)
    # Off for a document already in the library: the text rules are a condition of import, and
    # a version stored under looser ones must stay usable by the visits that pinned it.
    text_rules: bool = field(default=True, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    def text_problem(self, path: str, value: Any, *, limit: int, multiline: bool) -> str | None:
        """`text.text_problem` of the text at `path`, remembered as checked."""
        self.checked.add(path)
        if not self.text_rules:
            return None
        return text.text_problem(value, limit=limit, multiline=multiline)

    def error(self, path: str, message: str) -> None:
        self.errors.append(Problem(path, message))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(Problem(path, message))


MAX_NUMBER = 10**15  # beyond any count, rate or points here, and exact in a browser's double
MAX_VERSION = 1_000_000
MAX_TEXT_ANSWER = 10_000  # a few pages: a finding, not a report

# What a template may hold (listed for authors in README, "Writing a checklist"). A file of at most
# 1 MB: the shipped ones are 12 KB and 48 KB. At most 10 levels of lists and objects: the format
# needs 7 (template, sections, section, items, item, options or steps, option or step), so 3 spare.
MAX_TEMPLATE_BYTES = 1024 * 1024
MAX_TEMPLATE_DEPTH = 10
TOO_DEEP = (
    f"is nested too deeply: a template has at most {MAX_TEMPLATE_DEPTH} levels of lists and objects"
)
# Texts: (limit in characters, may span lines). Keys fit the 64-character columns that store them
# (Plan.form_key, Answer.item_key); the texts allow ten times and more what the shipped templates
# use (the longest: a title of 75, an item text of 172, a guidance of 244, a remedy of 153).
MAX_KEY = 64
TITLE = (300, False)
DESCRIPTION = (5000, True)
ITEM_TEXTS: dict[str, tuple[int, bool]] = {
    "text": (1000, True),
    "guidance": (5000, True),
    "legal_basis": (1000, True),
    "deficiency": (2000, True),  # pre-fill a finding, whose texts hold 4000
    "remedy": (2000, True),
}
OPTION_LABEL = (300, False)
OPTION_VALUE = (100, False)
BAND_LABEL = (100, False)


def is_number(value: Any) -> bool:
    """A JSON number an item can hold: not a bool, not NaN or infinite, at most 10^15 in size."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return -MAX_NUMBER <= value <= MAX_NUMBER  # False for NaN and ±inf as well


def to_decimal(value: int | float | str | Decimal) -> Decimal:
    """Decimal of a JSON number as written (2.85 stays 2.85, not its binary neighbour)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def iter_items(template: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(section, item) pairs in template order."""
    for section in template.get("sections", []):
        for item in section.get("items", []):
            yield section, item


def item_max(item: Mapping[str, Any]) -> Decimal | None:
    """The most an item can score: its points (a choice: the best option's); None if unscored."""
    if item["type"] not in SCORED_TYPES:
        return None
    if "points" in item:
        return to_decimal(item["points"])
    return max(to_decimal(o["points"]) for o in item["options"])


def template_max(template: Mapping[str, Any]) -> Decimal:
    """Sum of every scorable item's maximum, all items applicable."""
    return sum((m for _, i in iter_items(template) if (m := item_max(i)) is not None), Decimal(0))


def parse_date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def validate(doc: Any, *, stored: bool = False) -> Report:
    """Every problem of a template document. `stored`: a document the library already holds,
    checked for what its use needs (its structure), not for the text rules of an import."""
    report = Report(text_rules=not stored)
    if not isinstance(doc, dict):
        report.error("", "the template must be a JSON object")
        return report
    _unknown_keys(report, "", doc, TEMPLATE_KEYS)
    _key(report, "key", doc.get("key"))
    version = doc.get("version")
    if not (isinstance(version, int) and not isinstance(version, bool) and version >= 1):
        report.error("version", "must be a whole number ≥ 1")
    elif version > MAX_VERSION:
        report.error("version", f"must be at most {MAX_VERSION}")
    _text(report, "title", doc.get("title"), required=True, limits=TITLE)
    _text(report, "description", doc.get("description"), required=False, limits=DESCRIPTION)
    if "bands" in doc:
        _bands(report, doc["bands"])
    items = _sections(report, doc.get("sections"))
    _show_if_rules(report, items)
    if not stored:
        reported = {problem.path for problem in report.errors}
        report.errors.extend(p for p in _every_value(doc, report.checked) if p.path not in reported)
    return report


def _every_value(doc: dict[str, Any], checked: set[str]) -> list[Problem]:
    """What the rules above do not see, anywhere in the document (unknown keys included, which
    are stored too): a text that cannot be stored, a member name that is not a short one-line
    text, a list or object nested deeper than the format needs. Iterative: no recursion."""
    found: list[Problem] = []
    stack: list[tuple[str, Any, int]] = [("", doc, 1)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, str):
            problem = (
                None if path in checked else text.text_problem(value, limit=MAX_TEMPLATE_BYTES)
            )
            if problem:
                found.append(Problem(path, problem))
        elif isinstance(value, dict | list) and depth > MAX_TEMPLATE_DEPTH:
            found.append(Problem(path, TOO_DEEP))
        elif isinstance(value, list):
            children = [(f"{path}[{i}]", child, depth + 1) for i, child in enumerate(value)]
            stack.extend(reversed(children))
        elif isinstance(value, dict):
            children = []
            for name, child in value.items():
                problem = text.text_problem(name, limit=MAX_KEY, multiline=False)
                if problem:
                    found.append(Problem(_odd_name(path, name), f"the name {problem}"))
                else:
                    children.append((_join(path, name), child, depth + 1))
            stack.extend(reversed(children))
    return found


def _odd_name(path: str, name: Any) -> str:
    """A key path naming a member whose name is not plain text, written so that it can be shown
    (escapes instead of control characters or broken Unicode)."""
    if isinstance(name, str) and len(name) > 40:
        name = name[:40] + "…"
    return f"{path}[{name!r}]"


def _unknown_keys(report: Report, path: str, obj: dict[str, Any], known: set[str]) -> None:
    for name in obj:
        if name not in known and not text.text_problem(name, limit=MAX_KEY, multiline=False):
            report.warn(_join(path, name), "unknown key, ignored")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _key(report: Report, path: str, value: Any) -> str | None:
    """The key, when it is a valid one; else None, the problem reported."""
    if value is None:
        report.error(path, "is required")
    elif not isinstance(value, str) or not KEY_PATTERN.fullmatch(value):
        report.error(path, "must use only lowercase letters a-z, digits and '-'")
    elif problem := report.text_problem(path, value, limit=MAX_KEY, multiline=False):
        report.error(path, problem)
    else:
        return value
    return None


def _text(
    report: Report, path: str, value: Any, *, required: bool, limits: tuple[int, bool]
) -> None:
    """A text field: `limits` is its (most characters, may span lines)."""
    if value is None:
        if required:
            report.error(path, "is required")
    elif not isinstance(value, str) or (required and not value.strip()):
        report.error(path, "must be a non-empty string" if required else "must be a string")
    elif problem := report.text_problem(path, value, limit=limits[0], multiline=limits[1]):
        report.error(path, problem)


def _bool(report: Report, path: str, value: Any) -> None:
    if value is not None and not isinstance(value, bool):
        report.error(path, "must be true or false")


def _number(
    report: Report,
    path: str,
    value: Any,
    *,
    low: float = 0,
    high: float | None = None,
    low_open: bool = False,
) -> bool:
    ok = is_number(value) and (value > low if low_open else value >= low)
    ok = ok and (high is None or value <= high)
    if not ok:
        lower = f"> {low:g}" if low_open else f"≥ {low:g}"
        bound = f"a number {lower}" + (f" and ≤ {high:g}" if high is not None else "")
        report.error(path, f"must be {bound}")
    return ok


def _points(report: Report, path: str, value: Any, *, high: float | None = None) -> bool:
    """Points: a number ≥ 0 with at most 2 decimals, as every score is rounded to 2 decimals
    (a 0.125-point item could never be reached, and its sheet would add up past 100%)."""
    if not _number(report, path, value, high=high):
        return False
    exponent = to_decimal(value).as_tuple().exponent  # an int: the number is finite
    if isinstance(exponent, int) and exponent < -2:
        report.error(path, "must have at most 2 decimal places")
        return False
    return True


def _bands(report: Report, bands: Any) -> None:
    if not isinstance(bands, list) or not bands:
        report.error("bands", "must be a non-empty list")
        return
    previous = None
    for i, band in enumerate(bands):
        path = f"bands[{i}]"
        if not isinstance(band, dict):
            report.error(path, "must be an object with min and label")
            continue
        _text(report, f"{path}.label", band.get("label"), required=True, limits=BAND_LABEL)
        if not _number(report, f"{path}.min", band.get("min"), high=100):
            previous = None
            continue
        if previous is not None and band["min"] >= previous:
            report.error(f"{path}.min", "must be strictly lower than the previous band's min")
        previous = band["min"]
    last = bands[-1]
    if isinstance(last, dict) and is_number(last.get("min")) and last["min"] != 0:
        report.error(f"bands[{len(bands) - 1}].min", "the last band must have min 0")


# Every item of a template by its key: (its key path, the item).
ItemsByKey = dict[str, tuple[str, dict[str, Any]]]


def _sections(report: Report, sections: Any) -> ItemsByKey:
    """Validates sections and items; returns the well-keyed items by key with their paths."""
    items: ItemsByKey = {}
    if not isinstance(sections, list) or not sections:
        report.error("sections", "must be a non-empty list")
        return items
    seen: dict[str, str] = {}
    for s, section in enumerate(sections):
        path = f"sections[{s}]"
        if not isinstance(section, dict):
            report.error(path, "must be an object")
            continue
        _unknown_keys(report, path, section, SECTION_KEYS)
        key = _key(report, f"{path}.key", section.get("key"))
        if key is not None:
            if key in seen:
                report.error(f"{path}.key", f"duplicate section key '{key}' (also {seen[key]})")
            seen.setdefault(key, path)
        _text(report, f"{path}.title", section.get("title"), required=True, limits=TITLE)
        description = section.get("description")
        _text(report, f"{path}.description", description, required=False, limits=DESCRIPTION)
        section_items = section.get("items")
        if not isinstance(section_items, list) or not section_items:
            report.error(f"{path}.items", "must be a non-empty list")
            continue
        for i, item in enumerate(section_items):
            _item(report, f"{path}.items[{i}]", item, items)
    return items


def _item(report: Report, path: str, item: Any, items: ItemsByKey) -> None:
    if not isinstance(item, dict):
        report.error(path, "must be an object")
        return
    _unknown_keys(report, path, item, ITEM_KEYS)
    key = _key(report, f"{path}.key", item.get("key"))
    if key is not None:
        if key in items:
            report.error(f"{path}.key", f"duplicate item key '{key}' (also {items[key][0]})")
        else:
            items[key] = (path, item)
    for name, limits in ITEM_TEXTS.items():
        _text(report, f"{path}.{name}", item.get(name), required=name == "text", limits=limits)
    _bool(report, f"{path}.required", item.get("required"))
    _bool(report, f"{path}.allow_na", item.get("allow_na"))
    _photo(report, path, item)
    kind = item.get("type")
    if not isinstance(kind, str) or kind not in ITEM_TYPES:
        report.error(f"{path}.type", "must be one of " + ", ".join(sorted(ITEM_TYPES)))
        return
    if kind in UNSCORED_TYPES:
        if "points" in item:
            report.error(f"{path}.points", f"a '{kind}' item is not scored: remove points")
    elif kind == "choice":
        _choice(report, path, item)
    else:
        _points(report, f"{path}.points", item.get("points"))
        if kind == "ratio":
            _ratio(report, path, item)
    for name in ("options", "target", "steps", "on_empty"):
        if name in item and not (
            (name == "options" and kind == "choice") or (name != "options" and kind == "ratio")
        ):
            report.error(f"{path}.{name}", f"is not used by a '{kind}' item")


def _photo(report: Report, path: str, item: dict[str, Any]) -> None:
    mode = item.get("photo", "none")
    if mode not in PHOTO_MODES:
        report.error(f"{path}.photo", "must be one of none, optional, required")
    if "photos_min" in item:
        value = item["photos_min"]
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            report.error(f"{path}.photos_min", "must be a whole number ≥ 1")
        elif mode != "required":
            report.warn(f"{path}.photos_min", "only applies when photo is 'required'")


def _choice(report: Report, path: str, item: dict[str, Any]) -> None:
    has_points = "points" in item
    if has_points:
        _points(report, f"{path}.points", item["points"])
    options = item.get("options")
    if not isinstance(options, list) or len(options) < 2:
        report.error(f"{path}.options", "must be a list of at least 2 options")
        return
    values: set[str] = set()
    best: float | None = None
    for o, option in enumerate(options):
        opath = f"{path}.options[{o}]"
        if not isinstance(option, dict):
            report.error(opath, "must be an object with value, label and points")
            continue
        value = option.get("value")
        if not isinstance(value, str) or not value:
            report.error(f"{opath}.value", "must be a non-empty string")
        elif problem := report.text_problem(
            f"{opath}.value", value, limit=OPTION_VALUE[0], multiline=False
        ):
            report.error(f"{opath}.value", problem)
        elif value == "na":
            report.error(f"{opath}.value", "'na' is reserved for 'not applicable'")
        elif value in values:
            report.error(f"{opath}.value", f"duplicate option value '{value}'")
        else:
            values.add(value)
        _text(report, f"{opath}.label", option.get("label"), required=True, limits=OPTION_LABEL)
        high = item["points"] if has_points and is_number(item["points"]) else None
        if _points(report, f"{opath}.points", option.get("points"), high=high):
            best = option["points"] if best is None else max(best, option["points"])
    if has_points and is_number(item["points"]) and best is not None and best < item["points"]:
        report.error(f"{path}.options", "the best option must be worth exactly the item's points")


def _ratio(report: Report, path: str, item: dict[str, Any]) -> None:
    if "target" in item:
        _number(report, f"{path}.target", item["target"], low=0, high=100, low_open=True)
    if item.get("on_empty", "na") not in ON_EMPTY:
        report.error(f"{path}.on_empty", "must be one of na, full, zero")
    if "steps" not in item:
        return
    if "target" in item:
        report.warn(f"{path}.target", "ignored because the item has steps")
    steps = item["steps"]
    if not isinstance(steps, list) or not steps:
        report.error(f"{path}.steps", "must be a non-empty list")
        return
    points = item.get("points") if is_number(item.get("points")) else None
    previous: dict[str, Any] | None = None
    for s, step in enumerate(steps):
        spath = f"{path}.steps[{s}]"
        if not isinstance(step, dict):
            report.error(spath, "must be an object with min and points")
            previous = None
            continue
        ok = _number(report, f"{spath}.min", step.get("min"), high=100)
        ok = _points(report, f"{spath}.points", step.get("points"), high=points) and ok
        if ok and previous is not None:
            if step["min"] >= previous["min"]:
                report.error(f"{spath}.min", "must be strictly lower than the previous step's min")
            if step["points"] > previous["points"]:
                report.error(f"{spath}.points", "must not exceed the previous step's points")
        previous = step if ok else None
    first = steps[0]
    if points is not None and isinstance(first, dict) and is_number(first.get("points")):
        if first["points"] < points:
            report.warn(f"{path}.steps", "no step reaches the item's points")


def _show_if_rules(report: Report, items: ItemsByKey) -> None:
    edges: dict[str, str] = {}
    for key, (path, item) in items.items():
        rule = item.get("show_if")
        if rule is None:
            continue
        rpath = f"{path}.show_if"
        if not isinstance(rule, dict) or "item" not in rule or "equals" not in rule:
            report.error(rpath, 'must be an object {"item": key, "equals": value}')
            continue
        _unknown_keys(report, rpath, rule, SHOW_IF_KEYS)
        target = rule["item"]
        if target == key:
            report.error(f"{rpath}.item", "an item cannot depend on itself")
            continue
        if isinstance(target, str) and (
            problem := report.text_problem(f"{rpath}.item", target, limit=MAX_KEY, multiline=False)
        ):
            report.error(f"{rpath}.item", problem)
            continue
        if not isinstance(target, str) or target not in items:
            report.error(f"{rpath}.item", f"unknown item key {target!r}")
            continue
        controller = items[target][1]
        if (
            not isinstance(controller.get("type"), str)
            or controller["type"] not in CONTROLLER_TYPES
        ):
            report.error(
                f"{rpath}.item",
                f"'{target}' is a {controller.get('type')!r} item; show_if needs a yes_no, "
                "choice, number, text or date item",
            )
            continue
        problem = _equals_problem(controller, rule["equals"])
        if problem:
            report.error(f"{rpath}.equals", problem)
        edges[key] = target
    _cycles(report, items, edges)


def _equals_problem(controller: dict[str, Any], value: Any) -> str | None:
    kind = controller["type"]
    if kind == "yes_no" and value not in ("yes", "no"):
        return 'must be "yes" or "no"'
    if kind == "choice":
        options = controller.get("options")
        values = (
            [o.get("value") for o in options if isinstance(o, dict)]
            if isinstance(options, list)
            else []
        )
        if value not in values:
            return "must be one of the controlling item's option values"
    if kind == "number" and not is_number(value):
        return "must be a number"
    if kind == "text":
        return text.text_problem(value, limit=MAX_TEXT_ANSWER)
    if kind == "date" and parse_date(value) is None:
        return "must be a date YYYY-MM-DD"
    return None


def _cycles(report: Report, items: ItemsByKey, edges: dict[str, str]) -> None:
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
                report.error(
                    f"{items[key][0]}.show_if.item",
                    "show_if forms a cycle: " + " → ".join([*cycle, cycle[0]]),
                )


def answer_error(item: Mapping[str, Any], value: Any) -> str | None:
    """Why `value` is not a valid answer to `item` (None when it is). `None` clears an answer."""
    if value is None:
        return None
    kind = item["type"]
    if value == "na":
        if kind in SCORED_TYPES and item.get("allow_na", True):
            return None
        return "this item cannot be answered 'not applicable'"
    if kind == "yes_no":
        return None if value in ("yes", "no") else 'must be "yes", "no" or "na"'
    if kind == "choice":
        values = [o["value"] for o in item["options"]]
        return None if value in values else "must be one of: " + ", ".join(values)
    if kind == "score":
        points = to_decimal(item["points"])
        ok = is_number(value) and 0 <= to_decimal(value) <= points
        return None if ok else f"must be a number from 0 to {points}"
    if kind == "ratio":
        return _ratio_error(value)
    if kind == "number":
        return None if is_number(value) else "must be a number"
    if kind == "text":
        return text.text_problem(value, limit=MAX_TEXT_ANSWER)
    return None if parse_date(value) else "must be a date YYYY-MM-DD"


def _ratio_error(value: Any) -> str | None:
    if not isinstance(value, dict) or set(value) != {"num", "den"}:
        return 'must be {"num": whole number, "den": whole number}'
    num, den = value["num"], value["den"]
    if not all(isinstance(v, int) and is_number(v) for v in (num, den)):
        return "num and den must be whole numbers"
    if not 0 <= num <= den:
        return "must have 0 ≤ num ≤ den"
    return None
