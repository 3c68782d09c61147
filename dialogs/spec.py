"""The declarations a dialog is made of: fields, display-only values, pages and repeated groups.

A dialog is data. `dialogs.engine.Engine` runs any `Dialog`; the pairing dialog in
`dialogs.pairing` is one such declaration. Answers live in nested dicts: a scope dict maps field keys
to parsed values and group keys to lists of item dicts, each item being a scope of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from dialogs.parsing import FieldType

Answers = dict[str, Any]
Condition = Callable[[Mapping[str, Any]], bool]
"""A predicate on the answers of the scope a node lives in."""

BlockScope = Literal["item", "dialog"]


@dataclass(frozen=True)
class Block:
    """An answer that stops the entry: `item` discards the enclosing group item, `dialog` ends the dialog."""

    when: Callable[[Any], bool]
    message: str
    scope: BlockScope = "item"


@dataclass(frozen=True)
class Field:
    """One question.

    `default` is a parsed value offered with 「默认」. `checks` name asynchronous checks the engine asks
    its checker to run after parsing (a phone that must be unique in the database, for example).
    `unique_in_group` names an enclosing group whose items must not share this field's value.
    `locked_after_submit` fields are shown but not asked once their key is listed in the scope's
    `_locked` list; `locked_message` says who can change them.
    """

    key: str
    label: str
    prompt: str
    type: FieldType
    help: str = ""
    default: Any = None
    optional: bool = False
    when: Condition | None = None
    locked_after_submit: bool = False
    locked_message: str = ""
    blocks: tuple[Block, ...] = ()
    checks: tuple[str, ...] = ()
    unique_in_group: str | None = None


@dataclass(frozen=True)
class Info:
    """A value shown on a page but never asked, such as the unit given by the passcode."""

    key: str
    label: str
    value: Callable[[Mapping[str, Any], Mapping[str, Any]], str]
    """Build the text from (root answers, dialog context)."""
    locked_message: str = ""


@dataclass(frozen=True)
class Page:
    """A titled set of nodes; with `confirm`, a numbered summary of the page is confirmed before going on."""

    key: str
    title: str
    nodes: tuple[Node, ...]
    confirm: bool = False
    when: Condition | None = None
    footer: str = ""
    """What the summary asks for, when 「确认」 does more than go to the next step."""


@dataclass(frozen=True)
class Group:
    """A repeated set of nodes (students, postings, offers) with `min_items` to `max_items` items.

    With `confirm_item`, each item ends with a numbered summary and 「确认」. `title` turns an item into
    one line of the group's list. `arrange` may reorder the items after one is completed and returns a
    notice for the user, or None. `done_word` closes the group from its menu; `done_action` says what
    that does (「继续下一步」 when empty).
    """

    key: str
    label: str
    counter: str
    nodes: tuple[Node, ...]
    min_items: int
    max_items: int
    title: Callable[[Mapping[str, Any]], str]
    when: Condition | None = None
    confirm_item: bool = False
    done_word: str = "完成"
    arrange: Callable[[list[Answers]], str | None] | None = None
    done_action: str = ""


Node = Field | Info | Page | Group


@dataclass(frozen=True)
class Dialog:
    """A complete dialog: its name for progress lines and the nodes asked in order."""

    key: str
    title: str
    nodes: tuple[Node, ...]
    intro: str = ""
    complete_hint: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


PREFILL_KEY = "_prefill"
"""Scope key of earlier answers offered with 「不变」 while the fields are asked again (an update)."""


def is_visible(node: Node, scope: Mapping[str, Any]) -> bool:
    """Tell whether a node's condition holds on the answers of its scope.

    Prefilled answers count until they are answered again, so an update keeps the groups and
    conditional fields that the earlier answers opened.
    """
    condition = getattr(node, "when", None)
    if condition is None:
        return True
    prefill = scope.get(PREFILL_KEY)
    view = {**prefill, **scope} if prefill else scope
    return bool(condition(view))
