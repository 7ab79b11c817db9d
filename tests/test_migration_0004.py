"""Revision 0004 makes plan numbers (per year) and visits (per plan, unit and day) unique. On a
database holding plans with visits it carries the data over; on one holding duplicates it stops,
untouched, with one line naming them."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import inspect, text

from inspection import create_app, migrate
from inspection.db import make_engine
from tests.conftest import instance_config

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC).replace(tzinfo=None)


@pytest.fixture
def at_0003(databases, tmp_path):
    url = databases.create_empty(tmp_path / "old")
    engine = make_engine(url)
    config = migrate.alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    yield engine, url
    engine.dispose()
    databases.drop(url)


def fill(engine, plans: list[tuple[int, str, int]], visits: list[tuple[int, int, str]]) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, username, full_name, position, role, password_hash, "
                "active, created_at, session_stamp) VALUES (1, 'lead-a', 'Lê A', '', 'lead', "
                "'x', true, :now, 's')"
            ),
            {"now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO units (id, code, name, kind, active) "
                "VALUES (1, 'ninh-da', 'UBND xã Ninh Đa', 'xa', true)"
            )
        )
        for plan_id, number, year in plans:
            connection.execute(
                text(
                    "INSERT INTO plans (id, number, decision_number, year, title, lead_id, "
                    "form_key, form_version, form_sha256, created_at) VALUES (:id, :number, '', "
                    ":year, 'Kiểm tra', 1, 'cchc-xa', 1, 'h', :now)"
                ),
                {"id": plan_id, "number": number, "year": year, "now": NOW},
            )
        for visit_id, plan_id, day in visits:
            connection.execute(
                text(
                    "INSERT INTO visits (id, plan_id, unit_id, scheduled_on, place, participants,"
                    " status, revision, created_at) VALUES (:id, :plan, 1, :day, '', '[]', "
                    "'planned', 0, :now)"
                ),
                {"id": visit_id, "plan": plan_id, "day": dt.date.fromisoformat(day), "now": NOW},
            )


def test_plans_with_visits_are_carried_over_with_their_folded_numbers(at_0003):
    engine, _url = at_0003
    fill(
        engine,
        [(1, "22/KH-ĐKT", 2024), (2, "22/KH-ĐKT", 2025)],
        [(1, 1, "2024-06-28"), (2, 1, "2024-06-29"), (3, 2, "2025-06-28")],
    )
    assert migrate.upgrade(engine) == migrate.head_revision()
    with engine.connect() as connection:
        keys = connection.execute(text("SELECT id, number_key FROM plans ORDER BY id")).all()
        visits = connection.execute(text("SELECT count(*) FROM visits")).scalar()
    assert [tuple(row) for row in keys] == [(1, "22/kh-đkt"), (2, "22/kh-đkt")]
    assert visits == 3
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("plans")}
    assert indexes["uq_plans_year_number_key"]["unique"]


def test_duplicates_stop_the_upgrade_untouched_and_are_named(at_0003, tmp_path):
    engine, url = at_0003
    fill(
        engine,
        [(1, "22/KH-ĐKT", 2024), (2, "22/kh-đkt", 2024), (3, "5/KH", 2024)],
        [(1, 3, "2024-06-28"), (2, 3, "2024-06-28"), (3, 1, "2024-06-28")],
    )
    with pytest.raises(migrate.MigrationRefused) as refused:
        migrate.upgrade(engine)
    message = str(refused.value)
    assert "plans #1 '22/KH-ĐKT', #2 '22/kh-đkt' share a number in 2024" in message
    assert "plan #3 visits unit #1 2 times on 2024-06-28" in message
    assert "\n" not in message
    assert migrate.current_revision(engine) == "0003"
    assert "number_key" not in {c["name"] for c in inspect(engine).get_columns("plans")}

    app = create_app(instance_config(tmp_path, url))
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "share a number in 2024" in result.output
    app.extensions["inspection.engine"].dispose()
