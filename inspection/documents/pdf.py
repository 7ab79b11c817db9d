"""Official documents as PDF: WeasyPrint, from the document's HTML, with the serif font of
fonts.py embedded and notice.css's Decree-30 page rules (A4, margins, page numbers); and charts
as PNG for Word, drawn by the same renderer from the same SVG as in the PDF."""

from __future__ import annotations

import base64
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
CSS_PX_PER_INCH = 96
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


def svg_png(svg: str, *, width: int, height: int, dpi: int = 192) -> bytes:
    """The SVG (`width` × `height` CSS pixels) as a PNG at `dpi`: WeasyPrint draws it on a page
    of its size, in the documents' font, and PDFium rasterises that page. The picture in the
    Word copy is thus the chart of the PDF, not a second drawing of it."""
    fonts = FontConfiguration()
    page = CSS(
        string=f"@page {{ size: {width}px {height}px; margin: 0 }} html, body {{ margin: 0 }}"
        " svg { display: block }",
        font_config=fonts,
    )
    font = CSS(string=serif_font().css(), font_config=fonts)
    document = HTML(string=svg, url_fetcher=URLFetcher(allowed_protocols=LOCAL))
    pdf = document.write_pdf(stylesheets=[font, page], font_config=fonts)
    rendered = pypdfium2.PdfDocument(pdf)
    try:
        bitmap = rendered[0].render(scale=dpi / PDF_POINTS_PER_INCH)
        image = bitmap.to_pil()
        buffer = BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()
    finally:
        rendered.close()


def data_uri(data: bytes, media_type: str = "image/jpeg") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _stylesheet() -> Path:
    return Path(current_app.static_folder or "") / "css" / "notice.css"
