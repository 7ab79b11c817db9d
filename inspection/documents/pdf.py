"""Official documents as PDF: WeasyPrint, from the document's HTML, with the serif font of
fonts.py embedded and notice.css's Decree-30 page rules (A4, margins, page numbers); and charts
as PNG for Word, drawn by the same renderer from the same SVG as in the PDF."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

import pypdfium2
from flask import current_app
from PIL import ImageFile
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from inspection.documents.fonts import serif_font

# WeasyPrint switches Pillow, process-wide, to accepting truncated images on import. Photos are
# evidence: the photo pipeline (photos.py) must refuse a truncated upload, so it is switched back
# here, the one place that imports WeasyPrint (the documents' own images are whole thumbnails).
ImageFile.LOAD_TRUNCATED_IMAGES = False

# The renderer never reaches the network: images come inline, fonts from local files.
LOCAL = ("data", "file")
DPI = 192  # a 360-px chart at 12 cm wide in the Word copy: about 150 dpi printed
PDF_POINTS_PER_INCH = 72


def render_pdf(html: str) -> bytes:
    """A4 PDF with the chosen serif font embedded; nothing fetched but data: and local files."""
    fonts = FontConfiguration()
    stylesheets = [
        CSS(string=serif_font().css(), font_config=fonts),
        CSS(filename=str(_stylesheet()), font_config=fonts),
    ]
    document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=LOCAL))
    return document.write_pdf(stylesheets=stylesheets, font_config=fonts)


def svg_pngs(pictures: Sequence[tuple[str, int, int]], *, dpi: int = DPI) -> list[bytes]:
    """Each SVG (its markup, width and height in CSS pixels) as a PNG at `dpi`: WeasyPrint lays
    them out once, each on a page of its size, in the documents' font, and PDFium rasterises
    each page. The pictures in a Word copy are thus the charts of its PDF, not other drawings."""
    if not pictures:
        return []
    pages = "".join(
        f"@page p{n} {{ size: {width}px {height}px; margin: 0 }} .p{n} {{ page: p{n} }}"
        for n, (_svg, width, height) in enumerate(pictures)
    )
    body = "".join(
        f'<div class="p{n}">{svg}</div>' for n, (svg, _width, _height) in enumerate(pictures)
    )
    fonts = FontConfiguration()
    stylesheets = [
        CSS(string=serif_font().css(), font_config=fonts),
        CSS(
            string=pages
            + " html, body { margin: 0 } div { break-after: page } svg { display: block }",
            font_config=fonts,
        ),
    ]
    document = HTML(
        string=f"<!doctype html><html><body>{body}</body></html>",
        url_fetcher=URLFetcher(allowed_protocols=LOCAL),
    )
    pdf = pypdfium2.PdfDocument(document.write_pdf(stylesheets=stylesheets, font_config=fonts))
    try:
        if len(pdf) != len(pictures):
            raise RuntimeError(f"{len(pictures)} pictures laid out on {len(pdf)} pages")
        found = []
        for page in pdf:
            buffer = BytesIO()
            page.render(scale=dpi / PDF_POINTS_PER_INCH).to_pil().save(buffer, format="PNG")
            found.append(buffer.getvalue())
        return found
    finally:
        pdf.close()


def data_uri(data: bytes, media_type: str = "image/jpeg") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _stylesheet() -> Path:
    return Path(current_app.static_folder or "") / "css" / "notice.css"
