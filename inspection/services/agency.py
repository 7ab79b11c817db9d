"""The inspecting agency's settings (one row): printed on every document."""

from typing import Annotated, Any
from zoneinfo import available_timezones

from sqlmodel import Session, select

from inspection import audit
from inspection.errors import N_, ValidationError
from inspection.models import Agency
from inspection.services.validation import Input, choice_rule, text_rule, whole_number_rule


class AgencyUpdate(Input):
    """The agency's settings as an admin edits them, all given again."""

    issuer_name: Annotated[str, text_rule(200, required=True)]
    parent_body: Annotated[str, text_rule(200)] = ""
    notice_code: Annotated[str, text_rule(40, required=True)]
    place_name: Annotated[str, text_rule(100, required=True)]
    signer_name: Annotated[str, text_rule(120)] = ""
    signer_title: Annotated[str, text_rule(120)] = ""
    timezone: Annotated[str, choice_rule(available_timezones, N_("unknown time zone"))]
    remediation_days: Annotated[
        int, whole_number_rule(1, 365, N_("must be a whole number of days from 1 to 365"))
    ]


EDITABLE = tuple(AgencyUpdate.model_fields)


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


def agency_timezone(session: Session, *, default: str) -> str:
    """The time zone moments are shown in (the agency's, once set; read only)."""
    return session.exec(select(Agency.timezone)).first() or default


def update_agency(session: Session, *, actor_id: int, data: AgencyUpdate) -> Agency:
    if data.errors:
        raise ValidationError(N_("The settings could not be saved."), fields=data.errors)
    agency = get_agency(session)
    before = agency_public(agency)
    for name in EDITABLE:
        setattr(agency, name, getattr(data, name))
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
