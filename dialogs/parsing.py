"""The contract every field type of a dialog implements: parse a reply, describe the format, show a value.

Field types are pure and synchronous. Anything that needs the database (a phone number that must be
unique, for example) is a check the engine runs through its backend after parsing.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Invalid:
    """A rejected reply; `message` is the Chinese text for the user: what is wrong and an example."""

    message: str


@dataclass(frozen=True)
class NeedsOther:
    """A choice that selected 其他 without saying what; `value` is kept until the text arrives."""

    value: Any


class Catalogue(Protocol):
    """The list of universities a university field matches against."""

    def match(self, text: str) -> tuple[str, str] | None:
        """Return (code, official name) of the university named by `text`, or None."""

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """Return official names close to `text`, best first."""


@dataclass(frozen=True)
class ParseContext:
    """What a field type may need besides the reply itself."""

    catalogue: Catalogue | None = None


ParseResult = Any
"""A parsed value (JSON-serializable), or an `Invalid`, or a `NeedsOther`."""


class FieldType(abc.ABC):
    """A kind of answer: how to read it from a chat reply and how to show it back."""

    @abc.abstractmethod
    def parse(self, text: str, context: ParseContext) -> ParseResult:
        """Parse a stripped, non-empty reply into a JSON-serializable value, or return Invalid/NeedsOther."""

    def hint(self) -> str:
        """Return the format line shown under the question (the numbered options, an example), or ''."""
        return ""

    def display(self, value: Any) -> str:
        """Return the value as the user should read it in a summary."""
        return str(value)

    def add_other(self, value: Any, text: str) -> ParseResult:
        """Complete a NeedsOther value with the 其他 text; only choice types override this."""
        raise NotImplementedError(type(self).__name__)
