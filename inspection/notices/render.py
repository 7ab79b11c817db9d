"""The notice as HTML (one Jinja template, autoescaped) and as PDF (WeasyPrint, from that HTML,
with the serif font of fonts.py embedded and notice.css's Decree-30 page rules)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from markupsafe import Markup
from PIL import ImageFile
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from inspection.notices import content as words
from inspection.notices.content import AnnexPhoto, NoticeContent, vn_number
from inspection.notices.dates import short_date
from inspection.notices.fonts import serif_font
from inspection.notices.qr import qr_svg

# WeasyPrint switches Pillow, process-wide, to accepting truncated images on import. Photos are
# evidence: the photo pipeline (photos.py) must refuse a truncated upload, so it is switched back
# here, the one place that imports WeasyPrint (the notice's own images are whole thumbnails).
ImageFile.LOAD_TRUNCATED_IMAGES = False

# The renderer never reaches the network: images come inline, fonts from local files.
LOCAL = ("data", "file")
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


def render_pdf(html: str) -> bytes:
    """A4 PDF with the chosen serif font embedded; nothing fetched but data: and local files."""
    fonts = FontConfiguration()
    stylesheets = [
        CSS(string=serif_font().css(), font_config=fonts),
        CSS(filename=str(_stylesheet()), font_config=fonts),
    ]
    document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=LOCAL))
    return document.write_pdf(stylesheets=stylesheets, font_config=fonts)


def data_uri(data: bytes, media_type: str = "image/jpeg") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _stylesheet() -> Path:
    return Path(current_app.static_folder or "") / "css" / "notice.css"
