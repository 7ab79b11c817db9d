"""The notice as HTML (one Jinja template, autoescaped) and as PDF (WeasyPrint, from that HTML,
with the serif font of fonts.py embedded and notice.css's Decree-30 page rules)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import render_template
from markupsafe import Markup

from inspection.documents.dates import short_date
from inspection.documents.pdf import data_uri, render_pdf
from inspection.notices import content as words
from inspection.notices.content import AnnexPhoto, NoticeContent, vn_number
from inspection.notices.qr import qr_svg

PhotoSource = Callable[[AnnexPhoto], str | None]


def document_context(
    content: NoticeContent, *, qr: Markup | None = None, photo_src: PhotoSource | None = None
) -> dict[str, Any]:
    """What notices/_document.html reads."""
    return {
        "c": content,
        "words": words,
        "qr": qr,
        "photo_src": photo_src or (lambda _photo: None),
        "vn_number": vn_number,
        "short_date": short_date,
    }


def render_html(
    content: NoticeContent, *, qr: Markup | None = None, photo_src: PhotoSource | None = None
) -> str:
    """The standalone document the PDF is made from (needs the app's Jinja environment)."""
    context = document_context(content, qr=qr, photo_src=photo_src)
    return render_template("notices/pdf.html", **context)


def notice_html(content: NoticeContent, thumbs: Mapping[str, bytes]) -> str:
    """The standalone document with its QR code and the annex thumbnails inline (by SHA-256)."""
    qr = qr_svg(content.verify_url) if content.verify_url else None
    return render_html(
        content,
        qr=qr,
        photo_src=lambda p: data_uri(thumbs[p.sha256]) if p.sha256 in thumbs else None,
    )


def notice_pdf(content: NoticeContent, thumbs: Mapping[str, bytes]) -> bytes:
    """The notice's PDF: the record once issued, a preview while a draft."""
    return render_pdf(notice_html(content, thumbs))
