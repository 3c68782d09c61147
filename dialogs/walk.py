"""Finding the position of a dialog from its answers alone.

The engine keeps no "current step" counter. The next position is the first visible field without an
answer, in declaration order, or the first summary, group menu or completion that follows. Editing,
going back and conditional fields therefore never leave a stale cursor behind.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dialogs.spec import PREFILL_KEY, Answers, Field, Group, Info, Node, Page, is_visible

Path = tuple[tuple[str, int], ...]
"""Where a scope lives: (group key, item index) pairs from the root answers down."""

LOCKED_KEY = "_locked"
GROUPS_KEY = "_groups"
CONFIRMED_KEY = "_confirmed"
DONE_KEY = "_done"
EDITING_KEY = "_editing"


@dataclass(frozen=True)
class Ask:
    """The next question."""

    field: Field
    scope: Answers
    path: Path
    header: str


@dataclass(frozen=True)
class PageSummary:
    """A page's summary waiting for 「确认」 or 「修改 N」."""

    page: Page
    scope: Answers
    path: Path
    header: str


@dataclass(frozen=True)
class ItemSummary:
    """A group item's summary waiting for 「确认」 or 「修改 N」; `path` ends with the item itself."""

    group: Group
    item: Answers
    path: Path
    header: str


@dataclass(frozen=True)
class GroupMenu:
    """A group's menu (add, edit, remove, done); `path` is the scope holding the group."""

    group: Group
    scope: Answers
    path: Path
    header: str


@dataclass(frozen=True)
class Complete:
    """Every node is answered and confirmed."""


Position = Ask | PageSummary | ItemSummary | GroupMenu | Complete


@dataclass(frozen=True)
class Entry:
    """One numbered line of a summary: a field, an info value or a group, with the scope it lives in."""

    node: Field | Info | Group
    scope: Answers
    path: Path
    page: Page | None


def group_meta(scope: Answers, group: Group) -> dict[str, bool]:
    """Return the group's flags in `scope`: `closed` (left through its done word) and `menu` (show the menu)."""
    metas = scope.setdefault(GROUPS_KEY, {})
    return metas.setdefault(group.key, {"closed": False, "menu": False})  # type: ignore[no-any-return]


def kept_value(field: Field, scope: Mapping[str, Any]) -> tuple[bool, Any]:
    """Return (True, value) when 「不变」 can keep a value: the current answer or a prefilled one."""
    if field.key in scope:
        return True, scope[field.key]
    prefill = scope.get(PREFILL_KEY) or {}
    if field.key in prefill:
        return True, prefill[field.key]
    return False, None


def is_locked(field: Field, scope: Mapping[str, Any]) -> bool:
    """Tell whether a locked-after-submit field is locked in this scope."""
    return field.locked_after_submit and field.key in scope.get(LOCKED_KEY, ())


def is_askable(node: Node, scope: Mapping[str, Any]) -> bool:
    """Tell whether a node is a field the user answers here (visible and not locked)."""
    return isinstance(node, Field) and is_visible(node, scope) and not is_locked(node, scope)


def _header(crumbs: tuple[str, ...], tail: str = "") -> str:
    """Build a progress header such as 【学生 2/3 · 基本信息 4/12】; a lone 1/1 question gets none."""
    if not crumbs:
        return "" if tail in ("", "1/1") else f"【{tail}】"
    return "【" + " · ".join(crumbs) + (f" {tail}" if tail else "") + "】"


def item_crumb(group: Group, index: int) -> str:
    """Name one item of a group in a header: 「学生 2/3」 for short groups, 「第2个岗位」 otherwise."""
    if group.max_items <= 3:
        return f"{group.label} {index + 1}/{group.max_items}"
    return f"第{index + 1}{group.counter}{group.label}"


def _counter(nodes: tuple[Node, ...], scope: Mapping[str, Any], field: Field) -> str:
    askable = [node for node in nodes if is_askable(node, scope)]
    if field not in askable:
        return ""
    return f"{askable.index(field) + 1}/{len(askable)}"


def locate(nodes: tuple[Node, ...], answers: Answers) -> Position:
    """Return the next position of a dialog whose root nodes are `nodes`."""
    return _walk(nodes, answers, (), ()) or Complete()


def _walk(nodes: tuple[Node, ...], scope: Answers, path: Path, crumbs: tuple[str, ...]) -> Position | None:
    for node in nodes:
        if not is_visible(node, scope):
            continue
        if isinstance(node, Field):
            if node.key not in scope and not is_locked(node, scope):
                return Ask(node, scope, path, _header(crumbs, _counter(nodes, scope, node)))
        elif isinstance(node, Page):
            found = _walk(node.nodes, scope, path, (*crumbs, node.title))
            if found is not None:
                return found
            if node.confirm and node.key not in scope.get(CONFIRMED_KEY, ()):
                return PageSummary(node, scope, path, _header((*crumbs, node.title), "核对"))
        elif isinstance(node, Group):
            found = _walk_group(node, scope, path, crumbs)
            if found is not None:
                return found
    return None


def _walk_group(group: Group, scope: Answers, path: Path, crumbs: tuple[str, ...]) -> Position | None:
    items: list[Answers] = scope.setdefault(group.key, [])
    meta = group_meta(scope, group)
    if meta["closed"]:
        return None
    for index, item in enumerate(items):
        item_path = (*path, (group.key, index))
        item_crumbs = (*crumbs, item_crumb(group, index))
        found = _walk(group.nodes, item, item_path, item_crumbs)
        if found is not None:
            return found
        if (group.confirm_item and not item.get(DONE_KEY)) or item.get(EDITING_KEY):
            return ItemSummary(group, item, item_path, _header(item_crumbs, "核对"))
    if len(items) < group.min_items and not meta["menu"]:
        items.append({})
        return _walk_group(group, scope, path, crumbs)
    return GroupMenu(group, scope, path, _header((*crumbs, group.label)))


def resolve(answers: Answers, path: Path) -> Answers:
    """Return the scope dict at `path`; raise KeyError or IndexError when it no longer exists."""
    scope = answers
    for key, index in path:
        scope = scope[key][index]
    return scope


def iter_nodes(nodes: tuple[Node, ...], page: Page | None = None) -> Iterator[tuple[Node, Page | None]]:
    """Yield the fields, infos and groups of one scope with their page, looking through pages."""
    for node in nodes:
        if isinstance(node, Page):
            yield from iter_nodes(node.nodes, node)
        else:
            yield node, page


def find_group(nodes: tuple[Node, ...], key: str) -> Group:
    """Return the group declared as `key` among one scope's nodes."""
    for node, _ in iter_nodes(nodes):
        if isinstance(node, Group) and node.key == key:
            return node
    raise KeyError(key)


def scope_nodes(root: tuple[Node, ...], path: Path) -> tuple[Node, ...]:
    """Return the nodes declared for the scope at `path`."""
    nodes = root
    for key, _ in path:
        nodes = find_group(nodes, key).nodes
    return nodes


def find_field(root: tuple[Node, ...], path: Path, key: str) -> Field:
    """Return the field declared as `key` in the scope at `path`."""
    for node, _ in iter_nodes(scope_nodes(root, path)):
        if isinstance(node, Field) and node.key == key:
            return node
    raise KeyError(key)


def header_for(root: tuple[Node, ...], answers: Answers, path: Path, field: Field) -> str:
    """Build the progress header of a field that is asked out of order (an edit or 「返回」)."""
    crumbs: list[str] = []
    nodes = root
    for key, index in path:
        group_page = _page_of(nodes, key)
        if group_page is not None:
            crumbs.append(group_page.title)
        group = find_group(nodes, key)
        crumbs.append(item_crumb(group, index))
        nodes = group.nodes
    scope = resolve(answers, path)
    container = _container_of(nodes, field)
    crumbs += [page.title for page in _pages_around(nodes, field)]
    return _header(tuple(crumbs), _counter(container or nodes, scope, field))


def _pages_around(nodes: tuple[Node, ...], field: Field) -> list[Page]:
    """Return the pages that contain `field` among one scope's nodes, outermost first."""
    for node in nodes:
        if isinstance(node, Page):
            if field in node.nodes:
                return [node]
            inner = _pages_around(node.nodes, field)
            if inner:
                return [node, *inner]
    return []


def _page_of(nodes: tuple[Node, ...], key: str) -> Page | None:
    for node, page in iter_nodes(nodes):
        if getattr(node, "key", None) == key:
            return page
    return None


def _container_of(nodes: tuple[Node, ...], field: Field) -> tuple[Node, ...] | None:
    if field in nodes:
        return nodes
    for node in nodes:
        if isinstance(node, Page):
            found = _container_of(node.nodes, field)
            if found is not None:
                return found
    return None


def summary_entries(nodes: tuple[Node, ...], scope: Answers, path: Path) -> list[Entry]:
    """List the visible fields, infos and groups of one scope, in order, for a numbered summary."""
    entries = []
    for node, page in iter_nodes(nodes):
        if isinstance(node, Field | Info | Group) and is_visible(node, scope):
            if page is not None and not is_visible(page, scope):
                continue
            entries.append(Entry(node, scope, path, page))
    return entries


def prune(nodes: tuple[Node, ...], scope: Answers) -> None:
    """Delete the answers of nodes whose condition no longer holds, recursively."""
    for node in nodes:
        visible = is_visible(node, scope)
        if isinstance(node, Page):
            if visible:
                prune(node.nodes, scope)
            else:
                _drop(node.nodes, scope)
        elif isinstance(node, Field) and not visible:
            scope.pop(node.key, None)
        elif isinstance(node, Group):
            if visible:
                for item in scope.get(node.key, []):
                    prune(node.nodes, item)
            else:
                scope.pop(node.key, None)
                scope.get(GROUPS_KEY, {}).pop(node.key, None)


def _drop(nodes: tuple[Node, ...], scope: Answers) -> None:
    for node, _ in iter_nodes(nodes):
        if isinstance(node, Field | Group):
            scope.pop(node.key, None)
        if isinstance(node, Group):
            scope.get(GROUPS_KEY, {}).pop(node.key, None)


def groups_in(nodes: tuple[Node, ...], scope: Answers) -> Iterator[tuple[Group, Answers]]:
    """Yield every visible group under `nodes` with the scope that holds it, innermost groups first."""
    for node, _ in iter_nodes(nodes):
        if isinstance(node, Group) and is_visible(node, scope):
            for item in scope.get(node.key, []):
                yield from groups_in(node.nodes, item)
            yield node, scope
