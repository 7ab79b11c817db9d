"""The on-site record as HTML (records/_document.html, autoescaped) and as PDF (documents/pdf)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from inspection.documents import decree
from inspection.documents.pdf import render_pdf
from inspection.notices.content import vn_number
from inspection.records import content as words
from inspection.records.content import RecordContent


def document_context(content: RecordContent) -> dict[str, Any]:
    """What records/_document.html reads."""
    return {"c": content, "words": words, "decree": decree, "vn_number": vn_number}


def record_html(content: RecordContent, *, stylesheet: str | None = None) -> str:
    """The standalone document: the API's record.html (linking `stylesheet`, the address of
    notice.css, to print from a browser), and what the PDF is made from (styled by the
    renderer)."""
    return render_template("records/pdf.html", stylesheet=stylesheet, **document_context(content))


def record_pdf(content: RecordContent) -> bytes:
    return render_pdf(record_html(content))
