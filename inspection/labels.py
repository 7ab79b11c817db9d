"""Translated labels of the stored codes (roles, unit kinds, visit statuses, deficiency
severities) for pages. (A checklist item's type and answers are worded by its class:
inspection/checklist/items.py.)"""

from collections.abc import Iterable

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from inspection.checklist import DEFAULT_BANDS, Band

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
SEVERITY_LABELS = {
    "low": _l("Low severity"),
    "medium": _l("Medium severity"),
    "high": _l("High severity"),
}

# The format's default bands (CHECKLIST-FORMAT.md) are written in Vietnamese; an English page
# says them in English. A template's own bands are its author's words and stay as written.
DEFAULT_BAND_LABELS = {
    "Tốt": _l("Good"),
    "Khá": _l("Fair"),
    "Trung bình": _l("Average"),
    "Thấp": _l("Low"),
}

_status_labels_by_locale: dict[str, dict[str, str]] = {}


def band_label(label: str | None, bands: Iterable[Band]) -> str | None:
    """A score band's label in the page's language when the template's bands are the default
    ones (the same limits and labels); as written otherwise."""
    if label is None or tuple(bands) != DEFAULT_BANDS:
        return label
    said = DEFAULT_BAND_LABELS.get(label)
    return str(said) if said is not None else label


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
        severity_labels=SEVERITY_LABELS,
        band_label=band_label,
    )
