"""The session store's epoch: a lost store is noticed once per user, a fresh deployment not at all."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from store.epoch import MemorySessionLoss, RedisSessionLoss


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def history(value: bool):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return value

    return check


def sessions(count: int):  # type: ignore[no-untyped-def]
    async def counter() -> int:
        return count

    return counter


@pytest.fixture
async def client(redis_url: str, redis_prefix: str) -> AsyncIterator[aioredis.Redis]:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    try:
        yield redis
    finally:
        keys = [key async for key in redis.scan_iter(match=f"{redis_prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


def redis_loss(client: aioredis.Redis, prefix: str, clock: Clock, *, had_history: bool, live: int = 0) -> RedisSessionLoss:
    return RedisSessionLoss(
        client,
        prefix=prefix,
        has_history=history(had_history),
        has_sessions=sessions(live),
        notice_window_s=3600,
        clock=clock,
    )


async def test_memory_restart_with_history_noticed_once() -> None:
    clock = Clock()
    loss = MemorySessionLoss(has_history=history(True), notice_window_s=3600, clock=clock)
    await loss.prime()

    assert await loss.notice_due("o-user-1")
    await loss.mark_noticed("o-user-1")
    assert not await loss.notice_due("o-user-1")
    assert await loss.notice_due("o-user-2")


async def test_memory_fresh_deployment_not_noticed() -> None:
    loss = MemorySessionLoss(has_history=history(False), notice_window_s=3600, clock=Clock())
    await loss.prime()

    assert not await loss.notice_due("o-user-1")


async def test_memory_notice_ends_with_window() -> None:
    clock = Clock()
    loss = MemorySessionLoss(has_history=history(True), notice_window_s=3600, clock=clock)
    await loss.prime()

    clock.now += 3600

    assert not await loss.notice_due("o-user-1")


async def test_redis_fresh_deployment_not_noticed(client: aioredis.Redis, redis_prefix: str) -> None:
    loss = redis_loss(client, redis_prefix, Clock(), had_history=False)
    await loss.prime()

    assert not await loss.notice_due("o-user-1")
    assert await client.get(f"{redis_prefix}epoch") is not None


async def test_redis_wiped_while_running_noticed(client: aioredis.Redis, redis_prefix: str) -> None:
    clock = Clock()
    first = redis_loss(client, redis_prefix, clock, had_history=False)
    second = redis_loss(client, redis_prefix, clock, had_history=False)
    await first.prime()
    await second.prime()

    await client.delete(f"{redis_prefix}epoch")

    assert await first.notice_due("o-user-1")
    await first.mark_noticed("o-user-1")
    assert not await second.notice_due("o-user-1")
    assert await second.notice_due("o-user-2")


async def test_redis_sessions_without_epoch_not_lost(client: aioredis.Redis, redis_prefix: str) -> None:
    loss = redis_loss(client, redis_prefix, Clock(), had_history=True, live=3)
    await loss.prime()

    assert not await loss.notice_due("o-user-1")


async def test_redis_empty_store_with_history_noticed(client: aioredis.Redis, redis_prefix: str) -> None:
    loss = redis_loss(client, redis_prefix, Clock(), had_history=True)
    await loss.prime()

    assert await loss.notice_due("o-user-1")


async def test_redis_malformed_epoch_means_no_loss(client: aioredis.Redis, redis_prefix: str) -> None:
    await client.set(f"{redis_prefix}epoch", "garbage")
    loss = redis_loss(client, redis_prefix, Clock(), had_history=True)
    await loss.prime()

    assert not await loss.notice_due("o-user-1")
