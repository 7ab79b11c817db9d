"""What the checklist format says about a document or an answer: a `Message` (a stable code, an
English text with %(name)s places, its parameters) and, for a document, where (`Problem`).

The code and parameters let a page say the same thing in another language; the English text is
what the API and the command line print."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import PydanticCustomError


@dataclass(frozen=True)
class Message:
    code: str
    text: str  # English, with %(name)s where a parameter goes
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text % dict(self.params) if self.params else self.text

    def error(self) -> PydanticCustomError:
        """The message as pydantic raises it from a validator (its text already filled in, so
        that braces in it are never read as places)."""
        return PydanticCustomError(
            self.code, str(self), {"text": self.text, "params": dict(self.params)}
        )


def message(code: str, text: str, **params: Any) -> Message:
    return Message(code, text, params)


@dataclass(frozen=True)
class Problem:
    """A problem of a template document at a key path (`sections[2].items[4].points`)."""

    path: str
    found: Message

    @property
    def code(self) -> str:
        return self.found.code

    @property
    def message(self) -> str:
        return str(self.found)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass
class Report:
    """The outcome of validating one template document: every problem at once."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, path: str, found: Message) -> None:
        self.errors.append(Problem(path, found))

    def warn(self, path: str, found: Message) -> None:
        self.warnings.append(Problem(path, found))
