"""The numbered option list behind the choice field types, and how a reply token names an option."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from dialogs.normalize import (
    collapse_whitespace,
    is_punctuation_only,
    normalize_free_text,
    normalize_reply,
    parse_number,
    remove_whitespace,
    strip_trailing_punctuation,
)
from dialogs.parsing import Invalid

OTHER_MAX_LEN = 50
"""Maximum length in characters of the text that completes a 其他 option."""

# A hint fits on one line (「1. 男  2. 女」) up to this many characters, else it lists one option a line.
HINT_LINE_MAX_LEN = 30

# An ordinal reply: 「1」「1.」「(1)」「第1个」「第一项」「选1」.
_ORDINAL = re.compile(r"^(?:选择?)?第?\(?(?P<number>[^()]+?)\)?(?:个|项|条|种|号|个选项)?$")

# What may stand between the 其他 label and its text: 「其他：自主创业」「其他,自主创业」「其他-自主创业」.
# Free text keeps full-width ，：； so both widths are listed.
_OTHER_TEXT_LEAD = re.compile(r"^[\s:：,，;；、.\-—]+")

# Brackets or quotes around the whole 其他 text: 「其他（自主创业）」「其他“自主创业”」.
_WRAPPERS = {"(": ")", "（": "）", "「": "」", "“": "”", "\"": "\"", "'": "'", "[": "]", "【": "】"}


def option_key(text: str) -> str:
    """Return the comparison key of an option label or reply: NFKC, no whitespace, case-folded."""
    return remove_whitespace(normalize_reply(text)).casefold()


def parse_ordinal(token: str) -> int | None:
    """Return the 1-based number a token names (「1」「第一个」「(2)」「①」), or None."""
    token = strip_trailing_punctuation(remove_whitespace(normalize_reply(token)))
    match = _ORDINAL.match(token)
    if not match:
        return None
    return parse_number(match.group("number"))


class Ambiguous(Exception):
    """A reply matches part of more than one option label."""

    def __init__(self, token: str, indexes: list[int]) -> None:
        super().__init__(f"{token!r} matches options {indexes}")
        self.token = token
        self.indexes = indexes


class OptionList:
    """The labels of a choice field, numbered from 1, and the optional label of the 其他 option."""

    def __init__(self, options: Sequence[str], other: str | None, aliases: Mapping[str, str] | None = None) -> None:
        labels = tuple(options)
        if not labels:
            raise ValueError("a choice field needs at least one option")
        keys = [option_key(label) for label in labels]
        if len(set(keys)) != len(keys):
            raise ValueError(f"option labels must be distinct, got {labels!r}")
        if other is not None and other not in labels:
            raise ValueError(f"the other option {other!r} is not one of {labels!r}")
        self.labels = labels
        self.other = other
        self.other_index = labels.index(other) if other is not None else None
        self._keys = keys
        self._index_by_key = {key: index for index, key in enumerate(keys)}
        self._other_keys = _other_aliases(other) if other is not None else ()
        self._alias_index = {option_key(alias): labels.index(label) for alias, label in (aliases or {}).items()}

    def __len__(self) -> int:
        return len(self.labels)

    def lookup(self, token: str) -> int | None:
        """Return the 0-based index that a token names, or None.

        The token may be the exact label, its number, or a part of one label only. A number outside
        the list raises IndexError and a part of several labels raises `Ambiguous`.
        """
        key = option_key(token)
        stripped = strip_trailing_punctuation(key)
        if not stripped:
            return None
        for candidate in (key, stripped):
            if candidate in self._index_by_key:
                return self._index_by_key[candidate]
        number = parse_ordinal(token)
        if number is not None:
            if not 1 <= number <= len(self.labels):
                raise IndexError(number)
            return number - 1
        if stripped in self._alias_index:
            return self._alias_index[stripped]
        return self._lookup_part(stripped)

    def contained_in(self, text: str) -> int | None:
        """Return the one label contained in a short reply, such as 本科 in 大学本科 or 男 in 男生."""
        key = strip_trailing_punctuation(option_key(text))
        if any(char.isdigit() for char in key):
            return None
        indexes = [
            index
            for index, label_key in enumerate(self._keys)
            if label_key and label_key in key and len(key) <= len(label_key) + 3 and index != self.other_index
        ]
        return indexes[0] if len(indexes) == 1 else None

    def _lookup_part(self, key: str) -> int | None:
        # A single character such as 是 would match too many labels by accident.
        if len(key) < 2:
            return None
        indexes = [index for index, label_key in enumerate(self._keys) if key in label_key]
        if len(indexes) > 1:
            raise Ambiguous(key, indexes)
        return indexes[0] if indexes else None

    def label_prefix(self, text: str) -> tuple[int, int] | None:
        """Return (index, length) of the longest label that `text` starts with, ignoring width and case.

        `text` must be normalized already (`normalize_free_text`), so the lengths match its characters.
        """
        folded = normalize_reply(text).casefold()
        best: tuple[int, int] | None = None
        for index, label in enumerate(self.labels):
            label_text = collapse_whitespace(normalize_reply(label)).casefold()
            if folded.startswith(label_text) and (best is None or len(label_text) > best[1]):
                best = (index, len(label_text))
        return best

    def other_prefix_length(self, text: str) -> int:
        """Return the length of the 其他 label (or its variant 其它) that `text` starts with, else 0."""
        folded = normalize_reply(text).casefold()
        for alias in self._other_keys:
            if folded.startswith(alias):
                return len(alias)
        return 0

    def out_of_range(self, number: int) -> Invalid:
        """Return the rejection of an option number outside the list."""
        return Invalid(f"没有第 {number} 项，请回复 1 到 {len(self.labels)} 之间的序号，例如 1。")

    def ambiguous(self, error: Ambiguous) -> Invalid:
        """Return the rejection of a reply that matches several labels."""
        candidates = "、".join(f"{index + 1}. {self.labels[index]}" for index in error.indexes)
        return Invalid(f"「{error.token}」可能是：{candidates}。请回复其中一项的序号，例如 {error.indexes[0] + 1}。")

    def format(self) -> str:
        """Return the numbered options, on one line when short (「1. 男  2. 女」), else one per line."""
        items = [f"{number}. {label}" for number, label in enumerate(self.labels, start=1)]
        line = "  ".join(items)
        if len(line) <= HINT_LINE_MAX_LEN:
            return line
        return "\n".join(items)

    def other_number(self) -> int:
        """Return the 1-based number of the 其他 option; only valid when the list has one."""
        if self.other_index is None:
            raise ValueError("this option list has no other option")
        return self.other_index + 1


def _other_aliases(other: str) -> tuple[str, ...]:
    """Return the keys a reply may use for the 其他 label, longest first.

    其他 is also written 其它, and a longer label such as 其他（请注明） may be named by 其他 alone.
    """
    key = collapse_whitespace(normalize_reply(other)).casefold()
    aliases = {key, key.replace("其他", "其它"), key.replace("其它", "其他")}
    if key.startswith(("其他", "其它")):
        aliases.update({"其他", "其它"})
    return tuple(sorted(aliases, key=len, reverse=True))


def clean_other_text(text: str) -> str | None:
    """Return the 其他 text with its separators and brackets trimmed, or None when nothing is left.

    「：自主创业」, 「（自主创业）」 and 「 自主创业 」 all give 「自主创业」.
    """
    value = collapse_whitespace(normalize_free_text(text))
    value = _OTHER_TEXT_LEAD.sub("", value)
    if len(value) >= 2 and _WRAPPERS.get(value[0]) == value[-1]:
        value = value[1:-1].strip()
    if not value or is_punctuation_only(value):
        return None
    return value


def other_text_problem(text: str, example: str) -> Invalid | None:
    """Return the rejection of a 其他 text that is too long, or None."""
    if len(text) > OTHER_MAX_LEN:
        return Invalid(
            f"「其他」的内容太长了：最多 {OTHER_MAX_LEN} 个字，你写了 {len(text)} 个字。"
            f"请精简成一句话，例如：{example}。"
        )
    return None
