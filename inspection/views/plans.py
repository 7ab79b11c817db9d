"""The team lead's screens: the list of plans, a new plan, a plan with its visits, a new visit
and the correction of a visit.

Who may open each page is decided by `auth.ACCESS` (leads and admins read; a lead creates plans;
only the plan's lead adds and edits visits); the rules about what is valid live in
`services.plans`. These views parse a form, call one service, and show the outcome.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.form import BaseForm
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from inspection import workflow
from inspection.auth import can_read_results, leads_plan
from inspection.db import get_session
from inspection.errors import DomainError
from inspection.formatting import parse_whole_number
from inspection.library import get_library
from inspection.models import Plan, User, Visit
from inspection.services import plans as plan_service
from inspection.services import units as unit_service
from inspection.services import users as user_service
from inspection.views.forms import (
    VietnameseDateField,
    WholeNumberField,
    at_most,
    form_status,
    required,
)
from inspection.views.helpers import flash_domain_error

bp = Blueprint("plans", __name__, url_prefix="/plans")

NOT_OFFERED = _l("Choose from the list.")
PARTICIPANTS_MAX = 5000  # characters of the textarea: a few dozen people at most


# Fields ------------------------------------------------------------------------------------------


class ChoiceField(SelectField):
    """A select that refuses a value it did not offer (a forged post), in our words."""

    def pre_validate(self, form: BaseForm) -> None:
        if self.data not in offered(self):
            raise ValidationError(str(NOT_OFFERED))


class CheckboxesField(SelectMultipleField):
    """Touch-friendly checkboxes instead of a multi-select that needs a keyboard modifier."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: BaseForm) -> None:
        values = offered(self)
        if any(value not in values for value in self.data or []):
            raise ValidationError(str(NOT_OFFERED))


def offered(field: SelectField) -> set[Any]:
    """The values a select offered: the views give theirs lists of (value, label) pairs."""
    return {choice[0] for choice in field.choices or ()}


# Forms: field names are the services' argument names, so that a service's refusal of a field
# lands under that field (flash_domain_error).


class PlanForm(FlaskForm):
    number = StringField(_l("Plan number"), validators=[required(), at_most(64)])
    issued_on = VietnameseDateField(_l("Plan date"), validators=[required()])
    decision_number = StringField(
        _l("Decision forming the team: number"), validators=[Optional(), at_most(64)]
    )
    decision_on = VietnameseDateField(_l("Decision date"), validators=[Optional()])
    year = WholeNumberField(_l("Year"), validators=[required()])
    title = StringField(_l("Title"), validators=[required(), at_most(300)])
    template = ChoiceField(_l("Checklist"), validators=[required()])


class VisitForm(FlaskForm):
    unit_code = ChoiceField(_l("Inspected unit"), validators=[required()])
    scheduled_on = VietnameseDateField(_l("Date of the visit"), validators=[required()])
    place = StringField(_l("Place"), validators=[Optional(), at_most(200)])
    inspectors = CheckboxesField(_l("Inspectors"), validators=[required()])
    participants = TextAreaField(
        _l("The unit's participants"), validators=[Optional(), at_most(PARTICIPANTS_MAX)]
    )


# Parsing -----------------------------------------------------------------------------------------

# "Nguyễn Văn A - Chủ tịch UBND xã": the first " - " or dash splits a name from a position. A
# hyphen without spaces stays in the name; tablets turn "--" into an em dash, so it counts too.
SEPARATOR = re.compile(r"\s+-\s+|\s*[–—\t]\s*")  # a tab: a row pasted from a table
# Lists copied from a document start with "- " or "+ " and end with ";".
BULLET = re.compile(r"^\s*[-+•]\s+")


def parse_participants(text: str | None) -> list[dict[str, str]]:
    """One person per line, "Full name - Position" (or the two cells of a table row, separated
    by a tab); blank lines are ignored."""
    people = []
    for line in (text or "").splitlines():
        line = BULLET.sub("", line).strip().rstrip(";").strip()
        if not line:
            continue
        name, *position = SEPARATOR.split(line, maxsplit=1)
        people.append({"name": name.strip(), "position": "".join(position).strip()})
    return people


def format_participants(people: list[dict[str, str]]) -> str:
    """The textarea's text for stored participants: parse_participants reads it back the same."""
    return "\n".join(" - ".join(filter(None, (p.get("name"), p.get("position")))) for p in people)


def parse_template(value: str) -> tuple[str, int | None]:
    """ "cchc-xa:1" → ("cchc-xa", 1): the value of an option of the checklist select."""
    key, _sep, version = value.rpartition(":")
    number = parse_whole_number(version)
    return (key, number) if key and number is not None else (value, None)


def on_form(
    exc: DomainError, aliases: dict[str, str], messages: dict[str, str] | None = None
) -> DomainError:
    """The service's refusal with its field paths renamed to the form's fields
    (`participants[2].name` → `participants`, `form_key` → `template`), and where the service's
    words would not make sense under the form's field, ours instead."""
    fields: dict[str, str] = {}
    for path, why in exc.fields.items():
        name = re.split(r"[\[.]", path, maxsplit=1)[0]
        name = aliases.get(name, name)
        fields.setdefault(name, (messages or {}).get(name, why))
    return DomainError(exc.message, fields=fields)


# Look-ups for the pages --------------------------------------------------------------------------


def template_choices() -> list[tuple[str, str]]:
    """The latest version of each checklist; create_plan pins the version and its hash."""
    return [(f"{t.key}:{t.version}", f"{t.title} (v{t.version})") for t in get_library().latest()]


def unit_choices(keep: str | None = None) -> list[tuple[str, str]]:
    """Active units only: a deactivated one gets no new visit (a visit being edited keeps its
    unit, `keep`, even so)."""
    units = [u for u in unit_service.list_units(get_session()) if u.active or u.code == keep]
    return [("", _("— choose a unit —"))] + [(u.code, u.name) for u in units]


def this_year() -> int:
    return dt.datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).year


# Views -------------------------------------------------------------------------------------------


@bp.get("/")
def index() -> ResponseReturnValue:
    plans = plan_service.list_plans(get_session())
    return render_template(
        "plans/index.html", plans=plans, visit_counts=plan_service.visit_counts(get_session())
    )


@bp.route("/new", methods=["GET", "POST"])
def new_plan() -> ResponseReturnValue:
    form = PlanForm()
    form.template.choices = template_choices()
    if not form.is_submitted():
        form.year.data = this_year()
    if not form.validate_on_submit():
        return render_template("plans/new_plan.html", form=form), form_status(form)
    form_key, form_version = parse_template(form.template.data)
    template = {"form_key": form_key, "form_version": form_version}
    data = plan_service.PlanCreate.parse({**form.data, **template})
    try:
        plan = plan_service.create_plan(get_session(), get_library(), lead=current_user, data=data)
    except DomainError as exc:
        flash_domain_error(form, on_form(exc, {"form_key": "template", "form_version": "template"}))
        return render_template("plans/new_plan.html", form=form), form_status(form, failed=True)
    flash(_("The plan %(number)s has been created.", number=plan.number), "success")
    return redirect(url_for("plans.view", plan_id=plan.id))


@bp.get("/<int:plan_id>")
def view(plan_id: int) -> ResponseReturnValue:
    plan: Plan = g.plan
    rows = plan_service.plan_visits_with_scores(get_session(), get_library(), plan)
    checklist = get_library().get(plan.form_key, plan.form_version)
    if checklist is not None and checklist.sha256 != plan.form_sha256:
        checklist = None  # not the version the plan pinned: shown as unavailable
    return render_template(
        "plans/view.html",
        plan=plan,
        rows=rows,
        checklist=checklist,
        is_lead=leads_plan(current_user, plan),
        may_read_results=can_read_results(current_user, plan),
        can_edit_plan=workflow.can_edit_plan,
    )


def team_choices(form: VisitForm) -> dict[str, User]:
    """Offer the active inspectors; returns them by username for the page's labels."""
    inspectors = user_service.active_inspectors(get_session())
    form.inspectors.choices = [(u.username, u.full_name) for u in inspectors]
    return {u.username: u for u in inspectors}


def visit_refusal(exc: DomainError) -> DomainError:
    """The service names a person by position in the list; the textarea has lines."""
    words = {"participants": _("Every line needs a full name before the position.")}
    return on_form(exc, {}, words)


@bp.route("/<int:plan_id>/visits/new", methods=["GET", "POST"])
def new_visit(plan_id: int) -> ResponseReturnValue:
    plan: Plan = g.plan
    form = VisitForm()
    form.unit_code.choices = unit_choices()
    people = team_choices(form)
    if not form.validate_on_submit():
        return render_template(
            "plans/new_visit.html", form=form, plan=plan, people=people
        ), form_status(form)
    data = plan_service.VisitCreate.parse(visit_input(form))
    try:
        plan_service.create_visit(get_session(), lead=current_user, plan=plan, data=data)
    except DomainError as exc:
        flash_domain_error(form, visit_refusal(exc))
        return render_template(
            "plans/new_visit.html", form=form, plan=plan, people=people
        ), form_status(form, failed=True)
    flash(_("The visit has been added to the plan."), "success")
    return redirect(url_for("plans.view", plan_id=plan.id))


@bp.route("/<int:plan_id>/visits/<int:visit_id>/edit", methods=["GET", "POST"])
def edit_visit(plan_id: int, visit_id: int) -> ResponseReturnValue:
    """The new-visit form, filled with the visit, to correct a typo in what was planned."""
    visit: Visit = g.visit  # of this plan: the access check answers 404 otherwise
    if not workflow.can_edit_plan(visit):
        raise workflow.VisitLocked()  # the error page says why, with a 409
    form = VisitForm(data=None if request.method == "POST" else visit_form_data(visit))
    form.unit_code.choices = unit_choices(keep=visit.unit.code)
    people = team_choices(form)
    failed = False
    if form.validate_on_submit():
        data = plan_service.VisitUpdate.parse(visit_input(form))
        try:
            plan_service.update_visit(get_session(), lead=current_user, visit=visit, data=data)
        except workflow.VisitLocked:
            raise  # submitted meanwhile: the error page, not the form again
        except DomainError as exc:
            flash_domain_error(form, visit_refusal(exc))
            failed = True
        else:
            flash(_("The visit has been saved."), "success")
            return redirect(url_for("plans.view", plan_id=visit.plan_id))
    # Once answers are given the unit is shown, not offered (the service refuses a change).
    unit_fixed = not workflow.can_change_unit(visit)
    if unit_fixed:
        form.unit_code.data = visit.unit.code
    page = render_template(
        "plans/edit_visit.html",
        form=form,
        plan=visit.plan,
        visit=visit,
        people=people,
        unit_fixed=unit_fixed,
    )
    return page, form_status(form, failed)


def visit_input(form: VisitForm) -> dict[str, Any]:
    """The visit form's data as the service's input: the textarea's lines become people."""
    return {**form.data, "participants": parse_participants(form.participants.data)}


def visit_form_data(visit: Visit) -> dict[str, Any]:
    return {
        "unit_code": visit.unit.code,
        "scheduled_on": visit.scheduled_on,
        "place": visit.place,
        "inspectors": [u.username for u in visit.inspectors],
        "participants": format_participants(visit.participants),
    }
