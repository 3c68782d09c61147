"""Committee commands in the chat, and the count of pairing passcodes that match no university.

- 「绑定 CODE」 makes the user a member of the committee that issued the invite code,
  「解绑」 ends the membership, 「我的团委」 shows it. None of them needs a bound cadre phone.
- 「申请修改 …」 (or 「申请删除 …」) sends a cadre's request for a change they may not make
  themselves (a student's phone, university or major, or a deletion) to the university committee.
- After three consecutive passcodes that match no university, the central administrators are
  notified, and the cadre is informed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from dialogs.commands import normalize, parse_command
from dialogs.normalize import normalize_reply, remove_whitespace, strip_trailing_punctuation
from dialogs.pairing import PAIRING
from dialogs.parsing import Catalogue
from dialogs.steps import step_key

MY_COMMITTEE_WORDS = {"我的团委", "我的团委信息", "查看团委"}
UNBIND_WORDS = {"解绑", "解除绑定", "解绑团委", "退出团委"}
REQUEST_MAX_CHARS = 500
PASSCODE_STEP = f"{PAIRING.key}/passcode"

_BIND = re.compile(r"^绑定\s*[:：]?\s*(?P<code>[A-Za-z0-9][A-Za-z0-9\- ]{3,30})$")
_REQUEST = re.compile(r"^申请(?P<action>修改|删除)\s*[:：]?\s*(?P<text>.*)$", re.DOTALL)
_PASSCODE_TAIL = re.compile(r"[\s\-_—:,.]*(\d+|[零〇]{2}一)?$")

LEVEL_NAMES = {"central": "团中央管理员", "provincial": "省级团委", "university": "高校团委"}

BIND_USAGE = "请在「绑定」后加上管理员发给你的团委邀请码，例如：绑定 K7MX4PQ2"
BOUND = "绑定成功！你已成为「{name}」（{level}）的成员，之后会在这里收到该团委的通知。回复「我的团委」查看，回复「解绑」解除。"
ALREADY_MEMBER = "你已经是「{name}」的成员，无需重复绑定。"
MEMBER_ELSEWHERE = "你已是「{name}」的成员。一个微信号只能加入一个团委；如要加入其他团委，请先回复「解绑」。"
CODE_INVALID = "邀请码不正确，请核对后重新发送（字母不区分大小写）。如有疑问，请联系发邀请码的管理员。"
CODE_EXPIRED = "这个邀请码已过期，请联系管理员重新生成。"
CODE_USED = "这个邀请码已被使用过（每个邀请码只能用一次），请联系管理员重新生成。"
UNBOUND = "已解除与「{name}」的绑定，你将不再收到该团委的通知。"
NOT_MEMBER = "你目前没有绑定团委。团委成员请发送「绑定 邀请码」完成绑定，邀请码由管理员生成。"
MEMBERSHIP = "你是「{name}」的成员。\n级别：{level}"
MEMBERSHIP_FOOTER = "回复「解绑」可解除绑定。"

REQUEST_USAGE = (
    "请在「申请修改」后写明要修改的内容，例如：申请修改 学生张三的手机号应为13912345678。\n"
    "可申请修改学生的手机号、院校、专业，或申请删除学生（「申请删除 张三，已无就业意向」）。"
)
REQUEST_TOO_LONG = "申请内容太长了，请控制在{limit}字以内。"
REQUEST_SENT = "已将你的申请发送给「{committee}」，请等待团委处理。\n申请内容：{text}"
REQUEST_NOT_CADRE = "请先绑定团干部手机号（回复「提交结对」开始），再提交修改申请。"
REQUEST_NO_UNIVERSITY = "你名下还没有结对学生，暂时无法确定所在高校团委。请直接联系所在高校团委。"
REQUEST_NO_RECIPIENT = "所在高校团委及上级团委暂未在本公众号登记，申请未能送达。请直接联系所在高校团委。"

PASSCODE_REPORTED = (
    "你已连续{count}次输入的口令都没有找到对应的高校，已把你输入的口令和手机号转给团中央管理员核实"
    "（可能是学校未入库或已更名）。核实后管理员会新增或修改高校，请稍后再试。"
)


@dataclass(frozen=True)
class CommitteeView:
    """A committee as the chat shows it."""

    name: str
    level: str
    university: str | None = None
    parent: str | None = None
    members: int = 0


BindStatus = Literal["bound", "already_member", "member_elsewhere", "invalid", "expired", "used"]
RequestStatus = Literal["sent", "not_cadre", "no_university", "no_recipient"]


@dataclass(frozen=True)
class BindResult:
    """The result of 「绑定 CODE」; `committee` is set unless the code was not accepted."""

    status: BindStatus
    committee: CommitteeView | None = None


@dataclass(frozen=True)
class RequestResult:
    """The result of 「申请修改 …」 and the committee that received it."""

    status: RequestStatus
    committee: str | None = None


class CommitteeBackend(Protocol):
    """The database operations of the committee commands."""

    async def bind_committee(self, openid: str, code: str) -> BindResult:
        """Make `openid` a member of the committee of an unused, unexpired invite code."""

    async def unbind_committee(self, openid: str) -> str | None:
        """End the membership of `openid`; return the committee's name, or None without one."""

    async def my_committee(self, openid: str) -> CommitteeView | None:
        """Return the committee `openid` is a member of, or None."""

    async def request_change(self, openid: str, text: str) -> RequestResult:
        """Send a cadre's change request to their university committee."""

    async def passcode_missed(self, openid: str, text: str) -> int:
        """Count a passcode that matched no university; return the count when administrators were notified, else 0."""

    async def passcode_matched(self, openid: str) -> None:
        """Reset the count of passcodes that matched no university."""


def describe(committee: CommitteeView) -> str:
    """Return the 「我的团委」 text of a committee."""
    lines = [MEMBERSHIP.format(name=committee.name, level=LEVEL_NAMES.get(committee.level, committee.level))]
    if committee.university:
        lines.append(f"高校：{committee.university}")
    if committee.parent:
        lines.append(f"上级团委：{committee.parent}")
    lines.append(f"成员人数：{committee.members}")
    lines.append(MEMBERSHIP_FOOTER)
    return "\n".join(lines)


def passcode_university_missing(text: str, catalogue: Catalogue) -> bool:
    """Return True when the university name in a passcode reply matches no university of the list."""
    compact = strip_trailing_punctuation(remove_whitespace(normalize_reply(text)))
    name = _PASSCODE_TAIL.sub("", compact)
    return bool(name) and catalogue.match(name) is None


def at_passcode(state: dict[str, Any]) -> bool:
    """Return True when a dialog state is at the pairing passcode question."""
    return state.get("dialog") == PAIRING.key and step_key({"dialog": state}, {PAIRING.key: PAIRING}) == PASSCODE_STEP


class Committees:
    """Handles the committee commands. It is stateless, so one instance serves every user."""

    def __init__(self, backend: CommitteeBackend) -> None:
        self.backend = backend

    async def reply(self, openid: str, text: str) -> str | None:
        """Return the reply to a committee command, or None when `text` is not a committee command."""
        word = normalize(text)
        if word in MY_COMMITTEE_WORDS:
            committee = await self.backend.my_committee(openid)
            return describe(committee) if committee is not None else NOT_MEMBER
        if word in UNBIND_WORDS:
            name = await self.backend.unbind_committee(openid)
            return UNBOUND.format(name=name) if name is not None else NOT_MEMBER
        if word == "绑定":
            return BIND_USAGE
        bind = _BIND.match(word)
        if bind is not None:
            return await self._bind(openid, bind.group("code"))
        request = _REQUEST.match(text.strip())
        if request is not None:
            return await self._request(openid, request.group("action"), request.group("text").strip())
        return None

    async def _bind(self, openid: str, code: str) -> str:
        result = await self.backend.bind_committee(openid, code)
        committee = result.committee
        if result.status == "bound" and committee is not None:
            return BOUND.format(name=committee.name, level=LEVEL_NAMES.get(committee.level, committee.level))
        if result.status == "already_member" and committee is not None:
            return ALREADY_MEMBER.format(name=committee.name)
        if result.status == "member_elsewhere" and committee is not None:
            return MEMBER_ELSEWHERE.format(name=committee.name)
        return {"expired": CODE_EXPIRED, "used": CODE_USED}.get(result.status, CODE_INVALID)

    async def _request(self, openid: str, action: str, text: str) -> str:
        if not text:
            return REQUEST_USAGE
        if len(text) > REQUEST_MAX_CHARS:
            return REQUEST_TOO_LONG.format(limit=REQUEST_MAX_CHARS)
        full_text = f"申请{action}：{text}"
        result = await self.backend.request_change(openid, full_text)
        if result.status == "sent":
            return REQUEST_SENT.format(committee=result.committee, text=full_text)
        return {
            "not_cadre": REQUEST_NOT_CADRE,
            "no_university": REQUEST_NO_UNIVERSITY,
        }.get(result.status, REQUEST_NO_RECIPIENT)

    async def after_passcode(self, openid: str, text: str, state: dict[str, Any], catalogue: Catalogue) -> str | None:
        """Count the reply given at the passcode question; return a notice when administrators were notified.

        A command word is not a passcode. A reply that moved the dialog on matched a university.
        """
        if parse_command(text) is not None:
            return None
        if not at_passcode(state):
            await self.backend.passcode_matched(openid)
            return None
        if not passcode_university_missing(text, catalogue):
            return None
        reported = await self.backend.passcode_missed(openid, text.strip()[:100])
        return PASSCODE_REPORTED.format(count=reported) if reported else None
