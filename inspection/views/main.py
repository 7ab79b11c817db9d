"""The home page (what each role does first) and the language switch."""

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from inspection.db import get_session
from inspection.i18n import LANGUAGES
from inspection.models import Role, Visit
from inspection.services import plans
from inspection.views.helpers import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    if current_user.role == Role.ADMIN:
        return redirect(url_for("admin.users"))
    if current_user.role == Role.LEAD:
        return redirect(url_for("plans.index"))
    if current_user.role == Role.UNIT:
        return redirect(url_for("notices.mine"))
    visits: list[Visit] = []
    if current_user.role == Role.INSPECTOR:
        visits = plans.visits_of_inspector(get_session(), current_user)
    return render_template("main/index.html", visits=visits)


@bp.get("/lang/<code>")
def set_language(code: str) -> ResponseReturnValue:
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("main.index")))
