"""Admin screens: users, inspected units (with a CSV import) and the agency's settings.

Who may open them is decided by `auth.ACCESS` (admins only); the rules about what is valid live in
the services, and these views only parse forms, call one service and show the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # newer than types-WTForms
from wtforms.validators import Optional

from inspection.db import get_session
from inspection.errors import DomainError, http_status
from inspection.labels import ROLE_LABELS, UNIT_KIND_LABELS
from inspection.models import Role, UnitKind, User
from inspection.services import agency as agency_service
from inspection.services import login_throttle
from inspection.services import units as unit_service
from inspection.services import users as user_service
from inspection.views.forms import WholeNumberField, at_most, form_status, required
from inspection.views.helpers import flash_domain_error

bp = Blueprint("admin", __name__, url_prefix="/admin")

COMMON_TIMEZONES = (
    "Asia/Ho_Chi_Minh",
    "Asia/Bangkok",
    "Asia/Jakarta",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Seoul",
    "UTC",
)


def unit_choices(empty_label: str) -> list[SelectChoice]:
    units = unit_service.list_units(get_session())
    return [SelectChoice("", empty_label)] + [
        SelectChoice(u.code, f"{u.name} ({u.code})") for u in units
    ]


# Users ------------------------------------------------------------------------------------------

ROLE_CHOICES = [SelectChoice(role.value, ROLE_LABELS[role.value]) for role in Role]


class NewUserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[required(), at_most(64)])
    full_name = StringField(_l("Full name"), validators=[required(), at_most(120)])
    position = StringField(_l("Position"), validators=[Optional(), at_most(120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validate_choice=False)  # service checks
    unit_code = SelectField(_l("Unit (only for a unit account)"), validate_choice=False)
    password = PasswordField(_l("Password"), validators=[Optional()])


class EditUserForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[required(), at_most(120)])
    position = StringField(_l("Position"), validators=[Optional(), at_most(120)])
    active = BooleanField(_l("Active (may log in)"))
    unit_code = SelectField(_l("Unit"), validate_choice=False)


class ResetPasswordForm(FlaskForm):
    """Only the CSRF token (the edit page renders it by hand): the password is generated."""


@bp.get("/users")
def users() -> ResponseReturnValue:
    return render_template("admin/users.html", users=user_service.list_users(get_session()))


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> ResponseReturnValue:
    form = NewUserForm()
    form.unit_code.choices = unit_choices(_("— none —"))
    if not form.validate_on_submit():
        return render_template("admin/user_new.html", form=form), form_status(form)
    # An empty password field means: generate one, and show it to the admin this one time.
    typed = form.password.data or ""
    generated = "" if typed else user_service.generate_password()
    data = user_service.UserCreate.parse({**form.data, "password": typed or generated})
    try:
        user = user_service.create_user(get_session(), actor_id=current_user.id, data=data)
    except DomainError as exc:
        flash_domain_error(form, exc)
        return render_template("admin/user_new.html", form=form), form_status(form, failed=True)
    flash(_("The account %(username)s has been created.", username=user.username), "success")
    if generated:
        return show_password_once(user, generated)
    return redirect(url_for("admin.users"))


def show_password_once(user: User, password: str) -> str:
    """A generated password is shown in the answer to the POST that made it, and nowhere else:
    not in a flash message (those travel in the session cookie, readable by whoever holds it),
    not stored in clear. The page is sent with Cache-Control: no-store."""
    return render_template("admin/password_once.html", user=user, password=password)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int) -> ResponseReturnValue:
    session = get_session()
    user = user_service.get_user(session, user_id)  # NotFound: the 404 page
    form = EditUserForm(obj=user, unit_code=user.unit.code if user.unit else "")
    form.unit_code.choices = unit_choices(_("— choose a unit —"))
    failed = False
    if form.validate_on_submit():
        # Only a unit account shows (and has) a unit; the others never send one.
        unit_code = form.unit_code.data if user.role == Role.UNIT else None
        data = user_service.UserUpdate.parse({**form.data, "unit_code": unit_code})
        try:
            user_service.update_user(session, actor_id=current_user.id, user=user, data=data)
        except DomainError as exc:
            flash_domain_error(form, exc)
            failed = True
        else:
            flash(_("The account %(username)s has been saved.", username=user.username), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_edit.html", form=form, user=user), form_status(form, failed)


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int) -> ResponseReturnValue:
    """Give the account a new generated password; the admin hands it over in person."""
    session = get_session()
    user = user_service.get_user(session, user_id)
    if ResetPasswordForm().validate_on_submit():
        password = user_service.generate_password()
        data = user_service.PasswordSet(password=password)
        user_service.set_password(session, actor_id=current_user.id, user=user, data=data)
        login_throttle.forget_username(session, user.username)  # a locked user may log in now
        return show_password_once(user, password)
    return redirect(url_for("admin.edit_user", user_id=user.id))


# Agency -----------------------------------------------------------------------------------------


class AgencyForm(FlaskForm):
    issuer_name = StringField(_l("Issuing body"), validators=[required(), at_most(200)])
    parent_body = StringField(_l("Parent body"), validators=[Optional(), at_most(200)])
    notice_code = StringField(_l("Notice code"), validators=[required(), at_most(40)])
    place_name = StringField(
        _l("Place name (printed before the date)"), validators=[required(), at_most(100)]
    )
    signer_name = StringField(_l("Signer's name"), validators=[Optional(), at_most(120)])
    signer_title = StringField(_l("Signer's title"), validators=[Optional(), at_most(120)])
    timezone = SelectField(_l("Time zone"), validate_choice=False)  # the service checks it
    remediation_days = WholeNumberField(_l("Remediation period (days)"), validators=[required()])


def timezone_choices(current: str) -> list[SelectChoice]:
    zones = COMMON_TIMEZONES if current in COMMON_TIMEZONES else (current, *COMMON_TIMEZONES)
    return [SelectChoice(zone) for zone in zones]


@bp.route("/agency", methods=["GET", "POST"])
def agency() -> ResponseReturnValue:
    session = get_session()
    current = agency_service.get_agency(session, default_timezone=current_app.config["TIMEZONE"])
    form = AgencyForm(obj=current)
    form.timezone.choices = timezone_choices(current.timezone)
    failed = False
    if form.validate_on_submit():
        data = agency_service.AgencyUpdate.parse(form.data)
        try:
            agency_service.update_agency(session, actor_id=current_user.id, data=data)
        except DomainError as exc:
            flash_domain_error(form, exc)
            failed = True
        else:
            flash(_("The agency settings have been saved."), "success")
            return redirect(url_for("admin.agency"))
    return render_template("admin/agency.html", form=form), form_status(form, failed)


# Units ------------------------------------------------------------------------------------------


KIND_CHOICES = [SelectChoice(kind.value, UNIT_KIND_LABELS[kind.value]) for kind in UnitKind]


class UnitForm(FlaskForm):
    code = StringField(_l("Code"), validators=[required(), at_most(32)])
    name = StringField(_l("Name"), validators=[required(), at_most(200)])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, validate_choice=False)  # service checks


class EditUnitForm(FlaskForm):
    """Name and kind only: the code identifies the unit in CSV imports and stays fixed."""

    name = StringField(_l("Name"), validators=[required(), at_most(200)])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, validate_choice=False)  # service checks


class ImportUnitsForm(FlaskForm):
    file = FileField(
        _l("CSV file with the columns code, name, kind"),
        validators=[
            FileRequired(message=_l("Choose a file.")),
            FileAllowed(["csv"], message=_l("The file must be a .csv file.")),
        ],
    )


# Why a whole file was refused, by ImportRefused.reason.
REFUSALS = {
    "too_large": _l("The file is larger than %(limit_kb)d KB."),
    "not_text": _l("The file is not UTF-8 text. In Excel, save it as “CSV UTF-8”."),
    "bad_csv": _l("The file is not a valid CSV file: check the quotation marks on line %(line)d."),
    "empty": _l("The file is empty."),
    "no_header": _l(
        "The first row must name the columns code, name and kind (missing: %(missing)s)."
    ),
    "too_many_rows": _l("The file has more than %(limit)d rows: split it into smaller files."),
}
# Why a row was left out, by the problem keys of services.units.RejectedRow.
ROW_PROBLEMS = {
    "missing_column": _l("missing cell: %(columns)s"),
    "extra_cells": _l(
        "more cells than the header names (put a name that contains the "
        "separator in quotation marks)"
    ),
    "bad_code": _l("the code must have 1–32 letters, digits, '.', '_' or '-'"),
    "bad_name": _l("the name is empty"),
    "name_too_long": _l("the name is longer than %(limit)d characters"),
    "bad_kind": _l("unknown kind “%(kind)s” (use xa, phuong, thi_tran or dac_khu)"),
    "duplicate": _l("the same code as row %(row)d"),
    "exists": _l("a unit with this code already exists"),
}


def describe(messages: Mapping[str, object], key: str, params: Mapping[str, object]) -> str:
    message = messages.get(key)
    return str(message) % params if message is not None else key


def describe_row_problem(key: str, params: Mapping[str, object]) -> str:
    if key == "name_invalid":  # the shared text check's own words (services.validation)
        return f"{_('Name')}: {_(params['message'])}"
    return describe(ROW_PROBLEMS, key, params)


def render_units(import_form: ImportUnitsForm, status: int = 200) -> tuple[str, int]:
    units = unit_service.list_units(get_session())
    limits = {
        "max_kb": unit_service.MAX_IMPORT_BYTES // 1024,
        "max_rows": unit_service.MAX_IMPORT_ROWS,
    }
    return render_template(
        "admin/units.html", units=units, import_form=import_form, **limits
    ), status


@bp.get("/units")
def units() -> ResponseReturnValue:
    return render_units(ImportUnitsForm())


@bp.route("/units/new", methods=["GET", "POST"])
def new_unit() -> ResponseReturnValue:
    form = UnitForm()
    failed = False
    if form.validate_on_submit():
        data = unit_service.UnitCreate.parse(form.data)
        try:
            unit = unit_service.create_unit(get_session(), actor_id=current_user.id, data=data)
        except DomainError as exc:
            flash_domain_error(form, exc)
            failed = True
        else:
            flash(_("The unit %(name)s has been added.", name=unit.name), "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_new.html", form=form), form_status(form, failed)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def edit_unit(unit_id: int) -> ResponseReturnValue:
    session = get_session()
    unit = unit_service.get_unit(session, unit_id)  # NotFound: the 404 page
    form = EditUnitForm(obj=unit)
    failed = False
    if form.validate_on_submit():
        data = unit_service.UnitUpdate.parse(form.data)
        try:
            unit_service.update_unit(session, actor_id=current_user.id, unit=unit, data=data)
        except DomainError as exc:
            flash_domain_error(form, exc)
            failed = True
        else:
            flash(_("The unit %(name)s has been saved.", name=unit.name), "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_edit.html", form=form, unit=unit), form_status(form, failed)


@bp.post("/units/<int:unit_id>/deactivate")
def deactivate_unit(unit_id: int) -> ResponseReturnValue:
    """No new visit is planned for a deactivated unit; its visits and notices stay."""
    return change_unit_state(unit_id, active=False)


@bp.post("/units/<int:unit_id>/reactivate")
def reactivate_unit(unit_id: int) -> ResponseReturnValue:
    return change_unit_state(unit_id, active=True)


def change_unit_state(unit_id: int, *, active: bool) -> ResponseReturnValue:
    """The button's address says which; CSRFProtect has checked the token of the post."""
    session = get_session()
    unit = unit_service.get_unit(session, unit_id)
    unit_service.set_active(session, actor_id=current_user.id, unit=unit, active=active)
    if active:
        flash(_("The unit %(name)s is active again.", name=unit.name), "success")
    else:
        flash(_("The unit %(name)s has been deactivated.", name=unit.name), "success")
    return redirect(url_for("admin.edit_unit", unit_id=unit.id))


@bp.post("/units/import")
def import_units() -> ResponseReturnValue:
    form = ImportUnitsForm()
    if not form.validate_on_submit():
        return render_units(form, 400)
    # One byte past the limit is enough to know a file is too large without reading all of it.
    data = form.file.data.stream.read(unit_service.MAX_IMPORT_BYTES + 1)
    try:
        report = unit_service.import_units_csv(get_session(), actor_id=current_user.id, data=data)
    except unit_service.ImportRefused as exc:
        form.file.errors = [describe(REFUSALS, exc.reason, exc.params)]
        return render_units(form, http_status(exc))
    rejected = [
        (row, "; ".join(describe_row_problem(key, params) for key, params in row.problems))
        for row in report.rejected
    ]
    return render_template("admin/import_report.html", report=report, rejected=rejected)
