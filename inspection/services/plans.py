"""Plans (Kế hoạch kiểm tra) and their visits."""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, model_validator
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from inspection import audit, workflow
from inspection.checklist import Template
from inspection.db import transaction
from inspection.errors import N_, Conflict, Unavailable, ValidationError
from inspection.library import StoredTemplate, TemplateLibrary
from inspection.models import (
    Answer,
    Plan,
    Role,
    Unit,
    User,
    Visit,
    VisitInspector,
    relation,
    stored_id,
)
from inspection.scoring import ScoreSheet, score_sheet
from inspection.services.units import get_by_code, unit_public
from inspection.services.validation import (
    FIRST_YEAR,
    LAST_YEAR,
    Input,
    date_rule,
    is_whole_number,
    problem,
    text_rule,
    whole_number_rule,
)
from inspection.text import fold, text_problem

MAX_PERSON = 200  # a participant's name or position


def _form_key(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise problem(N_("is required"))
    return value


def _form_version(value: Any) -> int | None:
    if value is not None and not is_whole_number(value):
        raise problem(N_("must be a whole number"))
    return value


class PlanCreate(Input):
    """A new plan as a lead enters it; the checklist is named by key (and version: the latest
    when None), pinned with its hash by create_plan."""

    number: Annotated[str, text_rule(64, required=True)]
    title: Annotated[str, text_rule(300, required=True)]
    year: Annotated[
        int, whole_number_rule(FIRST_YEAR, LAST_YEAR, N_("must be a year from 2000 to 2100"))
    ]
    form_key: Annotated[str, BeforeValidator(_form_key)]
    form_version: Annotated[int | None, BeforeValidator(_form_version)] = None
    issued_on: Annotated[dt.date | None, date_rule()] = None
    decision_number: Annotated[str, text_rule(64)] = ""
    decision_on: Annotated[dt.date | None, date_rule()] = None


def create_plan(
    session: Session, library: TemplateLibrary, *, lead: User, data: PlanCreate
) -> Plan:
    """A lead creates a plan, becoming its lead; the checklist version is pinned with its hash."""
    fields = dict(data.errors)
    taken = not fields.keys() & {"number", "year"} and _number_taken(
        session, data.number, data.year
    )
    template = None
    if not fields.keys() & {"form_key", "form_version"}:
        template = library.get(data.form_key, data.form_version)
        if template is None:
            fields["form_key"] = N_("no such checklist template in the library")
    if fields or template is None:  # no template means a problem in `fields`
        if taken:
            fields["number"] = PlanNumberTaken.reason
        raise ValidationError(N_("The plan could not be saved."), fields=fields)
    if taken:
        raise PlanNumberTaken()
    plan = Plan(
        number=data.number,
        number_key=fold(data.number),
        title=data.title,
        year=data.year,
        issued_on=data.issued_on,
        decision_number=data.decision_number,
        decision_on=data.decision_on,
        lead_id=stored_id(lead),
        form_key=template.key,
        form_version=template.version,
        form_sha256=template.sha256,
    )
    session.add(plan)
    with refused_as(
        session, PlanNumberTaken, lambda: _number_taken(session, data.number, data.year)
    ):
        session.flush()
    audit.record(
        session,
        actor_id=lead.id,
        action="plan.create",
        entity="plan",
        entity_id=plan.id,
        after=plan_fields(plan),
    )
    session.commit()
    return plan


class PlanNumberTaken(Conflict):
    """Plans are numbered per year by the issuing body ("22/KH-UBND"): a number is used once."""

    reason = N_("another plan of this year already has this number")

    def __init__(self) -> None:
        super().__init__(N_("The plan could not be saved."), fields={"number": self.reason})


class VisitTaken(Conflict):
    """A second visit of one unit on one day in one plan: a double submit, not a plan."""

    reason = N_("this plan already visits this unit on that day")

    def __init__(self) -> None:
        super().__init__(N_("The visit could not be saved."), fields={"unit_code": self.reason})


@contextmanager
def refused_as(
    session: Session, error: Callable[[], Conflict], clash: Callable[[], bool]
) -> Iterator[None]:
    """A writer that raced past the service's check meets the database's unique index: its
    IntegrityError becomes the same `error` as the check's, when `clash()` (asked after the
    rollback) confirms it; any other refusal by the database is raised as it is."""
    try:
        yield
    except IntegrityError:
        session.rollback()
        if clash():
            raise error() from None
        raise


def _number_taken(session: Session, number: str, year: int) -> bool:
    """Compared folded (text.fold), in the database: SQLite's lower() knows only ASCII."""
    query = select(Plan.id).where(Plan.year == year, Plan.number_key == fold(number))
    return session.exec(query.limit(1)).first() is not None


def plan_fields(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "number": plan.number,
        "title": plan.title,
        "year": plan.year,
        "issued_on": plan.issued_on.isoformat() if plan.issued_on else None,
        "decision_number": plan.decision_number,
        "decision_on": plan.decision_on.isoformat() if plan.decision_on else None,
        "lead": plan.lead.username if plan.lead else None,
        "form_key": plan.form_key,
        "form_version": plan.form_version,
        "form_sha256": plan.form_sha256,
    }


PEOPLE = N_("must be a list of {name, position}")


class Participant(BaseModel):
    """One of the unit's people at the visit, named in its record."""

    name: Annotated[str, text_rule(MAX_PERSON, required=True)]
    position: Annotated[str, text_rule(MAX_PERSON)] = ""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise problem(PEOPLE)
        return {"name": value.get("name"), "position": value.get("position")}


def _people(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise problem(PEOPLE)
    return value


def _usernames(value: Any) -> list[str]:
    """The team's usernames as stored (lowercase, ends trimmed), each once."""
    if not isinstance(value, list) or not value:
        raise problem(N_("name at least one inspector"))
    if not all(isinstance(u, str) and not text_problem(u, limit=200) for u in value):
        raise problem(N_("must be a list of usernames"))
    return list(dict.fromkeys(u.strip().lower() for u in value))


def _unit_code(value: Any) -> str:
    """Any string is looked up (get_by_code); anything else names no unit."""
    if not isinstance(value, str):
        raise problem(N_("unknown unit"))
    return value


class VisitBase(Input):
    """What a lead plans of a visit: the unit, the day, the place, the team and the unit's
    participants; the unit and the team are looked up by the service."""

    unit_code: Annotated[str, BeforeValidator(_unit_code)]
    scheduled_on: Annotated[dt.date, date_rule(required=True)]
    inspectors: Annotated[list[str], BeforeValidator(_usernames)]
    place: Annotated[str, text_rule(200)] = ""
    participants: Annotated[list[Participant], BeforeValidator(_people)] = []


class VisitCreate(VisitBase):
    """A new visit of a plan."""


class VisitUpdate(VisitBase):
    """A visit's corrected fields, all given again (the edit form shows them all)."""


def create_visit(session: Session, *, lead: User, plan: Plan, data: VisitCreate) -> Visit:
    fields = dict(data.errors)
    values = _visit_values(session, plan, data, fields)
    raise_visit_problems(fields)
    unit, day = values.unit_and_day()
    unit_id = stored_id(unit)
    visit = Visit(
        plan_id=stored_id(plan),
        unit_id=unit_id,
        scheduled_on=day,
        place=data.place,
        participants=values.participants,
        inspectors=values.inspectors,
    )
    session.add(visit)
    with refused_as(session, VisitTaken, lambda: _visit_exists(session, plan, unit_id, day)):
        session.flush()
    audit.record(
        session,
        actor_id=lead.id,
        action="visit.create",
        entity="visit",
        entity_id=visit.id,
        visit_id=visit.id,
        after=visit_fields(visit),
    )
    session.commit()
    return visit


def update_visit(session: Session, *, lead: User, visit: Visit, data: VisitUpdate) -> Visit:
    """Correct a visit's date, place, team or participants (and its unit, before any answer),
    by the rules of create_visit. Raises workflow.VisitLocked once the plan may no longer be
    corrected (the visit was submitted)."""
    revision = lock_visit(session, visit)
    with transaction(session):
        workflow.check_can_edit_plan(visit)
        # The row lock bumped the revision already; the record keeps the one it had before.
        before = {**visit_fields(visit), "revision": revision - 1}
        fields = dict(data.errors)
        values = _visit_values(session, visit.plan, data, fields, visit=visit)
        moved = values.unit is not None and values.unit.id != visit.unit_id
        if moved and not workflow.can_change_unit(visit):
            fields["unit_code"] = N_("the unit can only change before the first answer")
        raise_visit_problems(fields)
        unit, day = values.unit_and_day()
        visit.unit, visit.scheduled_on, visit.place = unit, day, data.place
        visit.participants, visit.inspectors = values.participants, values.inspectors
        session.add(visit)
        plan, unit_id, visit_id = visit.plan, stored_id(unit), visit.id

        def clash() -> bool:
            return _visit_exists(session, plan, unit_id, day, visit_id)

        with refused_as(session, VisitTaken, clash):
            session.flush()
        audit.record(
            session,
            actor_id=lead.id,
            action="visit.update",
            entity="visit",
            entity_id=visit.id,
            visit_id=visit.id,
            before=before,
            after=visit_fields(visit),
        )
        session.commit()
    return visit


def lock_visit(session: Session, visit: Visit) -> int:
    """Start a write transaction holding the visit's row (and SQLite's write lock) by increasing
    its revision, so that two writers (an edit and the first answer, two answers) never both pass
    their checks on the same state; returns the new revision. Any read transaction of the
    request is ended first, so the checks that follow see the latest committed data."""
    session.commit()
    session.execute(
        update(Visit).where(col(Visit.id) == visit.id).values(revision=col(Visit.revision) + 1)
    )
    session.refresh(visit)
    return visit.revision


@dataclass
class VisitValues:
    """What a visit's input names, looked up: what create_visit stores and update_visit
    changes to."""

    unit: Unit | None
    scheduled_on: dt.date | None
    participants: list[dict[str, str]]
    inspectors: list[User]

    def unit_and_day(self) -> tuple[Unit, dt.date]:
        """The unit and the date, once the problems are raised (a missing one is a problem)."""
        if self.unit is None or self.scheduled_on is None:
            raise RuntimeError("raise_visit_problems first: the unit or the date is missing")
        return self.unit, self.scheduled_on


def _visit_values(
    session: Session,
    plan: Plan,
    data: VisitBase,
    fields: dict[str, str],
    *,
    visit: Visit | None = None,
) -> VisitValues:
    """Look up what a visit's input names, recording each problem in `fields` (where those of
    `data` are already). `visit` is the one being edited: it may keep its unit if that was
    deactivated since, and does not clash with itself."""
    unit = None if "unit_code" in fields else get_by_code(session, data.unit_code)
    if unit is None:
        fields.setdefault("unit_code", N_("unknown unit"))
    elif not unit.active and (visit is None or unit.id != visit.unit_id):
        fields["unit_code"] = N_("this unit has been deactivated")
    date = None if "scheduled_on" in fields else data.scheduled_on
    other = visit.id if visit is not None else None
    if (
        unit is not None
        and date is not None
        and _visit_exists(session, plan, stored_id(unit), date, other)
    ):
        fields.setdefault("unit_code", VisitTaken.reason)
    inspectors = [] if "inspectors" in fields else _inspectors(session, data.inspectors, fields)
    return VisitValues(
        unit=unit,
        scheduled_on=date,
        participants=[person.model_dump() for person in data.participants or []],
        inspectors=inspectors,
    )


def raise_visit_problems(fields: dict[str, str]) -> None:
    """A clash with another visit alone is a 409 (as when the database refuses a raced insert);
    with other problems, it is one of the 400's fields."""
    if fields == {"unit_code": VisitTaken.reason}:
        raise VisitTaken()
    if fields:
        raise ValidationError(N_("The visit could not be saved."), fields=fields)


def _visit_exists(
    session: Session, plan: Plan, unit_id: int, day: Any, other_than: int | None = None
) -> bool:
    """A second visit of one unit on one day is a double submit, not a plan."""
    query = select(Visit.id).where(
        Visit.plan_id == plan.id, Visit.unit_id == unit_id, Visit.scheduled_on == day
    )
    if other_than is not None:
        query = query.where(col(Visit.id) != other_than)
    return session.exec(query.limit(1)).first() is not None


def _inspectors(session: Session, usernames: list[str], fields: dict[str, str]) -> list[User]:
    found = session.exec(select(User).where(col(User.username).in_(usernames))).all()
    by_name = {u.username: u for u in found}
    wrong = [
        u
        for u in usernames
        if u not in by_name or by_name[u].role != Role.INSPECTOR or not by_name[u].active
    ]
    if wrong:
        fields["inspectors"] = N_("only active inspectors can be assigned")
    return [by_name[u] for u in usernames if u in by_name]


def visit_fields(visit: Visit) -> dict[str, Any]:
    return {
        "id": visit.id,
        "plan_id": visit.plan_id,
        "unit": unit_public(visit.unit),
        "scheduled_on": visit.scheduled_on.isoformat(),
        "place": visit.place,
        "inspectors": [
            {"username": u.username, "full_name": u.full_name, "position": u.position}
            for u in visit.inspectors
        ],
        "participants": visit.participants,
        "status": visit.status,
        "revision": visit.revision,
    }


def answers_by_visit(session: Session, visit_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Answer values of many visits in one query: {visit_id: {item_key: value}}."""
    values: dict[int, dict[str, Any]] = defaultdict(dict)
    if visit_ids:
        rows = session.exec(select(Answer).where(col(Answer.visit_id).in_(visit_ids)))
        for answer in rows:
            if answer.value is not None:
                values[answer.visit_id][answer.item_key] = answer.value
    return values


MISSING_TEMPLATE = N_(
    "This plan's checklist is missing from the template library or damaged. Ask the "
    "administrator to restore it (Checklists page); nothing has been changed."
)


class TemplateUnavailable(Unavailable):
    """The checklist a plan pinned is missing from the template library, or no longer the one
    pinned (its hash differs): its visits cannot be scored or answered until it is restored."""

    code = "template_unavailable"

    def __init__(self, plan: Plan) -> None:
        super().__init__(MISSING_TEMPLATE, extra={"form": [plan.form_key, plan.form_version]})


def pinned_template(library: TemplateLibrary, plan: Plan) -> StoredTemplate:
    """The checklist version the plan pinned, its hash checked."""
    stored = library.get(plan.form_key, plan.form_version)
    if stored is None or stored.sha256 != plan.form_sha256:
        raise TemplateUnavailable(plan)
    return stored


def plan_visits_with_scores(
    session: Session, library: TemplateLibrary, plan: Plan
) -> list[tuple[Visit, ScoreSheet | None]]:
    """The plan's visits with their score sheets (None for each while the pinned checklist is
    unavailable: the plan and its visits stay readable)."""
    try:
        template: Template[Any] | None = pinned_template(library, plan).form
    except TemplateUnavailable:
        template = None
    query = (
        select(Visit)
        .where(Visit.plan_id == plan.id)
        .options(selectinload(relation(Visit.unit)), selectinload(relation(Visit.inspectors)))
        .order_by(col(Visit.scheduled_on), col(Visit.id))
    )
    visits = list(session.exec(query))
    answers = answers_by_visit(session, [stored_id(v) for v in visits])
    if template is None:
        return [(v, None) for v in visits]
    return [(v, score_sheet(template, answers.get(stored_id(v), {}))) for v in visits]


def visit_counts(session: Session) -> dict[int, int]:
    """Visits per plan in one query, so a list of plans does not load every plan's visits."""
    return dict(
        session.exec(select(Visit.plan_id, func.count()).group_by(col(Visit.plan_id))).all()
    )


def list_plans(session: Session) -> list[Plan]:
    return list(session.exec(select(Plan).order_by(col(Plan.year).desc(), col(Plan.id).desc())))


def visits_of_inspector(session: Session, user: User) -> list[Visit]:
    query = (
        select(Visit)
        .join(VisitInspector, col(VisitInspector.visit_id) == Visit.id)
        .where(VisitInspector.user_id == user.id)
        .order_by(col(Visit.scheduled_on), col(Visit.id))  # the plan page's order
    )
    return list(session.exec(query))
