"""Session-store faults through the real service: Redis restarted, slow or unreachable, and a restart of
the process that keeps sessions in memory.

Each Redis test runs its own redis-server (no persistence) on a free port, behind a TCP proxy where
the test needs Redis slow or unreachable, so the shared Redis of other tests is never touched.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select

from bot import notices
from bot.config_limits import MAX_PUSH_DEADLINE_S
from dialogs import replies
from store.models import Pairing, Student, Submission
from store.sessions.redis import RedisSessionStore
from tests.bot.fault_tools import RedisServer, TcpProxy, proxied
from tests.bot.stack import Stack, example_lines, memory_sessions, open_stack
from tests.dialogs.chat import START, basic_answers

WECHAT_WAIT_S = 5.0
PREFIX = "jiedui-faults:"


async def count(stack: Stack, model: Any) -> int:
    async with stack.database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def redis_proxy(redis_server: RedisServer) -> AsyncIterator[TcpProxy]:
    async with proxied(redis_server.port) as proxy:
        yield proxy


def redis_stack(database_url: str, redis_url: str, **env: str) -> AsyncIterator[Stack]:
    sessions = RedisSessionStore.from_url(redis_url, prefix=PREFIX)
    return open_stack(database_url, sessions, env={"REDIS_URL": redis_url, **env})


async def test_redis_restart_mid_dialog_announces_lost_draft(postgres_url: str, redis_server: RedisServer) -> None:
    async for stack in redis_stack(postgres_url, redis_server.url):
        cadre = stack.cadre()
        await cadre.run(example_lines())
        assert await count(stack, Student) == 2
        await cadre.run(["提交结对", *START[3:8], *basic_answers("王五", "13900005555")[:5]])

        await redis_server.restart()
        reply = await cadre.say("本科")

        assert notices.SESSION_LOST in reply
        assert "提交结对" in reply
        assert await count(stack, Student) == 2
        assert await count(stack, Submission) == 1
        reply = await cadre.say("帮助")
        assert notices.SESSION_LOST not in reply


async def test_restarted_cadre_cannot_store_student_twice(postgres_url: str, redis_server: RedisServer) -> None:
    async for stack in redis_stack(postgres_url, redis_server.url):
        cadre = stack.cadre()
        await cadre.run(example_lines())
        await redis_server.restart()

        await cadre.run(["提交结对", *START[3:8], "张三", "1"])
        reply = await cadre.say("13900002222")

        assert "已在结对名单中" in reply
        assert await count(stack, Student) == 2
        assert await count(stack, Pairing) == 2


async def test_fresh_redis_and_database_announce_nothing(postgres_url: str, redis_server: RedisServer) -> None:
    async for stack in redis_stack(postgres_url, redis_server.url):
        reply = await stack.cadre().say("提交结对")

        assert notices.SESSION_LOST not in reply


async def test_memory_store_restart_announces_lost_draft(sqlite_url: str) -> None:
    async for stack in open_stack(sqlite_url, memory_sessions()):
        cadre = stack.cadre()
        await cadre.run([*START, *basic_answers()[:3]])
    async for stack in open_stack(sqlite_url, memory_sessions()):
        cadre = stack.cadre()
        reply = await cadre.say("计算机学院")

        assert notices.SESSION_LOST in reply
        assert await count(stack, Student) == 0
        other = await stack.cadre("o-cadre-0002").say("帮助")
        assert notices.SESSION_LOST in other


async def _question_now(stack: Stack, cadre: Any) -> str:
    """Return the progress line the dialog shows, without answering anything."""
    reply: str = await cadre.say("进度")
    return reply


@pytest.mark.parametrize("mode", ["refuse", "blackhole", "slow"])
async def test_unreachable_redis_answers_busy(
    sqlite_url: str, redis_server: RedisServer, redis_proxy: TcpProxy, mode: str
) -> None:
    proxy_url = f"redis://127.0.0.1:{redis_proxy.port}/0"
    async for stack in redis_stack(sqlite_url, proxy_url, JIEDUI_PUSH_DEADLINE_S="1.5"):
        cadre = stack.cadre()
        await cadre.run([*START, *basic_answers()[:2]])
        before = await _question_now(stack, cadre)
        if mode == "slow":
            redis_proxy.delay_s = 2.0
        else:
            redis_proxy.set_mode(mode)  # type: ignore[arg-type]

        started = time.monotonic()
        reply = await cadre.say("13900002222")
        elapsed_s = time.monotonic() - started

        assert reply == replies.BUSY
        assert elapsed_s < WECHAT_WAIT_S
        redis_proxy.set_mode("forward")
        await redis_proxy.drain()
        redis_proxy.delay_s = 0.0
        # A slow Redis still runs a lock request that arrives after the client gave up. That lock
        # would block this user until it expires (LOCK_TTL_S), so the test removes it as expiry would.
        await _delete_locks(redis_server.url)
        assert await _question_now(stack, cadre) == before
        reply = await cadre.say("13900002222")
        assert "院系" in reply


async def test_deadline_bounds_answer_time(sqlite_url: str, redis_server: RedisServer, redis_proxy: TcpProxy) -> None:
    proxy_url = f"redis://127.0.0.1:{redis_proxy.port}/0"
    async for stack in redis_stack(sqlite_url, proxy_url, JIEDUI_PUSH_DEADLINE_S=str(MAX_PUSH_DEADLINE_S)):
        cadre = stack.cadre()
        await cadre.run(START[:3])
        redis_proxy.delay_s = 1.5

        started = time.monotonic()
        reply = await cadre.say("北京大学001")
        elapsed_s = time.monotonic() - started

        assert reply == replies.BUSY
        assert elapsed_s < WECHAT_WAIT_S


async def _delete_locks(url: str) -> None:
    client = aioredis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{PREFIX}lock:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
