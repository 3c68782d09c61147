"""Turning a dialog position into the Chinese text of one reply."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs import texts
from dialogs.spec import Field, Info, Page
from dialogs.walk import (
    Ask,
    Entry,
    GroupMenu,
    ItemSummary,
    PageSummary,
    is_locked,
    kept_value,
    summary_entries,
)


def show_value(field: Field, scope: Mapping[str, Any]) -> str:
    """Return a field's answer as the user reads it."""
    return display(field, scope.get(field.key))


def display(field: Field, value: Any) -> str:
    """Return a value of `field` as the user reads it; None means the optional field was skipped."""
    if value is None:
        return texts.SKIPPED_VALUE
    return field.type.display(value)


def ask(position: Ask, *, current: bool = False) -> str:
    """Render a question: header, prompt, format hint, and the current or default answer."""
    field, scope = position.field, position.scope
    lines = [position.header + field.prompt]
    hint = field.type.hint()
    if hint:
        lines.append(hint)
    keep, value = kept_value(field, scope)
    if keep and (current or field.key not in scope):
        lines.append(texts.KEEP_LINE.format(value=display(field, value)))
    elif field.default is not None:
        lines.append(texts.DEFAULT_LINE.format(value=field.type.display(field.default)))
    if field.optional:
        lines.append(texts.OPTIONAL_LINE)
    return "\n".join(lines)


def entry_line(number: int, entry: Entry, root: Mapping[str, Any], context: Mapping[str, Any]) -> str:
    """Render one numbered summary line; a group lists its items below it."""
    node = entry.node
    if isinstance(node, Info):
        return f"{number}. {node.label}：{node.value(root, context)}（不可修改）"
    if isinstance(node, Field):
        locked = "（已锁定）" if is_locked(node, entry.scope) else ""
        return f"{number}. {node.label}：{show_value(node, entry.scope)}{locked}"
    items = entry.scope.get(node.key, [])
    lines = [f"{number}. {node.label}：{len(items)}{node.counter}"]
    lines += [f"   ({index}) {node.title(item)}" for index, item in enumerate(items, 1)]
    return "\n".join(lines)


def summary_lines(entries: list[Entry], root: Mapping[str, Any], context: Mapping[str, Any]) -> list[str]:
    """Render numbered entries, with a heading line whenever the page changes."""
    lines: list[str] = []
    page: Page | None = None
    for number, entry in enumerate(entries, 1):
        if entry.page is not None and entry.page is not page and len({e.page for e in entries}) > 1:
            lines.append(f"— {entry.page.title} —")
        page = entry.page
        lines.append(entry_line(number, entry, root, context))
    return lines


def page_summary(position: PageSummary, root: Mapping[str, Any], context: Mapping[str, Any]) -> str:
    """Render the summary of a page awaiting 「确认」."""
    entries = page_entries(position)
    lines = [position.header + f"请核对{position.page.title}："]
    lines += summary_lines(entries, root, context)
    footer = position.page.footer or texts.PAGE_SUMMARY_FOOTER
    lines.append(footer.format(example=editable_example(entries)))
    return "\n".join(lines)


def editable_example(entries: list[Entry]) -> int:
    """Return the number of the first entry that 「修改 N」 can change, for the example in a footer."""
    for number, entry in enumerate(entries, 1):
        if isinstance(entry.node, Field) and not is_locked(entry.node, entry.scope):
            return number
    return 1


def page_entries(position: PageSummary) -> list[Entry]:
    """List the numbered entries of a page summary."""
    return summary_entries(position.page.nodes, position.scope, position.path)


def item_entries(position: ItemSummary) -> list[Entry]:
    """List the numbered entries of a group item's summary."""
    return summary_entries(position.group.nodes, position.item, position.path)


def item_summary(position: ItemSummary, root: Mapping[str, Any], context: Mapping[str, Any]) -> str:
    """Render the summary of a group item awaiting 「确认」."""
    number = position.path[-1][1] + 1
    group = position.group
    lines = [position.header + f"请核对第{number}{group.counter}{group.label}的信息："]
    entries = item_entries(position)
    lines += summary_lines(entries, root, context)
    lines.append(texts.SUMMARY_FOOTER.format(example=editable_example(entries)))
    return "\n".join(lines)


def group_menu(position: GroupMenu, intro: str = "") -> str:
    """Render a group's list of items and what the user can do with it."""
    group = position.group
    items = position.scope.get(group.key, [])
    lines = [position.header + intro] if intro else [position.header]
    if items:
        lines.append(texts.GROUP_LIST.format(label=group.label, count=len(items), counter=group.counter))
        lines += [f"{index}. {group.title(item)}" for index, item in enumerate(items, 1)]
    else:
        lines.append(texts.GROUP_EMPTY.format(label=group.label))
    lines.append("")
    if len(items) < group.max_items:
        left = group.max_items - len(items)
        lines.append(texts.GROUP_ADD.format(label=group.label, counter=group.counter, left=left))
    else:
        lines.append(texts.GROUP_FULL.format(max=group.max_items, counter=group.counter))
    if items:
        lines.append(texts.GROUP_EDIT.format(counter=group.counter))
    action = group.done_action or texts.GROUP_DONE_ACTION
    lines.append(texts.GROUP_DONE.format(word=group.done_word, action=action))
    return "\n".join(lines)

