"""Fixtures: every test gets its own instance folder, database, template library and uploads."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from inspection import create_app, logging_setup
from inspection.models import Plan, Visit
from inspection.services import users
from tests import count_item
from tests.databases import BACKEND, open_databases
from tests.factories import ApiClient, logged_in, make_plan, make_unit, make_user, make_visit

# Property tests: a fixed, capped set of examples in CI (the same run every time, within its time
# budget); more, and new ones each run, on a developer's machine. Examples share the test's app.
PROPERTY_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
settings.register_profile(
    "ci", max_examples=25, derandomize=True, deadline=None, suppress_health_check=PROPERTY_CHECKS
)
settings.register_profile(
    "dev", max_examples=60, deadline=None, suppress_health_check=PROPERTY_CHECKS
)
settings.register_profile(
    "thorough", max_examples=400, deadline=None, suppress_health_check=PROPERTY_CHECKS
)  # HYPOTHESIS_PROFILE=thorough, for a long hunt before a release
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

PROJECT_FORMS = Path(__file__).resolve().parent.parent / "forms"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """scrypt costs ~50 ms a hash by design; tests create hundreds of users."""
    monkeypatch.setattr(users, "HASH_METHOD", "pbkdf2:sha256:1000")


def pytest_collection_modifyitems(config, items):
    """Tests that only make sense on one database are deselected on the other (not skipped)."""
    other = "postgresql_only" if BACKEND == "sqlite" else "sqlite_only"
    selected = [item for item in items if other not in item.keywords]
    deselected = [item for item in items if other in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    """Migrated once per session (and xdist worker); each test gets a copy."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    pool = open_databases(tmp_path_factory.mktemp("db-template"), worker)
    yield pool
    pool.close()


@pytest.fixture
def database_url(databases, tmp_path: Path):
    url = databases.create(tmp_path / "instance")
    yield url
    databases.drop(url)


def instance_config(root: Path, database_url: str, prefix: str = "") -> dict:
    """The settings of a test instance whose folders are `<prefix>instance` and
    `<prefix>uploads` under `root`."""
    instance = root / f"{prefix}instance"
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "LIBRARY_PATH": str(instance / "library.json"),
        "UPLOAD_DIR": str(root / f"{prefix}uploads"),
        "FORMS_DIR": str(PROJECT_FORMS),
    }


@pytest.fixture
def app_config(tmp_path: Path, database_url: str) -> dict:
    return instance_config(tmp_path, database_url)


@pytest.fixture
def app(app_config: dict):
    app = create_app(app_config)
    yield app
    app.extensions["inspection.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Put logging back as it was: a test must not leave its handler or level to the next."""
    root, own = logging.getLogger(), logging.getLogger(logging_setup.APP_LOGGER)
    handlers, level = list(root.handlers), own.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    own.setLevel(level)


@pytest.fixture
def logged_app(app, root_logging: None):
    """The app with its logging set up (again: create_app may already have run it, and twice
    must be harmless), put back as it was afterwards."""
    logging_setup.init_app(app)
    logging_setup.init_app(app)
    return app


# The people and records most tests start from ----------------------------------------------------
# A module that needs another cast (more people, another unit, a second inspector) overrides
# `visit` or `plan` in its own file, or asks for it in its own fixture of the same name and adds
# to it. The `plan` that `visit` asks for is looked up from the test, so an override of `plan`
# alone changes the plan of the shared `visit` too.


@pytest.fixture
def plan(app) -> Plan:
    """Lead `lead-a`'s plan 22/KH-UBND of 2024 on the shipped cchc-xa checklist, and the
    inspector `insp-a` to assign (every user has the password factories.PASSWORD)."""
    lead = make_user(app, "lead-a", "lead")
    make_user(app, "insp-a", "inspector")
    return make_plan(app, lead)


@pytest.fixture
def visit(app, plan: Plan) -> Visit:
    """The plan's visit to UBND xã Ninh Đa (ninh-da) on 28/06/2024, assigned to `insp-a`."""
    make_unit(app)
    return make_visit(app, plan, ["insp-a"])


@pytest.fixture
def admin(app) -> FlaskClient:
    """A client logged in as the admin `admin1` through the login page."""
    make_user(app, "admin1", "admin")
    return logged_in(app, "admin1")


@pytest.fixture
def admin_api(app) -> ApiClient:
    """A client logged in as the admin `admin` through the JSON API."""
    make_user(app, "admin", "admin")
    return ApiClient(app, "admin")


@pytest.fixture
def generated(monkeypatch) -> list[str]:
    """The passwords the server generates, recorded so a test can look for them."""
    seen: list[str] = []
    real = users.generate_password

    def recording() -> str:
        seen.append(real())
        return seen[-1]

    monkeypatch.setattr(users, "generate_password", recording)
    return seen


@pytest.fixture
def count_type() -> Iterator[None]:
    """The `count` item type of tests/count_item.py, registered for the test."""
    count_item.register()
    yield
    count_item.forget()
