"""The conversation with one user: registration, the home menu, running dialogs, pages of long replies.

It turns one incoming message and the user's stored session into a reply and the session to store.
The session is a JSON-serializable dict: `dialog` (engine state or absent), `pages` (the rest of a
long reply, for 「下一页」), `seen_at` (time of the last message). Everything that touches the database
goes through the `Backend` protocol.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from dialogs import replies
from dialogs.commands import Command, normalize, parse_command
from dialogs.committee import CommitteeBackend, Committees, at_passcode
from dialogs.engine import Checker, Engine, Outcome, new_state
from dialogs.fields import Mobile
from dialogs.my_pairings import MyPairings, StudentsBackend
from dialogs.paging import paginate
from dialogs.pairing import DIALOGS, PAIRING, student_names
from dialogs.parsing import Catalogue, ParseContext
from dialogs.registration import (
    CHANGE_PHONE_IN_DIALOG,
    CHANGE_PHONE_WORDS,
    REGISTRATION_KEY,
    BindingBackend,
    Registration,
)
from dialogs.spec import PREFILL_KEY, Answers
from dialogs.updates import QUICK, UPDATE
from dialogs.walk import LOCKED_KEY

RESUME_AFTER_S = 3600
"""Idle time after which a returning user is first shown where they were."""

Kind = Literal["text", "voice_unrecognized", "media", "subscribe", "click"]

CLICK_COMMANDS = {"SUBMIT_PAIRING": "提交结对", "MY_PAIRINGS": "我的结对", "HELP": "帮助", "MY_COMMITTEE": "我的团委"}
_START_WORDS = {"提交结对", "提交新的结对", "新的结对", "添加结对", "开始结对", "提交结对名单"}
_LIST_WORDS = {"我的结对", "我的结对学生", "结对列表", "我的学生"}
_HELP_WORDS = {"帮助", "help", "菜单", "使用说明", "?", "你好", "您好", "hi", "hello", "开始"}
_STICKER = re.compile(r"^(\[[^\[\]]{1,8}\])+$|^(/:[^\s]{1,12})+$|^【收到不支持的消息类型，暂无法显示】$")


class BackendUnavailable(Exception):
    """The database could not be reached; the caller keeps the draft and asks the user to retry."""


@dataclass(frozen=True)
class Incoming:
    """One message from the user: text (or recognized speech), a menu click, a follow, or media."""

    kind: Kind
    text: str = ""
    key: str = ""


@dataclass(frozen=True)
class CadreInfo:
    """The cadre bound to an OpenID, as the conversation needs it."""

    phone: str
    name: str | None = None
    name_locked: bool = False
    title: str | None = None
    identity: str | None = None


@dataclass(frozen=True)
class SubmitReport:
    """The outcome of a submission: the names saved, or the student phones already taken by other pairings."""

    saved_names: tuple[str, ...] = ()
    taken_phones: frozenset[str] = frozenset()
    repeated: bool = False


class Backend(Checker, StudentsBackend, BindingBackend, Protocol):
    """Everything the conversation needs from the database."""

    def catalogue(self) -> Catalogue:
        """Return the university list used to check passcodes."""

    async def cadre(self, openid: str) -> CadreInfo | None:
        """Return the cadre bound to `openid`, or None until a phone is bound with a correct code."""

    async def submit_pairing(self, openid: str, answers: Answers, context: Mapping[str, Any]) -> SubmitReport:
        """Store a complete pairing draft in one transaction."""


class DialogChecker:
    """Runs field checks: those that need only the dialog's context here, the rest in the backend."""

    def __init__(self, backend: Backend, context: Mapping[str, Any]) -> None:
        self.backend = backend
        self.context = context

    async def check(self, name: str, value: Any, answers: Answers) -> str | None:
        if name == "not_cadre_phone":
            return replies.CADRE_PHONE_AS_STUDENT if value == self.context.get("phone") else None
        return await self.backend.check(name, value, answers)


def carried_over(cadre: CadreInfo) -> Answers:
    """Seed a new submission with the cadre info of the last one.

    A locked name is shown without being asked. An unlocked name, the 职务 and the 身份 are asked
    again with the stored value offered through 「不变」.
    """
    answers: Answers = {}
    prefill: dict[str, str] = {}
    if cadre.name and cadre.name_locked:
        answers = {"cadre_name": cadre.name, LOCKED_KEY: ["cadre_name"]}
    elif cadre.name:
        prefill["cadre_name"] = cadre.name
    if cadre.title:
        prefill["cadre_title"] = cadre.title
    if cadre.identity:
        prefill["cadre_identity"] = cadre.identity
    if prefill:
        answers[PREFILL_KEY] = prefill
    return answers


@dataclass
class Turn:
    """The result of one message: the reply text and the session to store (None deletes it)."""

    reply: str
    session: dict | None


class Conversation:
    """Handles one user's messages; stateless itself, so one instance serves every user."""

    def __init__(
        self,
        backend: Backend,
        *,
        clock: Callable[[], float] = time.time,
        session_ttl_s: int = 7 * 24 * 3600,
        resume_after_s: int = RESUME_AFTER_S,
        committees: CommitteeBackend | None = None,
    ) -> None:
        self.backend = backend
        self.clock = clock
        self.session_ttl_s = session_ttl_s
        self.resume_after_s = resume_after_s
        dialogs = {**DIALOGS, UPDATE.key: UPDATE, QUICK.key: QUICK}
        self.engines = {key: Engine(dialog) for key, dialog in dialogs.items()}
        self.pairings = MyPairings(backend, self.engines)
        self.registration = Registration(backend)
        self.committees = Committees(committees) if committees is not None else None

    async def handle(self, session: dict | None, expired: bool, openid: str, incoming: Incoming) -> Turn:
        """Apply one incoming message to the session and return the reply."""
        session = dict(session or {})
        notices = []
        if expired and not session:
            notices.append(replies.EXPIRED.format(days=max(1, self.session_ttl_s // 86400)))
        reply = await self._dispatch(session, openid, incoming)
        if notices:
            reply = "\n\n".join([*notices, reply])
        return self._finish(session, reply)

    def _finish(self, session: dict, reply: str) -> Turn:
        if not session.pop("turned_page", False):
            pages = paginate(reply)
            reply, session["pages"] = pages[0], pages[1:]
        session["seen_at"] = self.clock()
        if not any(session.get(key) for key in ("dialog", "pages", "list", "pick")):
            return Turn(reply, None)
        return Turn(reply, session)

    async def _dispatch(self, session: dict, openid: str, incoming: Incoming) -> str:
        state = session.get("dialog")
        if incoming.kind in ("media", "voice_unrecognized") or _STICKER.match(incoming.text.strip()):
            message = replies.VOICE_NOT_RECOGNIZED if incoming.kind == "voice_unrecognized" else replies.MEDIA_NOT_SUPPORTED
            return self._with_prompt(message, state)
        if incoming.kind == "subscribe":
            return await self._subscribe(session, openid)
        text = CLICK_COMMANDS.get(incoming.key, "") if incoming.kind == "click" else incoming.text
        if not text:
            return self._with_prompt(replies.UNKNOWN, state) if state else await self._home(session, openid, "帮助")
        command = parse_command(text)
        if command is not None and command.command is Command.NEXT_PAGE:
            return self._next_page(session)
        session["pages"] = []
        committee_reply = await self._committee_command(session, openid, text)
        if committee_reply is not None:
            return committee_reply
        if state:
            return await self._in_dialog(session, openid, state, text, incoming)
        return await self._home(session, openid, text)

    async def _committee_command(self, session: dict, openid: str, text: str) -> str | None:
        """Answer 「绑定 CODE」「解绑」「我的团委」「申请修改 …」 in any state; None for other texts.

        A committee member needs no cadre phone, so a phone binding flow in progress is closed.
        """
        if self.committees is None:
            return None
        reply = await self.committees.reply(openid, text)
        state = session.get("dialog")
        if reply is None or not state:
            return reply
        if state["dialog"] == REGISTRATION_KEY:
            session.pop("dialog", None)
            return reply
        return reply + "\n\n" + self._runner(state).prompt(state)

    def _with_prompt(self, message: str, state: dict | None) -> str:
        if not state:
            return message + "\n\n" + replies.HOME_MENU
        return message + "\n\n" + self._runner(state).prompt(state)

    def _next_page(self, session: dict) -> str:
        pages = session.get("pages") or []
        if not pages:
            return self._with_prompt(replies.NO_MORE_PAGES, session.get("dialog"))
        session["pages"] = pages[1:]
        session["turned_page"] = True
        return str(pages[0])

    async def _subscribe(self, session: dict, openid: str) -> str:
        state = session.get("dialog")
        if state:
            return replies.WELCOME + "\n\n" + self._with_prompt(replies.RESUME.format(title=self._title(state)), state)
        if await self._cadre(openid) is None:
            return replies.WELCOME + "\n\n" + self._start_registration(session, openid)
        return replies.WELCOME + "\n\n" + replies.HOME_MENU

    def _title(self, state: dict) -> str:
        return self._runner(state).dialog.title

    def _runner(self, state: dict) -> Engine | Registration:
        """Return what runs a dialog state: the phone binding flow, or the engine of a declared dialog."""
        if state["dialog"] == REGISTRATION_KEY:
            return self.registration
        return self.engines[state["dialog"]]

    async def _cadre(self, openid: str) -> CadreInfo | None:
        return await self.backend.cadre(openid)

    # Inside a dialog -----------------------------------------------------------------------------

    async def _in_dialog(self, session: dict, openid: str, state: dict, text: str, incoming: Incoming) -> str:
        engine = self._runner(state)
        idle_s = self.clock() - float(session.get("seen_at") or self.clock())
        if idle_s > self.resume_after_s and parse_command(text) is None and incoming.kind != "click":
            return replies.RESUME.format(title=engine.dialog.title) + "\n\n" + engine.prompt(state)
        word = normalize(text)
        if word in _LIST_WORDS:
            return await self._list(session, openid) + "\n\n" + engine.prompt(state)
        if word in _START_WORDS:
            return replies.ALREADY_IN_DIALOG.format(title=engine.dialog.title) + "\n\n" + engine.prompt(state)
        if word in CHANGE_PHONE_WORDS and state["dialog"] != REGISTRATION_KEY:
            return CHANGE_PHONE_IN_DIALOG.format(title=engine.dialog.title) + "\n\n" + engine.prompt(state)
        checker = DialogChecker(self.backend, state["context"])
        passcode_asked = self.committees is not None and at_passcode(state)
        outcome = await engine.handle(state, text, self._parse_context(), checker)
        if passcode_asked and self.committees is not None:
            notice = await self.committees.after_passcode(openid, text, state, self.backend.catalogue())
            outcome.messages.extend([notice] if notice else [])
        return await self._after(session, openid, state, outcome)

    async def _after(self, session: dict, openid: str, state: dict, outcome: Outcome) -> str:
        message = "\n\n".join(outcome.messages)
        if outcome.status == "open":
            return message
        session.pop("dialog", None)
        if outcome.status in ("cancelled", "ended"):
            return message + "\n\n" + replies.HOME_MENU
        if state["dialog"] == REGISTRATION_KEY:
            return await self._registered(session, openid, state, message)
        if state["dialog"] == UPDATE.key:
            return await self.pairings.finish_update(openid, state)
        if state["dialog"] == QUICK.key:
            return await self.pairings.finish_quick(openid, state)
        return await self._submit(session, openid, state, message)

    async def _registered(self, session: dict, openid: str, state: dict, message: str) -> str:
        """Go on after the binding flow bound the phone: to the dialog it was started for, else home."""
        if state["context"].get("then") == PAIRING.key:
            return message + "\n\n" + await self._start_pairing(session, openid)
        return message + "\n\n" + replies.HOME_MENU

    async def _submit(self, session: dict, openid: str, state: dict, message: str) -> str:
        engine = self.engines[PAIRING.key]
        try:
            report = await self.backend.submit_pairing(openid, state["answers"], state["context"])
        except BackendUnavailable:
            session["dialog"] = state
            engine.reopen_group(state, "students")
            return replies.SAVE_FAILED
        if report.taken_phones:
            session["dialog"] = state
            engine.reopen_group(state, "students")
            students = state["answers"].get("students", [])
            index = next(i for i, s in enumerate(students) if s.get("phone") in report.taken_phones)
            notice = replies.PHONE_TAKEN_AT_SUBMIT.format(number=index + 1)
            return "\n\n".join(engine.edit(state, (("students", index),), "phone", notice).messages)
        if report.repeated:
            return replies.SUBMITTED_BEFORE
        names = report.saved_names or tuple(student_names(state["answers"]))
        return replies.SUBMITTED.format(count=len(names), names="、".join(names))

    def _parse_context(self) -> ParseContext:
        return ParseContext(catalogue=self.backend.catalogue())

    # Home ------------------------------------------------------------------------------------------

    async def _home(self, session: dict, openid: str, text: str) -> str:
        word = normalize(text)
        cadre = await self._cadre(openid)
        if cadre is None:
            opening = self._start_registration(session, openid, then=PAIRING.key if word in _START_WORDS else "")
            if not isinstance(Mobile().parse(text, self._parse_context()), str):
                return opening
            state = session["dialog"]
            outcome = await self.registration.handle(state, text, self._parse_context())
            return await self._after(session, openid, state, outcome)
        if word in CHANGE_PHONE_WORDS:
            return self._start_registration(session, openid, current_phone=cadre.phone)
        picked = await self.pairings.pick(session, openid, text)
        if picked is not None:
            return picked
        if word in _START_WORDS:
            return await self._start_pairing(session, openid)
        if word in _LIST_WORDS:
            return await self._list(session, openid)
        listed = await self._listed_student(session, openid, text)
        if listed is not None:
            return listed
        if self.pairings.is_quick(text):
            return await self.pairings.quick(session, openid, text)
        if word in _HELP_WORDS:
            return replies.HELP + "\n\n" + replies.HOME_MENU
        return replies.UNKNOWN + "\n\n" + replies.HOME_MENU

    def _start(self, session: dict, key: str, answers: Answers, context: Mapping[str, Any]) -> str:
        engine = self.engines[key]
        state = new_state(engine.dialog, answers, context)
        session["dialog"] = state
        return "\n\n".join(engine.start(state).messages)

    def _start_registration(
        self, session: dict, openid: str, *, then: str = "", current_phone: str | None = None
    ) -> str:
        state = self.registration.new_state(openid, then=then, current_phone=current_phone)
        session["dialog"] = state
        return "\n\n".join(self.registration.start(state).messages)

    async def _start_pairing(self, session: dict, openid: str) -> str:
        cadre = await self._cadre(openid)
        if cadre is None:
            return self._start_registration(session, openid, then=PAIRING.key)
        context = {"phone": cadre.phone, "submission_key": secrets.token_hex(16)}
        return self._start(session, PAIRING.key, carried_over(cadre), context)

    async def _list(self, session: dict, openid: str) -> str:
        return await self.pairings.show_list(session, openid)

    async def _listed_student(self, session: dict, openid: str, text: str) -> str | None:
        """Act on 「N」, 「修改 N」 or 「删除 N」 after a list; None when `text` is none of these."""
        word = normalize(text)
        if word.isdigit() and len(word) <= 3:
            return await self.pairings.details(session, openid, int(word))
        command = parse_command(text)
        if command is None or command.number is None:
            return None
        if command.command is Command.REMOVE:
            return replies.DELETE_NOT_ALLOWED
        return await self.pairings.start_update(session, openid, command.number)
