"""Login, logout and changing one's own password (pages)."""

import math

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo

from inspection.auth import authenticate, log_in, log_out
from inspection.db import get_session
from inspection.errors import DomainError
from inspection.services import users
from inspection.views.forms import at_least, entered, filled, storable
from inspection.views.helpers import flash_domain_error, safe_next

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[filled(), storable(users.LOGIN_FIELD_MAX)])
    password = PasswordField(_l("Password"), validators=[filled(), storable(users.LOGIN_FIELD_MAX)])


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[filled()])
    password = PasswordField(
        _l("New password"), validators=[filled(), at_least(users.MIN_PASSWORD)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[filled(), EqualTo("password", message=_l("The passwords differ."))],
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit():
        attempt = authenticate(entered(form.username), entered(form.password))
        if attempt.retry_after is not None:
            return throttled(form, attempt.retry_after)
        if attempt.user is not None:
            log_in(attempt.user)
            return redirect(safe_next(request.args.get("next"), url_for("main.index")))
        flash(_("Wrong username or password, or the account is deactivated."), "error")
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


def throttled(form: LoginForm, seconds: int) -> tuple[str, int, dict[str, str]]:
    """429: too many failed logins for this username or from this address."""
    minutes = math.ceil(seconds / 60)
    flash(
        ngettext(
            "Too many failed logins. Please try again in %(num)d minute.",
            "Too many failed logins. Please try again in %(num)d minutes.",
            minutes,
        ),
        "error",
    )
    page = render_template("auth/login.html", form=form)
    return page, 429, {"Retry-After": str(seconds)}


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    log_out()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not check_password_hash(current_user.password_hash, entered(form.current)):
            form.current.errors = [_("The current password is wrong.")]
        else:
            try:
                data = users.PasswordSet.parse(form.data)
                users.set_password(
                    get_session(), actor_id=current_user.id, user=current_user, data=data
                )
            except DomainError as exc:
                flash_domain_error(form, exc)
            else:
                login_user(current_user._get_current_object())  # this session stays open
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("main.index"))
    status = 400 if form.errors else 200
    return render_template("auth/change_password.html", form=form), status
