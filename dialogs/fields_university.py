"""Field types that name a university from the Ministry of Education list: its name, or a pairing passcode.

Both need `ParseContext.catalogue`. The pairing passcode of a university is its full official name
followed by 001 (北京大学001), so a cadre can derive it but an abbreviation (北大001) does not work.
"""

from __future__ import annotations

import re
from typing import Any

from dialogs.normalize import (
    collapse_whitespace,
    normalize_reply,
    remove_whitespace,
    strip_trailing_punctuation,
)
from dialogs.parsing import Catalogue, FieldType, Invalid, ParseContext, ParseResult

PASSCODE_SUFFIX = "001"

# A reply is echoed in a rejection up to this many characters, so that a pasted paragraph is not sent back.
_ECHO_MAX_LEN = 20

# 「北京大学001」「北京大学 001」「北京大学-001」「北京大学〇〇一」; digits other than 001 are read too.
_PASSCODE = re.compile(r"^(?P<name>.*?)[\s\-_—:,.]*(?P<digits>\d+|[零〇]{2}一)?$")

_ADMIN_NOTE = "如果学校还没入库或已经更名，请由所在高校团委向团中央青发部管理员申请新增或修改高校。"


def _require_catalogue(context: ParseContext) -> Catalogue:
    if context.catalogue is None:
        raise ValueError("university fields need ParseContext.catalogue, the university list")
    return context.catalogue


def _echo(text: str) -> str:
    return text if len(text) <= _ECHO_MAX_LEN else text[:_ECHO_MAX_LEN] + "…"


def _university_value(found: tuple[str, str]) -> dict[str, str]:
    code, name = found
    return {"code": code, "name": name}


def _display_university(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name", ""))
    return str(value)


class University(FieldType):
    """A university named by its full official name; the value is `{"code": 学校标识码, "name": official name}`.

    Traditional characters, either bracket width and spaces are accepted. A miss suggests up to three
    near names.
    """

    def parse(self, text: str, context: ParseContext) -> ParseResult:
        catalogue = _require_catalogue(context)
        name = strip_trailing_punctuation(collapse_whitespace(normalize_reply(text)))
        found = catalogue.match(name)
        if found is not None:
            return _university_value(found)

        missing = f"「{_echo(name)}」不在教育部公布的高校名单里。"
        suggestions = catalogue.suggest(name)
        if suggestions:
            return Invalid(f"{missing}你是不是要找：{'、'.join(suggestions)}？请发送学校全称，例如 {suggestions[0]}。")
        return Invalid(f"{missing}请发送学校全称（不要用简称），例如 北京大学。")

    def hint(self) -> str:
        return "学校全称，例如 北京大学"

    def display(self, value: Any) -> str:
        return _display_university(value)


class Passcode(FieldType):
    """The pairing passcode: the full official name of a university followed by 001 (北京大学001).

    The value is that of `University`. Rejections tell apart a valid name without 001 (with the
    exact passcode to send), an abbreviation (with the likely full name), and an unknown name, which
    may be missing from the list or renamed (with near names as likely passcodes).
    """

    def parse(self, text: str, context: ParseContext) -> ParseResult:
        catalogue = _require_catalogue(context)
        compact = strip_trailing_punctuation(remove_whitespace(normalize_reply(text)))
        match = _PASSCODE.match(compact)
        name = match.group("name") if match else compact
        digits = match.group("digits") if match else None
        if not name:
            return Invalid(f"口令是学校全称加 {PASSCODE_SUFFIX}，前面的学校名称不能少，例如 北京大学{PASSCODE_SUFFIX}。")

        found = catalogue.match(name)
        if found is not None:
            return self._check_suffix(found, digits)
        return self._reject_name(name, catalogue.suggest(name))

    def _check_suffix(self, found: tuple[str, str], digits: str | None) -> ParseResult:
        passcode = f"{found[1]}{PASSCODE_SUFFIX}"
        if digits is None:
            return Invalid(f"口令还少了结尾的 {PASSCODE_SUFFIX}。请发送：{passcode}")
        if digits not in (PASSCODE_SUFFIX, "〇〇一", "零零一"):
            return Invalid(f"口令结尾应是 {PASSCODE_SUFFIX}，不是 {digits}。请发送：{passcode}")
        return _university_value(found)

    def _reject_name(self, name: str, suggestions: list[str]) -> Invalid:
        if not suggestions:
            return Invalid(
                f"口令不正确：没有找到「{_echo(name)}」。口令是教育部公布的学校全称加 {PASSCODE_SUFFIX}，"
                f"例如 北京大学{PASSCODE_SUFFIX}。{_ADMIN_NOTE}"
            )
        full_names = [suggestion for suggestion in suggestions if _is_abbreviation(name, suggestion)]
        if full_names:
            return Invalid(f"口令要用学校全称，不能用简称。你的口令可能是：{_passcodes(full_names)}")
        return Invalid(f"口令不正确：没有找到「{_echo(name)}」。你的口令可能是：{_passcodes(suggestions)}。{_ADMIN_NOTE}")

    def hint(self) -> str:
        return f"学校全称加 {PASSCODE_SUFFIX}，例如 北京大学{PASSCODE_SUFFIX}"

    def display(self, value: Any) -> str:
        return _display_university(value)


def _passcodes(names: list[str]) -> str:
    return "、".join(f"{name}{PASSCODE_SUFFIX}" for name in names)


def _is_abbreviation(name: str, full_name: str) -> bool:
    """Return True when `name` is shorter than `full_name` and its characters appear there in order."""
    short = remove_whitespace(normalize_reply(name)).casefold()
    full = remove_whitespace(normalize_reply(full_name)).casefold()
    if len(short) >= len(full):
        return False
    remaining = iter(full)
    return all(char in remaining for char in short)
