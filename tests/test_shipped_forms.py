"""The templates shipped in forms/ are valid, worth 100 points and reach 100 when all is well."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from inspection.checklist import parse, validate
from inspection.scoring import score_sheet
from tests.builders import best_answers, iter_items

FORMS = sorted((Path(__file__).resolve().parent.parent / "forms").glob("*.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_forms_folder_ships_the_two_templates():
    assert {p.name for p in FORMS} >= {"cchc-xa.json", "niem-yet-tthc.json"}


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_shipped_template_is_valid_and_totals_100(path):
    doc = load(path)
    report = validate(doc)
    assert report.errors == [] and report.warnings == []
    assert parse(doc).max_points() == Decimal(100)
    assert path.name.split(".")[0] == doc["key"]  # cchc-xa.json, cchc-xa.v2.json


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_everything_in_order_scores_100_and_nothing_fails(path):
    doc = load(path)
    sheet = score_sheet(parse(doc), best_answers(doc))
    assert sheet.total == sheet.max == Decimal(100)
    assert (sheet.complete, sheet.waiting) == (True, 0)
    assert sheet.band == "Tốt" and sheet.failed == []
    assert sheet.full_marks == sheet.scorable


def test_commune_template_covers_the_rates_sipas_and_common_failures():
    doc = load(next(p for p in FORMS if p.name == "cchc-xa.json"))
    items = [item for _, item in iter_items(doc)]
    ratios = [i for i in items if i["type"] == "ratio"]
    assert len(ratios) >= 4 and any("steps" in i for i in ratios)
    assert any(i["type"] == "score" for i in items)
    assert sum(1 for i in items if "show_if" in i) >= 2
    assert any(Decimal(str(i.get("points", 0))) % 1 for i in items)  # fractional points
    with_texts = [i for i in items if i.get("deficiency") and i.get("remedy")]
    assert len(with_texts) >= 8
    assert sum(1 for i in with_texts if i.get("legal_basis")) >= 8
    assert len(doc["sections"]) >= 8


def test_posting_template_requires_photos_of_the_postings():
    doc = load(next(p for p in FORMS if p.name == "niem-yet-tthc.json"))
    items = [item for _, item in iter_items(doc)]
    assert sum(1 for i in items if i.get("photo") == "required") >= len(items) // 2
