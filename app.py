"""Entry point: `flask --app app run`, or `python app.py` to serve with waitress.

waitress runs on Linux and on the Windows servers many offices have; `make serve` calls this.
Settings come from the environment: INSPECTION_HOST (127.0.0.1), INSPECTION_PORT (5000),
INSPECTION_THREADS (8), and behind a reverse proxy INSPECTION_TRUSTED_PROXY (the proxy's address,
e.g. 127.0.0.1) and INSPECTION_URL_SCHEME (https, when the proxy sends no X-Forwarded-Proto).
"""

from __future__ import annotations

import os
from typing import Any

from inspection import create_app
from inspection.config import ConfigError

# What nginx sets in docs/deployment.md; waitress applies them only for requests from the proxy.
TRUSTED_PROXY_HEADERS = "x-forwarded-proto x-forwarded-for x-forwarded-host"

try:
    app = create_app()
except ConfigError as exc:  # a setting to fix, said in one line rather than a traceback
    raise SystemExit(f"Inspection cannot start: {exc}") from None


def env_int(name: str, default: int, lowest: int, highest: int) -> int:
    """A whole number from the environment, or exit naming the variable (not a traceback)."""
    raw = os.environ.get(name, "").strip() or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r}: must be a whole number") from None
    if not lowest <= value <= highest:
        raise SystemExit(f"{name}={value}: must be between {lowest} and {highest}")
    return value


def waitress_options() -> dict[str, Any]:
    options: dict[str, Any] = {
        "host": os.environ.get("INSPECTION_HOST", "").strip() or "127.0.0.1",
        "port": env_int("INSPECTION_PORT", 5000, 1, 65535),
        "threads": env_int("INSPECTION_THREADS", 8, 1, 256),
        # waitress collects a whole body before the app sees it (1 GB by default): nothing larger
        # than the largest upload the app takes (inspection/body_limits.py).
        "max_request_body_size": app.config["MAX_CONTENT_LENGTH"],
    }
    proxy = os.environ.get("INSPECTION_TRUSTED_PROXY", "").strip()
    if proxy:
        options["trusted_proxy"] = proxy
        options["trusted_proxy_headers"] = TRUSTED_PROXY_HEADERS
    scheme = os.environ.get("INSPECTION_URL_SCHEME", "").strip()
    if scheme:
        if scheme not in ("http", "https"):
            raise SystemExit(f"INSPECTION_URL_SCHEME={scheme!r}: must be http or https")
        options["url_scheme"] = scheme
    return options


if __name__ == "__main__":
    import logging

    from waitress import serve

    logging.getLogger("waitress").setLevel(logging.INFO)  # its "Serving on http://…" line
    serve(app, **waitress_options())
