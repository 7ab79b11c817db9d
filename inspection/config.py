"""Configuration: defaults, then `INSPECTION_*` environment variables, then the dict passed in."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, Any] = {
    "ENV": "development",
    "DATABASE_URL": None,  # default: sqlite:///<instance>/inspection.db
    "UPLOAD_DIR": str(PROJECT_ROOT / "uploads"),
    "LIBRARY_PATH": None,  # default: <instance>/library.json
    "FORMS_DIR": str(PROJECT_ROOT / "forms"),
    "MAX_UPLOAD_MB": 25,
    "MAX_BODY_KB": 2048,  # every other request body (inspection/body_limits.py)
    "BASE_URL": None,
    "TIMEZONE": "Asia/Ho_Chi_Minh",
    "SQLITE_BUSY_TIMEOUT_MS": 15000,
    "PAGE_CACHE_SIZE": 64,  # rendered checklists kept per process (0: off)
    "PHOTO_SWEEP_HOURS": 24,  # the photo store's orphan sweep: at start, then this often (0: off)
    # Failed logins (services/login_throttle.py). Per username: tight, it guards one password.
    # Per address: loose, a team of 10-20 tablets behind one office NAT shares it.
    "LOGIN_USER_FAILURES": 5,
    "LOGIN_ADDRESS_FAILURES": 100,
    "LOGIN_WINDOW_MINUTES": 60,  # failures are forgotten after this long without one
    "LOGIN_LOCK_SECONDS": 30,  # the first lock; each further failure doubles it
    "LOGIN_LOCK_MAX_SECONDS": 900,
    # Unknown tokens asked of the notice verification page, per address, before it is locked
    # (the same window and locks as logins): a printed notice's reader asks once or twice.
    "VERIFY_FAILURES": 20,
    # Login sessions (services/login_sessions.py). Idle: a whole day in the field without
    # signal, the night, and the next morning's sync still find the session open (answers wait in
    # the browser meanwhile, and a re-login sends them). Absolute: a tablet logged in for a whole
    # inspection round types its password again once a month.
    "SESSION_IDLE_HOURS": 48,
    "SESSION_MAX_DAYS": 30,
}
# Settings that must be numbers above zero (a zero lifetime would end every session at once).
POSITIVE_SETTINGS = (
    "LOGIN_USER_FAILURES",
    "LOGIN_ADDRESS_FAILURES",
    "LOGIN_WINDOW_MINUTES",
    "LOGIN_LOCK_SECONDS",
    "LOGIN_LOCK_MAX_SECONDS",
    "VERIFY_FAILURES",
    "SESSION_IDLE_HOURS",
    "SESSION_MAX_DAYS",
)
# Settings that are text whatever they look like: `from_prefixed_env` parses values as JSON, so
# a secret key of digits would become a number and a time zone `"null"` would become None.
TEXT_SETTINGS = (
    "ENV",
    "SECRET_KEY",
    "DATABASE_URL",
    "UPLOAD_DIR",
    "LIBRARY_PATH",
    "FORMS_DIR",
    "BASE_URL",
    "TIMEZONE",
)


ENVIRONMENTS = ("development", "production")
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The configuration cannot run the application (e.g. production without a secret key)."""


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("INSPECTION")
    for name in TEXT_SETTINGS:
        raw = os.environ.get(f"INSPECTION_{name}")
        if raw is not None:
            app.config[name] = raw
    if overrides:
        app.config.update(overrides)
    _derive(app)


def _derive(app: Flask) -> None:
    cfg = app.config
    instance = Path(app.instance_path)
    if not cfg["DATABASE_URL"]:
        cfg["DATABASE_URL"] = f"sqlite:///{instance / 'inspection.db'}"
    if not cfg["LIBRARY_PATH"]:
        cfg["LIBRARY_PATH"] = str(instance / "library.json")
    cfg["MAX_UPLOAD_MB"] = int(cfg["MAX_UPLOAD_MB"])
    cfg["PAGE_CACHE_SIZE"] = int(cfg["PAGE_CACHE_SIZE"])
    for name in POSITIVE_SETTINGS:
        _require_positive(cfg, name)
    # Room for the multipart envelope around a photo of the maximum size.
    cfg["MAX_CONTENT_LENGTH"] = cfg["MAX_UPLOAD_MB"] * 1024 * 1024 + 64 * 1024
    env = str(cfg["ENV"]).strip().lower()
    if env not in ENVIRONMENTS:
        # A mistyped "prodution" must not quietly run without a secret and secure cookies.
        raise ConfigError(f"INSPECTION_ENV must be development or production, not {cfg['ENV']!r}")
    cfg["ENV"] = env
    production = env == "production"
    if not cfg.get("SECRET_KEY"):
        if production:
            raise ConfigError("INSPECTION_SECRET_KEY must be set when INSPECTION_ENV=production")
        cfg["SECRET_KEY"] = _instance_secret(instance)
    elif production and len(str(cfg["SECRET_KEY"])) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"INSPECTION_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters in production "
            '(python3 -c "import secrets; print(secrets.token_hex(32))" makes one)'
        )
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["SESSION_COOKIE_SECURE"] = production
    cfg["REMEMBER_COOKIE_SECURE"] = production
    cfg["REMEMBER_COOKIE_HTTPONLY"] = True


def _require_positive(cfg: dict[str, Any], name: str) -> None:
    value = cfg[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(f"INSPECTION_{name} must be a number above 0, not {value!r}")


def _instance_secret(instance: Path) -> str:
    """A development secret kept in the instance folder so sessions survive restarts.

    Several workers may start at once: each writes its candidate to a private temporary file and
    links it into place only if no key is there yet, so all of them end up with the same key.
    """
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".secret_key-", dir=instance)
    try:
        with os.fdopen(fd, "w") as tmp:
            tmp.write(secrets.token_hex(32))
        os.chmod(tmp_name, 0o600)
        try:
            os.link(tmp_name, path)  # atomic create-if-absent; never replaces another's key
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp_name)
    return path.read_text().strip()
