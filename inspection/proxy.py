"""Trust the `X-Forwarded-*` headers of a reverse proxy, when told to (`INSPECTION_PROXY_FIX`).

Behind nginx the app sees plain HTTP from 127.0.0.1; the proxy's headers say the request came
over HTTPS from a tablet, for this host. The app must know, or the URLs it builds (redirects,
QR codes) say `http://`. The headers are trusted only when configured: a client reaching the app
directly could send them too. Off by default; with waitress, its own `trusted_proxy` option
(`INSPECTION_TRUSTED_PROXY`, see app.py) does the same job, so use one or the other.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from inspection.config import ConfigError


def init_app(app: Flask) -> None:
    """Wrap the WSGI app in werkzeug's ProxyFix when `PROXY_FIX` names a number of proxies."""
    hops = proxy_hops(app.config.get("PROXY_FIX"))
    if hops and not isinstance(app.wsgi_app, ProxyFix):
        # For, Proto and Host only: the nginx block of docs/deployment.md sets exactly these,
        # overwriting whatever a client sent. Port and Prefix are left untrusted.
        # Flask's documented way to add WSGI middleware; mypy refuses any assignment to a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )


def proxy_hops(value: object) -> int:
    """How many proxies to trust: `INSPECTION_PROXY_FIX=1` (or `true`) for one nginx, 0, `false`
    or unset for none. The environment value arrives parsed as JSON."""
    if value is None or value is False or value == "":
        return 0
    if value is True:
        return 1
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise ConfigError(
        f"INSPECTION_PROXY_FIX={value!r}: give the number of proxies in front of the app (1 for "
        "one nginx), or 0 to ignore X-Forwarded-* headers"
    )
