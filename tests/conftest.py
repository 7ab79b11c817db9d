"""Fixtures: every test gets its own instance folder, database, template library and uploads."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspection import create_app
from inspection.db import create_schema, get_engine
from inspection.services import users

PROJECT_FORMS = Path(__file__).resolve().parent.parent / "forms"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """scrypt costs ~50 ms a hash by design; tests create hundreds of users."""
    monkeypatch.setattr(users, "HASH_METHOD", "pbkdf2:sha256:1000")


@pytest.fixture
def app_config(tmp_path: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'instance' / 'test.db'}",
        "LIBRARY_PATH": str(tmp_path / "instance" / "library.json"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "FORMS_DIR": str(PROJECT_FORMS),
    }


@pytest.fixture
def app(app_config: dict):
    app = create_app(app_config)
    with app.app_context():
        create_schema(get_engine())
    yield app
    app.extensions["inspection.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
