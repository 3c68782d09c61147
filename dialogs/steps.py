"""Step keys: a short name of where a user stands in a dialog, for logs and metrics.

A step key names the dialog, the group items on the way and the question or summary, for example
`pairing/students2/phone` or `pairing/students1/summary`. It is built from declared keys and item
numbers only, never from answers, so it is safe to log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from dialogs.spec import Dialog
from dialogs.walk import Ask, Complete, GroupMenu, ItemSummary, PageSummary, Path, locate

HOME_STEP = "home"
"""Step key of a user with no dialog open."""

_STEP_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")


def step_key(session: Mapping[str, Any] | None, dialogs: Mapping[str, Dialog]) -> str:
    """Return the step key of a stored session; `dialogs` maps dialog keys to their declarations.

    The session is not changed: the position is found on a copy of the answers, because finding it
    fills in empty group items. The copy is a JSON round trip, which is faster than `copy.deepcopy` on
    these plain dicts.
    """
    state = (session or {}).get("dialog")
    if not isinstance(state, Mapping):
        return HOME_STEP
    key = str(state.get("dialog", "?"))
    dialog = dialogs.get(key)
    if dialog is None:
        # A dialog written as its own small state machine (registration) names its step in `step`.
        step = state.get("step")
        return f"{key}/{step}" if isinstance(step, str) and _STEP_NAME.fullmatch(step) else f"{key}/unknown"
    if state.get("confirm_cancel"):
        return f"{key}/confirm-cancel"
    focus = state.get("focus")
    if isinstance(focus, Mapping):
        path = tuple((str(name), int(index)) for name, index in focus.get("path", ()))
        return _join(key, path, str(focus.get("key", "?")))
    answers = json.loads(json.dumps(state.get("answers") or {}))
    position = locate(dialog.nodes, answers)
    if isinstance(position, Ask):
        return _join(key, position.path, position.field.key)
    if isinstance(position, PageSummary):
        return _join(key, position.path, f"{position.page.key}-summary")
    if isinstance(position, ItemSummary):
        return _join(key, position.path, "summary")
    if isinstance(position, GroupMenu):
        return _join(key, position.path, f"{position.group.key}-menu")
    assert isinstance(position, Complete)
    return f"{key}/complete"


def _join(dialog_key: str, path: Path, leaf: str) -> str:
    items = [f"{name}{index + 1}" for name, index in path]
    return "/".join([dialog_key, *items, leaf])
