"""The user-facing commands: seed-demo and users create."""

from sqlmodel import func, select

from inspection.db import get_session
from inspection.models import Plan, Unit, User, Visit


def counts(app) -> dict[str, int]:
    with app.app_context():
        session = get_session()
        return {m.__name__: session.exec(select(func.count()).select_from(m)).one()
                for m in (Unit, User, Plan, Visit)}  # fmt: skip


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


def test_users_create_generates_a_password_when_none_is_given(app, runner):
    result = runner.invoke(args=["users", "create", "hoa", "--role", "inspector",
                                 "--full-name", "Lê Thị Hoa"])  # fmt: skip
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
