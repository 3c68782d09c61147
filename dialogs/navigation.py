"""The history behind 「返回」: what the user answered or confirmed, newest last, and the way forward again.

A history entry is a JSON dict `{"kind", "path", "key"}`: `field` (an answered question), `menu` (a
group closed from its menu), `item` (a confirmed group item) or `page` (a confirmed page). 「返回」
undoes the newest entry that still exists. When the user goes back over several questions, the
questions passed over are kept in `redo`, so after correcting one answer they are asked again in order.
"""

from __future__ import annotations

from typing import Any

from dialogs.walk import Path

MAX_HISTORY = 300


def entry(kind: str, path: Path, key: str) -> dict[str, Any]:
    """Build a history entry."""
    return {"kind": kind, "path": [list(step) for step in path], "key": key}


def entry_path(raw: dict[str, Any]) -> Path:
    """Return the path of a history entry as a tuple."""
    return tuple((str(key), int(index)) for key, index in raw["path"])


def record(state: dict, kind: str, path: Path, key: str) -> None:
    """Append an entry, dropping an older copy of it."""
    new = entry(kind, path, key)
    history = [item for item in state["history"] if item != new]
    state["history"] = [*history, new][-MAX_HISTORY:]


def forget(state: dict, item_path: Path) -> None:
    """Drop entries inside a removed group item or in the items after it, whose indices shifted."""
    prefix, (key, index) = [list(step) for step in item_path[:-1]], item_path[-1]
    depth = len(prefix)

    def affected(item: dict[str, Any]) -> bool:
        steps = item["path"]
        inside = len(steps) > depth and steps[:depth] == prefix and steps[depth][0] == key
        return inside and steps[depth][1] >= index

    state["history"] = [item for item in state["history"] if not affected(item)]
    state["redo"] = [item for item in state.get("redo", []) if not affected(item)]
