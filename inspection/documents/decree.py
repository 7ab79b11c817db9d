"""The fixed words of every official document's layout (Decree 30/2020, Appendix I). Documents
are always in Vietnamese, whatever the page's language."""

from __future__ import annotations

import datetime as dt

from inspection.documents.dates import short_date

MOTTO_STATE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
RECIPIENTS = "Nơi nhận:"
DRAFT_MARK = "DỰ THẢO"


def blank_number(code: str) -> str:
    """The number line of a document numbered by hand when signed: "Số:      /BB-ĐKT"."""
    return f"Số:      /{code}"


def keeper(notice_code: str) -> str:
    """Who keeps the copies, as "Lưu: VT, ĐKT." names it: the code's part after its kind."""
    return notice_code.split("-", 1)[1] if "-" in notice_code else notice_code


def code_with(kind: str, notice_code: str) -> str:
    """The agency's document code for another kind of document: "TB-ĐKT" → "BB-ĐKT" (a record),
    "BC-ĐKT" (a report); a code without a dash gets the kind in front."""
    kept = keeper(notice_code)
    return f"{kind}-{kept}" if kept else kind


def on_behalf(issuer: str) -> str:
    """ "TM. ĐOÀN KIỂM TRA": signing for a team (or for the issuing body as configured)."""
    upper = issuer.upper()
    for body in ("ĐOÀN KIỂM TRA", "TỔ KIỂM TRA"):
        if upper.startswith(body):
            return f"TM. {body}"
    return f"TM. {upper}" if upper else "TM. ĐOÀN KIỂM TRA"


def plan_basis(
    *,
    plan_number: str,
    plan_issued_on: dt.date | None,
    plan_title: str,
    decision_number: str,
    decision_on: dt.date | None,
    issuer: str,
) -> str:
    """The legal basis every document opens with: "Kế hoạch số 22/KH-UBND ngày 22/02/2024 về
    kiểm tra … và Quyết định số 70/QĐ-UBND ngày 13/03/2024 về việc thành lập Đoàn kiểm tra"."""
    basis = f"Kế hoạch số {plan_number}"
    if plan_issued_on:
        basis += f" ngày {short_date(plan_issued_on)}"
    if plan_title:
        basis += f" về {plan_title[:1].lower()}{plan_title[1:]}"
    if decision_number:
        basis += f" và Quyết định số {decision_number}"
        if decision_on:
            basis += f" ngày {short_date(decision_on)}"
        basis += f" về việc thành lập {issuer_words(issuer)}"
    return basis


def issuer_words(issuer: str) -> str:
    """The issuing body as a sentence names it: a team is "Đoàn kiểm tra" (or "Tổ kiểm tra");
    another body keeps its name as configured."""
    first = issuer.split()[0].upper() if issuer.split() else ""
    if first == "ĐOÀN":
        return "Đoàn kiểm tra"
    if first == "TỔ":
        return "Tổ kiểm tra"
    return issuer or "cơ quan kiểm tra"
