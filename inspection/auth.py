"""Login and the access table: every endpoint's rule, checked in one place before each request.

An endpoint missing from ACCESS is refused (deny by default). Object-level rules load the plan or
visit named in the URL once, keep it on `g` for the view, and answer 404 when it does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from flask import Flask, Response, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response as BaseResponse

from inspection.db import get_session
from inspection.errors import is_api_request, json_error
from inspection.models import (
    Finding,
    Notice,
    Photo,
    Plan,
    Role,
    User,
    Visit,
    VisitInspector,
    relation,
)
from inspection.services import login_sessions, login_throttle
from inspection.workflow import BY, Action, has_notice

login_manager = LoginManager()


@dataclass(frozen=True)
class Rule:
    public: bool = False
    roles: frozenset[str] | None = None  # None: any logged-in user
    check: Callable[[User], bool] | None = None  # object-level, reads g.plan / g.visit


PUBLIC = Rule(public=True)
LOGGED_IN = Rule()


def roles(*names: Role, check: Callable[[User], bool] | None = None) -> Rule:
    return Rule(roles=frozenset(names), check=check)


# Object-level checks --------------------------------------------------------------------------


def is_assigned(user: User, visit: Visit) -> bool:
    """One indexed look-up of the link row (no need to load the team), remembered for the
    request: the access check and the page both ask, and the session's identity map does not
    keep a row nobody holds."""
    known = g.setdefault("assignments", {})
    key = (visit.id, user.id)
    if key not in known:
        known[key] = get_session().get(VisitInspector, key) is not None
    return known[key]


def leads_plan(user: User, plan: Plan) -> bool:
    return user.role == Role.LEAD and plan.lead_id == user.id


def can_read_visit(user: User, visit: Visit) -> bool:
    """Admins and leads read every visit; an inspector reads the visits assigned to them."""
    if user.role in (Role.ADMIN, Role.LEAD):
        return True
    return user.role == Role.INSPECTOR and is_assigned(user, visit)


def can_write_visit(user: User, visit: Visit) -> bool:
    """The assigned inspectors and the plan's lead (the visit's state is checked by services)."""
    if user.role == Role.INSPECTOR:
        return is_assigned(user, visit)
    return leads_plan(user, visit.plan)


def can_fill_visit(user: User, visit: Visit) -> bool:
    """Who answers on the checklist page: the assigned inspectors. (The lead reads it; review
    comes later.)"""
    return user.role == Role.INSPECTOR and is_assigned(user, visit)


def _visit_filler(user: User) -> bool:
    return can_fill_visit(user, g.visit)


def _plan_lead(user: User) -> bool:
    return leads_plan(user, g.plan)


def _visit_reader(user: User) -> bool:
    return can_read_visit(user, g.visit)


def _visit_writer(user: User) -> bool:
    return can_write_visit(user, g.visit)


def _visit_lead(user: User) -> bool:
    """The lead of the visit's plan (who reviews it)."""
    return leads_plan(user, g.visit.plan)


def _photo_reader(user: User) -> bool:
    """Whoever reads the visit; its unit's users too, once its notice is issued (until then,
    and for another unit's photos, a unit user is told the photo does not exist)."""
    if user.role == Role.UNIT:
        if not _unit_sees(user, g.visit):
            _not_found(Photo)
        return True
    return can_read_visit(user, g.visit)


def _unit_sees(user: User, visit: Visit) -> bool:
    return user.unit_id is not None and visit.unit_id == user.unit_id and has_notice(visit)


def _notice_reader(user: User) -> bool:
    """The team (the lead, admins, the visit's inspectors) and the notice's unit; another
    unit's users are told the notice does not exist."""
    if user.role == Role.UNIT:
        if not _unit_sees(user, g.visit):
            _not_found(Notice)
        return True
    return can_read_visit(user, g.visit)


def can_read_results(user: User, plan: Plan) -> bool:
    """A plan's results (overview, report, spreadsheet, charts): its lead and admins."""
    return user.role == Role.ADMIN or leads_plan(user, plan)


def _results_reader(user: User) -> bool:
    return can_read_results(user, g.plan)


ADMIN, LEAD, INSPECTOR, UNIT = Role.ADMIN, Role.LEAD, Role.INSPECTOR, Role.UNIT

ACCESS: dict[str, Rule] = {
    "static": PUBLIC,
    # JSON API
    "api.health": PUBLIC,
    "api.login": PUBLIC,
    "api.logout": PUBLIC,
    "api.me": LOGGED_IN,
    "api.forms_schema": PUBLIC,
    "api.list_forms": LOGGED_IN,
    "api.get_form": LOGGED_IN,
    "api.get_form_version": LOGGED_IN,
    "api.import_form": roles(ADMIN),
    "api.list_units": LOGGED_IN,
    "api.create_unit": roles(ADMIN),
    "api.list_plans": roles(LEAD, ADMIN),
    "api.create_plan": roles(LEAD),
    "api.get_plan": roles(LEAD, ADMIN),
    "api.create_visit": roles(LEAD, check=_plan_lead),
    "api.get_visit": roles(ADMIN, LEAD, INSPECTOR, check=_visit_reader),
    "api.get_score": roles(ADMIN, LEAD, INSPECTOR, check=_visit_reader),
    "api.put_answer": roles(LEAD, INSPECTOR, check=_visit_writer),
    "api.batch_answers": roles(LEAD, INSPECTOR, check=_visit_writer),
    "api.upload_photo": roles(LEAD, INSPECTOR, check=_visit_writer),
    "api.list_photos": roles(ADMIN, LEAD, INSPECTOR, check=_visit_reader),
    "api.update_photo": roles(LEAD, INSPECTOR, check=_visit_writer),
    "api.delete_photo": roles(LEAD, INSPECTOR, check=_visit_writer),
    "api.photo_file": roles(ADMIN, LEAD, INSPECTOR, UNIT, check=_photo_reader),
    "api.list_findings": roles(ADMIN, LEAD, INSPECTOR, check=_visit_reader),
    "api.create_finding": roles(LEAD, INSPECTOR, check=_visit_writer),
    "api.update_finding": roles(LEAD, INSPECTOR, check=_visit_writer),
    "api.explain_check": roles(LEAD, INSPECTOR, check=_visit_writer),
    # The decisions: the role workflow.py names, for this visit (its inspectors, its plan's lead).
    "api.submit_visit": roles(BY[Action.SUBMIT], check=_visit_filler),
    "api.return_visit": roles(BY[Action.RETURN], check=_visit_lead),
    "api.approve_visit": roles(BY[Action.APPROVE], check=_visit_lead),
    "api.reopen_visit": roles(BY[Action.REOPEN], check=_visit_lead),
    "api.add_comment": roles(LEAD, check=_visit_lead),
    "api.visit_history": roles(ADMIN, LEAD, INSPECTOR, check=_visit_reader),
    "api.get_notice_draft": roles(ADMIN, LEAD, check=_visit_reader),
    "api.put_notice_draft": roles(LEAD, check=_visit_lead),
    "api.issue_notice": roles(BY[Action.ISSUE], check=_visit_lead),
    "api.get_notice": roles(ADMIN, LEAD, INSPECTOR, UNIT, check=_notice_reader),
    "api.supersede_notice": roles(BY[Action.SUPERSEDE], check=_visit_lead),
    # Pages
    "api.record_html": roles(ADMIN, LEAD, INSPECTOR, check=_visit_reader),
    "api.record_pdf": roles(ADMIN, LEAD, INSPECTOR, check=_visit_reader),
    "api.record_docx": roles(ADMIN, LEAD, INSPECTOR, check=_visit_reader),
    "api.plan_overview": roles(ADMIN, LEAD, check=_results_reader),
    "api.plan_chart": roles(ADMIN, LEAD, check=_results_reader),
    "api.scores_xlsx": roles(ADMIN, LEAD, check=_results_reader),
    "api.report_html": roles(ADMIN, LEAD, check=_results_reader),
    "api.report_pdf": roles(ADMIN, LEAD, check=_results_reader),
    "api.report_docx": roles(ADMIN, LEAD, check=_results_reader),
    "main.index": LOGGED_IN,
    "main.set_language": PUBLIC,
    "auth.login": PUBLIC,
    # Offline work: the service worker, the manifest and the page for a page never kept.
    "offline.service_worker": PUBLIC,
    "offline.manifest": PUBLIC,
    "offline.page": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.change_password": LOGGED_IN,
    "admin.users": roles(ADMIN),
    "admin.new_user": roles(ADMIN),
    "admin.edit_user": roles(ADMIN),
    "admin.reset_password": roles(ADMIN),
    "admin.agency": roles(ADMIN),
    "admin.units": roles(ADMIN),
    "admin.new_unit": roles(ADMIN),
    "admin.edit_unit": roles(ADMIN),
    "admin.deactivate_unit": roles(ADMIN),
    "admin.reactivate_unit": roles(ADMIN),
    "admin.import_units": roles(ADMIN),
    "plans.index": roles(LEAD, ADMIN),
    "plans.new_plan": roles(LEAD),
    "plans.view": roles(LEAD, ADMIN),
    "plans.new_visit": roles(LEAD, check=_plan_lead),
    "plans.edit_visit": roles(LEAD, check=_plan_lead),
    "records.view": roles(ADMIN, LEAD, INSPECTOR, check=_visit_reader),
    "results.overview": roles(ADMIN, LEAD, check=_results_reader),
    "results.report": roles(ADMIN, LEAD, check=_results_reader),
    "checklists.index": roles(ADMIN, LEAD),
    "checklists.upload": roles(ADMIN),
    "checklists.view": roles(ADMIN, LEAD),
    "visits.view": roles(ADMIN, LEAD, INSPECTOR, check=_visit_reader),
    "visits.save_item": roles(INSPECTOR, check=_visit_filler),
    "photos.item_photos": roles(ADMIN, LEAD, INSPECTOR, check=_visit_reader),
    "photos.upload_photo": roles(INSPECTOR, check=_visit_filler),
    "photos.caption": roles(INSPECTOR, check=_visit_filler),
    "photos.remove": roles(INSPECTOR, check=_visit_filler),
    "findings.view": roles(ADMIN, LEAD, INSPECTOR, check=_visit_reader),
    "findings.create": roles(LEAD, INSPECTOR, check=_visit_writer),
    "findings.update": roles(LEAD, INSPECTOR, check=_visit_writer),
    "findings.add_photos": roles(LEAD, INSPECTOR, check=_visit_writer),
    "findings.no_finding": roles(INSPECTOR, check=_visit_filler),
    "findings.explain": roles(LEAD, INSPECTOR, check=_visit_writer),
    "findings.submit": roles(BY[Action.SUBMIT], check=_visit_filler),
    "review.view": roles(ADMIN, LEAD, INSPECTOR, check=_visit_reader),
    "review.item": roles(LEAD, check=_visit_lead),
    "review.comment": roles(LEAD, check=_visit_lead),
    "review.comment_finding": roles(LEAD, check=_visit_lead),
    "review.correct": roles(LEAD, check=_visit_lead),
    "review.return_visit": roles(BY[Action.RETURN], check=_visit_lead),
    "review.approve": roles(BY[Action.APPROVE], check=_visit_lead),
    "review.reopen": roles(BY[Action.REOPEN], check=_visit_lead),
    "notices.draft": roles(ADMIN, LEAD, check=_visit_reader),
    "notices.save_draft": roles(LEAD, check=_visit_lead),
    "notices.preview": roles(ADMIN, LEAD, check=_visit_reader),
    "notices.preview_pdf": roles(ADMIN, LEAD, check=_visit_reader),
    "notices.issue": roles(BY[Action.ISSUE], check=_visit_lead),
    "notices.view": roles(ADMIN, LEAD, INSPECTOR, UNIT, check=_notice_reader),
    "notices.pdf": roles(ADMIN, LEAD, INSPECTOR, UNIT, check=_notice_reader),
    # The Word copy is for the team's layout work; the unit reads the page and the PDF.
    "notices.docx": roles(ADMIN, LEAD, INSPECTOR, check=_notice_reader),
    "notices.supersede": roles(BY[Action.SUPERSEDE], check=_visit_lead),
    "notices.mine": roles(UNIT),
    "notices.verify": PUBLIC,
}

SESSION_KEY = "login_session"  # in the signed cookie: the LoginSession row's id
Loaded = type[Plan] | type[Visit] | type[Photo] | type[Finding] | type[Notice]
LOADERS: dict[str, Loaded] = {
    "plan_id": Plan,
    "visit_id": Visit,
    "photo_id": Photo,
    "finding_id": Finding,
    "notice_id": Notice,
}
# What every visit route needs, loaded with the visit in one round trip.
VISIT_OPTIONS = (
    joinedload(relation(Visit.plan)),
    joinedload(relation(Visit.unit)),
)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    app.before_request(enforce_access)


def authenticate(username: str, password: str) -> login_throttle.Attempt:
    """Check credentials from this request's client address, under the failed-login throttle
    (a locked username or address is refused unchecked, with the seconds to wait)."""
    return login_throttle.attempt_login(
        get_session(),
        username=username,
        password=password,
        address=request.remote_addr,
        limits=login_throttle.Limits.from_config(current_app.config),
    )


def log_in(user: User) -> None:
    """Open a login session for the user on this device (a fresh id: no fixation); a session
    this browser had before ends, and so does its CSRF token."""
    earlier = session.pop(SESSION_KEY, None)
    if isinstance(earlier, str):
        login_sessions.end(get_session(), earlier)
    _renew_csrf_token()
    session[SESSION_KEY] = login_sessions.start(get_session(), user, lifetime=_lifetime())
    login_user(user)


def _renew_csrf_token() -> None:
    """A token from before the login (read on a shared tablet, or planted with a cookie) must not
    work after it. Flask-WTF keeps the raw token in the session and the signed one on `g` for
    the request; without both, the next `generate_csrf()` makes a new one."""
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(name, None)
    g.pop(name, None)


def _lifetime() -> login_sessions.Lifetime:
    return login_sessions.Lifetime.from_config(current_app.config)


def log_out() -> None:
    """End this device's login session, on the server as well as in the cookie."""
    session_id = session.pop(SESSION_KEY, None)
    if isinstance(session_id, str):
        login_sessions.end(get_session(), session_id)
    logout_user()


def _load_user(user_ref: str) -> User | None:
    """The user named by the session: active, the session open and unexpired, the password
    unchanged since (the stamp in the reference is renewed with every new password)."""
    user_id, _, stamp = user_ref.partition(":")
    session_id = session.get(SESSION_KEY)
    if not user_id.isdigit() or not isinstance(session_id, str):
        return None
    user = login_sessions.open_user(
        get_session(), int(user_id), session_id, stamp=stamp, lifetime=_lifetime()
    )
    if user is None or not user.active:
        return None
    return user


def enforce_access() -> Response | BaseResponse | None:
    """Before every request: find the endpoint's rule and refuse what it does not allow."""
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: let the 404/405 handlers answer
        return None
    rule = ACCESS.get(endpoint)
    if rule is None:
        return _forbidden()
    if rule.public:
        return None
    if not current_user.is_authenticated:
        return _unauthorized()
    # The role first: a role with no business here learns nothing, not even whether the
    # plan or visit it names exists (a 404 for some ids and a 403 for others would tell).
    if rule.roles is not None and current_user.role not in rule.roles:
        return _forbidden()
    _load_objects()
    if rule.check is not None and not rule.check(current_user._get_current_object()):
        return _forbidden()
    return None


def _load_objects() -> None:
    """Load the plan, visit, photo or deficiency the URL names (g.plan, g.visit, g.photo,
    g.finding); a photo or a deficiency brings its visit (it is read and written as part of
    it), a visit its plan."""
    session = get_session()
    args = request.view_args or {}
    for arg, model in LOADERS.items():
        if arg not in args:
            continue
        obj = session.get(model, args[arg], options=VISIT_OPTIONS if model is Visit else ())
        if obj is None:
            _not_found(model)
        if isinstance(obj, Photo | Finding | Notice):
            if "visit" in g and g.visit.id != obj.visit_id:  # /visits/1/…/<another's photo>
                _not_found(model)
            setattr(g, type(obj).__name__.lower(), obj)
            obj = session.get(Visit, obj.visit_id, options=VISIT_OPTIONS)
        if isinstance(obj, Visit):
            if "plan" in g and g.plan.id != obj.plan_id:  # /plans/1/visits/<another's>
                _not_found(model)
            g.plan = obj.plan
            g.visit = obj
        elif isinstance(obj, Plan):
            g.plan = obj


def _not_found(model: Loaded) -> NoReturn:
    if is_api_request():
        abort(json_error(404, "not_found", f"{model.__name__.lower()} not found"))
    abort(404)


def _unauthorized() -> Response | BaseResponse:
    if is_api_request():
        return json_error(401, "unauthorized", "log in first")
    flash(_l("Please log in to continue."), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _forbidden() -> Response:
    if is_api_request():
        return json_error(403, "forbidden", "your role or assignment does not allow this")
    abort(403)
