"""The application shell: configuration, database, health, JSON errors and commands."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text

from inspection import create_app
from inspection.config import ConfigError
from tests.builders import valid_template


def test_health_reports_ok_as_json(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.get_json() == {"status": "ok", "db": "ok"}


def test_health_is_503_when_the_database_is_unreachable(app, client, tmp_path):
    missing = tmp_path / "no-such-folder" / "inspection.db"
    app.extensions["inspection.engine"] = create_engine(f"sqlite:///{missing}")
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json()["db"] == "unreachable"


def test_unknown_api_route_and_wrong_method_answer_json(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    wrong = client.delete("/api/v1/health")
    assert wrong.status_code == 405
    assert wrong.get_json()["error"]["code"] == "method_not_allowed"


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_busy_timeout(app):
    with app.extensions["inspection.engine"].connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 15000


def test_configuration_from_environment_then_passed_dict(monkeypatch, app_config):
    monkeypatch.setenv("INSPECTION_MAX_UPLOAD_MB", "10")
    monkeypatch.setenv("INSPECTION_TIMEZONE", "Asia/Bangkok")
    app = create_app({**app_config, "TIMEZONE": "UTC"})
    assert app.config["MAX_UPLOAD_MB"] == 10
    assert app.config["MAX_CONTENT_LENGTH"] > 10 * 1024 * 1024
    assert app.config["TIMEZONE"] == "UTC"
    app.extensions["inspection.engine"].dispose()


def test_text_settings_stay_text_even_when_they_look_like_json(monkeypatch, app_config):
    config = {k: v for k, v in app_config.items() if k != "SECRET_KEY"}
    monkeypatch.setenv("INSPECTION_SECRET_KEY", "1234567890123456")
    app = create_app(config)
    assert app.config["SECRET_KEY"] == "1234567890123456"
    assert app.test_client().get("/login").status_code == 200
    app.extensions["inspection.engine"].dispose()


def test_production_refuses_to_start_without_a_secret_key(app_config):
    config = {**app_config, "ENV": "production"}
    config.pop("SECRET_KEY")
    with pytest.raises(ConfigError):
        create_app(config)


def test_development_secret_is_generated_once_into_the_instance_folder(app_config, tmp_path):
    config = {k: v for k, v in app_config.items() if k != "SECRET_KEY"}
    first, second = create_app(config), create_app(config)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0
    for app in (first, second):
        app.extensions["inspection.engine"].dispose()


def test_workers_starting_at_once_agree_on_the_development_secret(tmp_path):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from inspection.config import _instance_secret

    instance = tmp_path / "fresh-instance"
    start = Barrier(12)

    def worker(_: int) -> str:
        start.wait()
        return _instance_secret(instance)

    with ThreadPoolExecutor(12) as pool:
        keys = set(pool.map(worker, range(12)))
    assert keys == {(instance / "secret_key").read_text()}
    assert [p.name for p in instance.iterdir()] == ["secret_key"]  # no temporary file left


def test_init_db_is_idempotent(runner):
    assert runner.invoke(args=["init-db"]).exit_code == 0
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0 and "Database ready" in result.output


def test_shipped_forms_are_loaded_at_start(app):
    report = app.extensions["inspection.forms_report"]
    assert report.refused == []
    keys = {t.key for t in app.extensions["inspection.library"].all()}
    assert {"cchc-xa", "niem-yet-tthc"} <= keys


def write_json(path, document) -> str:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_forms_check_lists_every_problem_and_exits_1(runner, tmp_path):
    bad = valid_template()
    bad["version"] = 0
    bad["sections"][1]["items"][1]["target"] = 150
    result = runner.invoke(args=["forms", "check", write_json(tmp_path / "bad.json", bad)])
    assert result.exit_code == 1
    assert "error: version: must be a whole number ≥ 1" in result.output
    assert "error: sections[1].items[1].target: must be a number > 0 and ≤ 100" in result.output


def test_forms_check_accepts_a_valid_file(runner, tmp_path):
    result = runner.invoke(
        args=["forms", "check", write_json(tmp_path / "ok.json", valid_template())]
    )
    assert result.exit_code == 0, result.output
    assert "valid, 12 points" in result.output


def test_forms_check_refuses_broken_json(runner, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"key": ')
    result = runner.invoke(args=["forms", "check", str(path)])
    assert result.exit_code == 1 and "not readable JSON" in result.output


def test_forms_import_then_list_then_conflict(runner, tmp_path):
    path = write_json(tmp_path / "mau.json", valid_template())
    first = runner.invoke(args=["forms", "import", path])
    assert first.exit_code == 0 and "mau-thu v1: imported" in first.output
    again = runner.invoke(args=["forms", "import", path])
    assert again.exit_code == 0 and "identical" in again.output
    listing = runner.invoke(args=["forms", "list"])
    assert "mau-thu\tv1\t12\tMẫu thử" in listing.output
    changed = valid_template()
    changed["title"] = "Khác"
    conflict = runner.invoke(args=["forms", "import", write_json(tmp_path / "x.json", changed)])
    assert conflict.exit_code == 1 and "already exists" in conflict.output
