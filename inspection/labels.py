"""Translated labels of the stored codes (roles, unit kinds, visit statuses, checklist item types
and yes/no answers) for pages."""

from typing import Any

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "lead": _l("Team lead"),
    "inspector": _l("Inspector"),
    "unit": _l("Inspected unit"),
}
UNIT_KIND_LABELS = {
    "xa": _l("Commune"),
    "phuong": _l("Ward"),
    "thi_tran": _l("Town"),
    "dac_khu": _l("Special zone"),
}
STATUS_LABELS = {
    "planned": _l("Planned"),
    "in_progress": _l("In progress"),
    "submitted": _l("Submitted"),
    "returned": _l("Returned"),
    "approved": _l("Approved"),
    "notice_issued": _l("Notice issued"),
    "remediating": _l("Remediating"),
    "closed": _l("Closed"),
}

# The checklist format's item types (CHECKLIST-FORMAT.md), as the library's outline names them.
ITEM_TYPE_LABELS = {
    "yes_no": _l("Pass / fail"),
    "choice": _l("One of several options"),
    "score": _l("Points given by the team"),
    "ratio": _l("Percentage"),
    "number": _l("Number"),
    "text": _l("Free text"),
    "date": _l("Date"),
}
# A yes_no item's stored answers, worded as its buttons on the visit page are: Pass / Fail for a
# criterion, Yes / No for a question (a yes_no worth 0 points, asked to show or hide others).
YES_NO_LABELS = {"yes": _l("Pass"), "no": _l("Fail")}
QUESTION_LABELS = {"yes": _l("Yes"), "no": _l("No")}
QUESTION_TYPE_LABEL = _l("Yes / no question, not scored")


def is_question(item: dict[str, Any]) -> bool:
    return item["type"] == "yes_no" and item.get("points") == 0


def item_type_label(item: dict[str, Any]) -> str:
    if is_question(item):
        return str(QUESTION_TYPE_LABEL)
    return str(ITEM_TYPE_LABELS.get(item["type"], item["type"]))


def yes_no_label(item: dict[str, Any], value: str) -> str:
    labels = QUESTION_LABELS if is_question(item) else YES_NO_LABELS
    return str(labels.get(value, value))


_status_labels_by_locale: dict[str, dict[str, str]] = {}


def status_labels_all() -> dict[str, str]:
    """Every status label in the page's language (for the page script), made once per language."""
    locale = str(get_locale())
    labels = _status_labels_by_locale.get(locale)
    if labels is None:
        labels = {code: str(label) for code, label in STATUS_LABELS.items()}
        _status_labels_by_locale[locale] = labels
    return labels


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        status_labels_all=status_labels_all,
        role_label=lambda code: ROLE_LABELS.get(code, code),
        unit_kind_label=lambda code: UNIT_KIND_LABELS.get(code, code),
        status_label=lambda code: STATUS_LABELS.get(code, code),
        item_type_label=item_type_label,
    )
