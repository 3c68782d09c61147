"""The whole service assembled for tests: real database, real session store, real webhook app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.service import ChatService, build_service
from bot.simulator import WeChatUser
from bot.webhook import create_webhook_app
from dialogs.paging import utf8_len
from store.db import Database, upgrade
from store.sessions.base import SessionStore
from store.sessions.memory import MemorySessionStore
from store.sessions.redis import RedisSessionStore
from store.universities import ensure_loaded
from tests.dialogs.chat import CADRE_CODE

TOKEN = "jieduiTestToken42"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx0123456789abcdef"
EXAMPLE_SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "submission.txt"


@dataclass
class Stack:
    """A running service and what it is made of."""

    settings: Settings
    database: Database
    sessions: SessionStore
    service: ChatService
    client: TestClient[Any, Any]

    def cadre(self, openid: str = "o-cadre-0001") -> Cadre:
        """Return a simulated cadre who talks to this service."""
        aes_key = self.settings.encoding_aes_key
        user = WeChatUser(
            self.client,
            "/wechat",
            token=self.settings.token.get(),
            aes_key=aes_key.get() if aes_key else None,
            app_id=self.settings.app_id if aes_key else None,
            openid=openid,
        )
        return Cadre(user)


class Cadre:
    """A simulated cadre; every reply is checked for the passive-reply rules on the way."""

    def __init__(self, user: WeChatUser) -> None:
        self.user = user
        self.replies: list[str] = []

    def _check(self, reply: str | None) -> str:
        assert reply is not None, "expected a text reply, got success"
        assert reply.strip(), "empty reply"
        assert utf8_len(reply) <= 2000, f"reply of {utf8_len(reply)} bytes"
        self.replies.append(reply)
        return reply

    async def say(self, text: str) -> str:
        return self._check(await self.user.send_text(text))

    async def run(self, lines: list[str]) -> str:
        reply = ""
        for line in lines:
            reply = await self.say(line)
        return reply

    async def click(self, key: str) -> str:
        return self._check(await self.user.click(key))


def example_lines() -> list[str]:
    """Return the lines of the example submission script (two students)."""
    return [line for line in EXAMPLE_SCRIPT.read_text(encoding="utf-8").splitlines() if line.strip()]


async def open_stack(
    database_url: str,
    sessions: SessionStore,
    *,
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[Stack]:
    """Migrate and fill a fresh database, build the service on it and serve it on 127.0.0.1.

    Every verification code is CADRE_CODE unless `env` sets JIEDUI_SMS_DEV_CODE (an empty value turns
    the fixed code off, so codes are random and reach the tests through the log sender's records).
    """
    base_env = {"WECHAT_TOKEN": TOKEN, "DATABASE_URL": database_url, "JIEDUI_SMS_DEV_CODE": CADRE_CODE}
    settings = Settings.from_env({**base_env, **(env or {})})
    await upgrade(settings.database_url.get())
    database = Database(settings.database_url.get())
    await ensure_loaded(database)
    service = await build_service(settings, database, sessions)
    app = create_webhook_app(settings, service)
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield Stack(settings, database, sessions, service, client)
    finally:
        await client.close()
        await service.aclose()
        await sessions.close()
        await database.dispose()


def memory_sessions(session_ttl_s: int = 7 * 24 * 3600) -> MemorySessionStore:
    """Return an in-process session store."""
    return MemorySessionStore(session_ttl_s=session_ttl_s)


def redis_sessions(url: str, prefix: str, session_ttl_s: int = 7 * 24 * 3600) -> RedisSessionStore:
    """Return a Redis session store whose keys all start with `prefix`."""
    return RedisSessionStore.from_url(url, prefix=prefix, session_ttl_s=session_ttl_s)


StackConfig = tuple[str, str | None, str]
"""(database URL, Redis URL or None for the in-process store, Redis key prefix) of one stack variant."""


async def delete_keys(url: str, prefix: str) -> None:
    """Delete every Redis key that starts with `prefix`."""
    client = aioredis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def variant_stack(
    config: StackConfig, *, env: Mapping[str, str] | None = None, redis_settings: bool = False
) -> AsyncIterator[Stack]:
    """Serve the stack of one variant and delete its Redis keys afterwards.

    With `redis_settings`, REDIS_URL is also set in the service's settings, so that the features that
    share Redis across workers (the flood limit) use it too.
    """
    database_url, redis_url, prefix = config
    if redis_url is None:
        async for built in open_stack(database_url, memory_sessions(), env=env):
            yield built
        return
    full_env = {**(env or {}), **({"REDIS_URL": redis_url} if redis_settings else {})}
    try:
        async for built in open_stack(database_url, redis_sessions(redis_url, prefix), env=full_env):
            yield built
    finally:
        await delete_keys(redis_url, prefix)
