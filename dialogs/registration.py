"""Binding a mobile number to the WeChat user: the phone, then the 6-digit code sent to it by SMS.

A small explicit state machine rather than an engine dialog, because its steps act at once (a code is
sent, a phone is bound) and it understands 「重发」 and 「更换手机号」. Its state lives in the
conversation's `dialog` slot like an engine state:
`{"dialog": "registration", "step": "phone" | "code", "phone": str | None, "context": {...}}`, where
the context contains the OpenID, `then` (the dialog to start once bound) and `current_phone` (the phone
bound before, when the cadre changes numbers). The phone stays unbound, and nothing filed under it
is shown, until the backend accepts the code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal, Protocol

from dialogs.commands import Command, normalize, parse_command
from dialogs.engine import Checker, Outcome
from dialogs.fields import Mobile
from dialogs.parsing import ParseContext
from dialogs.spec import Dialog

REGISTRATION_KEY = "registration"
CODE_TTL_MINUTES = 5
RESEND_AFTER_S = 60
MAX_TRIES = 5

RESEND_WORDS = frozenset({"重发", "重新发送", "再发一次", "重发验证码", "收不到", "没收到", "没有收到"})
CHANGE_PHONE_WORDS = frozenset(
    {"更换手机号", "换手机号", "修改手机号", "更改手机号", "换绑手机号", "重新绑定", "换号", "手机号填错了"}
)

_CODE_RUN = re.compile(r"(?<!\d)\d{6}(?!\d)")
_SPOKEN_DIGITS = str.maketrans("〇零一二三四五六七八九幺两", "0012345678912")

INTRO = "欢迎使用结对帮扶助手！首次使用需要先绑定手机号：输入手机号，再输入发到该手机号的短信验证码。"
ASK_PHONE = (
    "请输入你的手机号，完成团干部身份绑定。请使用唯一且固定的手机号；如已线下向高校团委登记过，请使用登记的手机号。\n"
    "我们会向这个手机号发送6位短信验证码。"
)
ASK_NEW_PHONE = (
    "请输入新的手机号。你当前绑定的是 {current}；新号码的验证码输入正确后才会切换，中途回复「取消」则保持不变。\n"
    "注意：结对数据按手机号归档，更换后「我的结对」只显示新号码名下的学生，原号码名下的学生仍属于原号码"
    "（切换回原号码即可再看到）；如需把学生转到新号码，请联系所在高校团委。"
)
ASK_CODE = (
    "验证码已发送至 {phone}，{minutes}分钟内有效。请回复短信中的6位数字验证码。\n"
    "收不到短信？发送{resend}秒后可回复「重发」；手机号填错了请回复「更换手机号」。"
)
CODE_STILL_VALID = (
    "刚才发送到 {phone} 的验证码仍然有效，请直接回复短信中的6位数字验证码。{wait}秒后可回复「重发」。"
)
WAIT_FOR_RESEND = "该手机号刚刚收到过验证码，请{wait}秒后再试。"
PHONE_LIMIT = "手机号 {phone} 今天接收验证码的次数已达上限（{limit}次），请明天再试。"
OPENID_LIMIT = "你今天获取验证码的次数已达上限（{limit}次），请明天再试。"
SEND_FAILED = "验证码短信发送失败，请稍后回复「重发」再试；如一直收不到，请确认手机号无误。"
WRONG_CODE = "验证码不正确，还可以再试{left}次。请核对短信中的6位数字。"
CODE_DEAD = "验证码错误次数过多（{tries}次），已失效。请回复「重发」获取新的验证码。"
CODE_EXPIRED = "验证码已过期（有效期{minutes}分钟），请回复「重发」获取新的验证码。"
CODE_MISSING = "这个手机号没有待输入的验证码，请回复「重发」获取新的验证码。"
NOT_A_CODE = "请回复短信中的6位数字验证码，例如 123456。"
NO_CODE_YET = "还没有发送验证码，请先输入手机号。"
SAME_PHONE = "{phone} 就是你当前绑定的手机号，无需更换。"
CHANGE_PHONE_IN_DIALOG = "你正在「{title}」。如需更换手机号，请先回复「取消」结束当前填写，再回复「更换手机号」。"
BOUND = "绑定成功！手机号 {phone} 已作为你的团干部身份，该号码下的结对数据都归你查看和更新。"
TOOK_FROM_OTHER = "这个手机号之前绑定在另一个微信号上，原绑定已解除。"
LEFT_PREVIOUS = "你原来绑定的手机号 {phone} 已解除绑定。"
CANCELLED = "已取消绑定手机号。绑定后才能提交和查看结对，需要时回复「提交结对」重新开始。"
REBIND_CANCELLED = "已取消更换，仍使用原手机号 {phone}。"
HELP = (
    "手机号是团干部的唯一身份，你名下的结对数据都按这个号码归档，所以绑定前要用短信验证码确认号码是你的。\n"
    f"验证码{CODE_TTL_MINUTES}分钟内有效，最多可输错{MAX_TRIES}次；{RESEND_AFTER_S}秒后可回复「重发」，"
    "每个手机号和每个微信号每天获取验证码的次数有限。回复「取消」退出绑定。"
)


@dataclass(frozen=True)
class CodeRequestResult:
    """The outcome of a code request.

    `sent`: the code is on its way. `wait`: the phone got a code less than a minute ago, and `wait_s`
    seconds remain. `own_code_pending` is True when that code was sent for this user and can still be
    entered. `phone_limit`, `openid_limit`: a daily limit of `daily_limit` codes is reached.
    `failed`: the SMS provider did not accept the message.
    """

    status: Literal["sent", "wait", "phone_limit", "openid_limit", "failed"]
    wait_s: int = 0
    own_code_pending: bool = False
    daily_limit: int = 0


@dataclass(frozen=True)
class CodeVerifyResult:
    """The outcome of entering a code. On `bound` the phone is bound, and the flags show which bindings ended.

    `wrong` gives the `tries_left` (0 when that was the last try). `exhausted`, `expired` and
    `missing` mean a new code is needed.
    """

    status: Literal["bound", "wrong", "exhausted", "expired", "missing"]
    tries_left: int = 0
    took_from_other_openid: bool = False
    previous_phone: str | None = None


class BindingBackend(Protocol):
    """The two backend calls of phone binding; `verify_code` is the only way a phone becomes bound."""

    async def request_code(self, openid: str, phone: str) -> CodeRequestResult:
        """Send a new code to `phone` for `openid`, unless a limit or the resend wait forbids it."""

    async def verify_code(self, openid: str, phone: str, code: str) -> CodeVerifyResult:
        """Check a code and, when it is right, bind `phone` to `openid` in the same transaction."""


def mask_phone(phone: str) -> str:
    """Return a phone as the chat shows it back: 138****1111."""
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else phone


def read_code(text: str) -> str | None:
    """Return the 6-digit code in a reply, or None.

    Full-width digits, spaces, spoken numerals (一二三四五六, 幺 for 1) and a pasted SMS that contains
    exactly one 6-digit number are accepted.
    """
    folded = unicodedata.normalize("NFKC", text).translate(_SPOKEN_DIGITS)
    compact = re.sub(r"[\s\-.。,，]", "", folded)
    if compact.isascii() and compact.isdigit():
        return compact if len(compact) == 6 else None
    runs = _CODE_RUN.findall(folded)
    return runs[0] if len(runs) == 1 else None


class Registration:
    """Runs the binding flow for any user; `dialog` carries only its key and title for progress lines."""

    def __init__(self, backend: BindingBackend) -> None:
        self.backend = backend
        self.dialog = Dialog(REGISTRATION_KEY, "绑定手机号", ())

    def new_state(self, openid: str, *, then: str = "", current_phone: str | None = None) -> dict:
        """Create the state of a binding; `current_phone` is set when a bound cadre changes numbers."""
        context = {"openid": openid, "then": then, "current_phone": current_phone}
        return {"dialog": REGISTRATION_KEY, "step": "phone", "phone": None, "context": context}

    def start(self, state: dict) -> Outcome:
        """Return the opening message of a new binding."""
        if state["context"].get("current_phone"):
            return Outcome([self.prompt(state)])
        return Outcome([INTRO + "\n\n" + self.prompt(state)])

    def prompt(self, state: dict) -> str:
        """Return the question of the current step again."""
        if state["step"] == "code":
            return ASK_CODE.format(
                phone=mask_phone(state["phone"]), minutes=CODE_TTL_MINUTES, resend=RESEND_AFTER_S
            )
        current = state["context"].get("current_phone")
        if current:
            return ASK_NEW_PHONE.format(current=mask_phone(current))
        return ASK_PHONE + "\n" + Mobile().hint()

    async def handle(
        self, state: dict, text: str, context: ParseContext, checker: Checker | None = None
    ) -> Outcome:
        """Apply one reply; the status is `complete` once the phone is bound, `cancelled` on 「取消」.

        The signature matches `Engine.handle`; `checker` is unused because the flow calls its own backend.
        """
        command = parse_command(text)
        kind = command.command if command else None
        if kind is Command.CANCEL:
            current = state["context"].get("current_phone")
            message = REBIND_CANCELLED.format(phone=mask_phone(current)) if current else CANCELLED
            return Outcome([message], status="cancelled")
        if kind is Command.HELP:
            return Outcome([HELP + "\n\n" + self.prompt(state)])
        if state["step"] == "code":
            return await self._in_code_step(state, text, kind, context)
        return await self._in_phone_step(state, text, context)

    async def _in_phone_step(self, state: dict, text: str, context: ParseContext) -> Outcome:
        if normalize(text) in RESEND_WORDS:
            return Outcome([NO_CODE_YET + "\n\n" + self.prompt(state)])
        phone = Mobile().parse(text, context)
        if not isinstance(phone, str):
            return Outcome([phone.message + "\n\n" + self.prompt(state)])
        if phone == state["context"].get("current_phone"):
            return Outcome([SAME_PHONE.format(phone=mask_phone(phone))], status="ended")
        return await self._request(state, phone)

    async def _in_code_step(
        self, state: dict, text: str, kind: Command | None, context: ParseContext
    ) -> Outcome:
        word = normalize(text)
        if word in RESEND_WORDS:
            return await self._request(state, state["phone"])
        if word in CHANGE_PHONE_WORDS or kind is Command.BACK:
            state["step"], state["phone"] = "phone", None
            return Outcome([self.prompt(state)])
        code = read_code(text)
        if code is not None:
            return await self._verify(state, code)
        phone = Mobile().parse(text, context)
        if isinstance(phone, str):
            return await self._in_phone_step(state, phone, context)
        return Outcome([NOT_A_CODE + "\n\n" + self.prompt(state)])

    async def _request(self, state: dict, phone: str) -> Outcome:
        result = await self.backend.request_code(state["context"]["openid"], phone)
        if result.status == "sent":
            state["step"], state["phone"] = "code", phone
            return Outcome([self.prompt(state)])
        if result.status == "wait" and result.own_code_pending:
            state["step"], state["phone"] = "code", phone
            return Outcome([CODE_STILL_VALID.format(phone=mask_phone(phone), wait=result.wait_s)])
        return Outcome([_rejection_message(result, phone)])

    async def _verify(self, state: dict, code: str) -> Outcome:
        phone = state["phone"]
        result = await self.backend.verify_code(state["context"]["openid"], phone, code)
        if result.status == "bound":
            lines = [BOUND.format(phone=mask_phone(phone))]
            if result.took_from_other_openid:
                lines.append(TOOK_FROM_OTHER)
            if result.previous_phone:
                lines.append(LEFT_PREVIOUS.format(phone=mask_phone(result.previous_phone)))
            return Outcome(["\n".join(lines)], status="complete")
        if result.status == "wrong" and result.tries_left > 0:
            return Outcome([WRONG_CODE.format(left=result.tries_left)])
        if result.status in ("wrong", "exhausted"):
            return Outcome([CODE_DEAD.format(tries=MAX_TRIES)])
        if result.status == "expired":
            return Outcome([CODE_EXPIRED.format(minutes=CODE_TTL_MINUTES)])
        return Outcome([CODE_MISSING])


def _rejection_message(result: CodeRequestResult, phone: str) -> str:
    if result.status == "wait":
        return WAIT_FOR_RESEND.format(wait=result.wait_s)
    if result.status == "phone_limit":
        return PHONE_LIMIT.format(phone=mask_phone(phone), limit=result.daily_limit)
    if result.status == "openid_limit":
        return OPENID_LIMIT.format(limit=result.daily_limit)
    return SEND_FAILED
