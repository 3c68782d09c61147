"""Replies that take too long for WeChat's 5 seconds, sent afterwards as customer-service messages.

`SlowReplies` wraps the chat service. A push answered within `reply_window_s` gets its passive reply
as usual. Otherwise the push is answered `success`, the service keeps working (up to `work_limit_s`,
after which it answers busy), and its reply is sent through /cgi-bin/message/custom/send. WeChat
allows such messages only within a window after the user's message; outside it (45015) or over its
count (45047) the reply is dropped with one log line and not retried.

The service stores each reply for WeChat's redeliveries of the push. A redelivery that arrives while
the first handling is still running waits for that same handling here instead of starting another.
A redelivery after the reply went out as a customer-service message is answered `success`, so the
user does not see the reply twice.

NOTE: both records are kept in this process's memory. With several worker processes, a redelivery
that reaches another worker is answered with the stored reply, so the user may see it twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict

from bot.access_token import TokenUnavailable
from bot.loggers import hash_openid
from bot.push import Push
from bot.service import ChatService
from bot.wechat_api import WeChatApi, WeChatApiError, WeChatHttpError

log = logging.getLogger("jiedui.slow_replies")

REPLY_WINDOW_S = 4.5
"""Seconds a push waits for its reply before it is answered `success`; WeChat waits 5."""

WORK_LIMIT_S = 30.0
"""Seconds the chat service may take for a push whose reply follows as a customer-service message."""

WINDOW_CLOSED = frozenset({45015, 45047})
"""Customer-service window errors: the user's window has ended, or its message count is used up."""

SENT_LATE_TTL_S = 3600.0
SENT_LATE_MAX = 10_000
"""How long and how many pushes answered late are remembered, to answer their redeliveries `success`."""

PushKey = tuple[str, str]


class SlowReplies:
    """A chat handler that answers slow pushes `success` and sends their replies when ready."""

    def __init__(
        self,
        service: ChatService,
        api: WeChatApi,
        *,
        reply_window_s: float = REPLY_WINDOW_S,
        work_limit_s: float = WORK_LIMIT_S,
    ) -> None:
        # The service's own deadline would answer busy before the window ends, so it becomes the work limit.
        service.deadline_s = work_limit_s
        self.service = service
        self.api = api
        self.reply_window_s = reply_window_s
        self._running: dict[PushKey, asyncio.Task[str | None]] = {}
        self._late: set[PushKey] = set()
        self._answered: set[PushKey] = set()
        self._sent_late: OrderedDict[PushKey, float] = OrderedDict()
        self._followers: set[asyncio.Task[None]] = set()

    async def handle(self, push: Push) -> str | None:
        """Return the reply when it is ready within the window, else None (`success`)."""
        key = (push.openid, push.dedup_key)
        if self._was_sent_late(key):
            return None
        task = self._running.get(key)
        if task is None:
            task = asyncio.create_task(self.service.handle(push))
            self._running[key] = task
            task.add_done_callback(lambda _: self._running.pop(key, None))
        done, _ = await asyncio.wait({task}, timeout=self.reply_window_s)
        if task in done:
            if key in self._late:
                self._answered.add(key)
            return task.result()
        if key not in self._late:
            self._late.add(key)
            follower = asyncio.create_task(self._follow_up(push, key, task))
            self._followers.add(follower)
            follower.add_done_callback(self._followers.discard)
        log.info(
            "push from openid=%s took longer than %.1f s; its reply is sent as a customer-service message",
            hash_openid(push.openid),
            self.reply_window_s,
        )
        return None

    async def count_active_sessions(self) -> int:
        """Count the live sessions of the wrapped service (for metrics)."""
        return await self.service.count_active_sessions()

    async def aclose(self) -> None:
        """Wait for the replies still being prepared or sent."""
        if self._followers:
            await asyncio.wait(self._followers, timeout=self.service.deadline_s)

    async def _follow_up(self, push: Push, key: PushKey, task: asyncio.Task[str | None]) -> None:
        try:
            reply = await task
        except Exception as error:  # noqa: BLE001 - the push was answered already; the failure is only logged
            log.error("late reply for openid=%s failed: %s", hash_openid(push.openid), type(error).__name__)
            return
        finally:
            self._late.discard(key)
        if key in self._answered:
            self._answered.discard(key)
            return
        if reply is None or not reply.strip():
            return
        await self._send(push, key, reply)

    async def _send(self, push: Push, key: PushKey, reply: str) -> None:
        openid_hash = hash_openid(push.openid)
        try:
            await self.api.send_text(push.openid, reply)
        except WeChatApiError as error:
            if error.errcode in WINDOW_CLOSED:
                log.warning("late reply for openid=%s dropped: customer-service window closed (errcode %d)", openid_hash, error.errcode)
            else:
                log.error("late reply for openid=%s not sent: errcode %d", openid_hash, error.errcode)
            return
        except (WeChatHttpError, TokenUnavailable) as error:
            log.error("late reply for openid=%s not sent: %s", openid_hash, error)
            return
        self._remember_sent(key)
        log.info("late reply for openid=%s sent as a customer-service message", openid_hash)

    def _remember_sent(self, key: PushKey) -> None:
        self._sent_late[key] = time.monotonic()
        while len(self._sent_late) > SENT_LATE_MAX:
            self._sent_late.popitem(last=False)

    def _was_sent_late(self, key: PushKey) -> bool:
        sent_at = self._sent_late.get(key)
        if sent_at is None:
            return False
        if time.monotonic() - sent_at > SENT_LATE_TTL_S:
            del self._sent_late[key]
            return False
        return True
