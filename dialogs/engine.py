"""The generic dialog engine: runs any `Dialog` one reply at a time over a JSON-serializable state.

The state is a plain dict the caller stores between messages (see `new_state`). `handle` mutates it
and returns the messages to send. The engine knows nothing of WeChat, HTTP or SQL: checks that need
the database go through a `Checker` the caller passes in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from dialogs import navigation, render, texts
from dialogs.commands import Command, Parsed, parse_command
from dialogs.fields import YesNo
from dialogs.parsing import Invalid, NeedsOther, ParseContext
from dialogs.spec import Answers, Dialog, Field, Group, Info
from dialogs.walk import (
    CONFIRMED_KEY,
    DONE_KEY,
    EDITING_KEY,
    Ask,
    Complete,
    GroupMenu,
    ItemSummary,
    PageSummary,
    Path,
    Position,
    find_field,
    find_group,
    group_meta,
    header_for,
    is_locked,
    iter_nodes,
    kept_value,
    locate,
    prune,
    resolve,
    scope_nodes,
)

Status = Literal["open", "complete", "cancelled", "ended"]
_NOT_ANSWERS = (Command.ADD, Command.DONE, Command.SUBMIT, Command.CONFIRM, Command.EDIT, Command.REMOVE)
_YES_NO = YesNo()


@dataclass
class Outcome:
    """The result of one reply: messages to send and whether the dialog is still open."""

    messages: list[str] = field(default_factory=list)
    status: Status = "open"


class Checker(Protocol):
    """Runs the named asynchronous checks of fields (database look-ups)."""

    async def check(self, name: str, value: Any, answers: Answers) -> str | None:
        """Return a Chinese message when `value` fails check `name`, else None."""


def new_state(dialog: Dialog, answers: Answers | None = None, context: Mapping[str, Any] | None = None) -> dict:
    """Create the state of a dialog, optionally seeded with answers (locked values, for example)."""
    return {
        "dialog": dialog.key,
        "answers": dict(answers or {}),
        "context": dict(context or {}),
        "focus": None,
        "history": [],
        "pending_other": None,
        "confirm_cancel": False,
        "redo": [],
    }


def _path(raw: Any) -> Path:
    return tuple((str(key), int(index)) for key, index in raw)


class Engine:
    """Runs one declared dialog."""

    def __init__(self, dialog: Dialog) -> None:
        self.dialog = dialog

    # Entry points ------------------------------------------------------------------------------

    def start(self, state: dict) -> Outcome:
        """Return the opening messages of a dialog whose state was just created."""
        prompt = self.prompt(state)
        intro = "\n".join(line for line in (self.dialog.intro, texts.COMMANDS_LINE) if line)
        return Outcome([intro + "\n\n" + prompt])

    def prompt(self, state: dict) -> str:
        """Render the current position again (after a resume, an error or a help text)."""
        return self._render(state, self._position(state))

    def header(self, state: dict) -> str:
        """Return the progress header of the current position, for example 【学生 2/3 · 基本信息 4/12】."""
        position = self._position(state)
        return "" if isinstance(position, Complete) else position.header

    async def handle(
        self, state: dict, text: str, context: ParseContext, checker: Checker | None = None
    ) -> Outcome:
        """Apply one reply to the state and return what to send."""
        text = text.strip()
        command = parse_command(text)
        if state.get("confirm_cancel"):
            return self._confirm_cancel(state, text, command, context)
        if state.get("confirm_remove"):
            return self._confirm_remove(state, text, command, context)
        pending_block = state.pop("pending_block", None)
        if pending_block and command is not None and command.command is Command.CONFIRM:
            return self._block(state, navigation.entry_path(pending_block), pending_block["scope"])
        if command is not None and command.command is Command.CANCEL:
            state["confirm_cancel"] = True
            return Outcome([texts.CONFIRM_CANCEL])
        if state.get("pending_other"):
            return await self._complete_other(state, text, command, context, checker)
        position = self._position(state)
        if command is not None and command.command is Command.BACK:
            return self._back(state, position)
        if command is not None and command.command is Command.HELP:
            return Outcome([self._help(position) + "\n\n" + self._render(state, position)])
        if command is not None and command.command is Command.PROGRESS:
            progress = texts.PROGRESS.format(title=self.dialog.title, header=position_header(position))
            return Outcome([progress + "\n\n" + self._render(state, position)])
        if isinstance(position, Ask):
            return await self._answer(state, position, text, command, context, checker)
        if isinstance(position, PageSummary | ItemSummary):
            return self._summary(state, position, text, command, context)
        if isinstance(position, GroupMenu):
            return self._menu(state, position, command)
        return Outcome(status="complete")

    def edit(self, state: dict, path: Path, key: str, notice: str) -> Outcome:
        """Open one field for editing with a notice, as the caller does when a save was rejected."""
        self._focus(state, path, key, origin="caller")
        return Outcome([notice + "\n\n" + self.prompt(state)])

    def reopen_group(self, state: dict, key: str) -> None:
        """Show a root-level group's menu again, as after a failed submission."""
        group = find_group(self.dialog.nodes, key)
        meta = group_meta(state["answers"], group)
        meta["closed"] = False
        meta["menu"] = True

    # Positions ---------------------------------------------------------------------------------

    def _position(self, state: dict) -> Position:
        focus = state.get("focus")
        if focus:
            try:
                path = _path(focus["path"])
                scope = resolve(state["answers"], path)
                field_ = find_field(self.dialog.nodes, path, focus["key"])
            except (KeyError, IndexError):
                state["focus"] = None
            else:
                header = header_for(self.dialog.nodes, state["answers"], path, field_)
                return Ask(field_, scope, path, header)
        return locate(self.dialog.nodes, state["answers"])

    def _render(self, state: dict, position: Position) -> str:
        answers, context = state["answers"], state["context"]
        if isinstance(position, Ask):
            return render.ask(position, current=bool(state.get("focus")))
        if isinstance(position, PageSummary):
            return render.page_summary(position, answers, context)
        if isinstance(position, ItemSummary):
            return render.item_summary(position, answers, context)
        if isinstance(position, GroupMenu):
            return render.group_menu(position)
        return ""

    def _advance(self, state: dict, left: Path | None, notices: list[str]) -> Outcome:
        """Move on after a change; `left` is the item path the change was made in, if any."""
        position = self._position(state)
        if left and not _within(position, left):
            notice = self._arrange(state, left)
            if notice:
                notices.append(notice)
                position = self._position(state)
        if isinstance(position, Complete):
            return Outcome(notices, status="complete")
        return Outcome(["\n\n".join([*notices, self._render(state, position)])])

    # Answers -----------------------------------------------------------------------------------

    async def _answer(
        self,
        state: dict,
        position: Ask,
        text: str,
        command: Parsed | None,
        context: ParseContext,
        checker: Checker | None,
    ) -> Outcome:
        field_, scope = position.field, position.scope
        kind = command.command if command else None
        if kind is Command.SKIP:
            if not field_.optional:
                return self._retry(state, position, texts.NOT_OPTIONAL.format(label=field_.label))
            return await self._accept(state, position, None, checker)
        if kind is Command.KEEP:
            keep, value = kept_value(field_, scope)
            if not keep:
                return self._retry(state, position, texts.NOTHING_TO_KEEP)
            return await self._accept(state, position, value, checker)
        if kind is Command.DEFAULT:
            if field_.default is None:
                return self._retry(state, position, texts.NO_DEFAULT)
            return await self._accept(state, position, field_.default, checker)
        if kind in _NOT_ANSWERS:
            return self._retry(state, position, self._not_an_answer(state, position, text))
        if not text:
            return self._retry(state, position, texts.NO_HELP.format(label=field_.label))
        result = field_.type.parse(text, context)
        if isinstance(result, Invalid):
            return self._retry(state, position, result.message)
        if isinstance(result, NeedsOther):
            state["pending_other"] = {"path": list(position.path), "key": field_.key, "value": result.value}
            return Outcome([texts.OTHER_PROMPT.format(example=_other_example(field_))])
        return await self._accept(state, position, result, checker)

    async def _complete_other(
        self, state: dict, text: str, command: Parsed | None, context: ParseContext, checker: Checker | None
    ) -> Outcome:
        pending = state["pending_other"]
        path = _path(pending["path"])
        state["pending_other"] = None
        position = self._position(state)
        if (command is not None and command.command is Command.BACK) or not isinstance(position, Ask):
            return Outcome([self._render(state, position)])
        result = position.field.type.add_other(pending["value"], text)
        if isinstance(result, Invalid):
            state["pending_other"] = pending
            return Outcome([result.message])
        if position.path != path or position.field.key != pending["key"]:
            return Outcome([self._render(state, position)])
        return await self._accept(state, position, result, checker)

    def _retry(self, state: dict, position: Ask, message: str) -> Outcome:
        return Outcome([message + "\n\n" + render.ask(position, current=bool(state.get("focus")))])

    async def _accept(self, state: dict, position: Ask, value: Any, checker: Checker | None) -> Outcome:
        field_, scope, path = position.field, position.scope, position.path
        if value is not None:
            problem = self._duplicate(state, field_, path, value)
            if problem is None and checker is not None:
                for name in field_.checks:
                    problem = await checker.check(name, value, state["answers"])
                    if problem:
                        break
            if problem:
                return self._retry(state, position, problem)
            for block in field_.blocks:
                if block.when(value):
                    pending = navigation.entry("field", path, field_.key)
                    state["pending_block"] = {**pending, "scope": block.scope}
                    return self._retry(state, position, block.message + "\n" + self._block_confirm(path, block.scope))
        scope[field_.key] = value
        origin = (state.get("focus") or {}).get("origin")
        state["focus"] = None
        navigation.record(state, "field", path, field_.key)
        prune(self.dialog.nodes, state["answers"])
        if origin == "back":
            self._redo(state)
        else:
            state["redo"] = []
        return self._advance(state, path or None, [])

    def _block_confirm(self, path: Path, scope: str) -> str:
        if scope == "dialog" or not path:
            return texts.BLOCK_CONFIRM_DIALOG
        group = find_group(scope_nodes(self.dialog.nodes, path[:-1]), path[-1][0])
        return texts.BLOCK_CONFIRM_ITEM.format(item=group.counter + group.label)

    def _redo(self, state: dict) -> None:
        """After an answer reached by 「返回」, ask again the questions that 「返回」 passed over."""
        redo: list[dict] = state.get("redo", [])
        while redo:
            item = redo.pop()
            path = navigation.entry_path(item)
            try:
                scope = resolve(state["answers"], path)
                field_ = find_field(self.dialog.nodes, path, item["key"])
            except (KeyError, IndexError):
                continue
            if field_.key in scope and not is_locked(field_, scope):
                self._focus(state, path, field_.key, origin="back")
                return

    def _not_an_answer(self, state: dict, position: Ask, text: str) -> str:
        """Explain why a command word was not taken as the answer to a question."""
        if position.path and _is_empty(position.scope):
            key, index = position.path[-1]
            group = find_group(scope_nodes(self.dialog.nodes, position.path[:-1]), key)
            if index < group.min_items:
                return texts.GROUP_NEED_MORE.format(
                    min=group.min_items, counter=group.counter, label=group.label, count=index
                ).replace("请回复「添加」继续添加", f"请先填写第{index + 1}{group.counter}{group.label}")
        return texts.NOT_AN_ANSWER.format(word=text)

    def _duplicate(self, state: dict, field_: Field, path: Path, value: Any) -> str | None:
        if field_.unique_in_group is None:
            return None
        for depth, (key, index) in enumerate(path):
            if key != field_.unique_in_group:
                continue
            parent = resolve(state["answers"], path[:depth])
            group = find_group(scope_nodes(self.dialog.nodes, path[:depth]), key)
            for other_index, item in enumerate(parent.get(key, [])):
                if other_index != index and item.get(field_.key) == value:
                    return texts.DUPLICATE_IN_GROUP.format(
                        label=field_.label, number=other_index + 1, group=group.counter + group.label
                    )
        return None

    def _block(self, state: dict, path: Path, scope: str) -> Outcome:
        if scope == "dialog" or not path:
            return Outcome([texts.BLOCK_ENDED], status="ended")
        key, index = path[-1]
        parent = resolve(state["answers"], path[:-1])
        group = find_group(scope_nodes(self.dialog.nodes, path[:-1]), key)
        del parent[key][index]
        group_meta(parent, group)["menu"] = True
        navigation.forget(state, path)
        state["focus"] = None
        return self._advance(state, None, [texts.BLOCK_DISCARDED.format(item=group.counter + group.label)])

    # Summaries and menus -----------------------------------------------------------------------

    def _summary(
        self,
        state: dict,
        position: PageSummary | ItemSummary,
        text: str,
        command: Parsed | None,
        context: ParseContext,
    ) -> Outcome:
        kind = command.command if command else None
        if kind is Command.CONFIRM or (kind is None and _YES_NO.parse(text, context) is True):
            state["redo"] = []
            if isinstance(position, PageSummary):
                confirmed = position.scope.setdefault(CONFIRMED_KEY, [])
                confirmed.append(position.page.key)
                navigation.record(state, "page", position.path, position.page.key)
                return self._advance(state, None, [])
            navigation.record(state, "item", position.path, position.group.key)
            position.item[DONE_KEY] = True
            position.item.pop(EDITING_KEY, None)
            group = position.group
            saved = texts.GROUP_ITEM_SAVED.format(
                number=position.path[-1][1] + 1, counter=group.counter, label=group.label
            )
            return self._advance(state, position.path, [saved])
        if kind is Command.EDIT and command is not None and command.number is not None:
            return self._edit_entry(state, position, command.number)
        return Outcome([texts.SUMMARY_REPLY])

    def _edit_entry(self, state: dict, position: PageSummary | ItemSummary, number: int) -> Outcome:
        if isinstance(position, PageSummary):
            entries = render.page_entries(position)
        else:
            entries = render.item_entries(position)
        if not 1 <= number <= len(entries):
            return Outcome([texts.NO_SUCH_ENTRY.format(number=number, count=len(entries))])
        entry = entries[number - 1]
        node = entry.node
        state["redo"] = []
        if isinstance(node, Info) or (isinstance(node, Field) and is_locked(node, entry.scope)):
            message = texts.LOCKED_ENTRY.format(label=node.label)
            return Outcome(["".join(part for part in (message, node.locked_message) if part) + texts.LOCKED_NEXT])
        if isinstance(node, Group):
            meta = group_meta(entry.scope, node)
            meta["closed"] = False
            meta["menu"] = True
            return self._advance(state, None, [])
        self._focus(state, entry.path, node.key, origin="summary")
        return Outcome([self.prompt(state)])

    def _menu(self, state: dict, position: GroupMenu, command: Parsed | None) -> Outcome:
        group, scope = position.group, position.scope
        items: list[Answers] = scope.setdefault(group.key, [])
        meta = group_meta(scope, group)
        kind = command.command if command else None
        number = command.number if command else None
        if kind is Command.ADD:
            if len(items) >= group.max_items:
                return Outcome([render.group_menu(position)])
            items.append({})
            meta["menu"] = False
            return self._advance(state, None, [])
        if kind in (Command.EDIT, Command.REMOVE) and number is not None:
            if not 1 <= number <= len(items):
                message = texts.GROUP_NO_SUCH_ITEM.format(
                    number=number, counter=group.counter, label=group.label, count=len(items)
                )
                return Outcome([message])
            item_path = (*position.path, (group.key, number - 1))
            if kind is Command.EDIT:
                items[number - 1][DONE_KEY] = False
                items[number - 1][EDITING_KEY] = True
                return self._advance(state, None, [])
            state["confirm_remove"] = navigation.entry("item", item_path, group.key)
            title = group.title(items[number - 1])
            return Outcome([texts.CONFIRM_REMOVE.format(number=number, counter=group.counter, label=group.label, title=title)])
        if kind in (Command.DONE, Command.SUBMIT):
            if len(items) < group.min_items:
                message = texts.GROUP_NEED_MORE.format(
                    min=group.min_items, counter=group.counter, label=group.label, count=len(items)
                )
                return Outcome([message])
            meta["closed"] = True
            meta["menu"] = False
            state["redo"] = []
            navigation.record(state, "menu", position.path, group.key)
            return self._advance(state, None, [])
        return Outcome([texts.GROUP_REPLY + "\n\n" + render.group_menu(position)])

    # Navigation --------------------------------------------------------------------------------

    def _focus(self, state: dict, path: Path, key: str, origin: str) -> None:
        """Ask a field out of order; the items and pages around it must be confirmed again afterwards."""
        answers = state["answers"]
        for depth in range(1, len(path) + 1):
            resolve(answers, path[:depth]).pop(DONE_KEY, None)
        scope = resolve(answers, path)
        for node, page in iter_nodes(scope_nodes(self.dialog.nodes, path)):
            if page is not None and getattr(node, "key", None) == key and page.key in scope.get(CONFIRMED_KEY, ()):
                scope[CONFIRMED_KEY].remove(page.key)
        state["focus"] = {"path": [list(step) for step in path], "key": key, "origin": origin}

    def _back(self, state: dict, position: Position) -> Outcome:
        focus = state.get("focus")
        if focus and focus.get("origin") == "summary":
            state["focus"] = None
            return Outcome([self.prompt(state)])
        if isinstance(position, Ask) and position.path and _is_empty(position.scope):
            key, index = position.path[-1]
            parent = resolve(state["answers"], position.path[:-1])
            group = find_group(scope_nodes(self.dialog.nodes, position.path[:-1]), key)
            del parent[key][index]
            group_meta(parent, group)["menu"] = True
            return Outcome([self.prompt(state)])
        if isinstance(position, PageSummary | ItemSummary) and self._back_into_summary(state, position):
            return Outcome([self.prompt(state)])
        history: list[dict] = state["history"]
        while history:
            item = history.pop()
            if self._undo(state, item):
                if focus and focus.get("origin") == "back":
                    state.setdefault("redo", []).append(navigation.entry("field", _path(focus["path"]), focus["key"]))
                return Outcome([self.prompt(state)])
        return Outcome([texts.NOTHING_BEFORE + "\n\n" + self._render(state, position)])

    def _back_into_summary(self, state: dict, position: PageSummary | ItemSummary) -> bool:
        """From a summary, reopen its last answered question in page order; False when it has none."""
        entries = render.page_entries(position) if isinstance(position, PageSummary) else render.item_entries(position)
        for entry in reversed(entries):
            node = entry.node
            if isinstance(node, Field) and node.key in entry.scope and not is_locked(node, entry.scope):
                self._focus(state, entry.path, node.key, origin="back")
                return True
        return False

    def _undo(self, state: dict, item: dict) -> bool:
        """Reopen what a history entry recorded; False when it no longer exists."""
        path, key, kind = navigation.entry_path(item), item["key"], item.get("kind", "field")
        try:
            scope = resolve(state["answers"], path)
            if kind == "field":
                field_ = find_field(self.dialog.nodes, path, key)
                if field_.key not in scope or is_locked(field_, scope):
                    return False
                self._focus(state, path, key, origin="back")
                return True
            state["focus"] = None
            if kind == "menu":
                meta = group_meta(scope, find_group(scope_nodes(self.dialog.nodes, path), key))
                meta["closed"], meta["menu"] = False, True
            elif kind == "item":
                scope.pop(DONE_KEY, None)
            elif key in scope.get(CONFIRMED_KEY, ()):
                scope[CONFIRMED_KEY].remove(key)
            return True
        except (KeyError, IndexError):
            return False

    def _help(self, position: Position) -> str:
        if isinstance(position, Ask):
            help_text = position.field.help or texts.NO_HELP.format(label=position.field.label)
            return help_text + "\n" + texts.COMMANDS_LINE
        return texts.COMMANDS_LINE

    def _confirm_cancel(self, state: dict, text: str, command: Parsed | None, context: ParseContext) -> Outcome:
        kind = command.command if command else None
        answer = _YES_NO.parse(text, context) if kind is None else None
        if kind in (Command.CANCEL, Command.CONFIRM) or answer is True:
            state["confirm_cancel"] = False
            return Outcome([texts.CANCELLED], status="cancelled")
        if kind is Command.BACK or answer is False:
            state["confirm_cancel"] = False
            return Outcome([texts.CANCEL_ABORTED + "\n\n" + self.prompt(state)])
        return Outcome([texts.CONFIRM_CANCEL_AGAIN])

    def _confirm_remove(self, state: dict, text: str, command: Parsed | None, context: ParseContext) -> Outcome:
        kind = command.command if command else None
        answer = _YES_NO.parse(text, context) if kind is None else None
        if kind is not Command.CONFIRM and answer is None:
            return Outcome([texts.CONFIRM_REMOVE_AGAIN])
        pending = state.pop("confirm_remove")
        if kind is not Command.CONFIRM and answer is False:
            return Outcome([texts.REMOVE_ABORTED + "\n\n" + self.prompt(state)])
        item_path = navigation.entry_path(pending)
        key, index = item_path[-1]
        parent = resolve(state["answers"], item_path[:-1])
        group = find_group(scope_nodes(self.dialog.nodes, item_path[:-1]), key)
        del parent[key][index]
        navigation.forget(state, item_path)
        group_meta(parent, group)["menu"] = True
        removed = texts.GROUP_REMOVED.format(number=index + 1, counter=group.counter, label=group.label)
        return self._advance(state, None, [removed])

    def _arrange(self, state: dict, item_path: Path) -> str | None:
        key, _ = item_path[-1]
        parent = resolve(state["answers"], item_path[:-1])
        group = find_group(scope_nodes(self.dialog.nodes, item_path[:-1]), key)
        if group.arrange is None:
            return None
        return group.arrange(parent.get(key, []))


def position_header(position: Position) -> str:
    """Return a position's progress header, or '' once the dialog is complete."""
    return "" if isinstance(position, Complete) else position.header


def _within(position: Position, item_path: Path) -> bool:
    if isinstance(position, Complete):
        return False
    return position.path[: len(item_path)] == item_path


def _is_empty(scope: Answers) -> bool:
    return not any(not key.startswith("_") for key in scope)


def _other_example(field_: Field) -> str:
    return getattr(field_.type, "other_example", "") or "一句话说明"
