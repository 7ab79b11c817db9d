"""The audit trail: template imports are recorded by whoever made them, and events only grow."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from inspection.audit import AppendOnly
from inspection.db import get_session
from inspection.models import AuditEvent
from tests.builders import valid_template
from tests.factories import ApiClient, logged_in, make_user, upload_checklist


def template_events(app) -> list[tuple[str | None, str, str]]:
    with app.app_context():
        rows = get_session().exec(select(AuditEvent).where(AuditEvent.entity == "template"))
        return [(e.actor_id, e.entity_id, e.after["source"]) for e in rows]


def test_a_template_imported_by_the_api_is_audited_once(app):
    admin = make_user(app, "admin", "admin")
    api = ApiClient(app, "admin")
    assert api.post("/api/v1/forms", json=valid_template()).status_code == 201
    assert api.post("/api/v1/forms", json=valid_template()).status_code == 200  # identical
    assert template_events(app) == [(admin.id, "mau-thu:1", "api:admin")]


def test_a_template_uploaded_on_the_page_is_audited(app):
    admin = make_user(app, "admin", "admin")
    response = upload_checklist(logged_in(app, "admin"), json.dumps(valid_template()).encode())
    assert response.status_code == 302
    assert template_events(app) == [(admin.id, "mau-thu:1", "upload:mau.json")]


def test_a_template_imported_on_the_command_line_is_audited(app, runner, tmp_path):
    path = tmp_path / "mau.json"
    path.write_text(json.dumps(valid_template()), encoding="utf-8")
    result = runner.invoke(args=["forms", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert template_events(app) == [(None, "mau-thu:1", "mau.json")]


def test_a_refused_template_leaves_no_event(app, admin_api):
    bad = {**valid_template(), "version": 0}
    assert admin_api.post("/api/v1/forms", json=bad).status_code == 400
    assert template_events(app) == []


def test_audit_events_cannot_be_changed_or_deleted(app):
    make_user(app, "admin", "admin")
    with app.app_context():
        session = get_session()
        event = session.exec(select(AuditEvent)).first()
        assert event is not None and event.action == "user.create"
        event.after = {"username": "someone-else"}
        with pytest.raises(AppendOnly):
            session.commit()
        session.rollback()
        session.delete(session.get(AuditEvent, event.id))
        with pytest.raises(AppendOnly):
            session.commit()
        session.rollback()
        assert session.get(AuditEvent, event.id).after["username"] == "admin"
