"""Database faults through the real service: PostgreSQL unreachable or slow at 「提交」 and elsewhere,
and WeChat redelivering a push while its first delivery is still being handled.

PostgreSQL is reached through a TCP proxy of the test (without TLS), which the test switches to
refusing or dropping connections. The shared server itself is never stopped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.simulator import build_text_push
from dialogs import replies
from store.db import Database
from store.models import Employment, Offer, Pairing, Posting, Student, StudentChoice, Submission
from tests.bot.fault_tools import TcpProxy, postgres_port, proxied, via_proxy
from tests.bot.stack import Stack, example_lines, memory_sessions, open_stack

WECHAT_WAIT_S = 5.0
ROW_MODELS = (Submission, Student, Pairing, Posting, Offer, Employment, StudentChoice)


async def row_counts(database_url: str) -> dict[str, int]:
    """Count the rows a submission writes, read directly from the database (not through the proxy)."""
    database = Database(database_url)
    try:
        async with database.session() as session:
            return {
                model.__tablename__: int(await session.scalar(select(func.count()).select_from(model)) or 0)
                for model in ROW_MODELS
            }
    finally:
        await database.dispose()


@pytest.fixture
async def database_proxy(postgres_url: str) -> AsyncIterator[TcpProxy]:
    async with proxied(postgres_port(postgres_url)) as proxy:
        yield proxy


@pytest.fixture
async def stack(postgres_url: str, database_proxy: TcpProxy) -> AsyncIterator[Stack]:
    env = {"JIEDUI_PUSH_DEADLINE_S": "2.5"}
    async for built in open_stack(via_proxy(postgres_url, database_proxy), memory_sessions(), env=env):
        yield built


@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
async def test_unreachable_database_at_submit_keeps_draft(
    stack: Stack, postgres_url: str, database_proxy: TcpProxy, mode: Any
) -> None:
    cadre = stack.cadre()
    lines = example_lines()
    await cadre.run(lines[:-1])
    assert lines[-1] == "提交"
    database_proxy.set_mode(mode)

    started = time.monotonic()
    reply = await cadre.say("提交")
    elapsed_s = time.monotonic() - started

    assert elapsed_s < WECHAT_WAIT_S
    if mode == "refuse":
        assert reply == replies.SAVE_FAILED
    else:
        assert reply == replies.BUSY
    assert set((await row_counts(postgres_url)).values()) == {0}
    database_proxy.set_mode("forward")
    reply = await cadre.say("提交")
    assert "提交成功！本次共提交2名结对学生：张三、李四" in reply
    counts = await row_counts(postgres_url)
    assert counts["submissions"] == 1
    assert counts["students"] == 2
    assert counts["pairings"] == 2


async def test_unreachable_database_elsewhere_answers_busy(stack: Stack, database_proxy: TcpProxy) -> None:
    cadre = stack.cadre()
    await cadre.run(example_lines())
    database_proxy.set_mode("refuse")

    reply = await cadre.say("我的结对")

    assert reply == replies.BUSY
    database_proxy.set_mode("forward")
    reply = await cadre.say("我的结对")
    assert "张三" in reply


async def test_redelivery_during_first_processing_has_one_effect(
    stack: Stack, postgres_url: str, database_proxy: TcpProxy
) -> None:
    cadre = stack.cadre()
    lines = example_lines()
    await cadre.run(lines[:-1])
    push = build_text_push(
        openid=cadre.user.openid, account=cadre.user.account, content="提交", msg_id=987654321, create_time=int(time.time())
    )
    # Every chunk to and from PostgreSQL waits, so the submission takes about a second.
    database_proxy.delay_s = 0.02

    async def deliver(pause_s: float) -> tuple[str | None, float]:
        await asyncio.sleep(pause_s)
        started = time.monotonic()
        reply = await cadre.user.send_xml(push)
        return reply, time.monotonic() - started

    (first, first_s), (second, second_s) = await asyncio.gather(deliver(0.0), deliver(0.3))

    assert first is not None and "提交成功" in first
    assert second == first
    assert first_s < WECHAT_WAIT_S
    assert second_s < WECHAT_WAIT_S
    counts = await row_counts(postgres_url)
    assert counts["submissions"] == 1
    assert counts["students"] == 2


async def test_redelivery_after_timeout_has_one_effect(
    stack: Stack, postgres_url: str, database_proxy: TcpProxy
) -> None:
    cadre = stack.cadre()
    lines = example_lines()
    await cadre.run(lines[:-1])
    push = build_text_push(
        openid=cadre.user.openid, account=cadre.user.account, content="提交", msg_id=123456789, create_time=int(time.time())
    )
    database_proxy.set_mode("blackhole")

    first = await cadre.user.send_xml(push)

    assert first == replies.BUSY
    database_proxy.set_mode("forward")
    second = await cadre.user.send_xml(push)
    assert second is not None and "提交成功" in second
    third = await cadre.user.send_xml(push)
    assert third == second
    counts = await row_counts(postgres_url)
    assert counts["submissions"] == 1
    assert counts["students"] == 2
