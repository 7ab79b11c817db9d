"""Small builders for checklist templates and answers used across tests."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any


def item(key: str, kind: str = "yes_no", points: float | None = 1, **extra: Any) -> dict:
    data: dict[str, Any] = {"key": key, "text": f"Tiêu chí {key}", "type": kind}
    if points is not None and kind not in ("number", "text", "date"):
        data["points"] = points
    data.update(extra)
    return data


def section(key: str, *items: dict, title: str | None = None) -> dict:
    return {"key": key, "title": title or f"Lĩnh vực {key}", "items": list(items)}


def template(*sections: dict, key: str = "mau-thu", version: int = 1, **extra: Any) -> dict:
    return {
        "key": key,
        "version": version,
        "title": "Mẫu thử",
        "sections": list(sections),
        **extra,
    }


def valid_template() -> dict:
    """A small template that passes every rule and uses every item type."""
    return template(
        section(
            "chi-dao",
            item("kh-cchc", points=2),
            item(
                "luu-tru",
                "choice",
                points=1,
                options=[
                    {"value": "du", "label": "Đầy đủ", "points": 1},
                    {"value": "mot-phan", "label": "Một phần", "points": 0.5},
                    {"value": "khong", "label": "Không", "points": 0},
                ],
            ),
            item("sipas", "score", points=3),
        ),
        section(
            "mot-cua",
            item(
                "dung-han",
                "ratio",
                points=3,
                steps=[{"min": 98, "points": 3}, {"min": 95, "points": 2}],
            ),
            item("truc-tuyen", "ratio", points=2, target=50),
            item("so-tthc", "number"),
            item("ghi-chu", "text", required=False),
            item("ngay-kh", "date"),
            item("tre-han", "yes_no", points=0, allow_na=False),
            item("thu-xin-loi", points=1, show_if={"item": "tre-han", "equals": "yes"}),
        ),
    )


def best_answers(doc: dict) -> dict:
    """Every item of a raw template document answered as well as it can be: the best of each
    scored item, and a plausible fact for each required item that is not scored (optional ones
    are left unanswered)."""
    answers: dict = {}
    facts = {"number": 12, "text": "Đã kiểm tra", "date": "2024-06-28"}
    for _, doc_item in iter_items(doc):
        kind, key = doc_item["type"], doc_item["key"]
        if kind == "yes_no":
            answers[key] = "yes"
        elif kind == "choice":
            answers[key] = max(doc_item["options"], key=lambda o: o["points"])["value"]
        elif kind == "score":
            answers[key] = doc_item["points"]
        elif kind == "ratio":
            answers[key] = {"num": 250, "den": 250}
        elif kind in facts and doc_item.get("required", True):
            answers[key] = facts[kind]
    return answers


DELETE = object()


def mutated(**changes: Any) -> dict:
    """valid_template() with values replaced at dotted paths: mutated(**{"sections.0.key": "X"})."""
    doc = copy.deepcopy(valid_template())
    for path, value in changes.items():
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is DELETE:
            del node[int(last) if isinstance(node, list) else last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return doc


def iter_items(doc: dict) -> Iterator[tuple[dict, dict]]:
    """(section, item) pairs of a raw template document, in its order."""
    for section_doc in doc.get("sections", []):
        for item_doc in section_doc.get("items", []):
            yield section_doc, item_doc
