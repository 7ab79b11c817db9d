"""What a conclusion notice says: every part the renderings print, as one typed, frozen value.

A draft is built from the record whenever it is shown; on issue the same value, with its number,
is stored as the notice's snapshot (JSON) and never rebuilt: the HTML, PDF and DOCX of an issued
notice come from the snapshot alone. Numbers are kept as decimal strings ("10.85") and written
the Vietnamese way ("10,85") by `vn_number` when printed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict

from inspection.documents.dates import long_date, place_and_date, short_date
from inspection.documents.decree import (  # noqa: F401 (the template reads them here)
    DRAFT_MARK,
    MOTTO,
    MOTTO_STATE,
    RECIPIENTS,
    plan_basis,
)
from inspection.documents.decree import issuer_words as _issuer_words
from inspection.formatting import format_number

# The notice's own words (an official document: always Vietnamese, whatever the page's language).
TITLE = "THÔNG BÁO"
SECTION_RESULTS = "I. KẾT QUẢ KIỂM TRA"
SECTION_DEFICIENCIES = "II. HẠN CHẾ, TỒN TẠI"
SECTION_REQUIREMENTS = "III. YÊU CẦU, KIẾN NGHỊ"
SECTION_IMPLEMENTATION = "IV. TỔ CHỨC THỰC HIỆN"
ANNEX_TITLE = "PHỤ LỤC: ẢNH CHỤP TẠI BUỔI KIỂM TRA"
NO_DEFICIENCIES = "Không có hạn chế, tồn tại."
VERIFY_WORDS = "Kiểm tra tính xác thực: "


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Person(_Frozen):
    name: str
    position: str = ""

    @property
    def line(self) -> str:
        """ "- Trần Văn Bình, Trưởng phòng Nội vụ - Trưởng đoàn;" (one line, whatever was typed)."""
        name, position = " ".join(self.name.split()), " ".join(self.position.split())
        return f"- {name}, {position};" if position else f"- {name};"


class Area(_Frozen):
    """One area (a section of the checklist): its points and what the lead wrote about it."""

    key: str
    title: str
    score: str
    max: str
    narrative: str = ""

    @property
    def heading(self) -> str:
        """What heads the lead's paragraph on the area: "Cải cách thể chế (7/7 điểm):"."""
        return f"{self.title} ({vn_number(self.score)}/{vn_number(self.max)} điểm):"


class Deficiency(_Frozen):
    finding_id: int
    item_key: str = ""
    item_title: str = ""
    text: str
    remedy: str = ""
    severity: str = "medium"
    responsible: str = ""
    due_on: dt.date | None = None

    @property
    def requirement_line(self) -> str:
        """A requirement as III. lists it: the remedy (or, when none was written, the deficiency
        itself), then who is responsible and by when."""
        line = _sentence(self.remedy or self.text)
        if self.responsible:
            line += f" Trách nhiệm: {_sentence(self.responsible)}"
        if self.due_on:
            line += f" Thời hạn: {short_date(self.due_on)}."
        return line


class AnnexPhoto(_Frozen):
    photo_id: int
    sha256: str
    caption: str = ""
    subject: str = ""  # the item or deficiency it is evidence for
    taken_at: dt.datetime | None = None
    taken_at_text: str = ""  # in the agency's time zone, as printed


class Earlier(_Frozen):
    """The notice a corrected one replaces."""

    number: str
    issued_on: dt.date
    reason: str = ""


class NoticeContent(_Frozen):
    # The header
    parent_body: str
    issuer: str
    code: str  # "TB-ĐKT"
    place_name: str
    number: str | None = None  # as printed, code included ("05/TB-ĐKT"); None: a draft
    issued_on: dt.date
    # The subject
    unit_name: str
    summary: str  # "Kết luận kiểm tra công tác cải cách hành chính tại UBND xã Ninh Xuân"
    # The opening: legal basis, date and place, members
    plan_number: str
    plan_issued_on: dt.date | None = None
    plan_title: str = ""
    decision_number: str = ""
    decision_on: dt.date | None = None
    visited_on: dt.date
    place: str = ""
    team: list[Person]
    unit_people: list[Person]
    opening: str = ""  # the lead's words after the basis (optional)
    # I. results
    areas: list[Area]
    total: str
    max: str
    percent: str | None = None
    band: str = ""
    results: str = ""  # the lead's overall assessment
    # II. and III.
    deficiencies: list[Deficiency]
    requirements: str = ""  # the sentence before the list of requirements
    # IV.
    implementation: str = ""  # the lead's words, before the fixed report_line
    report_due_on: dt.date | None = None
    # Signature and recipients
    signer_on_behalf: str  # "TM. ĐOÀN KIỂM TRA"
    signer_title: str  # "TRƯỞNG ĐOÀN"
    signer_name: str
    recipients: list[str]
    # Extras
    annex: list[AnnexPhoto] = []
    verify_url: str = ""
    supersedes: Earlier | None = None

    @property
    def is_draft(self) -> bool:
        return self.number is None

    @property
    def number_line(self) -> str:
        """ "Số: 05/TB-ĐKT", or the blank a draft leaves for the number."""
        if self.number is None:
            return f"Số:      /{self.code}"
        return f"Số: {self.number}"

    @property
    def place_and_date(self) -> str:
        return place_and_date(self.place_name, self.issued_on)

    @property
    def basis(self) -> str:
        """The opening: the legal basis, date and place, in the words clerks use."""
        basis = plan_basis(
            plan_number=self.plan_number,
            plan_issued_on=self.plan_issued_on,
            plan_title=self.plan_title,
            decision_number=self.decision_number,
            decision_on=self.decision_on,
            issuer=self.issuer,
        )
        where = f", tại {self.place}" if self.place else ""
        return (
            f"Thực hiện {basis}, {long_date(self.visited_on)}{where},"
            f" {_issuer_words(self.issuer)} đã kiểm tra công tác cải cách hành chính"
            f" của {self.unit_name}."
        )

    @property
    def team_intro(self) -> str:
        return f"Thành phần {_issuer_words(self.issuer)}:"

    @property
    def unit_intro(self) -> str:
        return f"Đại diện {self.unit_name}:"

    @property
    def conclusion_intro(self) -> str:
        return f"{_issuer_words(self.issuer)} thông báo kết luận kiểm tra như sau:"

    @property
    def supersedes_line(self) -> str:
        """The sentence under the title of a corrected notice ("" for the first)."""
        earlier = self.supersedes
        if earlier is None:
            return ""
        line = f"Thông báo này thay thế Thông báo số {earlier.number} ngày"
        line += f" {short_date(earlier.issued_on)}"
        if earlier.reason:
            line += f". Lý do: {' '.join(earlier.reason.split())}"
        return _sentence(line)

    @property
    def score_line(self) -> str:
        line = f"Tổng điểm đạt: {vn_number(self.total)}/{vn_number(self.max)} điểm"
        if self.percent is not None:
            line += f" ({vn_number(self.percent)}%)"
        if self.band:
            line += f", xếp loại {self.band}"
        return line + "."

    @property
    def report_line(self) -> str:
        """IV's fixed sentence: the unit's remediation plan and its written report by a date."""
        by = f" trước ngày {short_date(self.report_due_on)}" if self.report_due_on else ""
        if not self.deficiencies:
            return f"{self.unit_name} tiếp tục duy trì, phát huy các kết quả đạt được."
        return (
            f"{self.unit_name} xây dựng kế hoạch khắc phục các hạn chế, tồn tại nêu tại Thông báo"
            f" này và báo cáo kết quả khắc phục bằng văn bản về {_issuer_words(self.issuer)}{by}."
        )

    def past_deadlines(self) -> list[Deficiency]:
        """Requirements whose deadline is already past on the notice's date."""
        return [d for d in self.deficiencies if d.due_on is not None and d.due_on < self.issued_on]


def vn_number(value: str | Decimal | None) -> str:
    """ "10.85" → "10,85", "12.00" → "12", as the pages write numbers (formatting.py); a text
    that is no number is printed as it is."""
    if value is None or value == "":
        return ""
    try:
        return format_number(Decimal(str(value)))
    except InvalidOperation:
        return str(value)


def _sentence(text: str) -> str:
    """The text ending with a full stop (once)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?", ":", ";")) else f"{text}."
