"""The checklist template format (CHECKLIST-FORMAT.md), pure (no Flask, no database):

- `item.py`: what every item is (`Item`), `show_if`, and the registry of item types;
- `item_types.py`: one class per item type, each owning its rules, answer check, score, display;
- `inputs.py`: how the checklist page takes an answer (the inputs its script knows);
- `form.py`: the template and its sections and bands as immutable models (`parse`), and the JSON
  Schema of the format (`json_schema`);
- `fields.py`: the rules of single fields (keys, texts, points, percentages), the limits;
- `validation.py`: `validate(doc)`, every problem of a document at once by key path;
- `problems.py`: what is said, as a code with parameters and an English text.
"""

from inspection.checklist import item_types as item_types  # registers the format's types
from inspection.checklist.fields import (
    MAX_KEY,
    MAX_NUMBER,
    MAX_TEMPLATE_BYTES,
    MAX_TEMPLATE_DEPTH,
    MAX_TEXT_ANSWER,
    is_number,
    to_decimal,
)
from inspection.checklist.form import (
    DEFAULT_BANDS,
    Band,
    Section,
    Template,
    json_schema,
    parse,
    parse_item,
    template_model,
)
from inspection.checklist.item import ITEM_TYPES, NA, Item, ShowIf, Words, item_type
from inspection.checklist.problems import Message, Problem, Report, message
from inspection.checklist.validation import TOO_DEEP, validate

__all__ = [
    "DEFAULT_BANDS",
    "ITEM_TYPES",
    "MAX_KEY",
    "MAX_NUMBER",
    "MAX_TEMPLATE_BYTES",
    "MAX_TEMPLATE_DEPTH",
    "MAX_TEXT_ANSWER",
    "NA",
    "TOO_DEEP",
    "Band",
    "Item",
    "Message",
    "Problem",
    "Report",
    "Section",
    "ShowIf",
    "Template",
    "Words",
    "is_number",
    "item_type",
    "json_schema",
    "message",
    "parse",
    "parse_item",
    "template_model",
    "to_decimal",
    "validate",
]
