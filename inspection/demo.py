"""Demo data from the seeds: the ten communes and wards of seed 001, a team, a plan numbered like
seed 000's, and its visits. Idempotent: what exists is left as it is."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from inspection.library import TemplateLibrary
from inspection.models import Plan, Role, Visit
from inspection.services import agency, plans, units, users

UNITS = [
    ("ninh-da", "UBND phường Ninh Đa", "phuong"),
    ("ninh-thuy", "UBND phường Ninh Thủy", "phuong"),
    ("ninh-tan", "UBND xã Ninh Tân", "xa"),
    ("ninh-hung", "UBND xã Ninh Hưng", "xa"),
    ("ninh-xuan", "UBND xã Ninh Xuân", "xa"),
    ("ninh-phung", "UBND xã Ninh Phụng", "xa"),
    ("ninh-van", "UBND xã Ninh Vân", "xa"),
    ("ninh-an", "UBND xã Ninh An", "xa"),
    ("ninh-tho", "UBND xã Ninh Thọ", "xa"),
    ("ninh-son", "UBND xã Ninh Sơn", "xa"),
]

# (username, password, role, full name, position, unit)
USERS = [
    ("admin", "admin-demo", Role.ADMIN, "Quản trị hệ thống", "Văn phòng HĐND và UBND", None),
    ("truongdoan", "lead-demo", Role.LEAD, "Trần Văn Bình", "Trưởng phòng Nội vụ", None),
    (
        "thanhvien1",
        "inspector-demo",
        Role.INSPECTOR,
        "Lê Thị Hoa",
        "Chuyên viên Phòng Nội vụ",
        None,
    ),
    (
        "thanhvien2",
        "inspector-demo",
        Role.INSPECTOR,
        "Phạm Minh Khoa",
        "Chuyên viên Văn phòng HĐND và UBND",
        None,
    ),
    (
        "ninhxuan",
        "unit-demo",
        Role.UNIT,
        "Nguyễn Thị Lan",
        "Công chức Văn phòng - Thống kê",
        "ninh-xuan",
    ),
]

# The unit's people taking part in each visit: its chair and the clerk of its office (the
# clerk of Ninh Xuân is the demo unit account's holder).
PARTICIPANTS = {
    "ninh-da": ("Nguyễn Văn Hùng", "Trần Thị Lan"),
    "ninh-thuy": ("Lê Quang Minh", "Nguyễn Thị Bích Ngọc"),
    "ninh-tan": ("Phan Văn Tài", "Lê Văn Thành"),
    "ninh-hung": ("Võ Thị Thu Hà", "Phạm Thị Hồng"),
    "ninh-xuan": ("Huỳnh Ngọc Sơn", "Nguyễn Thị Lan"),
    "ninh-phung": ("Đặng Văn Phúc", "Hồ Văn Long"),
    "ninh-van": ("Trương Minh Tuấn", "Lê Thị Kim Oanh"),
    "ninh-an": ("Ngô Thị Mai", "Võ Văn Nam"),
    "ninh-tho": ("Bùi Văn Dũng", "Trần Thị Thanh Hương"),
    "ninh-son": ("Đỗ Quốc Việt", "Nguyễn Hữu Phước"),
}
KIND_WORDS = {"xa": "xã", "phuong": "phường", "thi_tran": "thị trấn", "dac_khu": "đặc khu"}

PLAN_NUMBER = "22/KH-UBND"
FIRST_VISIT = dt.date(2024, 6, 28)


def seed_demo(session: Session, library: TemplateLibrary) -> list[tuple[str, str, str]]:
    """Create what is missing; returns the demo logins (username, password, role)."""
    _agency(session)
    for code, name, kind in UNITS:
        if units.get_by_code(session, code) is None:
            new_unit = units.UnitCreate(code=code, name=name, kind=kind)
            units.create_unit(session, actor_id=None, data=new_unit)
    for username, password, role, full_name, position, unit in USERS:
        if users.find_by_username(session, username) is None:
            new_user = users.UserCreate(
                username=username,
                role=role,
                full_name=full_name,
                position=position,
                password=password,
                unit_code=unit,
            )
            users.create_user(session, actor_id=None, data=new_user)
    _plan_and_visits(session, library)
    return [(u[0], u[1], u[2].value) for u in USERS]


def _agency(session: Session) -> None:
    row = agency.get_agency(session)
    if not row.parent_body:
        row.parent_body = "UBND THỊ XÃ NINH HÒA"
        row.issuer_name = "ĐOÀN KIỂM TRA CẢI CÁCH HÀNH CHÍNH"
        row.place_name = "Ninh Hòa"
        row.signer_name = "Trần Văn Bình"
        session.add(row)
        session.commit()


def demo_plan(session: Session) -> Plan:
    plan = session.exec(select(Plan).where(Plan.number == PLAN_NUMBER, Plan.year == 2024)).first()
    if plan is None:
        raise RuntimeError("the demo plan does not exist: seed the demo first")
    return plan


def _plan_and_visits(session: Session, library: TemplateLibrary) -> None:
    lead = users.find_by_username(session, "truongdoan")
    if lead is None:  # seeded by seed_demo before this
        raise RuntimeError("the demo lead `truongdoan` does not exist")
    plan = session.exec(select(Plan).where(Plan.number == PLAN_NUMBER, Plan.year == 2024)).first()
    if plan is None:
        data = plans.PlanCreate(
            number=PLAN_NUMBER,
            title="Kiểm tra công tác cải cách hành chính năm 2024",
            year=2024,
            form_key="cchc-xa",
            issued_on=dt.date(2024, 2, 22),
            decision_number="70/QĐ-UBND",
            decision_on=dt.date(2024, 3, 13),
        )
        plan = plans.create_plan(session, library, lead=lead, data=data)
    if session.exec(select(Visit).where(Visit.plan_id == plan.id)).first() is not None:
        return
    for n, (code, name, kind) in enumerate(UNITS):
        visit = plans.VisitCreate(
            unit_code=code,
            scheduled_on=FIRST_VISIT + dt.timedelta(days=n + (n // 5) * 2),
            inspectors=["thanhvien1", "thanhvien2"],
            place=f"Trụ sở {name}",
            participants=participants(code, kind),
        )
        plans.create_visit(session, lead=lead, plan=plan, data=visit)


def participants(code: str, kind: str) -> list[plans.Participant]:
    chair, clerk = PARTICIPANTS[code]
    return [
        plans.Participant(name=chair, position=f"Chủ tịch UBND {KIND_WORDS[kind]}"),
        plans.Participant(name=clerk, position="Công chức Văn phòng - Thống kê"),
    ]
