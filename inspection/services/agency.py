"""The inspecting agency's settings (one row): printed on every document."""

from typing import Any
from zoneinfo import available_timezones

from sqlmodel import Session, select

from inspection import audit
from inspection.errors import N_, ValidationError
from inspection.models import Agency
from inspection.services.validation import text_field

EDITABLE = (
    "issuer_name",
    "parent_body",
    "notice_code",
    "place_name",
    "signer_name",
    "signer_title",
    "timezone",
    "remediation_days",
)


def agency_public(agency: Agency) -> dict[str, Any]:
    return {name: getattr(agency, name) for name in EDITABLE}


def get_agency(session: Session, *, default_timezone: str = "Asia/Ho_Chi_Minh") -> Agency:
    """The agency row, created with neutral defaults on first use."""
    agency = session.exec(select(Agency)).first()
    if agency is None:
        agency = Agency(issuer_name="ĐOÀN KIỂM TRA CẢI CÁCH HÀNH CHÍNH", timezone=default_timezone)
        session.add(agency)
        session.commit()
    return agency


def update_agency(session: Session, *, actor_id: int, **values: object) -> Agency:
    agency = get_agency(session)
    fields: dict[str, str] = {}
    limits = {
        "issuer_name": 200,
        "parent_body": 200,
        "notice_code": 40,
        "place_name": 100,
        "signer_name": 120,
        "signer_title": 120,
    }
    cleaned = dict(values)
    for name, limit in limits.items():
        required = name in ("issuer_name", "notice_code", "place_name")
        cleaned[name] = text_field(
            values.get(name, ""), name, fields, required=required, limit=limit
        )
    if values.get("timezone") not in available_timezones():
        fields["timezone"] = N_("unknown time zone")
    days = values.get("remediation_days")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
        fields["remediation_days"] = N_("must be a whole number of days from 1 to 365")
    if fields:
        raise ValidationError(N_("The settings could not be saved."), fields=fields)
    before = agency_public(agency)
    for name in EDITABLE:  # the texts as text_field normalised them (NFC, ends trimmed)
        setattr(agency, name, cleaned.get(name, getattr(agency, name)))
    session.add(agency)
    audit.record(
        session,
        actor_id=actor_id,
        action="agency.update",
        entity="agency",
        entity_id=agency.id,
        before=before,
        after=agency_public(agency),
    )
    session.commit()
    return agency
