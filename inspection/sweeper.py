"""The photo store's orphan sweep (storage.py) at start-up and then every PHOTO_SWEEP_HOURS
(daily by default), in a background thread of each serving process. Several workers sweeping at
once is harmless: a folder is removed only when no row names it and it is older than the grace
period that covers any worker's step from file to row. `flask --app app photos sweep` runs one
sweep by hand."""

from __future__ import annotations

import logging
import threading

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from inspection import migrate

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    hours = float(app.config["PHOTO_SWEEP_HOURS"])
    if app.testing or hours <= 0 or not migrate.building_to_serve():
        return
    thread = threading.Thread(
        target=_every, args=(app, hours * 3600), name="photo-sweep", daemon=True
    )
    thread.start()


def _every(app: Flask, seconds: float) -> None:
    stop = threading.Event()
    while True:
        sweep_once(app)
        stop.wait(seconds)


def sweep_once(app: Flask) -> list[str]:
    """One sweep; a failure (the database not reachable yet) is logged, the next one retries."""
    from inspection.db import get_session
    from inspection.services import visit_photos
    from inspection.storage import get_store

    with app.app_context():
        try:
            removed = visit_photos.sweep(get_session(), get_store())
        except SQLAlchemyError as exc:  # no schema yet (init-db not run), database down
            log.warning("photo sweep skipped, the database cannot be read: %s", exc.__class__)
            return []
        except Exception:  # noqa: BLE001  (a background task: logged, never raised)
            log.exception("photo sweep failed; the next one will try again")
            return []
    if removed:
        log.info("photo sweep: %d orphan folders removed", len(removed))
    return removed
