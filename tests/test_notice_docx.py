"""The conclusion notice as a Word document: what a clerk checks when opening it in Word."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import docx
import pytest
import segno
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from PIL import Image

from inspection.notices.content import (
    AnnexPhoto,
    Area,
    Deficiency,
    Earlier,
    NoticeContent,
    Person,
)
from inspection.notices.word import render_docx
from tests.notice_helpers import DOCX_PAGE

FONT = "Times New Roman"
SHA = "3f9a2c" + "0123456789abcdef" * 3 + "deadbeef12"
SCRIPT_TEXT = 'Thiếu <script>alert(1)</script> & "niêm yết"'
SECTIONS = [
    "I. KẾT QUẢ KIỂM TRA",
    "II. HẠN CHẾ, TỒN TẠI",
    "III. YÊU CẦU, KIẾN NGHỊ",
    "IV. TỔ CHỨC THỰC HIỆN",
]


def make_content(**changes: Any) -> NoticeContent:
    """A realistic issued notice; `changes` replace its fields."""
    content = NoticeContent(
        parent_body="UBND thị xã Ninh Hòa",
        issuer="Đoàn kiểm tra cải cách hành chính",
        code="TB-ĐKT",
        place_name="Ninh Hòa",
        number="05/TB-ĐKT",
        issued_on=dt.date(2025, 1, 5),
        unit_name="UBND xã Ninh Xuân",
        summary="Kết luận kiểm tra công tác cải cách hành chính tại UBND xã Ninh Xuân",
        plan_number="12/KH-UBND",
        plan_issued_on=dt.date(2024, 2, 22),
        plan_title="Kiểm tra công tác cải cách hành chính năm 2024",
        decision_number="34/QĐ-UBND",
        decision_on=dt.date(2024, 3, 1),
        visited_on=dt.date(2024, 12, 20),
        place="trụ sở UBND xã",
        team=[
            Person(name="Nguyễn Văn An", position="Trưởng phòng Nội vụ, Trưởng đoàn"),
            Person(name="Lê Thị Hồng", position="Chuyên viên Phòng Nội vụ"),
        ],
        unit_people=[Person(name="Trần Thị Bình", position="Chủ tịch UBND xã")],
        opening="Buổi kiểm tra diễn ra từ 08 giờ 00 đến 11 giờ 30.",
        areas=[
            Area(
                key="chi-dao",
                title="Công tác chỉ đạo, điều hành",
                score="8.5",
                max="10",
                narrative="Ban hành đủ kế hoạch năm.\nCó báo cáo định kỳ đúng hạn.",
            ),
            Area(key="tthc", title="Cải cách thủ tục hành chính", score="17.25", max="20"),
            Area(key="mot-cua", title="Thực hiện cơ chế một cửa", score="12", max="15"),
        ],
        total="37.75",
        max="45",
        percent="83.89",
        band="Khá",
        results="Nhìn chung, UBND xã đã triển khai đầy đủ các nhiệm vụ cải cách hành chính.",
        deficiencies=[
            Deficiency(
                finding_id=1,
                text="3 hồ sơ trễ hạn chưa có thư xin lỗi",
                remedy="Gửi thư xin lỗi cho 3 hồ sơ trễ hạn.",
                responsible="Bộ phận Một cửa",
                due_on=dt.date(2025, 2, 28),
            ),
            Deficiency(finding_id=2, text=SCRIPT_TEXT, severity="high"),
        ],
        requirements="Đề nghị UBND xã Ninh Xuân thực hiện các nội dung sau:",
        report_due_on=dt.date(2025, 3, 15),
        signer_on_behalf="TM. Đoàn kiểm tra",
        signer_title="Trưởng đoàn",
        signer_name="Nguyễn Văn An",
        recipients=[
            "UBND xã Ninh Xuân;",
            "Chủ tịch UBND thị xã (b/c);",
            "- Lưu: VT, Phòng Nội vụ.",
        ],
        annex=[
            AnnexPhoto(
                photo_id=7,
                sha256=SHA,
                caption="Bảng niêm yết thủ tục hành chính",
                subject="Niêm yết công khai TTHC",
                taken_at=dt.datetime(2024, 12, 20, 2, 15, tzinfo=dt.UTC),
                taken_at_text="09:15 20/12/2024",
            )
        ],
        verify_url="https://example.test/verify/abc",
    )
    return content.model_copy(update=changes)


def qr_png() -> bytes:
    buffer = io.BytesIO()
    segno.make("https://example.test/verify/abc").save(buffer, kind="png", scale=4)
    return buffer.getvalue()


def thumbnail() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


def rendered(content: NoticeContent | None = None, **options: Any) -> Document:
    """The notice rendered and read back, as Word would open it."""
    data = render_docx(content or make_content(), **options)
    return docx.Document(io.BytesIO(data))


@pytest.fixture(scope="module")
def notice() -> Document:
    return rendered(qr_png=qr_png(), photos={SHA: thumbnail()})


def texts(paragraphs: list[Paragraph]) -> list[str]:
    """The texts of the non-empty paragraphs."""
    return [p.text for p in paragraphs if p.text.strip()]


def all_paragraphs(document: Document) -> list[Paragraph]:
    """Every paragraph of the body, including those inside tables."""
    found = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                found.extend(cell.paragraphs)
    return found


def table_rows(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def score_table(document: Document) -> Table:
    tables = [t for t in document.tables if table_rows(t)[0][0] == "TT"]
    assert len(tables) == 1
    return tables[0]


def test_the_page_is_a4_with_the_decree_margins(notice: Document) -> None:
    section = notice.sections[0]
    for name, millimetres in DOCX_PAGE.items():
        assert getattr(section, name).mm == pytest.approx(millimetres, abs=0.5), name


def test_times_new_roman_on_the_normal_style_and_on_every_run(notice: Document) -> None:
    normal = notice.styles["Normal"]
    assert normal.font.name == FONT
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == FONT
    runs = [run for p in all_paragraphs(notice) for run in p.runs if run.text]
    assert runs
    for run in runs:
        assert run.font.name == FONT, run.text
        assert run._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == FONT, run.text


def test_the_header_names_the_issuer_and_the_motto(notice: Document) -> None:
    left, right = notice.tables[0].rows[0].cells
    assert texts(left.paragraphs) == [
        "UBND THỊ XÃ NINH HÒA",
        "ĐOÀN KIỂM TRA CẢI CÁCH HÀNH CHÍNH",
        "Số: 05/TB-ĐKT",
    ]
    assert texts(right.paragraphs) == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Ninh Hòa, ngày 05 tháng 01 năm 2025",
    ]
    place = next(p for p in right.paragraphs if p.text.startswith("Ninh Hòa"))
    assert place.runs[0].italic
    issuer = next(p for p in left.paragraphs if p.text.startswith("ĐOÀN"))
    assert issuer.runs[0].bold


def test_the_title_and_summary_are_bold_and_centred(notice: Document) -> None:
    body = [p for p in notice.paragraphs if p.text.strip()]
    title, summary = body[0], body[1]
    assert title.text == "THÔNG BÁO"
    assert summary.text == "Kết luận kiểm tra công tác cải cách hành chính tại UBND xã Ninh Xuân"
    for paragraph in (title, summary):
        assert paragraph.runs[0].bold
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert "DỰ THẢO" not in [p.text for p in all_paragraphs(notice)]


def test_the_body_opens_with_the_basis_and_the_members(notice: Document) -> None:
    body = texts(notice.paragraphs)
    basis = next(t for t in body if t.startswith("Thực hiện Kế hoạch số 12/KH-UBND"))
    assert "ngày 20 tháng 12 năm 2024" in basis
    start = body.index("Thành phần Đoàn kiểm tra:")
    assert body[start + 1 : start + 6] == [
        "- Nguyễn Văn An, Trưởng phòng Nội vụ, Trưởng đoàn;",
        "- Lê Thị Hồng, Chuyên viên Phòng Nội vụ;",
        "Đại diện UBND xã Ninh Xuân:",
        "- Trần Thị Bình, Chủ tịch UBND xã;",
        "Đoàn kiểm tra thông báo kết luận kiểm tra như sau:",
    ]
    paragraph = next(p for p in notice.paragraphs if p.text == basis)
    assert paragraph.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert paragraph.paragraph_format.first_line_indent.cm == pytest.approx(1.27, abs=0.01)
    assert paragraph.paragraph_format.space_after.pt >= 6


def test_the_four_sections_come_in_order(notice: Document) -> None:
    body = texts(notice.paragraphs)
    positions = [body.index(heading) for heading in SECTIONS]
    assert positions == sorted(positions)
    for heading in SECTIONS:
        paragraph = next(p for p in notice.paragraphs if p.text == heading)
        assert paragraph.runs[0].bold


def test_an_area_the_lead_wrote_on_has_its_points_and_narrative_lines(notice: Document) -> None:
    body = texts(notice.paragraphs)
    start = body.index("1. Công tác chỉ đạo, điều hành (8,5/10 điểm):")
    assert body[start + 1 : start + 3] == [
        "Ban hành đủ kế hoạch năm.",
        "Có báo cáo định kỳ đúng hạn.",
    ]
    # Areas without the lead's words are in the score table only, not repeated as lines.
    assert not [line for line in body if line.startswith(("2. Cải cách", "3. Thực hiện"))]
    assert "Tổng điểm đạt: 37,75/45 điểm (83,89%), xếp loại Khá." in body


def test_the_score_table_has_a_row_per_area_and_the_total(notice: Document) -> None:
    rows = table_rows(score_table(notice))
    assert rows == [
        ["TT", "Lĩnh vực", "Điểm đạt", "Điểm tối đa"],
        ["1", "Công tác chỉ đạo, điều hành", "8,5", "10"],
        ["2", "Cải cách thủ tục hành chính", "17,25", "20"],
        ["3", "Thực hiện cơ chế một cửa", "12", "15"],
        ["", "Tổng cộng", "37,75", "45"],
    ]
    assert score_table(notice).style.name == "Table Grid"


def test_every_deficiency_reads_back_literally(notice: Document) -> None:
    body = texts(notice.paragraphs)
    deficiencies = body[body.index(SECTIONS[1]) + 1 : body.index(SECTIONS[2])]
    assert deficiencies == ["1. 3 hồ sơ trễ hạn chưa có thư xin lỗi", f"2. {SCRIPT_TEXT}"]


def test_requirements_name_who_and_by_when(notice: Document) -> None:
    body = texts(notice.paragraphs)
    requirements = body[body.index(SECTIONS[2]) + 1 : body.index(SECTIONS[3])]
    assert requirements == [
        "Đề nghị UBND xã Ninh Xuân thực hiện các nội dung sau:",
        "1. Gửi thư xin lỗi cho 3 hồ sơ trễ hạn. Trách nhiệm: Bộ phận Một cửa."
        " Thời hạn: 28/02/2025.",
        f"2. {SCRIPT_TEXT}.",
    ]
    implementation = body[body.index(SECTIONS[3]) + 1]
    assert implementation.endswith("về Đoàn kiểm tra trước ngày 15/03/2025.")


def test_no_deficiencies_says_so() -> None:
    document = rendered(make_content(deficiencies=[]))
    body = texts(document.paragraphs)
    assert body[body.index(SECTIONS[1]) + 1] == "Không có hạn chế, tồn tại."


def test_recipients_and_signature(notice: Document) -> None:
    closing = next(t for t in notice.tables if t.rows[0].cells[0].text.startswith("Nơi nhận:"))
    left, right = closing.rows[0].cells
    assert texts(left.paragraphs) == [
        "Nơi nhận:",
        "- UBND xã Ninh Xuân;",
        "- Chủ tịch UBND thị xã (b/c);",
        "- Lưu: VT, Phòng Nội vụ.",
    ]
    heading = left.paragraphs[0].runs[0]
    assert heading.bold and heading.italic and heading.font.size.pt == 12
    assert texts(right.paragraphs) == ["TM. ĐOÀN KIỂM TRA", "TRƯỞNG ĐOÀN", "Nguyễn Văn An"]
    assert right.paragraphs[-1].runs[0].bold


def test_page_numbers_start_on_page_two(notice: Document) -> None:
    section = notice.sections[0]
    assert section.different_first_page_header_footer
    primary = section.header._element
    assert [i.text.strip() for i in primary.iter(qn("w:instrText"))] == ["PAGE"]
    kinds = [f.get(qn("w:fldCharType")) for f in primary.iter(qn("w:fldChar"))]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    first = section.first_page_header
    assert not first.is_linked_to_previous
    assert not list(first._element.iter(qn("w:instrText")))
    assert not "".join(p.text for p in first.paragraphs).strip()


def test_the_qr_code_and_the_verification_address(notice: Document) -> None:
    line = "Kiểm tra tính xác thực: https://example.test/verify/abc"
    paragraph = next(p for p in notice.paragraphs if p.text == line)
    assert paragraph.runs[0].font.size.pt == 10
    assert len(notice.inline_shapes) == 2  # the QR code and the annex's thumbnail
    assert notice.inline_shapes[0].width.cm == pytest.approx(2.5, abs=0.05)


def test_the_annex_lists_each_photo_with_its_full_hash(notice: Document) -> None:
    body = texts(notice.paragraphs)
    assert body[-1] == "PHỤ LỤC: ẢNH CHỤP TẠI BUỔI KIỂM TRA"
    annex = notice.tables[-1]
    assert len(annex.rows) == 1
    picture, words = annex.rows[0].cells
    assert len(picture._element.findall(".//" + qn("w:drawing"))) == 1
    assert texts(words.paragraphs) == [
        "Bảng niêm yết thủ tục hành chính",
        "Niêm yết công khai TTHC",
        "09:15 20/12/2024",
        f"SHA-256: {SHA}",
    ]
    assert words.paragraphs[-1].runs[0].font.size.pt == 9
    page_breaks = notice.element.body.findall(".//" + qn("w:br"))
    assert any(b.get(qn("w:type")) == "page" for b in page_breaks)


def test_a_missing_thumbnail_leaves_the_description() -> None:
    document = rendered(photos={})
    assert not document.inline_shapes
    assert f"SHA-256: {SHA}" in document.tables[-1].rows[0].cells[1].text


def test_no_annex_no_qr_code() -> None:
    document = rendered(make_content(annex=[]))
    body = texts(document.paragraphs)
    assert "PHỤ LỤC: ẢNH CHỤP TẠI BUỔI KIỂM TRA" not in body
    assert not any(t.startswith("Kiểm tra tính xác thực") for t in body)
    assert not document.inline_shapes


def test_a_draft_is_marked_and_leaves_the_number_blank() -> None:
    document = rendered(make_content(number=None))
    left = document.tables[0].rows[0].cells[0]
    assert texts(left.paragraphs)[-1] == "Số:      /TB-ĐKT"
    body = texts(document.paragraphs)
    assert body[:2] == ["DỰ THẢO", "THÔNG BÁO"]
    assert document.paragraphs[[p.text for p in document.paragraphs].index("DỰ THẢO")].runs[0].bold


def test_a_corrected_notice_names_the_one_it_replaces() -> None:
    earlier = Earlier(number="04/TB-ĐKT", issued_on=dt.date(2025, 1, 2), reason="ghi sai điểm")
    document = rendered(make_content(supersedes=earlier))
    body = texts(document.paragraphs)
    line = "Thông báo này thay thế Thông báo số 04/TB-ĐKT ngày 02/01/2025. Lý do: ghi sai điểm."
    assert body[2] == line
    assert next(p for p in document.paragraphs if p.text == line).runs[0].italic


def test_control_characters_in_user_text_do_not_break_rendering() -> None:
    area = Area(
        key="x", title="Tiếp\x00 nhận", score="1", max="2", narrative="Chuông\x07 reo\r\nHết"
    )
    content = make_content(
        areas=[area],
        total="1",
        max="2",
        deficiencies=[Deficiency(finding_id=3, text="Ký tự\x1b lạ\ufffe")],
    )
    body = texts(rendered(content).paragraphs)
    start = body.index("1. Tiếp nhận (1/2 điểm):")
    assert body[start + 1 : start + 3] == ["Chuông reo", "Hết"]
    assert "1. Ký tự lạ" in body
