"""The conclusion notice as a PDF: what a clerk checks on the printed page (DOMAIN.md, "The
conclusion notice", Decree 30/2020): the header and body text with Vietnamese letters intact,
one embedded font family, A4 with the Decree's margins and page numbers, the QR code that leads
to the public verification page (throttled like logins), the unnumbered "DỰ THẢO" preview, and
the italic place-and-date line.

Each test approves its own visit and issues its own notice (tests share nothing). The PDF is read
the way a person's tools read it: poppler-utils (pdftotext, pdffonts, pdftoppm), pdfplumber for
positions and fonts, zbarimg for the QR code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pdfplumber
import pytest
from flask import Flask
from fontTools.ttLib import TTFont

from inspection.db import get_session
from inspection.documents.fonts import serif_font
from inspection.library import get_library
from inspection.models import Notice, Visit
from inspection.services import notices
from inspection.storage import get_store
from tests.factories import ApiClient, audit_events, logged_in, rows
from tests.notice_helpers import (
    A4,
    DEFICIENCIES,
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

BASE_URL = "https://kiemtra.example.vn"
VERIFY_FAILURES = 3
UNIT = "UBND xã Ninh Đa"  # conftest's visit (factories.make_unit)
STATE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
SECTIONS = [
    "I. KẾT QUẢ KIỂM TRA",
    "II. HẠN CHẾ, TỒN TẠI",
    "III. YÊU CẦU, KIẾN NGHỊ",
    "IV. TỔ CHỨC THỰC HIỆN",
]
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# Page geometry in points


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {**app_config, "BASE_URL": BASE_URL, "VERIFY_FAILURES": VERIFY_FAILURES}


@dataclass(frozen=True)
class Issued:
    id: int
    number: str
    sha256: str
    issued_on: dt.date
    token: str
    pdf: bytes


def today_in_vietnam() -> dt.date:
    return dt.datetime.now(VIETNAM).date()


@pytest.fixture
def lead(app: Flask, visit: Visit) -> ApiClient:
    """The lead's client, once the visit (with DEFICIENCIES) is approved."""
    set_agency(app)
    return approved_visit(app, visit)


@pytest.fixture
def issued(app: Flask, visit: Visit, lead: ApiClient) -> Issued:
    """The visit's notice, issued through the API, and its stored PDF."""
    before = today_in_vietnam()
    response = lead.post(f"/api/v1/visits/{visit.id}/notice", json={})
    after = today_in_vietnam()
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    issued_on = dt.date.fromisoformat(body["issued_on"])
    assert issued_on in (before, after)
    stored = lead.get(body["urls"]["pdf"])
    assert stored.status_code == 200 and stored.mimetype == "application/pdf"
    with app.app_context():
        token = get_session().get(Notice, body["id"]).token
    return Issued(body["id"], body["number"], body["sha256"], issued_on, token, stored.data)


# Reading the PDF ----------------------------------------------------------------------------------


def flat(text: str) -> str:
    """Text with every run of whitespace (pdftotext's line breaks) made one space."""
    return " ".join(text.split())


def decree_date(day: dt.date) -> str:
    """DOMAIN.md's rule: days below 10 and the months 1 and 2 take a leading zero."""
    month = f"{day.month:02d}" if day.month in (1, 2) else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def lines_of(words: list[dict]) -> list[list[dict]]:
    """Words grouped into lines (same top within 2 pt), top to bottom, left to right."""
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines and abs(lines[-1][0]["top"] - word["top"]) < 2:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w["x0"]) for line in lines]


def text_of(line: list[dict]) -> str:
    return " ".join(w["text"] for w in line)


def header_columns(data: bytes) -> tuple[list[list[dict]], list[list[dict]]]:
    """The lines of the header's left and right columns on page 1: the words above the title,
    split where the right column's widest line ("CỘNG HÒA …") begins."""
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        words = pdf.pages[0].extract_words(extra_attrs=["fontname", "size"])
    title_top = next(w["top"] for w in words if w["text"] == "THÔNG")
    header = [w for w in words if w["top"] < title_top - 1]
    split = next(w["x0"] for w in header if w["text"] == "CỘNG")
    left = [w for w in header if w["x1"] <= split]
    right = [w for w in header if w["x0"] >= split - 0.5]
    return lines_of(left), lines_of(right)


def place_and_date_line(data: bytes) -> list[dict]:
    """The header's right-column line that holds "ngày"."""
    _left, right = header_columns(data)
    found = [line for line in right if any(w["text"] == "ngày" for w in line)]
    assert len(found) == 1, [text_of(line) for line in right]
    return found[0]


def is_italic(fontname: str) -> bool:
    return fontname.endswith("Italic") and "Bold" not in fontname


def is_bold(fontname: str) -> bool:
    return fontname.endswith("Bold")


def qr_codes(data: bytes, tmp_path: Path) -> list[str]:
    """What zbarimg decodes on the pages rendered at 200 dpi (it exits 4 on a page with none)."""
    path = tmp_path / "qr.pdf"
    path.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "200", str(path), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    images = sorted(tmp_path.glob("page-*.png"))
    assert images, "pdftoppm rendered no page"
    codes = []
    for image in images:
        run = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True)
        assert run.returncode in (0, 4), (image.name, run.returncode, run.stderr)
        assert (run.returncode == 0) == bool(run.stdout.strip()), (image.name, run.stdout)
        codes += [line for line in run.stdout.splitlines() if line]
    return codes


# 1. The text --------------------------------------------------------------------------------------


def test_pdf_text_holds_the_header_subject_deficiencies_and_recipients(issued, tmp_path):
    text = flat(pdf_text(issued.pdf, tmp_path))
    assert issued.number == "01/TB-ĐKT"
    for expected in [
        PARENT,
        STATE,
        MOTTO,
        "Số: 01/TB-ĐKT",
        "THÔNG BÁO",
        f"Kết luận kiểm tra công tác cải cách hành chính tại {UNIT}",
        *SECTIONS,
        "Nơi nhận:",
    ]:
        assert expected in text, expected
    # Each deficiency word for word, diacritics intact; markup in it printed as typed (escaped)
    for n, deficiency in enumerate(DEFICIENCIES, start=1):
        assert f"{n}. {deficiency}" in text, deficiency
    assert "<b>đang thực hiện</b> & phí, lệ phí" in text
    # The sections in the Decree's order
    assert [text.index(s) for s in SECTIONS] == sorted(text.index(s) for s in SECTIONS)
    assert text.index(SECTIONS[-1]) < text.index("Nơi nhận:")


def test_header_puts_the_issuer_left_and_the_motto_right(issued):
    left, right = header_columns(issued.pdf)
    # Left: parent body, issuing body (bold; it may wrap), then the number
    assert flat(" ".join(map(text_of, left))) == f"{PARENT} {ISSUER} Số: {issued.number}"
    issuer_words = [w for line in left for w in line if w["text"] in ISSUER.split()]
    assert issuer_words and all(is_bold(w["fontname"]) for w in issuer_words)
    # Right: the state's name and the motto (bold), then the place and date
    assert [text_of(line) for line in right] == [
        STATE,
        MOTTO,
        f"{PLACE}, {decree_date(issued.issued_on)}",
    ]
    assert all(is_bold(w["fontname"]) for line in right[:2] for w in line)


def test_title_and_section_headings_are_bold(issued):
    with pdfplumber.open(io.BytesIO(issued.pdf)) as pdf:
        lines = [
            line
            for page in pdf.pages
            for line in lines_of(page.extract_words(extra_attrs=["fontname"]))
        ]
    by_text = {text_of(line): line for line in lines}
    for heading in ["THÔNG BÁO", *SECTIONS]:
        assert heading in by_text, heading
        assert all(is_bold(w["fontname"]) for w in by_text[heading]), heading
    opening = next(line for line in lines if line[0]["text"] == "Thực")
    assert not any(is_bold(w["fontname"]) for w in opening)  # the body is not


# 2. The fonts -------------------------------------------------------------------------------------


def test_every_font_is_embedded_and_of_the_one_family_chosen(issued, tmp_path):
    fonts = pdf_fonts(issued.pdf, tmp_path)
    assert fonts
    assert all(f["embedded"] == "yes" for f in fonts), [f["line"] for f in fonts]
    names = [f["name"] for f in fonts]
    assert all(re.fullmatch(r"[A-Z]{6}\+\S+", n) for n in names), names  # subsets
    assert len({family_stem(n.split("+", 1)[1]) for n in names}) == 1, names
    # The faces behind those names: the files fonts.serif_font() chose, and nothing else
    chosen = serif_font()
    embedded = embedded_font_names(issued.pdf)
    assert len(embedded) == len(fonts)
    assert {family for family, _ in embedded} == {chosen.family}, embedded
    postscript = [ps for _, ps in embedded]
    assert len({family_stem(ps) for ps in postscript}) == 1, postscript
    chosen_postscript = set()
    for path in chosen.files.values():
        with TTFont(path) as font:
            chosen_postscript.add(font["name"].getDebugName(6))
    assert set(postscript) <= chosen_postscript, (postscript, chosen_postscript)
    if chosen.family == "Liberation Serif":
        everything = " ".join(names + postscript + [family for family, _ in embedded])
        assert "DejaVu" not in everything and "Noto" not in everything


# 3. The page --------------------------------------------------------------------------------------


def test_pages_are_a4_with_the_decree_margins_and_page_numbers(issued):
    with pdfplumber.open(io.BytesIO(issued.pdf)) as pdf:
        pages = [(page.width, page.height, page.extract_words()) for page in pdf.pages]
    assert len(pages) >= 2  # the full checklist's notice runs to 2–3 pages
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
            assert not [w["text"] for w in words if w["top"] < MARGIN_TOP]
            assert min(w["top"] for w in body) <= WIDEST_TOP + TOLERANCE
        else:
            assert [w["text"] for w in in_top_margin] == [str(number)]
            (mark,) = in_top_margin
            assert (mark["x0"] + mark["x1"]) / 2 == pytest.approx(TEXT_CENTRE, abs=3 * MM)
        lefts.append(min(w["x0"] for w in body))
        rights.append(max(w["x1"] for w in body))
    # The text block reaches the Decree's ranges (margins no wider than 35 mm and 20 mm)
    assert min(lefts) <= WIDEST_LEFT + TOLERANCE
    assert max(rights) >= A4[0] - WIDEST_RIGHT - TOLERANCE


# 4. The QR code and the verification page ---------------------------------------------------------


def test_qr_code_leads_to_the_public_verification_page(app, issued, tmp_path):
    url = f"{BASE_URL}/verify/{issued.token}"
    assert qr_codes(issued.pdf, tmp_path) == [url]
    assert hashlib.sha256(issued.pdf).hexdigest() == issued.sha256  # the file that was stored
    anyone = app.test_client()  # not logged in
    page = anyone.get(urlsplit(url).path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for expected in (issued.number, UNIT, issued.sha256):
        assert expected in html, expected


def wrong_tokens(token: str, count: int) -> list[str]:
    """`count` tokens that differ from `token` in one character each."""
    wrong = []
    for n in range(count):
        swapped = "A" if token[n] != "A" else "B"
        wrong.append(token[:n] + swapped + token[n + 1 :])
    return wrong


def test_a_wrong_token_shows_nothing(app, issued):
    (wrong,) = wrong_tokens(issued.token, 1)
    page = app.test_client().get(f"/verify/{wrong}")
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    for secret in (issued.number, UNIT, issued.sha256):
        assert secret not in html, secret


def test_unknown_tokens_lock_the_address_out_like_logins(app, issued):
    anyone = app.test_client()
    right = f"/verify/{issued.token}"
    assert anyone.get(right).status_code == 200
    for n, wrong in enumerate(wrong_tokens(issued.token, VERIFY_FAILURES), start=1):
        assert audit_events(app, "verify.throttle") == [], n  # no lock before the limit
        assert anyone.get(f"/verify/{wrong}").status_code == 404, n
    locked = anyone.get(right)  # even the right token, now
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert issued.number not in locked.get_data(as_text=True)
    assert len(audit_events(app, "verify.throttle")) == 1
    elsewhere = app.test_client().get(right, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert elsewhere.status_code == 200  # the lock is the address's alone


# 5. The draft -------------------------------------------------------------------------------------


def test_draft_preview_is_marked_unnumbered_and_has_no_qr_code(app, visit, lead, tmp_path):
    page = logged_in(app, "lead-a")
    response = page.get(f"/visits/{visit.id}/notice/preview.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = flat(pdf_text(response.data, tmp_path))
    assert "DỰ THẢO" in text
    # The blank left for the number by hand ("Số:      /TB-ĐKT"), kept in the layout.
    laid_out = pdf_text(response.data, tmp_path, layout=True)
    assert re.search(r"Số: {3,}/TB-ĐKT", laid_out), laid_out[:600]
    assert not re.search(r"Số: *\d", text)
    assert "/verify/" not in text
    assert qr_codes(response.data, tmp_path) == []
    # The mark stands across every page (large letters, behind the text)
    with pdfplumber.open(io.BytesIO(response.data)) as pdf:
        for number, sheet in enumerate(pdf.pages, start=1):
            large = "".join(c["text"] for c in sheet.chars if c["size"] > 40)
            assert large.replace(" ", "") == "DỰTHẢO", (number, large)
    assert rows(app, Notice) == []  # previewing takes no number


# 6. The place and date ----------------------------------------------------------------------------


def test_place_and_date_line_is_italic_and_written_the_decree_way(issued):
    line = place_and_date_line(issued.pdf)
    assert text_of(line) == f"{PLACE}, {decree_date(issued.issued_on)}"
    assert all(is_italic(w["fontname"]) for w in line), [w["fontname"] for w in line]


@pytest.mark.parametrize(
    ("day", "written"),
    [
        (dt.date(2025, 1, 5), "ngày 05 tháng 01 năm 2025"),
        (dt.date(2024, 7, 14), "ngày 14 tháng 7 năm 2024"),
        (dt.date(2024, 2, 22), "ngày 22 tháng 02 năm 2024"),
        (dt.date(2025, 3, 9), "ngày 09 tháng 3 năm 2025"),
    ],
)
def test_place_and_date_pads_days_and_only_the_first_two_months(app, visit, lead, day, written):
    """DOMAIN.md's examples, on the PDF of the draft as it would be issued that day."""
    with app.app_context():
        session = get_session()
        row = session.get(Visit, visit.id)
        content = notices.draft_content(
            session, get_library(), row, timezone="Asia/Ho_Chi_Minh", today=day
        )
        pdf = notices.render_pdf(session, content, get_store())
    line = place_and_date_line(pdf)
    assert text_of(line) == f"{PLACE}, {written}"
    assert all(is_italic(w["fontname"]) for w in line)
