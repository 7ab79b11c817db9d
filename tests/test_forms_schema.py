"""The JSON Schema of the checklist format, for template authors' editors: the command line and
the API give the same document, the shipped templates satisfy it, and it refuses what the
validator refuses field by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from inspection.checklist import ITEM_TYPES, json_schema, validate
from tests.builders import DELETE, mutated, valid_template

FORMS = sorted((Path(__file__).resolve().parent.parent / "forms").glob("*.json"))


@pytest.fixture(scope="module")
def checker() -> Draft202012Validator:
    schema = json_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_the_command_and_the_api_give_the_same_schema_to_anyone(app, runner):
    printed = runner.invoke(args=["forms", "schema"])
    assert printed.exit_code == 0, printed.output
    served = app.test_client().get("/api/v1/forms/schema")  # no login: the format is public
    assert served.status_code == 200
    assert json.loads(printed.output) == served.get_json() == json_schema()


def test_the_schema_names_every_item_type(checker):
    items = checker.schema["$defs"]["Section"]["properties"]["items"]["items"]
    assert set(items["discriminator"]["mapping"]) == set(ITEM_TYPES)


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_the_shipped_templates_satisfy_the_schema(checker, path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert [e.message for e in checker.iter_errors(doc)] == []


def test_a_valid_template_satisfies_the_schema(checker):
    assert [e.message for e in checker.iter_errors(valid_template())] == []


@pytest.mark.parametrize(
    "changes",
    [
        {"sections.0.items.0.points": -1},
        {"sections.0.items.0.points": "2"},
        {"sections.1.items.0.points": DELETE},
        {"key": "Mẫu CCHC"},
        {"version": 0},
        {"title": DELETE},
        {"sections": []},
        {"sections.0.items.0.type": "checkbox"},
        {"sections.0.items.0.photo": "always"},
        {"sections.0.items.0.required": "yes"},
        {"sections.1.items.1.target": 0},
        {"sections.1.items.1.on_empty": "skip"},
        {"sections.0.items.1.options": [{"value": "a", "label": "A", "points": 1}]},
        {"sections.0.items": []},
        {"sections.1.items.0.steps": None},
    ],
    ids=lambda changes: " ".join(changes),
)
def test_the_schema_refuses_what_the_validator_refuses_in_one_field(checker, changes):
    doc = mutated(**changes)
    assert not validate(doc).ok
    assert list(checker.iter_errors(doc)), "the editor would accept it"
