"""The QR code printed on a notice: the address of its verification page."""

from __future__ import annotations

import io

import segno
from markupsafe import Markup


def qr_svg(url: str) -> Markup:
    """Inline SVG (no XML declaration), sized by the stylesheet: the same drawing on screen,
    in print and in the PDF."""
    code = segno.make(url, error="m", micro=False)
    return Markup(code.svg_inline(scale=4, border=2, omitsize=True, title="QR"))


def qr_png(url: str, *, scale: int = 8) -> bytes:
    """A PNG of the code for the Word copy."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()
