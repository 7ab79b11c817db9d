"""A checklist template as models: the parsed, immutable view of the author's document (which the
library keeps byte for byte). `Template` and `Section` are generic in their item union so that the
union is made from the registered item types (items.py) when first needed."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar, Union, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from inspection.checklist.checks import Check
from inspection.checklist.fields import (
    BAND_LABEL,
    Description,
    Key,
    Percent,
    Title,
    Version,
    list_rule,
    list_schema,
    schema_default,
    text_rule,
    text_schema,
)
from inspection.checklist.item import ITEM_TYPES, Item, raise_at
from inspection.checklist.problems import Message, message

NOT_A_LIST = message("not_a_list", "must be a list")

I = TypeVar("I", bound=Item)  # noqa: E741 - the item union, as pydantic's generics name it


class Band(BaseModel):
    """A score band: the label of a percentage from `min`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    min: Percent
    label: Annotated[
        str, text_rule(BAND_LABEL, required=True), text_schema(BAND_LABEL, required=True)
    ]


def _bands_descend(bands: tuple[Band, ...]) -> tuple[Band, ...]:
    problems: list[tuple[tuple[str | int, ...], Message]] = []
    for b in range(1, len(bands)):
        if bands[b].min >= bands[b - 1].min:
            found = message("band_order", "must be strictly lower than the previous band's min")
            problems.append(((b, "min"), found))
    if bands[-1].min != 0:
        problems.append(
            ((len(bands) - 1, "min"), message("last_band", "the last band must have min 0"))
        )
    raise_at(problems)
    return bands


DEFAULT_BANDS = (
    Band.model_validate({"min": 80, "label": "Tốt"}),
    Band.model_validate({"min": 70, "label": "Khá"}),
    Band.model_validate({"min": 60, "label": "Trung bình"}),
    Band.model_validate({"min": 0, "label": "Thấp"}),
)


class Section(BaseModel, Generic[I]):
    model_config = ConfigDict(frozen=True, extra="ignore")

    key: Key
    title: Title
    description: Description = ""
    items: Annotated[tuple[I, ...], list_rule(), list_schema()]

    @classmethod
    def model_parametrized_name(cls, params: Any) -> str:
        return "Section"


class Template(BaseModel, Generic[I]):
    """A checklist template (CHECKLIST-FORMAT.md)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    key: Key
    version: Version
    title: Title
    description: Description = ""
    bands: Annotated[
        tuple[Band, ...],
        list_rule(),
        AfterValidator(_bands_descend),
        list_schema(),
        schema_default([{"min": int(b.min), "label": b.label} for b in DEFAULT_BANDS]),
    ] = DEFAULT_BANDS
    sections: Annotated[tuple[Section[I], ...], list_rule(), list_schema()]
    checks: Annotated[tuple[Check, ...], list_rule(NOT_A_LIST, least=0)] = ()

    @classmethod
    def model_parametrized_name(cls, params: Any) -> str:
        return "Template"

    def items(self) -> Iterator[Item]:
        """Every item, in the template's order."""
        for section in self.sections:
            yield from section.items

    def item(self, key: str) -> Item | None:
        return self.by_key.get(key)

    @functools.cached_property
    def by_key(self) -> dict[str, Item]:
        return {item.key: item for item in self.items()}

    def max_points(self) -> Decimal:
        """The sum of every scored item's maximum, all items applicable."""
        return sum((m for i in self.items() if (m := i.max_points()) is not None), Decimal(0))


def item_union() -> Any:
    """The registered item types, discriminated on `type`."""
    return Annotated[Union[tuple(ITEM_TYPES.values())], Field(discriminator="type")]  # noqa: UP007


@functools.cache
def _model(types: tuple[type[Item], ...]) -> type[Template[Any]]:
    return cast(type[Template[Any]], Template[item_union()])  # type: ignore[misc]


def template_model() -> type[Template[Any]]:
    """The Template model of the item types registered now."""
    return _model(tuple(ITEM_TYPES.values()))


def item_model() -> Any:
    """A TypeAdapter-ready type of one item of any registered type."""
    return item_union()


@functools.cache
def _item_adapter(types: tuple[type[Item], ...]) -> TypeAdapter[Item]:
    return TypeAdapter(item_union())


def item_adapter() -> TypeAdapter[Item]:
    """Validates one item of any type registered now."""
    return _item_adapter(tuple(ITEM_TYPES.values()))


def parse_item(document: Any, *, stored: bool = True) -> Item:
    """The model of one valid item document (raises pydantic's ValidationError otherwise)."""
    return item_adapter().validate_python(document, context={"stored": stored})


def parse(document: Any, *, stored: bool = True) -> Template[Any]:
    """The models of a valid template document (raises pydantic's ValidationError otherwise).
    `stored`: a document the library already holds, read without the import's text rules."""
    return template_model().model_validate(document, context={"stored": stored})


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the format, for template authors' editors."""
    schema = template_model().model_json_schema()
    schema = _no_nulls(_plain_names(schema))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Inspection checklist template"
    return schema


def _no_nulls(node: Any) -> Any:
    """An optional member is left out, never written null: drop pydantic's null alternatives."""
    if isinstance(node, list):
        return [_no_nulls(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _no_nulls(v) for k, v in node.items() if not (k == "default" and v is None)}
    options = node.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        kept = [o for o in options if o != {"type": "null"}]
        del node["anyOf"]
        if len(kept) == 1:
            node = {**kept[0], **node}
        else:
            node["anyOf"] = kept
    return node


def _plain_names(schema: dict[str, Any]) -> dict[str, Any]:
    """Definitions named by their title (`Section`), not by pydantic's generic parameters."""
    renames = {
        name: definition["title"]
        for name, definition in schema.get("$defs", {}).items()
        if definition.get("title") and definition["title"] != name
    }
    text = json.dumps(schema, ensure_ascii=False)
    for old, new in renames.items():
        text = text.replace(f'"#/$defs/{old}"', f'"#/$defs/{new}"').replace(
            f'"{old}":', f'"{new}":'
        )
    return dict(json.loads(text))


__all__ = [
    "DEFAULT_BANDS",
    "Band",
    "Section",
    "Template",
    "ValidationError",
    "parse",
    "parse_item",
]
