"""What a conclusion notice costs to render: the notice of the full commune checklist (the shipped
`cchc-xa`, every item answered, 10 deficiencies with their remedies and deadlines, the
verification QR code) as HTML, as PDF, and as PDF with an annex of 20 photos, against WeasyPrint
rendering a plain 60-row, 4-column A4 table: ratios measured in one run.

The baseline (two pages, WeasyPrint's default fonts, none of the app's stylesheets) is what any
PDF of a page or two costs on this machine (Pango, fontconfig, WeasyPrint's layout), so the
ratios say what the notice adds to it and travel across machines better than milliseconds do.

The notice is rendered as the app renders it (`render.notice_pdf`): the QR code drawn,
notices/pdf.html rendered with the app's Jinja environment, the PDF made from that HTML by
`render.render_pdf` (the serif font embedded, notice.css's page rules); each PDF time includes
its HTML. The annex thumbnails are 20 different 320×240 JPEGs made with Pillow, read as the
service reads them: data: URIs through `photo_src`. The content is built directly (a
`NoticeContent`), not from a database record: what is measured is the rendering.

Each variant is warmed up once (fontconfig, Jinja's compiled template, the font files), then
each of ROUNDS rounds (BENCH_ROUNDS, default 5) renders every variant once, in turn (the order
reversed every other round), so that a busy shared machine slows them alike; the medians are
compared. Targets: the notice's PDF ≤ 3× the baseline, its HTML ≤ 0.1× (the annex has none).
Like the other benchmarks it reports and exits 0; only a failure to render stops it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from weasyprint import HTML  # noqa: E402

from inspection import create_app, db  # noqa: E402
from inspection.checklist import Template  # noqa: E402
from inspection.formatting import format_moment  # noqa: E402
from inspection.library import get_library  # noqa: E402
from inspection.models.notices import new_token  # noqa: E402
from inspection.notices import render  # noqa: E402
from inspection.notices.content import (  # noqa: E402
    AnnexPhoto,
    Area,
    Deficiency,
    NoticeContent,
    Person,
)
from inspection.photos import THUMBNAIL_QUALITY  # noqa: E402
from inspection.scoring import ScoreSheet, score_sheet  # noqa: E402
from inspection.views.notices import verify_url  # noqa: E402
from tests.builders import best_answers, iter_items  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
FORM = "cchc-xa"
BASELINE_ROWS = 60
ANNEX_PHOTOS = 20
THUMB_SIZE = (320, 240)
TARGETS = {"html": 0.1, "pdf": 3.0}  # ≤ this many times the baseline (the annex has none)
LABELS = {
    "baseline": "baseline (table PDF)",
    "html": "notice HTML",
    "pdf": "notice PDF",
    "pdf+annex": f"notice PDF + {ANNEX_PHOTOS} photos",
}
BASE_URL = "https://cchc.ninhhoa.khanhhoa.gov.vn"  # as INSPECTION_BASE_URL would print it
TIMEZONE = "Asia/Ho_Chi_Minh"

# The 10 deficiencies: the item each is found on (answered as badly as it can be), what the team
# saw there, what the unit must do, who answers for it and in how many days after the notice.
FOUND: list[tuple[str, str, str, str, str, int]] = [
    (
        "tuyen-truyen",
        "Công tác tuyên truyền CCHC chưa thường xuyên: năm 2024 Trang thông tin điện tử chỉ đăng "
        "02 tin bài về CCHC; hệ thống truyền thanh chưa có chuyên mục CCHC.",
        "Xây dựng chuyên mục CCHC trên hệ thống truyền thanh (tối thiểu 01 lần/tháng) và đăng tin "
        "bài về CCHC trên Trang thông tin điện tử hằng quý.",
        "medium",
        "Văn phòng - Thống kê",
        60,
    ),
    (
        "tu-kiem-tra",
        "Chưa ban hành Kế hoạch tự kiểm tra CCHC năm 2024; chưa kiểm tra bộ phận, công chức "
        "chuyên môn nào.",
        "Ban hành Kế hoạch tự kiểm tra CCHC, kiểm tra ít nhất 02 bộ phận chuyên môn trong quý IV "
        "và báo cáo kết quả.",
        "medium",
        "Chủ tịch UBND xã",
        45,
    ),
    (
        "ra-soat-vbqppl",
        "Chưa rà soát 04 nghị quyết của HĐND xã ban hành giai đoạn 2016-2020; chưa có báo cáo "
        "kết quả rà soát năm 2024.",
        "Rà soát toàn bộ văn bản quy phạm pháp luật do HĐND, UBND xã ban hành; lập danh mục văn "
        "bản hết hiệu lực và báo cáo kết quả rà soát.",
        "medium",
        "Công chức Tư pháp - Hộ tịch",
        30,
    ),
    (
        "niem-yet-qr",
        "Bộ phận Một cửa chưa niêm yết mã QR tra cứu TTHC; 12/133 TTHC niêm yết còn theo danh "
        "mục đã bị thay thế.",
        "Niêm yết mã QR của từng TTHC, kiểm tra mã QR truy cập đúng nội dung trên Cổng Dịch vụ "
        "công; gỡ bỏ các TTHC đã bị thay thế.",
        "high",
        "Bộ phận Một cửa",
        15,
    ),
    (
        "ty-le-dung-han",
        "Tỷ lệ hồ sơ giải quyết đúng hạn đạt 92%: 20/250 hồ sơ lĩnh vực đất đai trễ hạn từ 03 "
        "đến 15 ngày làm việc.",
        "Làm rõ nguyên nhân, trách nhiệm đối với 20 hồ sơ trễ hạn; theo dõi, đôn đốc bảo đảm 100% "
        "hồ sơ được giải quyết đúng hạn.",
        "high",
        "Công chức Địa chính - Xây dựng",
        30,
    ),
    (
        "thu-xin-loi",
        "08/20 hồ sơ trễ hạn chưa có Phiếu xin lỗi và hẹn lại ngày trả kết quả gửi tổ chức, cá "
        "nhân.",
        "Gửi Phiếu xin lỗi và hẹn lại ngày trả kết quả đối với 100% hồ sơ trễ hạn, lưu bản sao "
        "trong hồ sơ.",
        "high",
        "Bộ phận Một cửa",
        10,
    ),
    (
        "the-cong-chuc",
        "Tại thời điểm kiểm tra, 03 công chức làm việc tại Bộ phận Một cửa không đeo thẻ công "
        "chức; 02 bàn làm việc chưa có biển chức danh.",
        "Chấn chỉnh việc đeo thẻ khi thi hành nhiệm vụ; bổ sung biển tên, chức danh tại nơi làm "
        "việc theo Quy chế văn hóa công sở.",
        "low",
        "Văn phòng - Thống kê",
        7,
    ),
    (
        "tiet-kiem",
        "Chưa ban hành Chương trình thực hành tiết kiệm, chống lãng phí năm 2024.",
        "Ban hành và tổ chức thực hiện Chương trình thực hành tiết kiệm, chống lãng phí năm 2024; "
        "đánh giá kết quả trong báo cáo năm.",
        "medium",
        "Công chức Tài chính - Kế toán",
        30,
    ),
    (
        "ty-le-so-hoa",
        "Tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC đạt 46%, chưa đạt chỉ tiêu 80% được giao.",
        "Số hóa hồ sơ, kết quả giải quyết TTHC ngay khi tiếp nhận và trả kết quả; bố trí máy quét "
        "tại Bộ phận Một cửa.",
        "medium",
        "Bộ phận Một cửa",
        90,
    ),
    (
        "danh-muc-ho-so",
        "Chưa ban hành Danh mục hồ sơ năm 2024 của cơ quan; hồ sơ công việc năm 2023 chưa được "
        "lập, nộp lưu.",
        "Ban hành Danh mục hồ sơ năm của cơ quan; lập hồ sơ công việc và nộp lưu hồ sơ năm 2023 "
        "vào Lưu trữ cơ quan.",
        "low",
        "Công chức Văn phòng - Thống kê",
        60,
    ),
]
# The ratios the deficiencies quote (230 of 250 files on time: 92%).
FIGURES = {"ty-le-dung-han": {"num": 230, "den": 250}, "ty-le-so-hoa": {"num": 115, "den": 250}}
# What the inspector typed under each deficiency's photos.
CAPTIONS = (
    "Bản tin truyền thanh xã tháng 9/2024",
    "Sổ theo dõi kiểm tra nội bộ để trống",
    "Tủ hồ sơ văn bản quy phạm pháp luật",
    "Bảng niêm yết TTHC tại Bộ phận Một cửa",
    "Sổ theo dõi hồ sơ lĩnh vực đất đai",
    "Hồ sơ trễ hạn không kèm Phiếu xin lỗi",
    "Bàn tiếp nhận hồ sơ chưa có biển chức danh",
    "Danh mục văn bản năm 2024 của Văn phòng",
    "Máy quét tại Bộ phận Một cửa hỏng",
    "Hồ sơ năm 2023 chưa lập, để rời",
)
AREA_WORDS = (
    "Đơn vị ban hành các văn bản chỉ đạo, điều hành CCHC kịp thời; còn hạn chế ở công tác tự "
    "kiểm tra và tuyên truyền.",
    "Công tác rà soát văn bản quy phạm pháp luật chưa được quan tâm đúng mức.",
    "Bộ phận Một cửa được bố trí đủ diện tích, trang thiết bị; còn hồ sơ trễ hạn, chưa xin lỗi "
    "đầy đủ.",
)


def failed(item: Mapping[str, Any]) -> Any:
    """The answer a deficiency is recorded against: the figure its text gives, else the item's
    worst answer."""
    kind = item["type"]
    if item["key"] in FIGURES:
        return FIGURES[item["key"]]
    if kind == "yes_no":
        return "no"
    if kind == "choice":
        return min(item["options"], key=lambda o: o["points"])["value"]
    if kind == "score":
        return 0
    raise ValueError(f"{item['key']}: no failing answer for a {kind} item")


def answers_of(doc: dict[str, Any]) -> dict[str, Any]:
    """Every item answered (a late file in the period, so the apology item is shown), the 10
    deficiencies' items failed."""
    answers = best_answers(doc)
    items = {item["key"]: item for _, item in iter_items(doc)}
    missing = [key for key, *_ in FOUND if key not in items]
    if missing:
        raise RuntimeError(f"deficiencies on items {FORM} lacks: {missing}")
    answers["ghi-chu-chung"] = "Đoàn làm việc buổi sáng tại trụ sở UBND xã."
    answers["co-ho-so-tre-han"] = "yes"
    for key, *_ in FOUND:
        answers[key] = failed(items[key])
    return answers


def notice_content(
    template: Template[Any], sheet: ScoreSheet, *, url: str, annex: list[AnnexPhoto]
) -> NoticeContent:
    issued = dt.date(2024, 10, 21)
    unit = "UBND xã Ninh Xuân"
    by_key = template.by_key
    deficiencies = [
        Deficiency(
            finding_id=n,
            item_key=key,
            item_title=by_key[key].text,
            text=text,
            remedy=remedy,
            severity=severity,
            responsible=responsible,
            due_on=issued + dt.timedelta(days=days),
        )
        for n, (key, text, remedy, severity, responsible, days) in enumerate(FOUND, start=1)
    ]
    return NoticeContent(
        parent_body="UBND THỊ XÃ NINH HÒA",
        issuer="ĐOÀN KIỂM TRA CẢI CÁCH HÀNH CHÍNH",
        code="TB-ĐKT",
        place_name="Ninh Hòa",
        number="05/TB-ĐKT",
        issued_on=issued,
        unit_name=unit,
        summary=f"Kết luận kiểm tra công tác cải cách hành chính tại {unit}",
        plan_number="125/KH-UBND",
        plan_issued_on=dt.date(2024, 3, 12),
        plan_title="Kiểm tra công tác cải cách hành chính năm 2024",
        decision_number="1840/QĐ-UBND",
        decision_on=dt.date(2024, 9, 30),
        visited_on=dt.date(2024, 10, 15),
        place="trụ sở UBND xã Ninh Xuân",
        team=[
            Person(name="Trần Văn Bình", position="Phó Chủ tịch UBND thị xã - Trưởng đoàn"),
            Person(name="Nguyễn Thị Thu Hà", position="Phó Trưởng phòng Nội vụ - Phó Trưởng đoàn"),
            Person(name="Lê Quang Vũ", position="Chuyên viên Phòng Nội vụ - Thành viên"),
            Person(name="Phạm Thị Ngọc Ánh", position="Chuyên viên Văn phòng HĐND và UBND"),
            Person(name="Đặng Minh Tuấn", position="Chuyên viên Phòng Tư pháp - Thư ký"),
        ],
        unit_people=[
            Person(name="Võ Văn Hùng", position="Chủ tịch UBND xã"),
            Person(name="Huỳnh Thị Lệ", position="Công chức Văn phòng - Thống kê"),
            Person(name="Ngô Đức Thịnh", position="Công chức Tư pháp - Hộ tịch"),
        ],
        opening="Đoàn kiểm tra đã nghe báo cáo, kiểm tra hồ sơ, tài liệu và thực tế tại Bộ phận "
        "Một cửa.",
        areas=[
            Area(
                key=s.key,
                title=s.title,
                score=str(s.score),
                max=str(s.max),
                narrative=AREA_WORDS[n] if n < len(AREA_WORDS) else "",
            )
            for n, s in enumerate(sheet.sections)
        ],
        total=str(sheet.total),
        max=str(sheet.max),
        percent=None if sheet.percent is None else str(sheet.percent),
        band=sheet.band or "",
        results="Năm 2024, UBND xã đã quan tâm chỉ đạo triển khai các nhiệm vụ CCHC; phần lớn "
        "nhiệm vụ hoàn thành đúng tiến độ.\nBên cạnh đó, còn một số hạn chế, tồn tại nêu tại "
        "mục II.",
        deficiencies=deficiencies,
        requirements=f"Đề nghị Chủ tịch {unit} chỉ đạo khắc phục các hạn chế, tồn tại nêu trên, "
        "cụ thể:",
        report_due_on=max(d.due_on for d in deficiencies if d.due_on is not None),
        signer_on_behalf="TM. ĐOÀN KIỂM TRA",
        signer_title="TRƯỞNG ĐOÀN",
        signer_name="Trần Văn Bình",
        recipients=[
            f"{unit};",
            "Chủ tịch, các PCT UBND thị xã (b/c);",
            "Phòng Nội vụ thị xã;",
            "Thành viên Đoàn kiểm tra;",
            "Lưu: VT, ĐKT.",
        ],
        annex=annex,
        verify_url=url,
    )


def thumbnail(seed: int) -> bytes:
    """A 320×240 JPEG as the photo pipeline stores thumbnails, different for every seed: a
    coloured gradient, noise, and a "notice board" whose boxes move with the seed."""
    width, height = THUMB_SIZE
    noise = Image.effect_noise(THUMB_SIZE, 18 + seed % 20)
    gradient = Image.linear_gradient("L").resize(THUMB_SIZE)
    if seed % 2:
        gradient = gradient.transpose(Image.Transpose.ROTATE_90).resize(THUMB_SIZE)
    scene = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_180)))
    draw = ImageDraw.Draw(scene)
    tint = (seed * 53 % 256, seed * 97 % 256, 255 - seed * 31 % 256)
    draw.rectangle((30 + seed % 40, 25, width - 30, height - 40), fill=tint)
    for row in range(8):
        y = 40 + row * 20
        for col in range(4):
            x = 50 + col * 60 + (seed * 13 + row * 7) % 25
            draw.rectangle((x, y, x + 40, y + 8), fill=(30, 30, 40))
    draw.ellipse((width - 70, height - 60, width - 20 + seed % 15, height - 10), fill=(200, 40, 40))
    buffer = io.BytesIO()
    scene.save(buffer, "JPEG", quality=THUMBNAIL_QUALITY)
    return buffer.getvalue()


def annex_of(template: Template[Any]) -> tuple[list[AnnexPhoto], dict[str, bytes]]:
    """20 photos, two for each deficiency, described as build.py's `annex` describes them (the
    subject: the item's text and the deficiency's), and their thumbnails by SHA-256."""
    photos, thumbs = [], {}
    start = dt.datetime(2024, 10, 15, 1, 12, tzinfo=dt.UTC)  # 08:12 in Ninh Hòa
    for n in range(ANNEX_PHOTOS):
        data = thumbnail(n)
        sha = hashlib.sha256(data).hexdigest()
        key, text, *_ = FOUND[n % len(FOUND)]
        taken = start + dt.timedelta(minutes=7 * n)
        photos.append(
            AnnexPhoto(
                photo_id=n + 1,
                sha256=sha,
                caption=CAPTIONS[n % len(CAPTIONS)] + (" (ảnh 2)" if n >= len(CAPTIONS) else ""),
                subject=f"{template.by_key[key].text}; {text}",
                taken_at=taken,
                taken_at_text=format_moment(taken, TIMEZONE),
            )
        )
        thumbs[sha] = data
    if len(thumbs) != ANNEX_PHOTOS:
        raise RuntimeError("two annex thumbnails came out identical")
    return photos, thumbs


def baseline_html() -> str:
    rows = "\n".join(
        f"<tr><td>{n}</td><td>Row {n} of the table</td><td>{n * 17 % 101}</td>"
        f"<td>{n * 3}.{n % 10}</td></tr>"
        for n in range(1, BASELINE_ROWS + 1)
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><style>"
        "@page { size: A4; margin: 2cm } body { font: 11pt serif }"
        " table { border-collapse: collapse; width: 100% }"
        " th, td { border: 1px solid #000; padding: 2px 4px }"
        "</style></head><body><table><thead><tr><th>No.</th><th>Name</th><th>Count</th>"
        f"<th>Value</th></tr></thead><tbody>{rows}</tbody></table></body></html>"
    )


def baseline(html: str) -> bytes:
    return HTML(string=html).write_pdf()


# The app's own composition (services/notices.py renders with it): timed as it is.
notice_html, notice_pdf = render.notice_html, render.notice_pdf


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def page_count(pdf: bytes, folder: Path) -> str:
    """ "3 pages, " as poppler's pdfinfo counts them, or "" without it (the count is for the
    output only: the PDF's page objects are compressed, out of a plain search's reach)."""
    tool = shutil.which("pdfinfo")
    if tool is None:
        return ""
    path = folder / "count.pdf"
    path.write_bytes(pdf)
    info = subprocess.run([tool, str(path)], capture_output=True, text=True, check=True).stdout
    pages = [line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")]
    return f"{pages[0]} pages, " if pages else ""


@dataclass(frozen=True)
class Measured:
    median: dict[str, float]  # seconds, by variant
    made: dict[str, str]  # what each variant rendered, for the output
    notice: str  # what the notice holds, for the output
    seconds: float  # the whole measurement, warm-up included


def measure(folder: Path) -> Measured:
    """Every variant warmed up, then timed in ROUNDS interleaved rounds (in the app's context:
    `folder` holds the PDFs whose pages are counted)."""
    started = time.perf_counter()
    template = get_library().get(FORM)
    if template is None:
        raise RuntimeError(f"the library has no {FORM}: is FORMS_DIR the repository's forms/?")
    sheet = score_sheet(template.form, answers_of(template.document))
    if not sheet.complete:
        raise RuntimeError(f"{sheet.waiting} items of {FORM} left unanswered")
    url = verify_url(new_token())
    plain = notice_content(template.form, sheet, url=url, annex=[])
    photos, thumbs = annex_of(template.form)
    annexed = plain.model_copy(update={"annex": photos})
    table = baseline_html()
    variants: dict[str, Callable[[], bytes | str]] = {
        "baseline": lambda: baseline(table),
        "html": lambda: notice_html(plain, {}),
        "pdf": lambda: notice_pdf(plain, {}),
        "pdf+annex": lambda: notice_pdf(annexed, thumbs),
    }
    # Check that the notice holds what it claims to, then warm each variant up once.
    html = notice_html(annexed, thumbs)
    for needle in (plain.number_line, "<svg", *(d.text for d in plain.deficiencies)):
        if needle not in html:
            raise RuntimeError(f"the notice's HTML lacks {needle!r}")
    if html.count("data:image/jpeg;base64,") != ANNEX_PHOTOS:
        raise RuntimeError(f"the annex's HTML lacks some of the {ANNEX_PHOTOS} thumbnails")
    made: dict[str, str] = {}
    for name, fn in variants.items():
        out = fn()
        if isinstance(out, str):
            made[name] = f"HTML, {len(out.encode()) / 1024:.0f} KB"
        elif out.startswith(b"%PDF-"):
            made[name] = f"PDF, {page_count(out, folder)}{len(out) / 1024:.0f} KB"
        else:
            raise RuntimeError(f"{name} made no PDF")
    times: dict[str, list[float]] = {name: [] for name in variants}
    for n in range(ROUNDS):
        order = list(variants) if n % 2 == 0 else list(reversed(variants))
        for name in order:
            times[name].append(timed(variants[name]))
    items = sum(1 for _ in iter_items(template.document))
    notice = (
        f"{FORM} v{template.version} ({len(sheet.sections)} areas, {items} items answered, "
        f"{sheet.total}/{sheet.max} points), {len(plain.deficiencies)} deficiencies, QR code; "
        f"annex: {ANNEX_PHOTOS} thumbnails {THUMB_SIZE[0]}×{THUMB_SIZE[1]}"
    )
    return Measured(
        median={name: statistics.median(values) for name, values in times.items()},
        made=made,
        notice=notice,
        seconds=time.perf_counter() - started,
    )


def bench_app(instance: Path) -> Flask:
    """The app on a fresh SQLite database in `instance`, with the repository's checklists."""
    url = f"sqlite:///{instance / 'bench.db'}"
    schema = create_engine(url)
    db.create_schema(schema)  # as `init-db` would, before the app is built
    schema.dispose()
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret",
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": url,
            "LIBRARY_PATH": str(instance / "library.json"),
            "UPLOAD_DIR": str(instance / "uploads"),
            "FORMS_DIR": str(ROOT / "forms"),
            "BASE_URL": BASE_URL,
            "LOG_LEVEL": "WARNING",
        }
    )


def print_ratios(
    labels: Mapping[str, str],
    targets: Mapping[str, float],
    median: Mapping[str, float],
    made: Mapping[str, str],
    *,
    seconds: float,
) -> None:
    """Each variant's median and its ratio to the baseline's, against its target."""
    base = median["baseline"]
    print(
        f"baseline: WeasyPrint, a plain {BASELINE_ROWS}-row, 4-column A4 table; medians of "
        f"{ROUNDS} interleaved rounds after a warm-up ({seconds:.0f} s in all)"
    )
    width = max(len(label) for label in labels.values()) + 2
    print(f"{'variant':<{width}}{'median ms':>10}{'ratio':>9}  {'target':<8}{'':6}output")
    for name, label in labels.items():
        ratio = median[name] / base
        target = targets.get(name)
        limit = "—" if target is None else f"≤ {target:g}×"
        verdict = "" if target is None else ("OK" if ratio <= target else "MISS")
        print(
            f"{label:<{width}}{median[name] * 1000:>10.1f}{ratio:>8.2f}×  {limit:<8}"
            f"{verdict:<6}{made[name]}"
        )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-notices-") as tmp:
        app = bench_app(Path(tmp))
        with app.app_context(), app.test_request_context():  # render_template, url_for
            result = measure(Path(tmp))
        app.extensions[db.ENGINE_KEY].dispose()
    print(f"notice: {result.notice}")
    print_ratios(LABELS, TARGETS, result.median, result.made, seconds=result.seconds)


if __name__ == "__main__":
    main()
