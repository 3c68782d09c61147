"""The chat service: one push in, one reply out, under the user's lock and with redelivery handled.

For every push: count it against the user's flood limit, take the per-OpenID lock, load the session
and the reply already given to this push, run the conversation, save the session and the reply,
release the lock. A retry of a push that was answered gets the stored reply; a push whose handling
raised stored nothing, so its retry runs again. An unreachable session store or database, and a push
not handled within the deadline, are answered busy with nothing saved.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot import notices
from bot.backend import StoreBackend
from bot.binding import open_phone_binding
from bot.config_limits import PUSH_DEADLINE_S
from bot.db_failures import is_connection_failure
from bot.guards import open_guards
from bot.privacy import cap_library_loggers, describe_error
from bot.push import Push
from bot.trace import PushTrace, current_trace
from dialogs import replies
from dialogs.conversation import CLICK_COMMANDS, BackendUnavailable, Conversation, Incoming
from dialogs.paging import REPLY_LIMIT_BYTES, utf8_len
from dialogs.steps import step_key
from store.epoch import SessionLoss
from store.flood import Admission, FloodGuard
from store.repo_outbox import OutboxRepository
from store.sessions.base import SessionStore, SessionStoreError

if TYPE_CHECKING:
    from bot.config import Settings
    from store.db import Database

log = logging.getLogger("jiedui.service")

SAVE_GRACE_S = 0.5
"""Extra time a push gets past its deadline when its session is being saved at the deadline."""

ANSWERED_EVENTS = {"subscribe", "click"}


def incoming_of(push: Push) -> Incoming | None:
    """Translate a push into a conversation input, or None when it needs no reply."""
    if push.kind == "text":
        return Incoming("text", push.text or "")
    if push.kind == "voice":
        return Incoming("text", push.text) if push.text else Incoming("voice_unrecognized")
    if push.kind == "event":
        event = (push.event or "").lower()
        if event == "subscribe":
            return Incoming("subscribe")
        if event == "click":
            return Incoming("click", key=push.event_key or "")
        return None
    if push.kind in ("image", "video", "shortvideo", "location", "link", "file", "music"):
        return Incoming("media")
    return None


class _MissedDeadline(Exception):
    """The conversation finished after the push's deadline, too late to save and answer."""


@dataclass
class _Progress:
    """How far the handling of one push got: saving starts only before `commit_by` (loop time)."""

    commit_by: float
    saving: bool = False


class ChatService:
    """Turns pushes into replies; shared by every request of one worker process."""

    def __init__(
        self,
        *,
        sessions: SessionStore,
        conversation: Conversation,
        backend: StoreBackend | None = None,
        flood: FloodGuard | None = None,
        loss: SessionLoss | None = None,
        deadline_s: float = PUSH_DEADLINE_S,
    ):
        self.sessions = sessions
        self.conversation = conversation
        self.backend = backend
        self.flood = flood
        self.loss = loss
        self.deadline_s = deadline_s
        self._dialogs = {key: engine.dialog for key, engine in conversation.engines.items()}
        self._running: set[asyncio.Task[str]] = set()

    async def handle(self, push: Push) -> str | None:
        """Return the reply text for a push, or None when WeChat should get `success`.

        The reply comes within `deadline_s`. A push not handled by then is cancelled, so that its
        dialog does not advance, and answered busy.
        """
        incoming = incoming_of(push)
        if incoming is None:
            return None
        if incoming.kind == "click" and incoming.key not in CLICK_COMMANDS:
            return None
        trace = current_trace()
        progress = _Progress(commit_by=asyncio.get_running_loop().time() + self.deadline_s)
        task = asyncio.create_task(self._reply(push, incoming, trace, progress))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        try:
            done, _ = await asyncio.wait({task}, timeout=self.deadline_s)
            if not done and progress.saving:
                # Cancelling a save under way could leave it applied after a busy answer.
                done, _ = await asyncio.wait({task}, timeout=SAVE_GRACE_S)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if done:
            return task.result()
        # The task rolls back and releases the lock in the background.
        task.cancel()
        log.warning(
            "push from openid=%s not handled within %.1f s; cancelled%s and replied busy",
            trace.openid_hash,
            self.deadline_s,
            " while its session was being saved, so the save may have been applied" if progress.saving else "",
        )
        trace.outcome = "timeout"
        return replies.BUSY

    async def count_active_sessions(self) -> int:
        """Count the live sessions of the session store (for metrics)."""
        return await self.sessions.count_active()

    async def count_outbox_backlog(self) -> int:
        """Count the notifications waiting in the outbox (for metrics); 0 without a database."""
        if self.backend is None:
            return 0
        return await OutboxRepository(self.backend.db).count_backlog()

    async def _reply(self, push: Push, incoming: Incoming, trace: PushTrace, progress: _Progress) -> str:
        try:
            if self.flood is not None:
                admission = await self.flood.admit(push.openid)
                if not admission.allowed:
                    return self._refuse_flood(trace, admission)
            if self.backend is not None:
                await self.backend.refresh_catalogue()
            async with self.sessions.lock(push.openid, wait_s=self.deadline_s):
                return await self._reply_locked(push, incoming, trace, progress)
        except _MissedDeadline:
            # Nothing was saved, so the dialog stays where it was.
            trace.outcome = "timeout"
            return replies.BUSY
        except SessionStoreError as error:
            log.warning("session store unavailable: %s", type(error).__name__)
            trace.outcome = "busy"
            return replies.BUSY
        except (BackendUnavailable, DBAPIError, OSError) as error:
            if not isinstance(error, BackendUnavailable) and not is_connection_failure(error):
                raise
            log.warning("database unavailable: %s", describe_error(error))
            trace.outcome = "database-unavailable"
            return replies.BUSY

    async def _reply_locked(self, push: Push, incoming: Incoming, trace: PushTrace, progress: _Progress) -> str:
        loaded = await self.sessions.load(push.openid, push.dedup_key)
        if loaded.reply is not None:
            trace.outcome = "redelivered"
            return loaded.reply
        trace.step = step_key(loaded.session, self._dialogs)
        lost = loaded.session is None and not loaded.expired and await self._loss_notice_due(push.openid)
        turn = await self.conversation.handle(loaded.session, loaded.expired, push.openid, incoming)
        if asyncio.get_running_loop().time() > progress.commit_by:
            raise _MissedDeadline
        reply = turn.reply
        if lost and utf8_len(notices.SESSION_LOST + "\n\n" + reply) <= REPLY_LIMIT_BYTES:
            reply = notices.SESSION_LOST + "\n\n" + reply
            assert self.loss is not None
            await self.loss.mark_noticed(push.openid)
        progress.saving = True
        await self.sessions.save(push.openid, turn.session, push.dedup_key, reply)
        return reply

    async def _loss_notice_due(self, openid: str) -> bool:
        return self.loss is not None and await self.loss.notice_due(openid)

    def _refuse_flood(self, trace: PushTrace, admission: Admission) -> str:
        assert self.flood is not None
        trace.outcome = "flood-limited"
        if admission.first_refusal:
            log.warning(
                "openid=%s sent more than %d pushes within %d s; refusing the rest of the window",
                trace.openid_hash,
                self.flood.max_messages,
                self.flood.window_s,
            )
        return notices.flood_reply(self.flood.window_s)

    async def aclose(self) -> None:
        """Release what the service holds; the session store and the database are closed by their owner."""
        if self._running:
            await asyncio.wait(self._running, timeout=self.deadline_s)
        if self.flood is not None:
            await self.flood.close()
        if self.loss is not None:
            await self.loss.close()
        if self.backend is not None:
            await self.backend.binding.aclose()


async def build_service(settings: Settings, database: Database, sessions: SessionStore) -> ChatService:
    """Create the chat service of one worker on an open database and session store."""
    cap_library_loggers()
    backend = await StoreBackend.open(database, open_phone_binding(settings.sms, database))
    conversation = Conversation(backend, session_ttl_s=settings.session_ttl_s, committees=backend)
    flood, loss = open_guards(settings, database, sessions)
    try:
        await loss.prime()
    except (SessionStoreError, SQLAlchemyError, OSError) as error:
        # notice_due reads the epoch again, so a store that is down at start-up only delays this.
        log.warning("session store epoch not read at start-up: %s", describe_error(error))
    return ChatService(
        sessions=sessions,
        conversation=conversation,
        backend=backend,
        flood=flood,
        loss=loss,
        deadline_s=settings.limits.push_deadline_s,
    )
