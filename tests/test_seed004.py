"""Seed 004: the published PAR-INDEX result of a real town, reproduced to the hundredth.

"kết quả UBND thị trấn đạt 91,84/100 điểm, 40/48 chỉ tiêu đạt điểm tối đa"; by area
10,85/12 · 12/14 · 9,99/11 · 5,5/6 · SIPAS 32,5/36. The other areas (21 points) were at full marks.
"""

from decimal import Decimal

from inspection.checklist import parse, validate
from inspection.scoring import score_sheet
from tests.builders import item, section, template

D = Decimal
ARCHIVE_OPTIONS = [
    {"value": "day-du", "label": "Đầy đủ hồ sơ giấy và điện tử", "points": 1},
    {"value": "mot-phan", "label": "Có hồ sơ điện tử, hồ sơ giấy chưa đạt", "points": 0.5},
    {"value": "chua", "label": "Chưa lập", "points": 0},
]
DESK_OPTIONS = [
    {"value": "dat", "label": "Đúng quy định", "points": 2},
    {"value": "chua-dat", "label": "Chưa đúng quy định", "points": 0},
]
STEPS = [{"min": 100, "points": 3}, {"min": 98, "points": 2}, {"min": 95, "points": 1}]


def full_marks_area(key: str, *points: float):
    return section(key, *(item(f"{key}-{n}", points=p) for n, p in enumerate(points, 1)))


def seed004_template() -> dict:
    return template(
        section(
            "chi-dao",
            item("kh-ban-hanh", points=2),
            item("kh-thuc-hien", "score", points=3),  # 6/7 tasks: 2,85/3
            item("doi-moi", "score", points=2),  # 01/2
            item("bao-cao", points=2),
            item("tuyen-truyen", points=1.5),
            item("tu-kiem-tra", points=1.5),
        ),
        full_marks_area("the-che", 1, 1, 1, 1, 0.5, 0.5),
        section(
            "tthc",
            item("kh-ra-soat", points=1),  # 0: report not attached
            item("ra-soat-kien-nghi", points=1),  # 0: report not attached
            item("niem-yet", points=2),
            item("dung-han", "ratio", points=3, steps=STEPS),
            item("thu-xin-loi", points=2),
            item("phan-anh", points=1),
            item("phan-mem-mot-cua", points=2),
            item("bo-phan-mot-cua", "choice", points=2, options=DESK_OPTIONS),
        ),
        full_marks_area("to-chuc", 1, 1, 1, 1, 0.5, 0.5),
        full_marks_area("cong-vu", 1, 1, 1, 1, 1, 1),
        full_marks_area("tai-chinh", 1, 1, 1, 1, 1),
        section(
            "chinh-quyen-so",
            item("trang-ttdt", points=1),  # 0: no Ban biên tập decision
            item("dvc-toan-trinh", "ratio", points=2),  # 1,99/2
            item("thanh-toan", "ratio", points=2, target=45),
            item("so-hoa", "ratio", points=2, target=80),
            item("ky-so", points=2),
            item("he-thong-dieu-hanh", points=2),
        ),
        section(
            "van-thu",
            item("ho-so-danh-muc", "choice", points=1, options=ARCHIVE_OPTIONS),  # 0,5/1
            item("the-thuc", points=2),
            item("so-dang-ky", points=1.5),
            item("luu-tru", points=1.5),
        ),
        section("sipas", item("sipas", "score", points=36)),  # 32,5/36
        key="par-index-2023",
    )


def seed004_answers(doc: dict) -> dict:
    answers = {i["key"]: "yes" for s in doc["sections"] for i in s["items"]}
    answers.update(
        {
            "kh-thuc-hien": 2.85,
            "doi-moi": 1,
            "kh-ra-soat": "no",
            "ra-soat-kien-nghi": "no",
            "dung-han": {"num": 1240, "den": 1240},
            "bo-phan-mot-cua": "dat",
            "trang-ttdt": "no",
            "dvc-toan-trinh": {"num": 199, "den": 200},
            "thanh-toan": {"num": 61, "den": 120},
            "so-hoa": {"num": 83, "den": 100},
            "ho-so-danh-muc": "mot-phan",
            "sipas": 32.5,
        }
    )
    return answers


def test_seed004_published_result_is_reproduced():
    doc = seed004_template()
    assert validate(doc).ok
    assert parse(doc).max_points() == D(100)
    sheet = score_sheet(parse(doc), seed004_answers(doc))

    assert (sheet.total, sheet.max, sheet.percent, sheet.band) == (
        D("91.84"),
        D(100),
        D("91.84"),
        "Tốt",
    )
    assert (sheet.full_marks, sheet.scorable) == (40, 48)
    by_area = {s.key: (s.score, s.max) for s in sheet.sections}
    assert by_area["chi-dao"] == (D("10.85"), D(12))
    assert by_area["tthc"] == (D(12), D(14))
    assert by_area["chinh-quyen-so"] == (D("9.99"), D(11))
    assert by_area["van-thu"] == (D("5.5"), D(6))
    assert by_area["sipas"] == (D("32.5"), D(36))
    assert sorted(r.key for r in sheet.failed) == sorted(
        [
            "kh-thuc-hien",
            "doi-moi",
            "kh-ra-soat",
            "ra-soat-kien-nghi",
            "trang-ttdt",
            "dvc-toan-trinh",
            "ho-so-danh-muc",
            "sipas",
        ]
    )
    assert (sheet.answered, sheet.answerable) == (48, 48)
