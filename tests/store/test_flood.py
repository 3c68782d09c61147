"""The flood limit: exact on one process, shared through Redis across processes within a stated bound."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from store.flood import SWEEP_LIMIT, FloodGuard, RedisFloodCounter
from store.sessions.base import SessionStoreError


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def redis_client(redis_url: str, redis_prefix: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"{redis_prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def admitted(guard: FloodGuard, openid: str, pushes: int) -> list[bool]:
    return [(await guard.admit(openid)).allowed for _ in range(pushes)]


async def test_memory_guard_refuses_above_limit() -> None:
    guard = FloodGuard(max_messages=5, window_s=60, clock=Clock())

    results = await admitted(guard, "o-user-1", 7)

    assert results == [True] * 5 + [False] * 2


async def test_first_refusal_reported_once() -> None:
    guard = FloodGuard(max_messages=1, window_s=60, clock=Clock())

    admissions = [await guard.admit("o-user-1") for _ in range(4)]

    assert [admission.first_refusal for admission in admissions] == [False, True, False, False]


async def test_other_users_unaffected() -> None:
    guard = FloodGuard(max_messages=2, window_s=60, clock=Clock())
    await admitted(guard, "o-flooder", 10)

    assert await admitted(guard, "o-other", 2) == [True, True]


async def test_next_window_admits_again() -> None:
    clock = Clock()
    guard = FloodGuard(max_messages=2, window_s=60, clock=clock)
    await admitted(guard, "o-user-1", 3)

    clock.now += 60

    assert await admitted(guard, "o-user-1", 3) == [True, True, False]


async def test_stale_windows_swept() -> None:
    clock = Clock()
    guard = FloodGuard(max_messages=2, window_s=60, clock=clock)
    for number in range(SWEEP_LIMIT + 10):
        await guard.admit(f"o-user-{number}")

    clock.now += 60
    await guard.admit("o-late")

    assert len(guard._windows) == 11


def test_invalid_limit_rejected() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FloodGuard(max_messages=0, window_s=60)


async def test_redis_guard_exact_on_one_process(redis_client: aioredis.Redis, redis_prefix: str) -> None:
    counter = RedisFloodCounter(redis_client, prefix=redis_prefix, window_s=60)
    guard = FloodGuard(max_messages=6, window_s=60, counter=counter, local_quota=3, clock=Clock())

    assert await admitted(guard, "o-user-1", 8) == [True] * 6 + [False] * 2


async def test_redis_guard_shared_by_processes(redis_client: aioredis.Redis, redis_prefix: str) -> None:
    clock = Clock()
    guards = [
        FloodGuard(
            max_messages=6,
            window_s=60,
            counter=RedisFloodCounter(redis_client, prefix=redis_prefix, window_s=60),
            local_quota=3,
            clock=clock,
        )
        for _ in range(2)
    ]

    results = [(await guards[number % 2].admit("o-user-1")).allowed for number in range(12)]

    # Each guard passes its first 3 pushes unshared; the 4th of each adds its count to Redis.
    assert results == [True] * 7 + [False] * 5
    assert sum(results) <= 6 + 3


async def test_redis_guard_stays_quiet_below_quota(redis_client: aioredis.Redis, redis_prefix: str) -> None:
    counter = RedisFloodCounter(redis_client, prefix=redis_prefix, window_s=60)
    guard = FloodGuard(max_messages=10, window_s=60, counter=counter, local_quota=5, clock=Clock())

    await admitted(guard, "o-user-1", 5)

    assert [key async for key in redis_client.scan_iter(match=f"{redis_prefix}flood:*")] == []


async def test_redis_counter_failure_raised_as_store_error() -> None:
    client = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    counter = RedisFloodCounter(client, prefix="x:", window_s=60, owns_client=True)
    guard = FloodGuard(max_messages=2, window_s=60, counter=counter, local_quota=0, clock=Clock())
    try:
        with pytest.raises(SessionStoreError, match="flood counter failed"):
            await guard.admit("o-user-1")
    finally:
        await guard.close()
