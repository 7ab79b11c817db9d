"""Builders shared by the notice tests: an approved visit with deficiencies, issuing, reading
a PDF's text and fonts with poppler-utils."""

from __future__ import annotations

import subprocess
from pathlib import Path

from flask import Flask

from inspection.models import Visit
from tests.factories import ApiClient, complete_visit, new_client_id

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
