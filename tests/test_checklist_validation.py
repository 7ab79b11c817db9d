"""Template authors write JSON by hand: every bad file is refused with the key path of each
problem, all problems at once."""

import pytest

from inspection.checklist import validate
from tests.builders import DELETE, item, mutated, section, template, valid_template


def messages(doc) -> list[str]:
    return [str(p) for p in validate(doc).errors]


def test_valid_template_has_no_errors_nor_warnings():
    report = validate(valid_template())
    assert report.ok, report.errors
    assert report.warnings == []


BAD_TEMPLATES = [
    pytest.param(
        mutated(**{"sections.0.items.0.points": -1}),
        "sections[0].items[0].points: must be a number ≥ 0",
        id="negative-points",
    ),
    pytest.param(
        mutated(**{"sections.0.items.0.points": "2"}),
        "sections[0].items[0].points: must be a number ≥ 0",
        id="points-as-string",
    ),
    pytest.param(
        mutated(**{"sections.1.items.0.points": DELETE}),
        "sections[1].items[0].points: must be a number ≥ 0",
        id="ratio-without-points",
    ),
    pytest.param(
        mutated(key="Mẫu CCHC"),
        "key: must use only lowercase letters a-z, digits and '-'",
        id="key-with-capitals-and-diacritics",
    ),
    pytest.param(mutated(version=0), "version: must be a whole number ≥ 1", id="version-zero"),
    pytest.param(mutated(version="1"), "version: must be a whole number ≥ 1", id="version-text"),
    pytest.param(mutated(title=DELETE), "title: is required", id="no-title"),
    pytest.param(mutated(sections=[]), "sections: must be a non-empty list", id="no-sections"),
    pytest.param(
        mutated(**{"sections.1.key": "chi-dao"}),
        "sections[1].key: duplicate section key 'chi-dao' (also sections[0])",
        id="duplicate-section-key",
    ),
    pytest.param(
        mutated(**{"sections.1.items.2.key": "kh-cchc"}),
        "sections[1].items[2].key: duplicate item key 'kh-cchc' (also sections[0].items[0])",
        id="item-key-repeated-across-sections",
    ),
    pytest.param(
        mutated(**{"sections.0.items.0.type": "checkbox"}),
        "sections[0].items[0].type: must be one of choice, date, number, ratio, score, text, "
        "yes_no",
        id="unknown-type",
    ),
    pytest.param(
        mutated(**{"sections.0.items.1.options.1.value": "du"}),
        "sections[0].items[1].options[1].value: duplicate option value 'du'",
        id="duplicate-option-value",
    ),
    pytest.param(
        mutated(**{"sections.0.items.1.options.2.value": "na"}),
        "sections[0].items[1].options[2].value: 'na' is reserved for 'not applicable'",
        id="option-value-na",
    ),
    pytest.param(
        mutated(**{"sections.0.items.1.options.0.points": 0.75}),
        "sections[0].items[1].options: the best option must be worth exactly the item's points",
        id="best-option-below-points",
    ),
    pytest.param(
        mutated(**{"sections.0.items.1.options.0.points": 1.5}),
        "sections[0].items[1].options[0].points: must be a number ≥ 0 and ≤ 1",
        id="option-above-points",
    ),
    pytest.param(
        mutated(
            **{"sections.1.items.0.steps": [{"min": 95, "points": 2}, {"min": 98, "points": 3}]}
        ),
        "sections[1].items[0].steps[1].min: must be strictly lower than the previous step's min",
        id="steps-ascending",
    ),
    pytest.param(
        mutated(
            **{"sections.1.items.0.steps": [{"min": 98, "points": 2}, {"min": 95, "points": 3}]}
        ),
        "sections[1].items[0].steps[1].points: must not exceed the previous step's points",
        id="steps-points-increasing",
    ),
    pytest.param(
        mutated(**{"sections.1.items.0.steps": [{"min": 98, "points": 4}]}),
        "sections[1].items[0].steps[0].points: must be a number ≥ 0 and ≤ 3",
        id="step-above-points",
    ),
    pytest.param(
        mutated(**{"sections.1.items.1.target": 0}),
        "sections[1].items[1].target: must be a number > 0 and ≤ 100",
        id="target-zero",
    ),
    pytest.param(
        mutated(**{"sections.1.items.1.target": 120}),
        "sections[1].items[1].target: must be a number > 0 and ≤ 100",
        id="target-above-100",
    ),
    pytest.param(
        mutated(**{"sections.1.items.1.on_empty": "skip"}),
        "sections[1].items[1].on_empty: must be one of na, full, zero",
        id="bad-on-empty",
    ),
    pytest.param(
        mutated(**{"sections.1.items.2.points": 1}),
        "sections[1].items[2].points: a 'number' item is not scored: remove points",
        id="points-on-number-item",
    ),
    pytest.param(
        mutated(**{"sections.1.items.6.show_if": {"item": "khong-co", "equals": "yes"}}),
        "sections[1].items[6].show_if.item: unknown item key 'khong-co'",
        id="show-if-unknown-item",
    ),
    pytest.param(
        mutated(**{"sections.1.items.6.show_if": {"item": "sipas", "equals": 3}}),
        "sections[1].items[6].show_if.item: 'sipas' is a 'score' item; show_if needs a yes_no, "
        "choice, number, text or date item",
        id="show-if-on-score-item",
    ),
    pytest.param(
        mutated(**{"sections.1.items.6.show_if": {"item": "tre-han", "equals": "có"}}),
        'sections[1].items[6].show_if.equals: must be "yes" or "no"',
        id="show-if-equals-not-yes-no",
    ),
    pytest.param(
        mutated(**{"sections.1.items.6.show_if": {"item": "luu-tru", "equals": "tot"}}),
        "sections[1].items[6].show_if.equals: must be one of the controlling item's option values",
        id="show-if-equals-unknown-option",
    ),
    pytest.param(
        mutated(**{"sections.1.items.6.show_if": {"item": "thu-xin-loi", "equals": "yes"}}),
        "sections[1].items[6].show_if.item: an item cannot depend on itself",
        id="show-if-self",
    ),
    pytest.param(
        mutated(**{"sections.0.items.0.photo": "always"}),
        "sections[0].items[0].photo: must be one of none, optional, required",
        id="bad-photo-mode",
    ),
    pytest.param(
        mutated(**{"sections.0.items.0.photo": "required", "sections.0.items.0.photos_min": 0}),
        "sections[0].items[0].photos_min: must be a whole number ≥ 1",
        id="photos-min-zero",
    ),
    pytest.param(
        mutated(**{"sections.0.items.0.required": "yes"}),
        "sections[0].items[0].required: must be true or false",
        id="required-not-boolean",
    ),
    pytest.param(
        mutated(
            bands=[
                {"min": 70, "label": "Khá"},
                {"min": 80, "label": "Tốt"},
                {"min": 0, "label": "Thấp"},
            ]
        ),
        "bands[1].min: must be strictly lower than the previous band's min",
        id="bands-not-descending",
    ),
    pytest.param(
        mutated(bands=[{"min": 80, "label": "Tốt"}, {"min": 50, "label": "Đạt"}]),
        "bands[1].min: the last band must have min 0",
        id="bands-last-not-zero",
    ),
    pytest.param(
        mutated(**{"sections.0.items.0.options": [{"value": "a", "label": "A", "points": 1}]}),
        "sections[0].items[0].options: is not used by a 'yes_no' item",
        id="options-on-yes-no",
    ),
    pytest.param(
        mutated(**{"sections.0.items": []}),
        "sections[0].items: must be a non-empty list",
        id="section-without-items",
    ),
    pytest.param(["not", "an", "object"], "the template must be a JSON object", id="not-object"),
    pytest.param(
        mutated(**{"sections.0.items.0.type": ["yes_no"]}),
        "sections[0].items[0].type: must be one of choice, date, number, ratio, score, text, "
        "yes_no",
        id="type-as-list",
    ),
    pytest.param(
        mutated(**{"sections.0.items.0.points": 0.125}),
        "sections[0].items[0].points: must have at most 2 decimal places",
        id="points-three-decimals",
    ),
    pytest.param(
        mutated(**{"sections.0.items.1.options.1.points": 0.333}),
        "sections[0].items[1].options[1].points: must have at most 2 decimal places",
        id="option-points-three-decimals",
    ),
    pytest.param(
        mutated(
            **{"sections.1.items.0.steps": [{"min": 98, "points": 3}, {"min": 95, "points": 1.875}]}
        ),
        "sections[1].items[0].steps[1].points: must have at most 2 decimal places",
        id="step-points-three-decimals",
    ),
    pytest.param(
        mutated(**{"sections.0.items.0.key": "kh-cchc\n"}),
        "sections[0].items[0].key: must use only lowercase letters a-z, digits and '-'",
        id="key-with-trailing-newline",
    ),
]


@pytest.mark.parametrize(("doc", "expected"), BAD_TEMPLATES)
def test_bad_template_is_refused_with_its_key_path(doc, expected):
    assert expected in messages(doc)


def test_every_problem_of_a_file_is_reported_at_once():
    doc = mutated(
        **{
            "key": "Sai Khoá",
            "sections.0.items.0.points": -2,
            "sections.1.items.0.steps": [{"min": 90, "points": 1}, {"min": 95, "points": 1}],
            "sections.1.items.6.show_if": {"item": "nowhere", "equals": "yes"},
        }
    )
    found = messages(doc)
    assert found == [
        "key: must use only lowercase letters a-z, digits and '-'",
        "sections[0].items[0].points: must be a number ≥ 0",
        "sections[1].items[0].steps[1].min: must be strictly lower than the previous step's min",
        "sections[1].items[6].show_if.item: unknown item key 'nowhere'",
    ]


def test_show_if_on_an_item_whose_type_is_not_a_string_is_refused_not_a_crash():
    doc = mutated(
        **{
            "sections.0.items.0.type": {"yes_no": True},
            "sections.1.items.6.show_if": {"item": "kh-cchc", "equals": "yes"},
        }
    )
    found = messages(doc)
    assert found[0].startswith("sections[0].items[0].type: must be one of")
    assert found[1].startswith("sections[1].items[6].show_if.item: 'kh-cchc' is a")


def test_show_if_cycle_is_refused_on_each_item_of_the_cycle():
    doc = template(
        section(
            "a",
            item("x", show_if={"item": "z", "equals": "yes"}),
            item("y", show_if={"item": "x", "equals": "yes"}),
            item("z", show_if={"item": "y", "equals": "no"}),
            item("w", show_if={"item": "x", "equals": "yes"}),
        )
    )
    found = messages(doc)
    cycle = [m for m in found if "cycle" in m]
    assert len(cycle) == 3
    assert cycle[0] == "sections[0].items[0].show_if.item: show_if forms a cycle: x → z → y → x"
    assert not any(m.startswith("sections[0].items[3]") for m in found)


def test_show_if_on_number_text_and_date_controllers():
    doc = template(
        section(
            "a",
            item("n", "number"),
            item("t", "text"),
            item("d", "date"),
            item("by-number", show_if={"item": "n", "equals": 3}),
            item("by-text", show_if={"item": "t", "equals": "có"}),
            item("by-date", show_if={"item": "d", "equals": "2024-02-30"}),
        )
    )
    assert messages(doc) == ["sections[0].items[5].show_if.equals: must be a date YYYY-MM-DD"]


def test_choice_points_default_to_best_option():
    doc = mutated(**{"sections.0.items.1.points": DELETE})
    assert validate(doc).ok


def test_target_with_steps_and_unknown_keys_are_warnings_not_errors():
    doc = mutated(
        **{
            "sections.1.items.0.target": 90,
            "sections.0.items.0.pionts": 2,
            "sections.1.items.6.show_if.not_equals": "no",
        }
    )
    report = validate(doc)
    assert report.ok
    assert [str(w) for w in report.warnings] == [
        "sections[0].items[0].pionts: unknown key, ignored",
        "sections[1].items[0].target: ignored because the item has steps",
        "sections[1].items[6].show_if.not_equals: unknown key, ignored",
    ]


def test_each_problem_is_a_code_with_parameters_for_a_page_to_word():
    doc = mutated(
        **{
            "sections.0.items.0.points": -1,
            "sections.1.items.6.show_if": {"item": "khong-co", "equals": "yes"},
        }
    )
    found = [(p.path, p.code, dict(p.found.params)) for p in validate(doc).errors]
    assert found == [
        ("sections[0].items[0].points", "number_range", {"lower": "≥ 0"}),
        ("sections[1].items[6].show_if.item", "unknown_item", {"key": "'khong-co'"}),
    ]


def test_the_api_gives_each_problem_of_a_refused_template_with_its_code(admin_api):
    doc = mutated(**{"key": "mau-moi", "sections.0.items.0.points": -1})
    response = admin_api.post("/api/v1/forms", json=doc)
    assert response.status_code == 400
    assert response.get_json()["problems"] == [
        {
            "path": "sections[0].items[0].points",
            "code": "number_range",
            "params": {"lower": "≥ 0"},
            "message": "must be a number ≥ 0",
        }
    ]


def test_an_options_value_and_its_points_are_checked_with_their_codes():
    empty = mutated(**{"sections.0.items.1.options.0.value": ""})
    assert [(str(p), p.code) for p in validate(empty).errors] == [
        ("sections[0].items[1].options[0].value: must be a non-empty string", "not_text")
    ]
    above = mutated(**{"sections.0.items.1.options.1.points": 1.5})
    assert [(str(p), p.code) for p in validate(above).errors] == [
        ("sections[0].items[1].options[1].points: must be a number ≥ 0 and ≤ 1", "number_range")
    ]
