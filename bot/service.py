"""The chat service: one push in, one reply out, under the user's lock and with redelivery handled.

For every push: take the per-OpenID lock, load the session and the reply already given to this push,
run the conversation, save the session and the reply, release the lock. A retry of a push that was
answered gets the stored reply; a push whose handling raised stored nothing, so its retry runs again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.backend import StoreBackend
from bot.binding import open_phone_binding
from bot.push import Push
from dialogs import replies
from dialogs.conversation import Conversation, Incoming
from store.sessions.base import SessionStore, SessionStoreError

if TYPE_CHECKING:
    from bot.config import Settings
    from store.db import Database

log = logging.getLogger("jiedui.service")

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


class ChatService:
    """Turns pushes into replies; shared by every request of one worker process."""

    def __init__(
        self, *, sessions: SessionStore, conversation: Conversation, backend: StoreBackend | None = None
    ):
        self.sessions = sessions
        self.conversation = conversation
        self.backend = backend

    async def handle(self, push: Push) -> str | None:
        """Return the reply text for a push, or None when WeChat should get `success`."""
        incoming = incoming_of(push)
        if incoming is None:
            return None
        if incoming.kind == "click" and incoming.key not in ("SUBMIT_PAIRING", "MY_PAIRINGS", "HELP"):
            return None
        if self.backend is not None:
            await self.backend.refresh_catalogue()
        try:
            async with self.sessions.lock(push.openid):
                loaded = await self.sessions.load(push.openid, push.dedup_key)
                if loaded.reply is not None:
                    return loaded.reply
                turn = await self.conversation.handle(loaded.session, loaded.expired, push.openid, incoming)
                await self.sessions.save(push.openid, turn.session, push.dedup_key, turn.reply)
                return turn.reply
        except SessionStoreError as error:
            log.warning("session store unavailable: %s", type(error).__name__)
            return replies.BUSY

    async def aclose(self) -> None:
        """Release what the service holds (the SMS sender); the store and the database are closed by their owner."""
        if self.backend is not None:
            await self.backend.binding.aclose()


async def build_service(settings: Settings, database: Database, sessions: SessionStore) -> ChatService:
    """Create the chat service of one worker on an open database and session store."""
    backend = await StoreBackend.open(database, open_phone_binding(settings.sms, database))
    conversation = Conversation(backend, session_ttl_s=settings.session_ttl_s)
    return ChatService(sessions=sessions, conversation=conversation, backend=backend)
