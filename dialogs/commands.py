"""The command words a user may send at any step, recognized before a reply is parsed as an answer."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum


class Command(Enum):
    """A command the engine or the conversation handles itself."""

    BACK = "back"
    CANCEL = "cancel"
    HELP = "help"
    SKIP = "skip"
    PROGRESS = "progress"
    KEEP = "keep"
    DEFAULT = "default"
    CONFIRM = "confirm"
    ADD = "add"
    EDIT = "edit"
    REMOVE = "remove"
    NEXT_PAGE = "next_page"
    SUBMIT = "submit"
    DONE = "done"


_WORDS: dict[str, Command] = {
    "返回": Command.BACK, "上一步": Command.BACK, "上一题": Command.BACK, "后退": Command.BACK,
    "取消": Command.CANCEL, "退出": Command.CANCEL, "放弃": Command.CANCEL,
    "帮助": Command.HELP, "help": Command.HELP, "?": Command.HELP, "说明": Command.HELP,
    "跳过": Command.SKIP, "不填": Command.SKIP,
    "进度": Command.PROGRESS, "我在哪": Command.PROGRESS, "当前进度": Command.PROGRESS,
    "不变": Command.KEEP, "保持不变": Command.KEEP, "不修改": Command.KEEP,
    "默认": Command.DEFAULT,
    "确认": Command.CONFIRM, "确定": Command.CONFIRM, "确认无误": Command.CONFIRM, "ok": Command.CONFIRM,
    "添加": Command.ADD, "继续添加": Command.ADD, "再添加一个": Command.ADD, "再加一个": Command.ADD,
    "新增": Command.ADD,
    "下一页": Command.NEXT_PAGE,
    "提交": Command.SUBMIT,
    "完成": Command.DONE, "下一步": Command.DONE,
}

_NUMBERED = re.compile(r"^(修改|改|编辑|删除|删|移除)\s*第?\s*(\d{1,3})\s*(项|个|名|份)?$")
_TRAILING = "。.!！~～ "


@dataclass(frozen=True)
class Parsed:
    """A recognized command; `number` is set for 「修改 N」 and 「删除 N」."""

    command: Command
    number: int | None = None


def normalize(text: str) -> str:
    """Fold full-width characters and case, and drop surrounding spaces and trailing punctuation."""
    folded = unicodedata.normalize("NFKC", text).strip().rstrip(_TRAILING).strip()
    return folded.lower()


def parse_command(text: str) -> Parsed | None:
    """Return the command `text` names, or None when it is an ordinary answer."""
    word = normalize(text)
    if word in _WORDS:
        return Parsed(_WORDS[word])
    match = _NUMBERED.match(word)
    if match:
        command = Command.EDIT if match.group(1) in ("修改", "改", "编辑") else Command.REMOVE
        return Parsed(command, int(match.group(2)))
    return None
