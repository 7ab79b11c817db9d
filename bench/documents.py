"""What the on-site record and the plan report cost to render, against WeasyPrint rendering a
plain 60-row, 4-column A4 table (bench/notices.py's baseline): ratios measured in one run.

- The record of the full commune checklist (`cchc-xa`, every item answered in words, 10
  deficiencies), built as the service builds it (records/build.py from the visit's record) and
  rendered as HTML and PDF.
- The report of a round of 20 communes (their notices' figures differing: each fails a different
  share of bench/notices.py's 10 deficiencies), with its charts: the totals, one per area (9),
  the most frequent deficiencies; as HTML, PDF (the charts inline SVG) and DOCX (each chart a
  PNG that WeasyPrint and PDFium draw from the same SVG: 11 small renderings).

Each variant is warmed up once, then each of ROUNDS rounds (BENCH_ROUNDS, default 5) renders
every variant once, in turn (the order reversed every other round); the medians are compared.
Targets: the record's PDF ≤ 3× the baseline (as the notice's); the report's PDF and DOCX ≤ 8×:
16 pages against the baseline's 2, so no dearer per page. Most of the report's time is its
charts' ~440 SVG text runs, which WeasyPrint lays out one by one (~3 ms each). It reports and
exits 0; only a failure to render stops it.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_babel import force_locale  # noqa: E402

from bench.notices import (  # noqa: E402
    FORM,
    FOUND,
    ROUNDS,
    answers_of,
    baseline,
    baseline_html,
    bench_app,
    failed,
    notice_content,
    page_count,
    print_ratios,
    timed,
)
from inspection import db  # noqa: E402
from inspection.checklist import NA, Template  # noqa: E402
from inspection.i18n import PageWords  # noqa: E402
from inspection.library import get_library  # noqa: E402
from inspection.models import Agency, Finding, Plan, Unit, User, Visit  # noqa: E402
from inspection.notices.build import Record  # noqa: E402
from inspection.records import render as record_render  # noqa: E402
from inspection.records.build import build_record  # noqa: E402
from inspection.results import render as report_render  # noqa: E402
from inspection.results.report import FollowUp, Issued, ReportContent  # noqa: E402
from inspection.results.scores import Found, frequent, from_notice, ranked  # noqa: E402
from inspection.scoring import score_sheet  # noqa: E402
from tests.builders import best_answers, iter_items  # noqa: E402

UNITS = 20
TARGETS = {"record.pdf": 3.0, "report.pdf": 8.0, "report.docx": 8.0}
LABELS = {
    "baseline": "baseline (table PDF)",
    "record.html": "record HTML",
    "record.pdf": "record PDF",
    "report.html": "report HTML",
    "report.pdf": "report PDF",
    "report.docx": "report DOCX (PNG charts)",
}
COMMUNES = (
    "Ninh Xuân",
    "Ninh Hưng",
    "Ninh Đa",
    "Ninh Phụng",
    "Ninh Thân",
    "Ninh Sơn",
    "Ninh Tây",
    "Ninh Thượng",
    "Ninh Bình",
    "Ninh Trung",
    "Ninh Quang",
    "Ninh Phú",
    "Ninh Lộc",
    "Ninh An",
    "Ninh Thọ",
    "Ninh Hải",
    "Ninh Diêm",
    "Ninh Thủy",
    "Ninh Phước",
    "Ninh Vân",
)


def record_of(template: Template[Any], answers: dict[str, Any]) -> Record:
    """The visit's record as services/notices.read_record would read it (objects not stored)."""
    lead = User(
        id=1,
        username="truongdoan",
        full_name="Trần Văn Bình",
        role="lead",
        position="Trưởng phòng Nội vụ",
        password_hash="-",
    )
    inspector = User(
        id=2,
        username="hoa",
        full_name="Lê Thị Hoa",
        role="inspector",
        position="Chuyên viên Phòng Nội vụ",
        password_hash="-",
    )
    plan = Plan(
        id=1,
        number="22/KH-UBND",
        title="Kiểm tra công tác CCHC năm 2024",
        year=2024,
        lead_id=1,
        lead=lead,
        form_key=FORM,
        issued_on=dt.date(2024, 2, 22),
        decision_number="70/QĐ-UBND",
        decision_on=dt.date(2024, 3, 13),
    )
    visit = Visit(
        id=1,
        plan_id=1,
        unit_id=1,
        plan=plan,
        unit=Unit(id=1, code="ninh-xuan", name="UBND xã Ninh Xuân"),
        scheduled_on=dt.date(2024, 10, 15),
        place="Trụ sở UBND xã Ninh Xuân",
        participants=[
            {"name": "Nguyễn Văn An", "position": "Chủ tịch UBND xã"},
            {"name": "Phạm Thị Thu", "position": "Công chức Văn phòng"},
        ],
        status="in_progress",
    )
    findings = [
        Finding(id=n, visit_id=1, item_key=key, text=text, remedy=remedy, severity=severity)
        for n, (key, text, remedy, severity, *_rest) in enumerate(FOUND, start=1)
    ]
    return Record(
        visit=visit,
        agency=Agency(
            issuer_name="ĐOÀN KIỂM TRA CẢI CÁCH HÀNH CHÍNH",
            parent_body="UBND THỊ XÃ NINH HÒA",
            place_name="Ninh Hòa",
        ),
        lead=lead,
        inspectors=[lead, inspector],
        template=template,
        sheet=score_sheet(template, answers),
        findings=findings,
        photos=[],
        timezone="Asia/Ho_Chi_Minh",
    )


def described(template: Template[Any], answers: dict[str, Any]) -> dict[str, str]:
    with force_locale("vi"):
        words = PageWords("vi")
        return {
            key: template.by_key[key].describe(value, words)
            for key, value in answers.items()
            if key in template.by_key and value != NA
        }


def report_of(template: Template[Any], document: dict[str, Any]) -> ReportContent:
    """20 communes' notices: commune n failed the first n % 11 of the 10 deficiencies."""
    contents, issued = {}, []
    items = {item["key"]: item for _, item in iter_items(document)}
    for n, commune in enumerate(COMMUNES, start=1):
        kept = FOUND[: n % 11]
        answers = best_answers(document)
        for key, *_ in kept:
            answers[key] = failed(items[key])
        sheet = score_sheet(template, answers)
        content = notice_content(
            template, sheet, url=f"https://kiemtra.example.vn/verify/{n:040x}", annex=[]
        )
        content = content.model_copy(
            update={
                "unit_name": f"UBND xã {commune}",
                "number": f"{n:02d}/TB-ĐKT",
                "deficiencies": content.deficiencies[: len(kept)],
            }
        )
        contents[n] = content
        issued.append(
            Issued(
                n,
                content.unit_name,
                content.number or "",
                content.issued_on,
                dt.date(2024, 9, 1) + dt.timedelta(days=2 * n),
            )
        )
    found = [
        Found(c.unit_name, d.item_key, d.text) for c in contents.values() for d in c.deficiencies
    ]
    titles = {k: str(i.text) for k, i in template.by_key.items()}
    return ReportContent(
        parent_body="UBND THỊ XÃ NINH HÒA",
        issuer="ĐOÀN KIỂM TRA CẢI CÁCH HÀNH CHÍNH",
        code="BC-ĐKT",
        place_name="Ninh Hòa",
        issued_on=dt.date(2024, 12, 20),
        year=2024,
        plan_number="22/KH-UBND",
        plan_issued_on=dt.date(2024, 2, 22),
        plan_title="Kiểm tra công tác CCHC năm 2024",
        decision_number="70/QĐ-UBND",
        decision_on=dt.date(2024, 3, 13),
        planned_visits=UNITS,
        issued=tuple(issued),
        scores=tuple(ranked(from_notice(n, c) for n, c in contents.items())),
        areas=tuple((s.key, s.title) for s in template.sections),
        frequent=tuple(frequent(found, titles, list(titles))),
        follow_up=tuple(
            FollowUp(c.unit_name, c.number or "", len(c.deficiencies), c.report_due_on)
            for c in contents.values()
            if c.deficiencies
        ),
        signer_on_behalf="TM. ĐOÀN KIỂM TRA",
        signer_title="TRƯỞNG ĐOÀN",
        signer_name="Trần Văn Bình",
        recipients=(
            "UBND THỊ XÃ NINH HÒA (để báo cáo);",
            "Các đơn vị được kiểm tra;",
            "Lưu: VT, ĐKT.",
        ),
    )


@dataclass(frozen=True)
class Measured:
    median: dict[str, float]
    made: dict[str, str]
    seconds: float


def measure(folder: Path) -> Measured:
    started = time.perf_counter()
    stored = get_library().get(FORM)
    if stored is None:
        raise RuntimeError(f"the library has no {FORM}: is FORMS_DIR the repository's forms/?")
    template, answers = stored.form, answers_of(stored.document)
    record = build_record(record_of(template, answers), described(template, answers), now=None)
    report = report_of(template, stored.document)
    table = baseline_html()

    variants: dict[str, Callable[[], bytes | str]] = {
        "baseline": lambda: baseline(table),
        "record.html": lambda: record_render.record_html(record),
        "record.pdf": lambda: record_render.record_pdf(record),
        "report.html": lambda: report_render.report_html(report),
        "report.pdf": lambda: report_render.report_pdf(report),
        "report.docx": lambda: report_render.report_docx(report),
    }
    made: dict[str, str] = {}
    for name, fn in variants.items():
        out = fn()
        if isinstance(out, str):
            made[name] = f"HTML, {len(out.encode()) / 1024:.0f} KB"
        elif out.startswith(b"%PDF-"):
            made[name] = f"PDF, {page_count(out, folder)}{len(out) / 1024:.0f} KB"
        elif out.startswith(b"PK"):
            made[name] = f"DOCX, {len(out) / 1024:.0f} KB"
        else:
            raise RuntimeError(f"{name} made nothing readable")
    html = report_render.report_html(report)
    if html.count("<svg") != 2 + len(report.areas) or "UBND xã Ninh Vân" not in html:
        raise RuntimeError("the report's HTML lacks its charts or a unit")
    times: dict[str, list[float]] = {name: [] for name in variants}
    for n in range(ROUNDS):
        order = list(variants) if n % 2 == 0 else list(reversed(variants))
        for name in order:
            times[name].append(timed(variants[name]))
    return Measured(
        median={name: statistics.median(values) for name, values in times.items()},
        made=made,
        seconds=time.perf_counter() - started,
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as tmp:
        app = bench_app(Path(tmp))
        with app.app_context(), app.test_request_context():
            result = measure(Path(tmp))
        app.extensions[db.ENGINE_KEY].dispose()
    print(
        f"record: {FORM}, every item answered, {len(FOUND)} deficiencies; report: {UNITS} "
        f"communes' notices, 11 charts"
    )
    print_ratios(LABELS, TARGETS, result.median, result.made, seconds=result.seconds)


if __name__ == "__main__":
    main()
