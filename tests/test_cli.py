"""The user-facing commands: init-db, seed-demo and users create."""

import logging

import click
import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import func, select

from inspection import create_app, migrate
from inspection.db import get_session
from inspection.models import Notice, Plan, Unit, User, Visit
from tests.conftest import instance_config


def counts(app) -> dict[str, int]:
    with app.app_context():
        session = get_session()
        return {
            m.__name__: session.exec(select(func.count()).select_from(m)).one()
            for m in (Unit, User, Plan, Visit)
        }


def test_seed_demo_twice_creates_once_and_prints_working_logins(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert counts(app) == {"Unit": 10, "User": 5, "Plan": 1, "Visit": 10}
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and counts(app) == {"Unit": 10, "User": 5, "Plan": 1, "Visit": 10}
    lines = [line.split() for line in first.output.splitlines()[1:]]
    for role, username, password in lines:
        response = app.test_client().post(
            "/api/v1/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200 and response.get_json()["user"]["role"] == role
    with app.app_context():
        plan = get_session().exec(select(Plan)).one()
        assert plan.number == "22/KH-UBND" and plan.decision_number == "70/QĐ-UBND"
        names = {u.name for u in get_session().exec(select(Unit))}
        assert {"UBND phường Ninh Đa", "UBND xã Ninh Sơn"} <= names


def test_demo_inspector_sees_the_demo_visits(app, runner):
    runner.invoke(args=["seed-demo"])
    client = app.test_client()
    login = {"username": "thanhvien1", "password": "inspector-demo"}
    assert client.post("/api/v1/login", json=login).status_code == 200
    assert client.get("/api/v1/visits/1").status_code == 200
    assert "UBND phường Ninh Đa" in client.get("/").get_data(as_text=True)


def test_seed_demo_with_results_carries_two_visits_through_once(app, runner):
    """`make run`'s demo: Ninh Xuân's notice issued (its unit account reads it), Ninh Hưng's
    visit approved for the lead to draft and issue; a second run changes nothing."""
    first = runner.invoke(args=["seed-demo", "--with-results"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["seed-demo", "--with-results"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        session = get_session()
        visits = {v.unit.name: v for v in session.exec(select(Visit))}
        status = {name: v.status for name, v in visits.items()}
        [notice] = session.exec(select(Notice)).all()
        content = notice.content
    assert status["UBND xã Ninh Xuân"] == "notice_issued"
    assert status["UBND xã Ninh Hưng"] == "approved"
    assert sorted(status.values()).count("planned") == 8
    assert notice.number == "01/TB-ĐKT" and content["unit_name"] == "UBND xã Ninh Xuân"
    assert len(content["deficiencies"]) >= 3 and len(content["annex"]) >= 3
    unit = app.test_client()
    login = {"username": "ninhxuan", "password": "unit-demo"}
    assert unit.post("/api/v1/login", json=login).status_code == 200
    home = unit.get("/", follow_redirects=True).get_data(as_text=True)
    assert "01/TB-ĐKT" in home
    pdf = unit.get(f"/notices/{notice.id}/notice.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    lead = app.test_client()
    login = {"username": "truongdoan", "password": "lead-demo"}
    assert lead.post("/api/v1/login", json=login).status_code == 200
    draft = lead.get(f"/api/v1/visits/{visits['UBND xã Ninh Hưng'].id}/notice/draft")
    assert draft.status_code == 200, draft.get_json()


def test_users_create_generates_a_password_when_none_is_given(app, runner):
    result = runner.invoke(
        args=["users", "create", "hoa", "--role", "inspector", "--full-name", "Lê Thị Hoa"]
    )
    assert result.exit_code == 0, result.output
    password = result.output.split("Password: ")[1].strip()
    assert len(password) >= 12
    login = app.test_client().post("/api/v1/login", json={"username": "hoa", "password": password})
    assert login.status_code == 200 and login.get_json()["user"]["full_name"] == "Lê Thị Hoa"


def test_users_create_refuses_bad_input_with_reasons(app, runner):
    result = runner.invoke(args=["users", "create", "xa", "--role", "unit"])
    assert result.exit_code == 1
    assert "username" in result.output and "unit_code" in result.output
    runner.invoke(args=["users", "create", "hoa", "--role", "lead", "--password", "mat-khau-1"])
    again = runner.invoke(args=["users", "create", "hoa", "--role", "lead"])
    assert again.exit_code == 1 and "taken" in again.output


# init-db and the schema's revision ---------------------------------------------------------------


def set_revision(app, revision: str) -> None:
    with app.extensions["inspection.engine"].begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def downgrade_to_baseline(app) -> None:
    """The database as the first release left it: a forgotten init-db after an upgrade."""
    engine = app.extensions["inspection.engine"]
    config = migrate.alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, migrate.BASELINE)
    engine.dispose()


def schema_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "inspection.migrate"]


def test_init_db_refuses_a_database_of_a_newer_version_in_one_line(app, runner):
    set_revision(app, "0099")
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception  # not a raw Alembic error
    head = migrate.head_revision()
    assert result.output.splitlines() == [
        "Error: The database was made by a newer version of Inspection: its schema is at "
        f"revision 0099, this version's latest is {head}. Install the version that made it (or "
        "a newer one) to use this database."
    ]
    assert migrate.current_revision(app.extensions["inspection.engine"]) == "0099"  # untouched


@pytest.mark.parametrize("command", ["init-db", "seed-demo"])
def test_a_newer_database_is_refused_in_one_line_untouched(app, runner, command):
    set_revision(app, "0099")
    result = runner.invoke(args=[command])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert result.output.startswith("Error: The database was made by a newer version")
    assert len(result.output.splitlines()) == 1
    assert migrate.current_revision(app.extensions["inspection.engine"]) == "0099"


def test_init_db_upgrades_an_older_database_and_says_from_where(app, runner):
    downgrade_to_baseline(app)
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    head = migrate.head_revision()
    assert result.output == f"Database ready (schema revision {head}, upgraded from 0001).\n"
    again = runner.invoke(args=["init-db"])
    assert again.output == f"Database ready (schema revision {head}).\n"


def test_a_server_starting_on_an_old_schema_warns_to_run_init_db(app, app_config, caplog):
    downgrade_to_baseline(app)
    caplog.clear()
    behind = create_app(app_config)
    [record] = schema_records(caplog)
    assert record.levelno == logging.WARNING
    assert (
        f"the database schema is at revision 0001 but this version needs "
        f"{migrate.head_revision()}: stop the server, run `flask --app app init-db`"
    ) in record.getMessage()
    assert behind.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    behind.extensions["inspection.engine"].dispose()
    caplog.clear()
    create_app(app_config).extensions["inspection.engine"].dispose()
    assert schema_records(caplog) == []  # at head: nothing to say


def test_a_server_starting_on_a_newer_schema_logs_an_error(app, app_config, caplog):
    set_revision(app, "0099")
    caplog.clear()
    create_app(app_config).extensions["inspection.engine"].dispose()
    [record] = schema_records(caplog)
    assert record.levelno == logging.ERROR
    assert "made by a newer version of Inspection" in record.getMessage()


def test_a_server_starting_on_an_empty_database_warns_and_creates_nothing(
    databases, tmp_path, caplog
):
    url = databases.create_empty(tmp_path / "empty")
    try:
        app = create_app(instance_config(tmp_path, url, prefix="empty-"))
        engine = app.extensions["inspection.engine"]
        assert migrate.schema_status(engine).state == "empty"
        engine.dispose()
    finally:
        databases.drop(url)
    [record] = schema_records(caplog)
    assert "the database has no tables yet: run `flask --app app init-db`" in record.getMessage()


def test_a_missing_sqlite_file_is_not_created_by_the_check(tmp_path, caplog):
    config = instance_config(tmp_path, f"sqlite:///{tmp_path / 'none' / 'inspection.db'}")
    create_app(config).extensions["inspection.engine"].dispose()
    assert not (tmp_path / "none" / "inspection.db").exists()
    assert "no tables yet" in schema_records(caplog)[0].getMessage()


def test_an_unreachable_database_at_start_is_logged_not_fatal(tmp_path, caplog):
    """The health check answers 503 then; the start must not fail or hang on it."""
    url = "postgresql+psycopg://inspection:pw-not-logged@127.0.0.1:1/inspection"
    app = create_app(instance_config(tmp_path, url))
    [record] = schema_records(caplog)
    message = record.getMessage()
    assert message.startswith("could not read the database schema's revision at start: ")
    assert "\n" not in message and "pw-not-logged" not in message
    assert app.test_client().get("/api/v1/health").status_code == 503
    app.extensions["inspection.engine"].dispose()


@pytest.mark.parametrize("name, warned", [("init-db", False), ("restore", False), ("run", True)])
def test_flask_commands_other_than_run_skip_the_check(app, app_config, caplog, name, warned):
    """init-db, seed-demo and restore bring the schema up themselves; `flask run` serves."""
    downgrade_to_baseline(app)
    caplog.clear()
    with click.Context(click.Command(name)):
        create_app(app_config).extensions["inspection.engine"].dispose()
    assert bool(schema_records(caplog)) is warned
