"""Builders shared by the document tests (notice, on-site record, plan report): an approved visit
with deficiencies, reading a PDF's text, fonts and page geometry, the Decree's page."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pdfplumber
from flask import Flask
from fontTools.ttLib import TTFont
from pdfminer.pdftypes import PDFStream, resolve1

from inspection.db import get_session
from inspection.models import Visit
from inspection.services import agency
from tests.factories import ApiClient, complete_visit, new_client_id

MM = 72 / 25.4
TOLERANCE = 1 * MM
A4 = (595.28, 841.89)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 20 * MM, 20 * MM, 30 * MM, 15 * MM
WIDEST_TOP, WIDEST_LEFT, WIDEST_RIGHT = 25 * MM, 35 * MM, 20 * MM  # the Decree's ranges' far ends
TEXT_CENTRE = (30 + (210 - 15)) / 2 * MM

# A4 with the Decree's margins, in millimetres, as python-docx names a section's measures.
DOCX_PAGE = {
    "page_width": 210,
    "page_height": 297,
    "top_margin": 20,
    "bottom_margin": 20,
    "left_margin": 30,
    "right_margin": 15,
}

# The agency every document test prints in its header.
PARENT = "UBND THỊ XÃ NINH HÒA"
ISSUER = "ĐOÀN KIỂM TRA CẢI CÁCH HÀNH CHÍNH"
PLACE = "Ninh Hòa"

DEFICIENCIES = [
    "3 hồ sơ trễ hạn chưa có thư xin lỗi gửi công dân",
    "Chưa niêm yết đầy đủ thủ tục hành chính <b>đang thực hiện</b> & phí, lệ phí",
]


def approved_visit(app: Flask, visit: Visit, texts: list[str] | None = None) -> ApiClient:
    """The visit answered in full, with deficiencies (tied to no item) recorded by its inspector,
    submitted and approved by its lead. Returns the lead's client."""
    inspector = complete_visit(app, visit)
    for n, text in enumerate(DEFICIENCIES if texts is None else texts):
        created = inspector.post(
            f"/api/v1/visits/{visit.id}/findings",
            json={
                "text": text,
                "remedy": f"Khắc phục: {text}",
                "severity": "high" if n == 0 else "medium",
                "responsible": "Bộ phận Một cửa",
                "client_id": new_client_id(),
            },
        )
        assert created.status_code == 201, created.get_json()
    submitted = inspector.post(f"/api/v1/visits/{visit.id}/submit", json={})
    assert submitted.status_code == 200, submitted.get_json()
    lead = ApiClient(app, "lead-a")
    approved = lead.post(f"/api/v1/visits/{visit.id}/approve", json={})
    assert approved.status_code == 200, approved.get_json()
    return lead


def pdf_text(data: bytes, tmp_path: Path, *, layout: bool = False) -> str:
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def pdf_fonts(data: bytes, tmp_path: Path) -> list[dict[str, str]]:
    """`pdffonts`' table: name, type, embedded per font."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    fonts = []
    for line in out.stdout.splitlines()[2:]:
        parts = line.split()
        fonts.append({"name": parts[0], "embedded": parts[-5], "line": line})
    return fonts


def family_stem(name: str) -> str:
    """ "LiberationSerif-BoldItalic" → "LiberationSerif" (the subset prefix already removed)."""
    return re.sub(r"([-,]?(Regular|Bold|Italic|Oblique|Roman))+$", "", name)


def embedded_font_names(data: bytes) -> list[tuple[str, str]]:
    """(family, PostScript name) from the name table of every font file embedded in the PDF:
    the real face behind whatever name the PDF gives it."""
    found = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        document = pdf.doc
        for xref in document.xrefs:
            for objid in xref.get_objids():
                obj = resolve1(document.getobj(objid))
                if not isinstance(obj, dict) or "FontName" not in obj or "Flags" not in obj:
                    continue  # not a font descriptor
                stream = next(
                    (resolve1(obj[k]) for k in ("FontFile2", "FontFile3", "FontFile") if k in obj),
                    None,
                )
                assert isinstance(stream, PDFStream), f"{obj['FontName']} is not embedded"
                with TTFont(io.BytesIO(stream.get_data())) as font:
                    name = font["name"]
                    found.append((name.getDebugName(1), name.getDebugName(6)))
    return found


def set_agency(app: Flask) -> None:
    """The agency as its admin sets it, so that every header is complete."""
    with app.app_context():
        data = agency.AgencyUpdate(
            issuer_name=ISSUER,
            parent_body=PARENT,
            notice_code="TB-ĐKT",
            place_name=PLACE,
            signer_name="",
            signer_title="TRƯỞNG ĐOÀN",
            timezone="Asia/Ho_Chi_Minh",
            remediation_days=30,
        )
        agency.update_agency(get_session(), actor_id=None, data=data)
