"""The on-site record (biên bản) of a visit and the plan report (báo cáo kết quả kiểm tra) over
the plan's issued notices (issue 18), as a clerk checks them: the PDF read back with poppler
(pdftotext, pdffonts) and pdfplumber, the Word copy with python-docx, the HTML as a browser
gets it. Every unit, score and deficiency with its Vietnamese letters intact, the figures equal
to the API's (the visit's score sheet, the issued notices), one embedded serif font, A4 with the
Decree's margins, the charts drawn in the PDF and pictured (PNG) in the Word copy, and who may
print which.

The world (tests/results_world.py) is built by each test that needs it: Ninh Đa and Ninh Xuân
with their notices issued, `=1+1` in progress, Ninh Hưng planned.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import docx
import pdfplumber
import pytest
from docx.document import Document
from docx.oxml.ns import qn
from flask import Flask
from fontTools.ttLib import TTFont
from PIL import Image

import inspection.views.notices
from inspection.documents.fonts import serif_font
from inspection.models import Notice, Plan, Visit
from tests.factories import (
    ApiClient,
    complete_visit,
    logged_in,
    make_plan,
    make_user,
    new_client_id,
    rows,
)
from tests.notice_helpers import (
    A4,
    DEFICIENCIES,
    DOCX_PAGE,
    ISSUER,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    MM,
    PARENT,
    PLACE,
    TEXT_CENTRE,
    TOLERANCE,
    WIDEST_LEFT,
    WIDEST_RIGHT,
    WIDEST_TOP,
    approved_visit,
    embedded_font_names,
    family_stem,
    pdf_fonts,
    pdf_text,
    set_agency,
)
from tests.results_world import FAILED_ITEM, FAILED_TEXT, SHARED_TEXT, World, build_world, issue

STATE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
LEAD = "Trần Văn Bình"
INSPECTOR = "Lê Thị Hồng"
TEAM = [
    f"- {LEAD}, Trưởng phòng Nội vụ - Trưởng đoàn;",
    f"- {INSPECTOR}, Chuyên viên Phòng Nội vụ - Thành viên;",
]
PARTICIPANT = "Nguyễn Văn A"  # factories.make_visit's participant
NINH_DA, NINH_XUAN = "UBND xã Ninh Đa", "UBND xã Ninh Xuân"
FORMULA_UNIT, PLANNED_UNIT = "=1+1", "UBND xã Ninh Hưng"
MARKUP = DEFICIENCIES[1]  # "Chưa niêm yết … <b>đang thực hiện</b> & phí, lệ phí"
RECORD_TITLE, REPORT_TITLE = "BIÊN BẢN", "BÁO CÁO"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT = "Times New Roman"
BAR_BLUE = (0x1F, 0x5F, 0x99)  # the charts' bars (results/chart.svg)
ANSWER_HEADING = ["TT", "Nội dung kiểm tra", "Kết quả", "Điểm"]
ROW_NUMBER = re.compile(r"\d+(\.\d+)?")
UNANSWERED, NOT_APPLICABLE = "Chưa trả lời", "Không áp dụng"
YES_NO = {"yes": "Đạt", "no": "Không đạt"}
QUESTION = {"yes": "Có", "no": "Không"}  # a yes_no item worth 0 points: asked, not judged
ANY_ANSWER = object()  # an answer in words the test does not predict (a date, a ratio, a choice)


# The cast and the world ---------------------------------------------------------------------------


@pytest.fixture
def plan(app: Flask) -> Plan:
    """conftest's plan, its lead and inspector with full names and positions, as printed."""
    lead = make_user(app, "lead-a", "lead", full_name=LEAD, position="Trưởng phòng Nội vụ")
    make_user(app, "insp-a", "inspector", full_name=INSPECTOR, position="Chuyên viên Phòng Nội vụ")
    return make_plan(app, lead)


ISSUE_DAY = "2024-07-05T03:00:00+00:00"  # the notices' day: 10:00 in Vietnam


@pytest.fixture
def world(app: Flask, plan: Plan, visit: Visit, monkeypatch: pytest.MonkeyPatch) -> World:
    """Its notices issued on 05/07/2024 (so numbered in the plan year's series)."""
    set_agency(app)
    set_clock(monkeypatch, ISSUE_DAY)
    return build_world(app, plan, visit)


def set_clock(monkeypatch: pytest.MonkeyPatch, moment: str) -> None:
    """The server's time (an ISO moment with its offset), as views/notices.py reads it."""
    at = dt.datetime.fromisoformat(moment)
    monkeypatch.setattr(inspection.views.notices, "clock", lambda: at)


def fetched(client: ApiClient, url: str, media_type: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.get_data()[:300])
    assert response.mimetype == media_type, url
    assert "no-store" in response.headers["Cache-Control"], url
    return response.data


# Reading the documents ----------------------------------------------------------------------------


def vn(value: float | str) -> str:
    """A number as the documents write it: "94,5", "13" (no trailing zeros, decimal comma)."""
    return format(Decimal(str(value)).normalize(), "f").replace(".", ",")


def flat(text: str) -> str:
    """Text on one line: a line that ends in a hyphen ("02/TB-" then "ĐKT") joined to the next
    as a reader does, every other run of whitespace made one space."""
    return " ".join(re.sub(r"-\n\s*", "-", text).split())


def read_pdf(data: bytes, tmp_path: Path) -> str:
    """pdftotext's reading, -layout (so that a hyphen at a line's end is kept), flattened."""
    return flat(pdf_text(data, tmp_path, layout=True))


def pdf_table_rows(data: bytes, columns: int) -> list[list[str]]:
    """Every row of `columns` cells of the PDF's ruled tables, page after page, each cell's lines
    joined with spaces (a spanned cell reads "")."""
    found = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            for table in page.extract_tables():
                for row in table:
                    if len(row) == columns:
                        found.append([" ".join((cell or "").split()) for cell in row])
    return found


def pdf_answer_rows(data: bytes) -> list[list[str]]:
    """The record's answers table: its areas, items and total (the repeated heading left out)."""
    return [
        row
        for row in pdf_table_rows(data, 4)
        if ROW_NUMBER.fullmatch(row[0]) or row[1] == "Tổng cộng"
    ]


def page_words(data: bytes) -> list[list[dict]]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [page.extract_words() for page in pdf.pages]


def header_columns(data: bytes, title: str) -> tuple[str, str]:
    """The texts of page 1's header columns (above the title, split where "CỘNG HÒA …"
    begins), each read top to bottom, left to right."""
    (words, *_rest) = page_words(data)
    title_top = next(w["top"] for w in words if w["text"] == title.split()[0])
    header = [w for w in words if w["top"] < title_top - 1]
    split = next(w["x0"] for w in header if w["text"] == "CỘNG")

    def read(column: list[dict]) -> str:
        ordered = sorted(column, key=lambda w: (round(w["top"]), w["x0"]))
        return " ".join(w["text"] for w in ordered)

    left = read([w for w in header if w["x1"] <= split])
    right = read([w for w in header if w["x0"] >= split - 0.5])
    return left, right


def opened(data: bytes) -> Document:
    return docx.Document(io.BytesIO(data))


def docx_lines(document: Document) -> list[str]:
    """The body's non-empty paragraphs (outside tables), whitespace made single spaces."""
    return [" ".join(p.text.split()) for p in document.paragraphs if p.text.strip()]


def docx_table(document: Document, first_row: list[str]) -> list[list[str]]:
    """The rows of the one table whose first row starts with `first_row`."""
    found = []
    for table in document.tables:
        cells = [[" ".join(c.text.split()) for c in row.cells] for row in table.rows]
        if cells[0][: len(first_row)] == first_row:
            found.append(cells)
    assert len(found) == 1, first_row
    return found[0]


def cell_lines(document: Document, table_index: int) -> list[list[str]]:
    """The non-empty paragraphs of each cell of a one-row layout table (header, closing)."""
    row = document.tables[table_index].rows[0]
    return [[p.text for p in cell.paragraphs if p.text.strip()] for cell in row.cells]


# What every official document shares --------------------------------------------------------------


def assert_one_embedded_serif(data: bytes, tmp_path: Path) -> None:
    """test_notice_pdf's rule: every font embedded (subsets), all of the one family that
    fonts.serif_font() chose, and nothing else."""
    fonts = pdf_fonts(data, tmp_path)
    assert fonts
    assert all(f["embedded"] == "yes" for f in fonts), [f["line"] for f in fonts]
    names = [f["name"] for f in fonts]
    assert all(re.fullmatch(r"[A-Z]{6}\+\S+", n) for n in names), names
    assert len({family_stem(n.split("+", 1)[1]) for n in names}) == 1, names
    chosen = serif_font()
    embedded = embedded_font_names(data)
    assert len(embedded) == len(fonts), (embedded, names)
    assert {family for family, _ in embedded} == {chosen.family}, embedded
    chosen_postscript = set()
    for path in chosen.files.values():
        with TTFont(path) as font:
            chosen_postscript.add(font["name"].getDebugName(6))
    assert {ps for _, ps in embedded} <= chosen_postscript, (embedded, chosen_postscript)


def assert_a4_with_the_decree_margins(data: bytes) -> int:
    """A4 pages, every word inside the Decree's margins, the text block reaching them, and from
    page 2 on the page's number alone in the top margin, centred over the text. Returns the
    number of pages."""
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = [(page.width, page.height, page.extract_words()) for page in pdf.pages]
    lefts, rights = [], []
    for number, (width, height, words) in enumerate(pages, start=1):
        assert width == pytest.approx(A4[0], abs=1) and height == pytest.approx(A4[1], abs=1)
        assert words, f"page {number} is empty"
        for w in words:
            where = f"page {number}: {w['text']!r}"
            assert w["x0"] >= MARGIN_LEFT - TOLERANCE, where
            assert w["x1"] <= width - MARGIN_RIGHT + TOLERANCE, where
            assert w["bottom"] <= height - MARGIN_BOTTOM + TOLERANCE, where
        in_top_margin = [w for w in words if w["bottom"] <= MARGIN_TOP + TOLERANCE]
        body = [w for w in words if w not in in_top_margin]
        assert all(w["top"] >= MARGIN_TOP - TOLERANCE for w in body), number
        if number == 1:
            assert not in_top_margin, [w["text"] for w in in_top_margin]
            assert min(w["top"] for w in body) <= WIDEST_TOP + TOLERANCE
        else:
            assert [w["text"] for w in in_top_margin] == [str(number)]
            (mark,) = in_top_margin
            assert (mark["x0"] + mark["x1"]) / 2 == pytest.approx(TEXT_CENTRE, abs=3 * MM)
        lefts.append(min(w["x0"] for w in body))
        rights.append(max(w["x1"] for w in body))
    assert min(lefts) <= WIDEST_LEFT + TOLERANCE
    assert max(rights) >= A4[0] - WIDEST_RIGHT - TOLERANCE
    return len(pages)


def assert_blank_margins(data: bytes, tmp_path: Path) -> None:
    """Nothing printed in the margins: the pages rendered (pdftoppm, 50 dpi) are white left of
    30 mm, right of 195 mm and below 277 mm, and above 20 mm but for the page's number."""

    def px(millimetres: float) -> int:
        return round(millimetres * 50 / 25.4)

    centre = (30 + 195) / 2  # of the text block, where the page's number is
    path = tmp_path / "margins.pdf"
    path.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-gray", "-png", str(path), str(tmp_path / "margin")],
        check=True,
        capture_output=True,
    )
    images = sorted(tmp_path.glob("margin-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
    assert images
    for number, image in enumerate(images, start=1):
        with Image.open(image) as page:
            page = page.convert("L")
            width, height = page.size
            strips = {
                "left": (0, 0, px(30 - 1), height),
                "right": (px(195 + 1), 0, width, height),
                "bottom": (0, px(297 - 20 + 1), width, height),
                "top, left of the number": (0, 0, px(centre - 6), px(20 - 1)),
                "top, right of the number": (px(centre + 6), 0, width, px(20 - 1)),
            }
            if number == 1:
                strips["top"] = (0, 0, width, px(20 - 1))
            for name, box in strips.items():
                darkest, _ = page.crop(box).getextrema()
                assert darkest >= 200, f"page {number}: something printed in the {name} margin"


def assert_docx_page_and_font(document: Document) -> None:
    """A4 with the Decree's margins, Times New Roman on every run, page numbers from page 2."""
    section = document.sections[0]
    for name, millimetres in DOCX_PAGE.items():
        assert getattr(section, name).mm == pytest.approx(millimetres, abs=0.5), name
    assert document.styles["Normal"].font.name == FONT
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs.extend(cell.paragraphs)
    runs = [run for p in paragraphs for run in p.runs if run.text.strip()]
    assert runs
    for run in runs:
        assert run.font.name == FONT, run.text
    assert section.different_first_page_header_footer
    assert [i.text.strip() for i in section.header._element.iter(qn("w:instrText"))] == ["PAGE"]
    assert not list(section.first_page_header._element.iter(qn("w:instrText")))


# 1. The on-site record ----------------------------------------------------------------------------


def visible(item: dict, answers: dict[str, dict]) -> bool:
    """Whether the sheet shows an item (the shipped checklist's conditions are all `equals`)."""
    condition = item.get("show_if")
    if not condition:
        return True
    return answers.get(condition["item"], {}).get("value") == condition["equals"]


def expected_answer_rows(client: ApiClient, visit: Visit) -> list[list[object]]:
    """The record's table as the API tells it: per area its number, title and points
    (GET …/score), then each item shown with its answer in words and its points (GET the visit),
    then the total. ANY_ANSWER where the answer's words are not predicted here."""
    body = client.get(f"/api/v1/visits/{visit.id}").get_json()
    score = client.get(f"/api/v1/visits/{visit.id}/score").get_json()
    answers = {a["item_key"]: a for a in body["answers"]}
    sections = {s["key"]: s for s in score["sections"]}
    expected: list[list[object]] = []
    for n, section in enumerate(body["form"]["sections"], start=1):
        area = sections[section["key"]]
        expected.append([str(n), section["title"], "", f"{vn(area['score'])}/{vn(area['max'])}"])
        shown = [item for item in section["items"] if visible(item, answers)]
        for m, item in enumerate(shown, start=1):
            answer = answers.get(item["key"])
            if answer is None:
                words: object = UNANSWERED
                points = f"0/{vn(item['points'])}" if item.get("points") else ""
            elif answer["value"] == "na":
                words, points = NOT_APPLICABLE, ""
            else:
                value = answer["value"]
                said = QUESTION if item.get("points") == 0 else YES_NO
                words = said.get(value, ANY_ANSWER) if isinstance(value, str) else ANY_ANSWER
                scored = answer["score"] is not None and answer["max"]  # worth points
                points = f"{vn(answer['score'])}/{vn(answer['max'])}" if scored else ""
            expected.append([f"{n}.{m}", " ".join(item["text"].split()), words, points])
    expected.append(["", "Tổng cộng", "", f"{vn(score['total'])}/{vn(score['max'])}"])
    return expected


def assert_rows_match(found: list[list[str]], expected: list[list[object]]) -> None:
    assert [row[:2] for row in found] == [row[:2] for row in expected]  # every item, in order
    for row, wanted in zip(found, expected, strict=True):
        _number, _text, words, points = wanted
        if words is ANY_ANSWER:
            assert row[2] and row[2] not in (UNANSWERED, NOT_APPLICABLE), row
        else:
            assert row[2] == words, (row, wanted)
        assert row[3] == points, (row, wanted)


def score_of(client: ApiClient, visit: Visit) -> dict:
    response = client.get(f"/api/v1/visits/{visit.id}/score")
    assert response.status_code == 200
    return response.get_json()


def test_a_planned_visit_has_no_record_until_its_first_answer(app, visit):
    inspector = ApiClient(app, "insp-a")
    for kind in ("html", "pdf", "docx"):
        refused = inspector.get(f"/api/v1/visits/{visit.id}/record.{kind}")
        assert refused.status_code == 409, kind
        assert refused.mimetype == "application/json"
        assert refused.get_json()["error"]["code"] == "wrong_state", kind
    saved = inspector.put(f"/api/v1/visits/{visit.id}/answers/kh-cchc", json={"value": "yes"})
    assert saved.status_code == 200, saved.get_json()
    html = fetched(inspector, f"/api/v1/visits/{visit.id}/record.html", "text/html")
    assert "Kiểm tra công tác cải cách hành chính tại UBND xã Ninh Đa" in html.decode()
    pdf = inspector.get(f"/api/v1/visits/{visit.id}/record.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    word = inspector.get(f"/api/v1/visits/{visit.id}/record.docx")
    assert word.status_code == 200 and word.mimetype == DOCX
    assert 'filename="bien-ban-' in word.headers["Content-Disposition"]


def test_record_pdf_of_a_finished_visit_reads_as_the_paper_to_sign(world, tmp_path):
    """Ninh Xuân's record, printed days after the visit (the clock at ISSUE_DAY): the time of
    the meeting is left for the pen."""
    url = f"/api/v1/visits/{world.failed.id}/record.pdf"
    data = fetched(world.inspector, url, "application/pdf")
    text = read_pdf(data, tmp_path)
    score = score_of(world.inspector, world.failed)
    assert score["complete"] and score["total"] == 97 and score["band"] == "Tốt"

    left, right = header_columns(data, RECORD_TITLE)
    assert left == f"{PARENT} {ISSUER} Số: /BB-ĐKT"  # numbered by hand when signed
    assert right == f"{STATE} {MOTTO} {PLACE}, ngày 02 tháng 7 năm 2024"
    for expected in [
        RECORD_TITLE,
        f"Kiểm tra công tác cải cách hành chính tại {NINH_XUAN}",
        "Hôm nay, vào lúc ..... giờ ..... ngày 02 tháng 7 năm 2024, tại Trụ sở UBND xã.",
        "Thực hiện Kế hoạch số 22/KH-UBND ngày 22/02/2024",
        "Quyết định số 70/QĐ-UBND ngày 13/03/2024",
        "1. Thành phần đoàn kiểm tra:",
        *TEAM,
        "2. Đại diện đơn vị được kiểm tra:",
        f"- {PARTICIPANT}, Chủ tịch UBND xã;",
        "I. NỘI DUNG KIỂM TRA",
        "II. KẾT QUẢ KIỂM TRA",
        # Complete: the score with its percentage and band
        f"Tổng điểm đoàn kiểm tra chấm: {vn(score['total'])}/{vn(score['max'])} điểm"
        f" ({vn(score['percent'])}%), xếp loại {score['band']}",
        "III. HẠN CHẾ, TỒN TẠI",
        f"1. {FAILED_TEXT}",
        "IV. Ý KIẾN CỦA ĐƠN VỊ ĐƯỢC KIỂM TRA",
        "được lập thành 02 bản",
    ]:
        assert expected in text, expected
    assert "tạm tính" not in text

    # Every item shown, with its answer in words and its points; each area's and the total.
    rows = pdf_answer_rows(data)
    assert_rows_match(rows, expected_answer_rows(world.inspector, world.failed))
    failed = next(row for row in rows if row[1].startswith("Niêm yết công khai đầy đủ"))
    assert failed[2:] == ["Không đạt", "0/3"]
    assert [row for row in rows if row[0] == "3"][0][3] == "19/22"

    # The two signatures side by side: the unit's representative left, the team's lead right.
    words = [w for page in page_words(data) for w in page][-40:]
    (unit_title,) = [w for w in words if w["text"] == "ĐẠI"]
    (lead_title,) = [w for w in words if w["text"] == "TRƯỞNG"]
    assert unit_title["top"] == pytest.approx(lead_title["top"], abs=1)
    assert unit_title["x0"] < A4[0] / 2 < lead_title["x0"]
    signed = " ".join(w["text"] for w in words)
    assert "ĐẠI DIỆN ĐƠN VỊ ĐƯỢC KIỂM TRA" in signed and "TRƯỞNG ĐOÀN KIỂM TRA" in signed
    (participant,) = [w for w in words if w["text"] == "A" and w["top"] > unit_title["top"]]
    lead_surname = [w for w in words if w["text"] == "Bình" and w["top"] > lead_title["top"]]
    assert participant["x1"] < A4[0] / 2 < lead_surname[-1]["x0"]


def test_record_pdf_is_a4_in_one_embedded_serif_with_the_decree_margins(world, tmp_path):
    data = fetched(world.lead, f"/api/v1/visits/{world.issued.id}/record.pdf", "application/pdf")
    assert_one_embedded_serif(data, tmp_path)
    assert assert_a4_with_the_decree_margins(data) >= 2  # the full checklist runs on
    assert_blank_margins(data, tmp_path)


def test_record_docx_holds_the_header_people_answers_and_signatures(world):
    url = f"/api/v1/visits/{world.failed.id}/record.docx"
    document = opened(fetched(world.lead, url, DOCX))
    assert_docx_page_and_font(document)
    assert cell_lines(document, 0) == [
        [PARENT, ISSUER, "Số:      /BB-ĐKT"],
        [STATE, MOTTO, f"{PLACE}, ngày 02 tháng 7 năm 2024"],
    ]
    lines = docx_lines(document)
    assert lines[:3] == [
        RECORD_TITLE,
        f"Kiểm tra công tác cải cách hành chính tại {NINH_XUAN}",
        "Hôm nay, vào lúc ..... giờ ..... ngày 02 tháng 7 năm 2024, tại Trụ sở UBND xã.",
    ]
    start = lines.index("1. Thành phần đoàn kiểm tra:")
    assert lines[start + 1 : start + 5] == [
        *TEAM,
        "2. Đại diện đơn vị được kiểm tra:",
        f"- {PARTICIPANT}, Chủ tịch UBND xã;",
    ]
    score = score_of(world.lead, world.failed)
    results = lines[lines.index("II. KẾT QUẢ KIỂM TRA") + 1]
    assert results.startswith(
        f"Tổng điểm đoàn kiểm tra chấm: {vn(score['total'])}/{vn(score['max'])} điểm"
        f" ({vn(score['percent'])}%), xếp loại {score['band']}"
    )
    deficiencies = lines[
        lines.index("III. HẠN CHẾ, TỒN TẠI") + 1 : lines.index(
            "IV. Ý KIẾN CỦA ĐƠN VỊ ĐƯỢC KIỂM TRA"
        )
    ]
    assert deficiencies == [f"1. {FAILED_TEXT}"]
    assert any("được lập thành 02 bản" in line for line in lines)

    table = docx_table(document, ANSWER_HEADING)
    assert table[0] == ANSWER_HEADING
    assert_rows_match(table[1:], expected_answer_rows(world.lead, world.failed))

    unit_side, lead_side = cell_lines(document, len(document.tables) - 1)
    assert unit_side[0] == "ĐẠI DIỆN ĐƠN VỊ ĐƯỢC KIỂM TRA" and unit_side[-1] == PARTICIPANT
    assert lead_side[0] == "TRƯỞNG ĐOÀN KIỂM TRA" and lead_side[-1] == LEAD


def test_an_unfinished_visits_record_is_provisional(world, tmp_path):
    """`=1+1` in progress: an item not applicable, one failed, the rest unanswered; the score
    marked provisional with no percentage or band; a withdrawn deficiency left out."""
    inspector, formula = world.inspector, world.formula
    na = inspector.put(f"/api/v1/visits/{formula.id}/answers/tuyen-truyen", json={"value": "na"})
    assert na.status_code == 200, na.get_json()
    gone = "Thiếu sổ theo dõi hồ sơ (đã rút lại)"
    created = inspector.post(
        f"/api/v1/visits/{formula.id}/findings",
        json={
            "text": gone,
            "remedy": "Lập sổ theo dõi",
            "severity": "low",
            "client_id": new_client_id(),
        },
    )
    assert created.status_code == 201, created.get_json()
    withdrawn = inspector.patch(
        f"/api/v1/findings/{created.get_json()['id']}", json={"withdrawn": True}
    )
    assert withdrawn.status_code == 200, withdrawn.get_json()
    score = score_of(inspector, formula)
    assert not score["complete"] and score["waiting"] > 0 and score["percent"] is None
    provisional = (
        f"Tổng điểm tạm tính: {vn(score['total'])}/{vn(score['max'])} điểm (tạm tính: còn"
        f" {score['waiting']} tiêu chí bắt buộc chưa có kết quả"
    )

    document = opened(fetched(inspector, f"/api/v1/visits/{formula.id}/record.docx", DOCX))
    lines = docx_lines(document)
    assert f"Kiểm tra công tác cải cách hành chính tại {FORMULA_UNIT}" in lines
    results = lines[lines.index("II. KẾT QUẢ KIỂM TRA") + 1]
    assert results.startswith(provisional)
    assert "%" not in results and "xếp loại" not in results
    deficiencies = lines[
        lines.index("III. HẠN CHẾ, TỒN TẠI") + 1 : lines.index(
            "IV. Ý KIẾN CỦA ĐƠN VỊ ĐƯỢC KIỂM TRA"
        )
    ]
    assert deficiencies == [f"1. {SHARED_TEXT}"]
    table = docx_table(document, ANSWER_HEADING)[1:]
    assert_rows_match(table, expected_answer_rows(inspector, formula))
    by_number = {row[0]: row for row in table}
    assert by_number["1.1"][2:] == ["Đạt", "2/2"]  # kh-cchc
    assert by_number["1.4"][2:] == ["Không đạt", "0/1"]  # bao-cao-cchc
    assert by_number["1.5"][2:] == [NOT_APPLICABLE, ""]  # tuyen-truyen
    assert by_number["1.6"][2] == UNANSWERED
    assert by_number["1"][3] == f"2/{vn(13 - 1.5)}"  # the area's maximum without it

    data = fetched(inspector, f"/api/v1/visits/{formula.id}/record.pdf", "application/pdf")
    text = read_pdf(data, tmp_path)
    assert f"Kiểm tra công tác cải cách hành chính tại {FORMULA_UNIT}" in text  # as typed
    assert provisional in text and f"1. {SHARED_TEXT}" in text and gone not in text
    assert "..... giờ ....." in text  # not printed on the visit's day: the time by hand
    assert_rows_match(pdf_answer_rows(data), expected_answer_rows(inspector, formula))


def test_markup_in_a_deficiency_is_printed_as_typed(world, tmp_path):
    base = f"/api/v1/visits/{world.issued.id}/record"
    html = fetched(world.lead, f"{base}.html", "text/html").decode()
    assert "&lt;b&gt;đang thực hiện&lt;/b&gt; &amp; phí, lệ phí" in html
    assert "<b>" not in html
    text = read_pdf(fetched(world.lead, f"{base}.pdf", "application/pdf"), tmp_path)
    for n, deficiency in enumerate(DEFICIENCIES, start=1):
        assert f"{n}. {deficiency}" in text, deficiency
    lines = docx_lines(opened(fetched(world.lead, f"{base}.docx", DOCX)))
    assert [f"{n}. {d}" for n, d in enumerate(DEFICIENCIES, start=1)] == lines[
        lines.index("III. HẠN CHẾ, TỒN TẠI") + 1 : lines.index(
            "IV. Ý KIẾN CỦA ĐƠN VỊ ĐƯỢC KIỂM TRA"
        )
    ]


@pytest.mark.parametrize(
    ("moment", "written"),
    [
        ("2024-06-28T02:30:00+00:00", "09 giờ 30"),  # the visit's day, in Vietnam
        ("2024-06-27T17:10:00+00:00", "00 giờ 10"),  # still the 27th in UTC: the 28th there
        ("2024-06-27T16:59:00+00:00", "..... giờ ....."),  # 23:59 on the eve, in Vietnam
        ("2024-06-28T17:00:00+00:00", "..... giờ ....."),  # the next day there
    ],
)
def test_the_records_time_is_written_only_on_the_visits_day(
    app, visit, monkeypatch, tmp_path, moment, written
):
    """Printed at the meeting, the record says when it was made (in the agency's time zone);
    printed on another day, the time is left for the pen."""
    inspector = complete_visit(app, visit)  # Ninh Đa, visited on 28/06/2024
    set_clock(monkeypatch, moment)
    opening = f"Hôm nay, vào lúc {written} ngày 28 tháng 6 năm 2024, tại Trụ sở UBND xã."
    base = f"/api/v1/visits/{visit.id}/record"
    assert opening in fetched(inspector, f"{base}.html", "text/html").decode()
    assert opening in docx_lines(opened(fetched(inspector, f"{base}.docx", DOCX)))
    assert opening in read_pdf(fetched(inspector, f"{base}.pdf", "application/pdf"), tmp_path)


def test_who_may_print_a_record(app, visit):
    """auth.ACCESS: admins, every lead, the visit's own inspectors; not another inspector, nor
    a unit's users (even the visited unit's), nor anyone logged out."""
    complete_visit(app, visit)
    make_user(app, "admin1", "admin")
    make_user(app, "lead-b", "lead")
    make_user(app, "insp-b", "inspector")
    make_user(app, "ninh-da-1", "unit", unit_code="ninh-da")
    base = f"/api/v1/visits/{visit.id}/record"
    for username in ("admin1", "lead-a", "lead-b", "insp-a"):
        client = ApiClient(app, username)
        assert client.get(f"{base}.html").status_code == 200, username
        assert client.get(f"{base}.docx").status_code == 200, username
    for username in ("insp-b", "ninh-da-1"):
        client = ApiClient(app, username)
        for kind in ("html", "pdf", "docx"):
            assert client.get(f"{base}.{kind}").status_code == 403, (username, kind)
    anonymous = ApiClient(app)
    assert anonymous.get(f"{base}.pdf").status_code == 401


# 2. The plan report -------------------------------------------------------------------------------

REPORT_DAY = "2024-08-15T03:00:00+00:00"  # 10:00 in Vietnam: the report's date


@dataclass
class Report:
    world: World
    notices: dict[str, dict]  # unit → its notice in force (GET /api/v1/notices/<id>)
    url: str  # without the extension

    def get(self, kind: str, media_type: str) -> bytes:
        return fetched(self.world.lead, f"{self.url}.{kind}", media_type)


@pytest.fixture
def report(app, world, monkeypatch) -> Report:
    set_clock(monkeypatch, REPORT_DAY)
    notices = {}
    for notice in rows(app, Notice):
        read = world.lead.get(f"/api/v1/notices/{notice.id}")
        assert read.status_code == 200
        body = read.get_json()
        notices[body["content"]["unit_name"]] = body
    assert set(notices) == {NINH_DA, NINH_XUAN}
    return Report(world, notices, f"/api/v1/plans/{world.plan.id}/report")


def ranking_rows(report: Report) -> list[list[str]]:
    """The ranking as the notices give it: each unit's points per area (LV1…), its total with
    the percentage and its band, the highest share first."""
    contents = sorted(
        (n["content"] for n in report.notices.values()),
        key=lambda c: -Decimal(c["total"]) / Decimal(c["max"]),
    )
    expected = []
    for rank, c in enumerate(contents, start=1):
        areas = [f"{vn(a['score'])}/{vn(a['max'])}" for a in c["areas"]]
        total = f"{vn(c['total'])}/{vn(c['max'])} ({vn(c['percent'])}%)"
        expected.append([str(rank), c["unit_name"], *areas, total, c["band"]])
    return expected


def area_titles(report: Report) -> list[str]:
    return [a["title"] for a in report.notices[NINH_DA]["content"]["areas"]]


def grouped_deficiencies(report: Report) -> list[str]:
    """III.'s lines: a deficiency tied to an item under the item's words, others under their
    own, with the units that share each (one unit each here)."""
    failed = report.notices[NINH_XUAN]["content"]["deficiencies"]
    assert [(d["item_key"], d["text"]) for d in failed] == [(FAILED_ITEM, FAILED_TEXT)]
    return [
        f"1. {failed[0]['item_title']} (1 đơn vị: {NINH_XUAN}).",
        f"2. {DEFICIENCIES[0]} (1 đơn vị: {NINH_DA}).",
        f"3. {MARKUP} (1 đơn vị: {NINH_DA}).",
    ]


def follow_up_lines(report: Report) -> list[str]:
    """IV.'s follow-up: both units, as many deficiencies as are still open (the visit's
    deficiencies, GET …/findings), their notices' numbers and report dates."""
    lines = []
    for unit, visit, count in (
        (NINH_DA, report.world.issued, 2),
        (NINH_XUAN, report.world.failed, 1),
    ):
        listed = report.world.lead.get(f"/api/v1/visits/{visit.id}/findings").get_json()
        still_open = [f for f in listed["findings"] if f["status"] == "open" and not f["withdrawn"]]
        assert len(still_open) == count, listed["findings"]
        notice = report.notices[unit]
        due = dt.date.fromisoformat(notice["content"]["report_due_on"]).strftime("%d/%m/%Y")
        lines.append(
            f"- {unit}: còn {count} hạn chế, tồn tại theo Thông báo số {notice['number']},"
            f" hạn báo cáo {due}."
        )
    return lines


def test_no_report_before_a_notice_is_issued(app, plan, visit):
    complete_visit(app, visit)
    lead = ApiClient(app, "lead-a")
    for kind in ("html", "pdf", "docx"):
        refused = lead.get(f"/api/v1/plans/{plan.id}/report.{kind}")
        assert refused.status_code == 409, kind
        assert refused.get_json()["error"]["code"] == "no_notices", kind
    page = logged_in(app, "lead-a").get(f"/plans/{plan.id}/report")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "chưa có thông báo nào" in html
    assert "report.pdf" not in html and "Kết quả kiểm tra công tác cải cách" not in html


def test_report_pdf_names_the_round_and_ranks_the_units_by_their_notices(report, tmp_path):
    data = report.get("pdf", "application/pdf")
    text = read_pdf(data, tmp_path)
    left, right = header_columns(data, REPORT_TITLE)
    assert left == f"{PARENT} {ISSUER} Số: /BC-ĐKT"
    assert right == f"{STATE} {MOTTO} {PLACE}, ngày 15 tháng 8 năm 2024"
    da, xuan = report.notices[NINH_DA], report.notices[NINH_XUAN]
    for expected in [
        REPORT_TITLE,
        "Kết quả kiểm tra công tác cải cách hành chính năm 2024",
        "I. TÌNH HÌNH TRIỂN KHAI KIỂM TRA",
        "Thực hiện Kế hoạch số 22/KH-UBND ngày 22/02/2024",
        "tại 2/4 đơn vị theo kế hoạch, từ ngày 28 tháng 6 năm 2024 đến ngày 02 tháng 7 năm 2024.",
        f"{NINH_DA} (Thông báo số {da['number']}); {NINH_XUAN} (Thông báo số {xuan['number']}).",
        "II. KẾT QUẢ KIỂM TRA",
        "; ".join(f"LV{n}: {t}" for n, t in enumerate(area_titles(report), start=1)) + ".",
        f"Đơn vị đạt kết quả cao nhất: {NINH_DA} (100/100 điểm, 100%, xếp loại Tốt).",
    ]:
        assert expected in text, expected
    assert (da["number"], xuan["number"]) == ("01/TB-ĐKT", "02/TB-ĐKT")
    # Only the issued notices: the unit in progress and the planned one are not in the report.
    for absent in (FORMULA_UNIT, PLANNED_UNIT, SHARED_TEXT):
        assert absent not in text, absent

    table = [
        row
        for row in pdf_table_rows(data, 2 + len(area_titles(report)) + 2)
        if row[0] == "TT" or row[0].isdigit()
    ]
    heading = ["TT", "Đơn vị", *[f"LV{n}" for n in range(1, 10)], "Tổng điểm", "Xếp loại"]
    assert table == [heading, *ranking_rows(report)]
    assert table[2][-3:] == ["15/15", "97/100 (97%)", "Tốt"]
    assert table[2][4] == "19/22"  # LV3: Ninh Xuân's failed item
    # The notices' figures are the visits' score sheets of the day they were issued.
    for unit, visit in ((NINH_DA, report.world.issued), (NINH_XUAN, report.world.failed)):
        score = score_of(report.world.lead, visit)
        content = report.notices[unit]["content"]
        assert (Decimal(content["total"]), Decimal(content["max"])) == (
            Decimal(str(score["total"])),
            Decimal(str(score["max"])),
        )


def test_report_pdf_groups_the_deficiencies_and_follows_up_the_open_ones(report, tmp_path):
    data = report.get("pdf", "application/pdf")
    text = read_pdf(data, tmp_path)
    section_three = text.index("III. HẠN CHẾ, TỒN TẠI")
    section_four = text.index("IV. KIẾN NGHỊ, ĐỀ XUẤT VÀ THEO DÕI KHẮC PHỤC")
    assert section_three < section_four
    for line in grouped_deficiencies(report):  # markup printed as typed
        assert section_three < text.index(line) < section_four, line
    assert "Các đơn vị chưa hoàn thành khắc phục:" in text
    for line in follow_up_lines(report):
        assert section_four < text.index(line), line
    assert text.index("Nơi nhận:") > section_four
    for line in (
        f"- {PARENT} (để báo cáo);",
        "- Các đơn vị được kiểm tra;",
        "- Lưu: VT, ĐKT.",
    ):
        assert line in text, line

    words = [w for page in page_words(data) for w in page]
    closing = words[[w["text"] for w in words].index("Nơi") :]
    (on_behalf,) = [w for w in closing if w["text"] == "TM."]
    (name,) = [w for w in closing if w["text"] == "Bình"]
    assert on_behalf["x0"] > A4[0] / 2 and name["x0"] > A4[0] / 2  # the right column
    assert "TM. ĐOÀN KIỂM TRA TRƯỞNG ĐOÀN" in " ".join(
        w["text"]
        for w in sorted(closing, key=lambda w: (round(w["top"]), w["x0"]))
        if w["x0"] > A4[0] / 2
    )
    assert name["top"] > on_behalf["top"] + 30  # room to sign above the lead's name


def test_report_pdf_is_a4_in_one_embedded_serif_charts_included(report, tmp_path):
    """The charts' text is set in the documents' serif too (their SVG names it)."""
    data = report.get("pdf", "application/pdf")
    assert_one_embedded_serif(data, tmp_path)
    assert_a4_with_the_decree_margins(data)
    assert_blank_margins(data, tmp_path)


def test_report_pdf_draws_the_charts_to_the_notices_figures(report, tmp_path):
    data = report.get("pdf", "application/pdf")
    text = read_pdf(data, tmp_path)
    for caption in (
        "Biểu đồ 1. Tổng điểm của các đơn vị",
        "Biểu đồ 2. Điểm của các đơn vị theo lĩnh vực",
        "Biểu đồ 3. Các hạn chế, tồn tại thường gặp",
    ):
        assert caption in text, caption
    # Each bar (blue) over its track (grey, the full length): its value over its maximum.
    drawn = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            rects = page.rects
            bars = [r for r in rects if _colour(r) == BAR_BLUE]
            for bar in bars:
                tracks = [
                    r
                    for r in rects
                    if r is not bar
                    and abs(r["x0"] - bar["x0"]) < 0.5
                    and abs(r["top"] - bar["top"]) < 0.5
                    and r["width"] >= bar["width"] - 0.5
                ]
                assert len(tracks) == 1, bar
                drawn.append(round(bar["width"] / tracks[0]["width"], 2))
    contents = [n["content"] for n in report.notices.values()]
    expected = [Decimal(c["total"]) / Decimal(c["max"]) for c in contents]  # the totals
    expected += [Decimal(a["score"]) / Decimal(a["max"]) for c in contents for a in c["areas"]]
    expected += [Decimal(1) / Decimal(2)] * 3  # each deficiency: 1 unit of the 2
    assert sorted(drawn) == pytest.approx(sorted(float(x) for x in expected), abs=0.01)
    assert sorted(drawn)[:4] == pytest.approx([0.5, 0.5, 0.5, 19 / 22], abs=0.01)


def _colour(rect: dict) -> tuple[int, int, int] | None:
    colour = rect.get("non_stroking_color")
    if not isinstance(colour, tuple | list) or len(colour) != 3:
        return None
    return tuple(round(c * 255) for c in colour)


def test_report_docx_holds_the_same_round_ranking_deficiencies_and_follow_up(report):
    document = opened(report.get("docx", DOCX))
    assert_docx_page_and_font(document)
    assert cell_lines(document, 0) == [
        [PARENT, ISSUER, "Số:      /BC-ĐKT"],
        [STATE, MOTTO, f"{PLACE}, ngày 15 tháng 8 năm 2024"],
    ]
    lines = docx_lines(document)
    assert lines[:3] == [
        REPORT_TITLE,
        "Kết quả kiểm tra công tác cải cách hành chính năm 2024",
        "I. TÌNH HÌNH TRIỂN KHAI KIỂM TRA",
    ]
    da, xuan = report.notices[NINH_DA], report.notices[NINH_XUAN]
    assert lines[4] == (
        "Sau mỗi cuộc kiểm tra, Đoàn kiểm tra đã ban hành Thông báo kết luận kiểm tra:"
        f" {NINH_DA} (Thông báo số {da['number']}); {NINH_XUAN} (Thông báo số"
        f" {xuan['number']})."
    )
    heading = ["TT", "Đơn vị", *[f"LV{n}" for n in range(1, 10)], "Tổng điểm", "Xếp loại"]
    assert docx_table(document, ["TT", "Đơn vị"]) == [heading, *ranking_rows(report)]
    legend = "; ".join(f"LV{n}: {t}" for n, t in enumerate(area_titles(report), start=1))
    assert f"{legend}." in lines
    three = lines.index("III. HẠN CHẾ, TỒN TẠI")
    four = lines.index("IV. KIẾN NGHỊ, ĐỀ XUẤT VÀ THEO DÕI KHẮC PHỤC")
    assert lines[three + 2 : three + 5] == grouped_deficiencies(report)
    assert lines[four + 2 :] == ["Các đơn vị chưa hoàn thành khắc phục:", *follow_up_lines(report)]
    everything = "\n".join(lines)
    for absent in (FORMULA_UNIT, PLANNED_UNIT, SHARED_TEXT):
        assert absent not in everything, absent
    recipients, signature = cell_lines(document, len(document.tables) - 1)
    assert recipients == [
        "Nơi nhận:",
        f"- {PARENT} (để báo cáo);",
        "- Các đơn vị được kiểm tra;",
        "- Lưu: VT, ĐKT.",
    ]
    assert signature == ["TM. ĐOÀN KIỂM TRA", "TRƯỞNG ĐOÀN", LEAD]


def test_report_docx_carries_the_charts_as_png_pictures(report):
    document = opened(report.get("docx", DOCX))
    lines = docx_lines(document)
    for caption in (
        "Biểu đồ 1. Tổng điểm của các đơn vị",
        "Biểu đồ 2. Điểm của các đơn vị theo lĩnh vực",
        "Biểu đồ 3. Các hạn chế, tồn tại thường gặp",
    ):
        assert caption in lines, caption
    shapes = list(document.inline_shapes)
    assert len(shapes) == 1 + len(area_titles(report)) + 1  # totals, each area, deficiencies
    for shape in shapes:
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        part = document.part.related_parts[blip.embed]
        assert part.content_type == "image/png"
        with Image.open(io.BytesIO(part.blob)) as picture:
            picture.load()
            assert picture.format == "PNG"
            width, height = picture.size
            assert 360 <= width <= 4000 and 20 <= height <= 4000, picture.size
            # Not stretched: the picture's box in the document has the image's proportions.
            assert shape.width / shape.height == pytest.approx(width / height, rel=0.02)
            colours = picture.convert("RGB").getcolors(maxcolors=width * height)
            blue = sum(n for n, rgb in colours if _near(rgb, BAR_BLUE))
            assert blue > 100, "no bar drawn"
        assert shape.width.cm == pytest.approx(12, abs=0.1)  # within the text's 16,5 cm


def _near(rgb: tuple[int, int, int], target: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 8 for a, b in zip(rgb, target, strict=True))


def test_report_html_escapes_what_people_typed_and_inlines_the_charts(report):
    html = report.get("html", "text/html").decode()
    assert "&lt;b&gt;đang thực hiện&lt;/b&gt; &amp; phí, lệ phí" in html
    assert "<b>" not in html
    assert html.count("<svg") == 1 + len(area_titles(report)) + 1
    totals = re.findall(r'data-unit="([^"]+)" data-area="" data-score="([^"]+)"', html)
    assert [(unit, Decimal(score)) for unit, score in totals] == [
        (row[1], Decimal(report.notices[row[1]]["content"]["total"]))
        for row in ranking_rows(report)
    ]


def test_a_corrected_notice_replaces_the_one_it_supersedes_in_the_report(report):
    old = report.notices[NINH_DA]
    corrected_text = "Ba hồ sơ trễ hạn chưa gửi thư xin lỗi công dân (đã đính chính)"
    first = old["content"]["deficiencies"][0]
    assert first["text"] == DEFICIENCIES[0]
    new = report.world.lead.post(
        f"/api/v1/notices/{old['id']}/supersede",
        json={
            "reason": "Ghi sai nội dung",
            "findings": [{"id": first["finding_id"], "text": corrected_text}],
        },
    )
    assert new.status_code == 201, new.get_json()
    number = new.get_json()["number"]
    html = report.get("html", "text/html").decode()
    assert f"{NINH_DA} (Thông báo số {number})" in html
    assert f"Thông báo số {old['number']}" not in html
    assert corrected_text in html and DEFICIENCIES[0] not in html


def test_who_may_read_a_plan_report(app, plan, visit):
    """auth.ACCESS: admins and the plan's own lead; not another plan's lead, the inspectors, a
    unit's users, nor anyone logged out."""
    issue(approved_visit(app, visit), visit)
    make_user(app, "admin1", "admin")
    make_user(app, "lead-b", "lead")
    make_user(app, "ninh-da-1", "unit", unit_code="ninh-da")
    base = f"/api/v1/plans/{plan.id}/report"
    for username in ("admin1", "lead-a"):
        client = ApiClient(app, username)
        assert client.get(f"{base}.html").status_code == 200, username
        assert client.get(f"{base}.docx").status_code == 200, username
    for username in ("lead-b", "insp-a", "ninh-da-1"):
        client = ApiClient(app, username)
        for kind in ("html", "pdf", "docx"):
            assert client.get(f"{base}.{kind}").status_code == 403, (username, kind)
    assert logged_in(app, "lead-b").get(f"/plans/{plan.id}/report").status_code == 403
    page = logged_in(app, "lead-a").get(f"/plans/{plan.id}/report")
    assert page.status_code == 200 and "BÁO CÁO" in page.get_data(as_text=True)
    assert ApiClient(app).get(f"{base}.pdf").status_code == 401
