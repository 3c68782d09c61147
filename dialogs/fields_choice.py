"""Field types for choices: yes or no, one option from a numbered list, several options."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from dialogs.fields_options import Ambiguous, OptionList, clean_other_text, option_key, other_text_problem
from dialogs.normalize import (
    collapse_whitespace,
    normalize_free_text,
    normalize_reply,
    remove_whitespace,
    strip_trailing_punctuation,
)
from dialogs.parsing import FieldType, Invalid, NeedsOther, ParseContext, ParseResult

_YES_WORDS = frozenset(
    {"是", "1", "对", "有", "要", "好", "y", "yes", "√", "✓", "✔", "是的", "对的", "嗯", "嗯嗯", "好的",
     "要的", "有的", "对啊", "是啊", "需要", "可以", "同意", "1是", "1.是", "1、是"}
)
_NO_WORDS = frozenset(
    {"否", "2", "不对", "不是", "没有", "无", "不要", "不", "n", "no", "×", "✗", "✘", "没", "不好", "不用",
     "不需要", "不可以", "不行", "不同意", "没有的", "2否", "2.否", "2、否"}
)
YES_LABEL = "是"
NO_LABEL = "否"


class YesNo(FieldType):
    """A yes-or-no question; the value is a bool.

    Accepts 是/否, 1/2, 对/不对, 有/没有/无, 要/不要, 好/不, y/n, yes/no in any case, √/× and similar
    words, with or without trailing punctuation.
    """

    def parse(self, text: str, context: ParseContext) -> ParseResult:
        word = remove_whitespace(strip_trailing_punctuation(normalize_reply(text))).casefold()
        if word in _YES_WORDS:
            return True
        if word in _NO_WORDS:
            return False
        return Invalid("请回复「是」或「否」，也可以回复序号，例如 1 表示是，2 表示否。")

    def hint(self) -> str:
        return f"1. {YES_LABEL}  2. {NO_LABEL}"

    def display(self, value: Any) -> str:
        if isinstance(value, bool):
            return YES_LABEL if value else NO_LABEL
        return str(value)


# 「5 自主创业」「5.自主创业」「第5项：自主创业」: an option number followed by more text.
_NUMBER_THEN_TEXT = re.compile(r"^第?(?P<number>\d+)(?:个|项)?[\s.、:：,，)）\-]*(?P<rest>.+)$")

# Characters that separate the options of a multiple choice: 「1、3」「1,3」「1；3」「1/3」「1 3」「1和3」.
_SEPARATORS = frozenset(" ,，、;；/.。和")
_RANGE = re.compile(r"(?P<first>\d+)\s*(?:-|~|—|–|至|到)\s*(?P<last>\d+)")
_DIGITS = re.compile(r"\d+")


class _ChoiceBase(FieldType):
    """Base of the single and multiple choice types: the option list and the 其他 text.

    `other_example` is a sample 其他 text (自主创业) used in hints and rejections. The engine may show
    it when it asks for the text after a NeedsOther.
    """

    def __init__(
        self, options: Sequence[str], other: str | None, other_example: str, aliases: Mapping[str, str] | None = None
    ) -> None:
        self.options = OptionList(options, other, aliases)
        self.other = other
        self.other_example = other_example

    def _other_example(self) -> str:
        """Return the example of a 其他 text shown to the user: the given one, or the number and a placeholder."""
        return self.other_example or f"{self.options.other_number()} 具体内容"

    def _other_hint(self) -> str:
        if self.other is None:
            return ""
        example = f"{self.options.other_number()} {self.other_example or '具体内容'}"
        return f"\n选「{self.other}」时请在序号后写明内容，例如：{example}"

    def _read_other_text(self, text: str) -> str | None:
        """Return the cleaned 其他 text, without a repeated 其他 label in front, or None if empty."""
        value = clean_other_text(text)
        if value is None:
            return None
        label_length = self.options.other_prefix_length(value)
        if label_length:
            return clean_other_text(value[label_length:])
        return value

    def _complete_other(self, value: Any, text: str) -> ParseResult:
        if not isinstance(value, dict):
            raise TypeError(f"{type(self).__name__}.add_other needs the dict of a NeedsOther, got {value!r}")
        other_text = self._read_other_text(text)
        if other_text is None:
            if self.other_example:
                return Invalid(f"请写明「{self.other}」的具体内容，直接发送文字即可，例如：{self.other_example}。")
            return Invalid(f"请用一句话写明「{self.other}」的具体内容，直接发送文字即可。")
        problem = other_text_problem(other_text, self._other_example())
        if problem:
            return problem
        return {**value, "other": other_text}

    def _display_label(self, label: str, other_text: Any) -> str:
        if label == self.other and other_text:
            return f"{label}（{other_text}）"
        return label


class Choice(_ChoiceBase):
    """One option from a numbered list, named by its number (1, 第1个, 一) or by its label.

    Without `other` the value is the label. With `other` (the label of an option such as 其他 that
    needs a text) the value is `{"option": label, "other": text or None}`. The text may come inline
    (「5 自主创业」「其他：自主创业」); without it, `parse` returns NeedsOther and `add_other` completes it.
    """

    def __init__(
        self,
        options: Sequence[str],
        other: str | None = None,
        *,
        other_example: str = "",
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(options, other, other_example, aliases)

    def parse(self, text: str, context: ParseContext) -> ParseResult:
        reply = collapse_whitespace(normalize_free_text(text))
        try:
            index = self.options.lookup(reply)
        except IndexError as error:
            return self.options.out_of_range(error.args[0])
        except Ambiguous as error:
            return self.options.ambiguous(error)
        if index is not None:
            return self._select(index, None)

        match = _NUMBER_THEN_TEXT.match(reply)
        if match:
            return self._select_numbered(int(match.group("number")), match.group("rest"))
        other_length = self.options.other_prefix_length(reply)
        if other_length and self.options.other_index is not None:
            return self._select(self.options.other_index, reply[other_length:])
        contained = self.options.contained_in(reply)
        if contained is not None:
            return self._select(contained, None)
        return Invalid(f"没有找到这个选项。请回复选项前的序号（1 到 {len(self.options)}），例如 1。")

    def _select_numbered(self, number: int, rest: str) -> ParseResult:
        if not 1 <= number <= len(self.options):
            return self.options.out_of_range(number)
        index = number - 1
        if index == self.options.other_index:
            return self._select(index, rest)
        # 「1. 男」 is the hint line copied back, which names the same option twice.
        if option_key(strip_trailing_punctuation(rest)) == option_key(self.options.labels[index]):
            return self._select(index, None)
        if _MORE_NUMBERS.match(rest):
            return Invalid(f"这一题只能选一项。请只回复一个序号，例如 {number}。")
        return Invalid(f"第 {number} 项是「{self.options.labels[index]}」，后面不用再写内容。请只回复序号，例如 {number}。")

    def _select(self, index: int, other_text: str | None) -> ParseResult:
        label = self.options.labels[index]
        if self.other is None:
            return label
        if index != self.options.other_index:
            return {"option": label, "other": None}
        text = self._read_other_text(other_text) if other_text is not None else None
        if text is None:
            return NeedsOther({"option": label, "other": None})
        return other_text_problem(text, self._other_example()) or {"option": label, "other": text}

    def add_other(self, value: Any, text: str) -> ParseResult:
        return self._complete_other(value, text)

    def hint(self) -> str:
        return self.options.format() + self._other_hint()

    def display(self, value: Any) -> str:
        if isinstance(value, dict):
            return self._display_label(str(value.get("option", "")), value.get("other"))
        return str(value)


class MultiChoice(_ChoiceBase):
    """Several options from a numbered list; the value is `{"options": [labels], "other": text or None}`.

    Options are separated by 、 , ， ; ； / spaces or 和, may be numbers, ranges (1-3) or labels, and
    are stored in list order without duplicates. The 其他 text may follow its number or label
    (「1、3、6其他：讲座」「1,6 线上宣讲」), else `parse` returns NeedsOther. "other" is None unless
    the 其他 option is selected.
    """

    def __init__(
        self,
        options: Sequence[str],
        other: str | None = None,
        min_count: int = 1,
        max_count: int | None = None,
        *,
        other_example: str = "",
    ) -> None:
        super().__init__(options, other, other_example)
        upper = len(self.options) if max_count is None else max_count
        if not 1 <= min_count <= upper <= len(self.options):
            raise ValueError(
                f"MultiChoice needs 1 <= min_count <= max_count <= {len(self.options)}, got {min_count} and {max_count}"
            )
        self.min_count = min_count
        self.max_count = upper

    def parse(self, text: str, context: ParseContext) -> ParseResult:
        reply = collapse_whitespace(normalize_free_text(text))
        if strip_trailing_punctuation(reply) in _ALL_WORDS:
            every = [label for label in self.options.labels if label != self.other]
            if len(every) <= self.max_count:
                return {"options": every, "other": None}
        selection = _Selection()
        problem = self._scan(reply, selection)
        if problem:
            return problem
        if not selection.indexes:
            return Invalid(f"没有找到这些选项。请回复选项前的序号，可多选，例如 {self._example()}。")
        if len(selection.indexes) < self.min_count:
            return Invalid(f"至少要选 {self.min_count} 项，你选了 {len(selection.indexes)} 项，例如回复 {self._example()}。")
        if len(selection.indexes) > self.max_count:
            return Invalid(f"最多只能选 {self.max_count} 项，你选了 {len(selection.indexes)} 项，请删去一些后重新发送。"
                           f"例如 {self._example()}。")
        return self._value(selection)

    def _value(self, selection: _Selection) -> ParseResult:
        labels = [self.options.labels[index] for index in sorted(selection.indexes)]
        if self.options.other_index not in selection.indexes:
            return {"options": labels, "other": None}
        text = self._read_other_text(selection.other_text) if selection.other_text is not None else None
        if text is None:
            return NeedsOther({"options": labels, "other": None})
        return other_text_problem(text, self._other_example()) or {"options": labels, "other": text}

    def _scan(self, reply: str, selection: _Selection) -> Invalid | None:
        """Read the reply token by token into `selection`; return the rejection of an unreadable token."""
        position = 0
        while (position := _skip_separators(reply, position)) < len(reply):
            rest = reply[position:]
            other_length = self.options.other_prefix_length(rest)
            if other_length and self.options.other_index is not None:
                selection.indexes.add(self.options.other_index)
                selection.other_text = rest[other_length:]
                return None
            consumed = self._read_token(rest, selection)
            if isinstance(consumed, Invalid):
                return consumed
            if consumed:
                position += consumed
                continue
            if self.options.other_index in selection.indexes:
                selection.other_text = rest
                return None
            return Invalid(
                f"没看懂「{_token(rest)}」。请回复选项前的序号，用顿号或逗号隔开，例如 {self._example()}。"
            )
        return None

    def _read_token(self, rest: str, selection: _Selection) -> int | Invalid:
        """Add the options the token at the start of `rest` names; return its length, or 0 if unreadable."""
        label = self.options.label_prefix(rest)
        if label and _ends_token(rest, label[1]):
            selection.indexes.add(label[0])
            return label[1]

        match = _RANGE.match(rest)
        if match and _ends_token(rest, match.end()):
            return self._read_range(int(match.group("first")), int(match.group("last")), selection) or match.end()

        match = _DIGITS.match(rest)
        if match:
            number = int(match.group())
            after = rest[match.end():].lstrip()
            if _ends_token(rest, match.end()) or self.options.other_prefix_length(after):
                if not 1 <= number <= len(self.options):
                    return self.options.out_of_range(number)
                selection.indexes.add(number - 1)
                return match.end()
            if number - 1 == self.options.other_index:
                # 「6线上宣讲」: the number of 其他 followed directly by its text.
                selection.indexes.add(number - 1)
                selection.other_text = rest[match.end():]
                return len(rest)

        token = _token(rest)
        try:
            index = self.options.lookup(token)
        except IndexError as error:
            return self.options.out_of_range(error.args[0])
        except Ambiguous as error:
            return self.options.ambiguous(error)
        if index is None:
            return 0
        selection.indexes.add(index)
        return len(token)

    def _read_range(self, first: int, last: int, selection: _Selection) -> Invalid | None:
        for number in (first, last):
            if not 1 <= number <= len(self.options):
                return self.options.out_of_range(number)
        if first > last:
            return Invalid(f"范围「{first}-{last}」要从小写到大，例如 {last}-{first}。")
        selection.indexes.update(range(first - 1, last))
        return None

    def _example(self) -> str:
        return "1、3" if len(self.options) >= 3 else "1、2"

    def add_other(self, value: Any, text: str) -> ParseResult:
        return self._complete_other(value, text)

    def hint(self) -> str:
        rule = f"可多选，用顿号或逗号隔开，例如 {self._example()}"
        if self.max_count < len(self.options):
            rule += f"，最多选 {self.max_count} 项"
        if self.min_count > 1:
            rule += f"，至少选 {self.min_count} 项"
        return f"{self.options.format()}\n{rule}{self._other_hint()}"

    def display(self, value: Any) -> str:
        if not isinstance(value, dict):
            return str(value)
        labels = [self._display_label(str(label), value.get("other")) for label in value.get("options", [])]
        return "、".join(labels) if labels else "无"


_MORE_NUMBERS = re.compile(r"^[\s,，、；;/和]*\d")
"""Text after a first number that starts another number: several options on a single choice."""

_ALL_WORDS = frozenset({"全部", "全选", "都有", "都是", "以上都是", "以上全部"})
"""Replies that select every option of a multiple choice except 其他."""


class _Selection:
    """The option indexes read so far from a multiple-choice reply and the raw 其他 text, if any."""

    def __init__(self) -> None:
        self.indexes: set[int] = set()
        self.other_text: str | None = None


def _skip_separators(text: str, position: int) -> int:
    while position < len(text) and (text[position] in _SEPARATORS or text[position].isspace()):
        position += 1
    return position


def _ends_token(text: str, end: int) -> bool:
    return end >= len(text) or text[end] in _SEPARATORS or text[end].isspace()


def _token(text: str) -> str:
    """Return the start of `text` up to the first separator."""
    for position, char in enumerate(text):
        if char in _SEPARATORS or char.isspace():
            return text[:position]
    return text
