"""Translated labels of the stored codes (roles, unit kinds, visit statuses) for pages."""

from flask import Flask
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


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        status_labels_all=lambda: {code: str(label) for code, label in STATUS_LABELS.items()},
        role_label=lambda code: ROLE_LABELS.get(code, code),
        unit_kind_label=lambda code: UNIT_KIND_LABELS.get(code, code),
        status_label=lambda code: STATUS_LABELS.get(code, code),
    )
