"""Field types for typed text: free text, a person's name and a mobile phone number."""

from __future__ import annotations

import re

from dialogs.normalize import (
    collapse_whitespace,
    is_han,
    is_punctuation_only,
    normalize_free_text,
    normalize_reply,
    remove_whitespace,
)
from dialogs.parsing import FieldType, Invalid, ParseContext, ParseResult


class Text(FieldType):
    """Free text of `min_len` to `max_len` characters, trimmed, with inner whitespace runs collapsed.

    Full-width letters, digits and spaces become ASCII. Full-width Chinese punctuation (，：；？！（）)
    is kept as typed. A reply of punctuation, symbols or emoji alone is rejected.
    """

    def __init__(self, min_len: int = 1, max_len: int = 50, *, example: str = "") -> None:
        if not 1 <= min_len <= max_len:
            raise ValueError(f"Text needs 1 <= min_len <= max_len, got {min_len} and {max_len}")
        self.min_len = min_len
        self.max_len = max_len
        self.example = example

    def parse(self, text: str, context: ParseContext) -> ParseResult:
        value = collapse_whitespace(normalize_free_text(text))
        if not value or is_punctuation_only(value):
            return Invalid(f"请输入文字内容，不能只有标点或表情，{self._example_clause()}。")
        if not any(char.isalpha() for char in value):
            return Invalid(f"这里需要填写文字，不能只有数字或日期，{self._example_clause()}。")
        if len(value) < self.min_len:
            return Invalid(
                f"内容太短了：至少 {self.min_len} 个字，你发了 {len(value)} 个字。请补充完整，{self._example_clause()}。"
            )
        if len(value) > self.max_len:
            return Invalid(
                f"内容太长了：最多 {self.max_len} 个字，你发了 {len(value)} 个字。请精简后重新发送，"
                f"{self._example_clause()}。"
            )
        return value

    def hint(self) -> str:
        limit = f"{self.min_len}–{self.max_len} 个字" if self.min_len > 1 else f"不超过 {self.max_len} 个字"
        if self.example:
            return f"{limit}，例如：{self.example}"
        return limit

    def _example_clause(self) -> str:
        if self.example:
            return f"例如：{self.example}"
        return f"例如用一句话写明，不超过 {self.max_len} 个字"


# Separators between the parts of a minority name (阿依古丽·买买提), all stored as U+00B7.
_NAME_DOTS = str.maketrans({"•": "·", "‧": "·", "・": "·", ".": "·", "∙": "·", "⋅": "·", "･": "·"})
PERSON_NAME_MIN_LEN = 2
PERSON_NAME_MAX_LEN = 20
_NAME_EXAMPLE = "例如 张伟 或 阿依古丽·买买提"


class PersonName(FieldType):
    """A Chinese name: 2–20 characters of Han ideographs and middle dots between the parts.

    Any Han ideograph counts, including the Extensions A–I (𠮷) and the compatibility ideographs,
    which are kept as typed. Spaces are removed. `•`, `‧`, `・` and `.` become the middle dot `·`.
    """

    def parse(self, text: str, context: ParseContext) -> ParseResult:
        value = remove_whitespace(normalize_reply(text)).translate(_NAME_DOTS)
        problem = _name_problem(value)
        if problem:
            return Invalid(f"{problem}姓名请用汉字填写，{_NAME_EXAMPLE}。")
        return value

    def hint(self) -> str:
        return f"请填写汉字姓名，{_NAME_EXAMPLE}"


def _name_problem(name: str) -> str:
    """Return the first sentence of the rejection for an invalid name, or '' when the name is valid."""
    if any(char.isdigit() for char in name):
        return "姓名里不能有数字。"
    if any(char.isascii() and char.isalpha() for char in name):
        return "姓名里不能有英文字母。"
    if any(char != "·" and not is_han(char) for char in name):
        return "姓名里只能有汉字和间隔号“·”，不能有表情或其他符号。"
    if name.startswith("·") or name.endswith("·") or "··" in name:
        return "间隔号“·”只能写在名字的两部分之间。"
    if len(name) < PERSON_NAME_MIN_LEN:
        return f"姓名至少 {PERSON_NAME_MIN_LEN} 个字。"
    if len(name) > PERSON_NAME_MAX_LEN:
        return f"姓名最多 {PERSON_NAME_MAX_LEN} 个字，你发了 {len(name)} 个字。"
    if len(name) > PERSON_NAME_MIN_LEN and name.endswith(_TITLES):
        return "请填写真实姓名，不要带“老师”“同学”等称谓。"
    return ""


# Forms of address people add to a name (李老师, 王同学); a name ending in one is rejected.
_TITLES = ("老师", "同学", "书记", "主任", "先生", "女士", "校长", "院长", "辅导员")


# Characters people put inside a phone number: spaces are removed separately.
_PHONE_PUNCTUATION = re.compile(r"[-.()\[\]/_—–~]")
_COUNTRY_PREFIX = re.compile(r"^(?:\+86|0086|86(?=\d{11}$))")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_MOBILE_RULE = "手机号应为11位数字，以1开头，例如 13800001111。"


class Mobile(FieldType):
    """A mainland China mobile number: 11 digits, starting with 1 and a second digit of 3–9.

    Full-width digits, spaces, dashes, dots, parentheses and a +86, 0086 or 86 prefix are accepted
    and removed; the value is the 11-digit string.
    """

    def parse(self, text: str, context: ParseContext) -> ParseResult:
        value = _PHONE_PUNCTUATION.sub("", remove_whitespace(normalize_reply(text)))
        value = _COUNTRY_PREFIX.sub("", value)
        if not value.isascii() or not value.isdigit():
            return Invalid(f"手机号只能包含数字。{_MOBILE_RULE}")
        if len(value) != 11:
            return Invalid(f"你发的号码有 {len(value)} 位数字。{_MOBILE_RULE}")
        if not _MOBILE.fullmatch(value):
            return Invalid(f"{value} 不是有效的手机号。{_MOBILE_RULE}")
        return value

    def hint(self) -> str:
        return "11位手机号，例如 13800001111"
