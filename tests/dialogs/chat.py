"""A conversation driver for dialog tests, with the standard answers of a pairing submission."""

from __future__ import annotations

from collections.abc import Iterable

from dialogs.conversation import Conversation, Incoming
from dialogs.paging import utf8_len
from tests.dialogs.fakes import FAKE_CODE, FakeBackend

CADRE_PHONE = "13800001111"
CADRE_CODE = FAKE_CODE
"""The SMS code of the binding: FakeBackend's code, and the development code of the log sender."""
START = ["提交结对", CADRE_PHONE, CADRE_CODE, "北京大学001", "王建国", "校团委副书记", "1", "确认"]


def basic_answers(name: str = "张三", phone: str = "13900002222") -> list[str]:
    """Return the 14 answers of a student's basic-info page, with no branch recommendation."""
    return [name, "1", phone, "计算机学院", "软件工程", "2", "2026", "1、3", "是", "是", "互联网", "后端开发", "广东深圳", "否"]


def student_answers(name: str = "张三", phone: str = "13900002222") -> list[str]:
    """Return the answers of a whole student with no postings and no offer, ending at its summary."""
    return [*basic_answers(name, phone), "1", "1", "否", "否"]


class Chat:
    """One user talking to a `Conversation`; keeps the session between messages like the service does."""

    def __init__(self, backend: FakeBackend | None = None, *, openid: str = "o-test-1", now: float = 1_000_000.0):
        self.backend = backend or FakeBackend()
        self.now = now
        self.conversation = Conversation(self.backend, clock=lambda: self.now)
        self.openid = openid
        self.session: dict | None = None
        self.replies: list[str] = []

    async def say(self, text: str, *, kind: str = "text", key: str = "", expired: bool = False) -> str:
        """Send one message and return the reply, checking the reply-size rules on the way."""
        incoming = Incoming(kind, text, key)  # type: ignore[arg-type]
        turn = await self.conversation.handle(self.session, expired, self.openid, incoming)
        self.session = turn.session
        assert turn.reply.strip(), f"empty reply to {text!r}"
        assert utf8_len(turn.reply) <= 2000, f"reply to {text!r} is {utf8_len(turn.reply)} bytes"
        self.replies.append(turn.reply)
        return turn.reply

    async def run(self, lines: Iterable[str]) -> str:
        """Send several messages and return the last reply."""
        reply = ""
        for line in lines:
            reply = await self.say(line)
        return reply

    @property
    def answers(self) -> dict:
        """Return the answers of the open dialog."""
        assert self.session is not None and self.session.get("dialog"), "no dialog is open"
        return self.session["dialog"]["answers"]
