"""What the on-site record says: every part its renderings (HTML, PDF, DOCX) print, as one typed
value built from the visit as it stands (records/build.py). The score is provisional while a
required item is unanswered, as CHECKLIST-FORMAT.md says, and the record says so."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from inspection.documents.dates import long_date, place_and_date
from inspection.documents.decree import blank_number, issuer_words, plan_basis
from inspection.notices.content import Person, vn_number

TITLE = "BIÊN BẢN"
SECTION_CONTENT = "I. NỘI DUNG KIỂM TRA"
SECTION_RESULTS = "II. KẾT QUẢ KIỂM TRA"
SECTION_DEFICIENCIES = "III. HẠN CHẾ, TỒN TẠI"
SECTION_OPINION = "IV. Ý KIẾN CỦA ĐƠN VỊ ĐƯỢC KIỂM TRA"
NO_DEFICIENCIES = "Chưa ghi nhận hạn chế, tồn tại."
UNIT_SIGNS = "ĐẠI DIỆN ĐƠN VỊ ĐƯỢC KIỂM TRA"
LEAD_SIGNS = "TRƯỞNG ĐOÀN KIỂM TRA"
NOT_ANSWERED = "Chưa trả lời"
OPINION_LINES = 4  # dotted lines the unit's representative writes on
COPIES = 2


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Answered(_Frozen):
    """One checklist item as the record lists it."""

    number: str  # "1.2"
    text: str
    answer: str  # in words, or NOT_ANSWERED
    points: str = ""  # "2/2"; "" when not applicable or worth no points


class AreaResult(_Frozen):
    key: str
    title: str
    score: str
    max: str
    items: list[Answered]


class Noted(_Frozen):
    """A deficiency recorded so far."""

    text: str


class RecordContent(_Frozen):
    # The header
    parent_body: str
    issuer: str
    code: str  # "BB-ĐKT"
    place_name: str
    made_at: str = ""  # "15 giờ 30": blank when printed on another day than the visit's
    # The subject
    unit_name: str
    plan_number: str
    plan_issued_on: dt.date | None = None
    plan_title: str = ""
    decision_number: str = ""
    decision_on: dt.date | None = None
    visited_on: dt.date
    place: str = ""
    team: list[Person]
    unit_people: list[Person]
    # What was checked and found
    form_title: str
    areas: list[AreaResult]
    total: str
    max: str
    percent: str | None = None
    band: str = ""
    complete: bool
    waiting: int = 0  # required items still unanswered
    deficiencies: list[Noted]
    # Signatures
    lead_name: str
    unit_signer: str = ""  # the first of the unit's people, when listed

    @property
    def number_line(self) -> str:
        return blank_number(self.code)

    @property
    def place_and_date(self) -> str:
        return place_and_date(self.place_name, self.visited_on)

    @property
    def summary(self) -> str:
        return f"Kiểm tra công tác cải cách hành chính tại {self.unit_name}"

    @property
    def opening(self) -> str:
        """ "Hôm nay, vào lúc 15 giờ 30 ngày 06 tháng 12 năm 2026, tại …": dots where the time
        is to be written by hand."""
        when = self.made_at or "..... giờ ....."
        where = self.place or self.unit_name
        return f"Hôm nay, vào lúc {when} {long_date(self.visited_on)}, tại {where}."

    @property
    def basis(self) -> str:
        basis = plan_basis(
            plan_number=self.plan_number,
            plan_issued_on=self.plan_issued_on,
            plan_title=self.plan_title,
            decision_number=self.decision_number,
            decision_on=self.decision_on,
            issuer=self.issuer,
        )
        return (
            f"Thực hiện {basis}, {issuer_words(self.issuer)} tiến hành kiểm tra công tác cải cách"
            f" hành chính tại {self.unit_name}, với thành phần như sau:"
        )

    @property
    def team_intro(self) -> str:
        return "1. Thành phần đoàn kiểm tra:"

    @property
    def unit_intro(self) -> str:
        return "2. Đại diện đơn vị được kiểm tra:"

    @property
    def content_line(self) -> str:
        return (
            f"Đoàn kiểm tra theo bộ tiêu chí “{self.form_title}”, gồm {len(self.areas)}"
            f" lĩnh vực; kết quả từng nội dung như bảng dưới đây."
        )

    @property
    def score_line(self) -> str:
        """The total, with its percentage and band once complete; marked provisional before."""
        points = f"{vn_number(self.total)}/{vn_number(self.max)} điểm"
        if not self.complete:
            return (
                f"Tổng điểm tạm tính: {points} (tạm tính: còn {self.waiting} tiêu chí bắt buộc"
                f" chưa có kết quả; điểm chính thức theo Thông báo kết luận kiểm tra)."
            )
        line = f"Tổng điểm đoàn kiểm tra chấm: {points}"
        if self.percent is not None:
            line += f" ({vn_number(self.percent)}%)"
        if self.band:
            line += f", xếp loại {self.band}"
        return line + " (kết quả sơ bộ, chính thức theo Thông báo kết luận kiểm tra)."

    @property
    def copies_line(self) -> str:
        return (
            f"Biên bản kết thúc vào lúc ..... giờ ..... cùng ngày, được lập thành"
            f" {COPIES:02d} bản, có giá trị như nhau, mỗi bên giữ 01 bản; các thành phần"
            f" tham dự đã thống nhất nội dung và cùng ký tên dưới đây."
        )
