"""Starting a server the way the README says: `make run` on the port and address asked for, and
in Vietnamese, or saying loudly at start why not (Flask-Babel reads only compiled catalogs and
otherwise falls back to the English of the code without a word)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from inspection import create_app

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "inspection" / "translations"


def make_dry_run(*args: str) -> list[str]:
    """The commands `make run …` would run, without running them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INSPECTION_", "MAKE"))}
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", "run", *args],
        cwd=ROOT,
        env={**env, "HOST": "shell-host", "PORT": "1"},  # a shell's own HOST/PORT do not count
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.splitlines()


@pytest.mark.parametrize(
    ("args", "command"),
    [
        ((), "run --host 127.0.0.1 --port 5000"),
        (("PORT=8080",), "run --host 127.0.0.1 --port 8080"),
        (("PORT=8080", "HOST=0.0.0.0"), "run --host 0.0.0.0 --port 8080"),
    ],
)
def test_make_run_serves_on_the_port_and_host_asked_for(args, command):
    [serve] = [line for line in make_dry_run(*args) if " run --host " in line]
    assert serve.endswith(f"flask --app app {command}")


def records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "inspection.i18n"]


@pytest.fixture
def catalogs(tmp_path: Path) -> Path:
    """A copy of the shipped catalogs' sources, none compiled: a fresh clone's."""
    folder = tmp_path / "translations"
    for po in CATALOGS.glob("*/LC_MESSAGES/messages.po"):
        target = folder / po.relative_to(CATALOGS)
        target.parent.mkdir(parents=True)
        shutil.copyfile(po, target)
    return folder


def login_page(app) -> str:
    return app.test_client().get("/login").get_data(as_text=True)


def test_a_server_started_without_compiled_catalogs_compiles_them(app_config, catalogs, caplog):
    caplog.set_level(logging.WARNING, "inspection.i18n")
    app = create_app({**app_config, "BABEL_TRANSLATION_DIRECTORIES": str(catalogs)})
    assert (catalogs / "vi" / "LC_MESSAGES" / "messages.mo").is_file()
    assert (catalogs / "en" / "LC_MESSAGES" / "messages.mo").is_file()
    said = [r.getMessage() for r in records(caplog)]
    assert any("compiled the Vietnamese (vi) catalog at start" in m for m in said), said
    assert "Đăng nhập" in login_page(app)  # Vietnamese, not the code's English "Log in"
    app.extensions["inspection.engine"].dispose()


def test_a_catalog_older_than_its_source_is_compiled_again(app_config, catalogs, caplog):
    first = create_app({**app_config, "BABEL_TRANSLATION_DIRECTORIES": str(catalogs)})
    first.extensions["inspection.engine"].dispose()
    po = catalogs / "vi" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    os.utime(mo, (po.stat().st_mtime - 60, po.stat().st_mtime - 60))  # an update's new .po
    caplog.clear()
    caplog.set_level(logging.WARNING, "inspection.i18n")
    app = create_app({**app_config, "BABEL_TRANSLATION_DIRECTORIES": str(catalogs)})
    assert mo.stat().st_mtime >= po.stat().st_mtime
    assert [r.levelno for r in records(caplog)] == [logging.WARNING]
    app.extensions["inspection.engine"].dispose()


def test_compiled_catalogs_start_quietly(app_config, catalogs, caplog):
    create_app({**app_config, "BABEL_TRANSLATION_DIRECTORIES": str(catalogs)}).extensions[
        "inspection.engine"
    ].dispose()
    caplog.clear()
    caplog.set_level(logging.INFO, "inspection.i18n")
    app = create_app({**app_config, "BABEL_TRANSLATION_DIRECTORIES": str(catalogs)})
    assert records(caplog) == []
    app.extensions["inspection.engine"].dispose()


def test_a_server_without_any_vietnamese_catalog_says_so_loudly(app_config, tmp_path, caplog):
    caplog.set_level(logging.WARNING, "inspection.i18n")
    empty = tmp_path / "no-translations"
    empty.mkdir()
    app = create_app({**app_config, "BABEL_TRANSLATION_DIRECTORIES": str(empty)})
    [record] = records(caplog)
    assert record.levelno == logging.ERROR
    assert "no Vietnamese (vi) catalog" in record.getMessage()
    assert "show English" in record.getMessage()
    app.extensions["inspection.engine"].dispose()


def test_a_catalog_that_cannot_be_compiled_is_said_with_the_fix(app_config, catalogs, caplog):
    caplog.set_level(logging.WARNING, "inspection.i18n")
    (catalogs / "vi" / "LC_MESSAGES" / "messages.mo").mkdir()  # in the way of the compiled file
    app = create_app({**app_config, "BABEL_TRANSLATION_DIRECTORIES": str(catalogs)})
    [record] = [r for r in records(caplog) if r.levelno == logging.ERROR]
    assert "could not be compiled at start" in record.getMessage()
    assert "make translations" in record.getMessage()
    app.extensions["inspection.engine"].dispose()
