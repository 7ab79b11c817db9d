"""Inspection: field inspection of administrative reform at communes and wards."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, then each concern in its own small step."""
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get(
        "INSPECTION_INSTANCE_PATH"
    )
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    register_config(app, config)
    register_logging(app)
    register_database(app)
    register_library(app)
    register_extensions(app)
    register_errorhandlers(app)
    register_blueprints(app)
    register_commands(app)
    return app


def register_config(app: Flask, config: dict[str, Any] | None) -> None:
    from inspection.config import load_config

    load_config(app, config)
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)


def register_logging(app: Flask) -> None:
    from inspection import logging_setup, proxy

    logging_setup.init_app(app)
    proxy.init_app(app)


def register_database(app: Flask) -> None:
    from inspection import db, migrate

    db.init_app(app)
    if migrate.building_to_serve():
        migrate.check_at_start(app.extensions[db.ENGINE_KEY])


def register_library(app: Flask) -> None:
    from inspection import library

    app.extensions["inspection.forms_report"] = library.init_app(app)


def register_extensions(app: Flask) -> None:
    from inspection import (
        auth,
        body_limits,
        i18n,
        labels,
        responses,
        security,
        storage,
        strict_json,
    )
    from inspection.views.visit_page import ChecklistCache

    app.extensions["inspection.checklist_cache"] = ChecklistCache(app.config["PAGE_CACHE_SIZE"])
    app.extensions["inspection.review_cache"] = ChecklistCache(app.config["PAGE_CACHE_SIZE"])
    responses.init_app(app)
    strict_json.init_app(app)
    i18n.init_app(app)
    labels.init_app(app)
    body_limits.init_app(app)  # a body over its cap: 413 before the access and CSRF checks
    auth.init_app(app)  # the access check runs before the CSRF check: 401/403 come first
    security.init_app(app)
    storage.init_app(app)  # the photo store (UPLOAD_DIR)


def register_errorhandlers(app: Flask) -> None:
    from inspection import errors

    errors.init_app(app)


def register_blueprints(app: Flask) -> None:
    from inspection import assets, routing
    from inspection.security import csrf
    from inspection.views import (
        admin,
        api,
        api_documents,  # noqa: F401  (adds the record's and the plan results' routes to api.bp)
        api_notices,  # noqa: F401  (adds the notice routes to api.bp)
        api_photos,  # noqa: F401  (adds the photo routes to api.bp)
        api_review,  # noqa: F401  (adds the review routes to api.bp)
        auth,
        checklists,
        findings,
        main,
        notices,
        offline,
        photos,
        plans,
        records,
        results,
        review,
        visits,
    )

    routing.init_app(app)
    assets.init_app(app)  # the static route serves scripts and stylesheets minified
    for module in (
        main,
        auth,
        admin,
        checklists,
        plans,
        visits,
        photos,
        findings,
        review,
        notices,
        records,
        results,
        offline,
        api,
    ):
        app.register_blueprint(module.bp)
    # A JSON login cannot be forged cross-site (a JSON body needs a CORS preflight that this app
    # never grants); it is how an API client obtains its CSRF token.
    csrf.exempt(api.login)


def register_commands(app: Flask) -> None:
    from inspection import cli, sweeper

    cli.init_app(app)
    sweeper.init_app(app)  # serving: the photo store's orphan sweep, at start and daily
