"""Inspection: field inspection of administrative reform at communes and wards."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, then each concern in its own small step."""
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get(
        "INSPECTION_INSTANCE_PATH"
    )
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    register_config(app, config)
    register_database(app)
    register_library(app)
    register_errorhandlers(app)
    register_blueprints(app)
    register_commands(app)
    return app


def register_config(app: Flask, config: dict[str, Any] | None) -> None:
    from inspection.config import load_config

    load_config(app, config)


def register_database(app: Flask) -> None:
    from inspection import db

    db.init_app(app)


def register_library(app: Flask) -> None:
    from inspection.library import TemplateLibrary

    library = TemplateLibrary(app.config["LIBRARY_PATH"])
    app.extensions["inspection.library"] = library
    app.extensions["inspection.forms_report"] = library.load_folder(app.config["FORMS_DIR"])


def register_errorhandlers(app: Flask) -> None:
    from inspection import errors

    errors.init_app(app)


def register_blueprints(app: Flask) -> None:
    from inspection.views.api import bp as api_bp

    app.register_blueprint(api_bp)


def register_commands(app: Flask) -> None:
    from inspection import cli

    cli.init_app(app)
