"""The JSON API under /api/v1 (API.md)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from inspection import db

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/health")
def health():
    if db.ping(db.get_engine()):
        return jsonify(status="ok", db="ok")
    return jsonify(status="error", db="unreachable"), 503
