"""Everything the web process sends to WeChat on its own: assembled once at start-up.

- Without WECHAT_APP_ID and WECHAT_APP_SECRET no outbound client exists: notifications stay in the
  outbox, slow pushes are answered busy, and the start-up log says so.
- With them and REDIS_URL (production), the token is shared in Redis and `jiedui worker` (arq) sends
  the outbox; the web process only answers slow pushes through the customer-service API.
- With them and no REDIS_URL (the embedded default), an asyncio task of the web process sends the outbox.

TEMPLATESENDJOBFINISH pushes are recorded against their MsgID in every case.
"""

from __future__ import annotations

import contextlib

import aiohttp
from redis.asyncio import Redis

from bot import loggers
from bot.access_token import MemoryTokenStore, RedisTokenStore
from bot.config import Settings
from bot.notifier import InProcessNotifier, Notifier
from bot.push import Push
from bot.service import ChatService
from bot.slow_replies import SlowReplies
from bot.webhook import ChatHandler
from bot.wechat_api import TokenStore, WeChatApi
from store.db import Database
from store.outbox import NOTIFICATION_KINDS
from store.repo_outbox import OutboxRepository

TOKEN_KEY_PREFIX = "jiedui:"
"""Prefix of the access token's Redis keys (the same prefix as the session store's keys)."""

TEMPLATE_JOB_FINISHED = "templatesendjobfinish"


class DeliveryReports:
    """A chat handler that records TEMPLATESENDJOBFINISH events and passes every other push on."""

    def __init__(self, inner: ChatHandler, outbox: OutboxRepository) -> None:
        self.inner = inner
        self.outbox = outbox

    async def handle(self, push: Push) -> str | None:
        if push.kind == "event" and push.event == TEMPLATE_JOB_FINISHED:
            if push.msg_id:
                await self.outbox.record_delivery(push.msg_id, push.status or "", push.openid)
            return None
        return await self.inner.handle(push)

    async def count_active_sessions(self) -> int:
        """Count the live sessions of the wrapped service (for metrics)."""
        count: int = await self.inner.count_active_sessions()  # type: ignore[attr-defined]  # ChatService or SlowReplies
        return count


def has_credentials(settings: Settings) -> bool:
    """Return True when the AppID and AppSecret needed by the outbound API are set."""
    return settings.app_id is not None and settings.app_secret is not None


def open_api(settings: Settings, session: aiohttp.ClientSession, tokens: TokenStore) -> WeChatApi:
    """Create the outbound client; raises ValueError when WECHAT_APP_ID or WECHAT_APP_SECRET is unset."""
    if settings.app_id is None or settings.app_secret is None:
        raise ValueError("the WeChat API needs WECHAT_APP_ID and WECHAT_APP_SECRET")
    return WeChatApi(
        session,
        base_url=settings.outbound.api_base_url,
        app_id=settings.app_id,
        app_secret=settings.app_secret.get(),
        tokens=tokens,
    )


def open_token_store(settings: Settings, resources: contextlib.AsyncExitStack) -> TokenStore:
    """Return the Redis token store when REDIS_URL is set, else the in-process one."""
    if settings.redis_url is None:
        return MemoryTokenStore()
    redis = Redis.from_url(settings.redis_url.get())
    resources.push_async_callback(redis.aclose)
    return RedisTokenStore(redis, prefix=TOKEN_KEY_PREFIX)


async def open_outbound(
    settings: Settings, database: Database, service: ChatService, resources: contextlib.AsyncExitStack
) -> ChatHandler:
    """Start what the web process sends to WeChat and return the chat handler to serve.

    Everything started is closed by `resources`.
    """
    outbox = OutboxRepository(database)
    if not has_credentials(settings):
        loggers.app.warning(
            "WECHAT_APP_ID or WECHAT_APP_SECRET is not set: notifications stay in the outbox unsent, "
            "and pushes not handled in time are answered busy"
        )
        return DeliveryReports(service, outbox)

    session = aiohttp.ClientSession()
    resources.push_async_callback(session.close)
    api = open_api(settings, session, open_token_store(settings, resources))
    slow = SlowReplies(service, api)
    resources.push_async_callback(slow.aclose)
    templates = settings.outbound.templates
    missing = sorted(set(NOTIFICATION_KINDS) - set(templates))
    if missing:
        loggers.app.warning("no template id for %s: those notifications stay in the outbox", ", ".join(missing))
    if settings.redis_url is not None:
        loggers.app.info("notifications are sent by `jiedui worker` (arq on Redis), not by this process")
    else:
        notifier = InProcessNotifier(database, Notifier(database, api, templates), settings.outbound)
        notifier.start()
        resources.push_async_callback(notifier.stop)
        loggers.app.info("notifications are sent by this process (REDIS_URL is not set)")
    return DeliveryReports(slow, outbox)
