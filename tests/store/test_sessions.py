"""Session store tests: one contract suite run against the memory and the Redis backend, then the
behaviour only one backend has (memory bookkeeping; Redis key TTLs, failures and round trips).

The memory backend runs on a fake clock, so its TTL tests do not sleep; the Redis backend sleeps
through 1-second TTLs.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
import redis.asyncio
from redis.exceptions import ConnectionError as RedisConnectionError

from store.sessions import (
    EXPIRY_NOTICE_TTL_S,
    REPLY_TTL_S,
    Loaded,
    LockTimeout,
    MemorySessionStore,
    RedisSessionStore,
    SessionStore,
    SessionStoreError,
)
from store.sessions.keys import Keys
from store.sessions.memory import SWEEP_LIMIT
from store.sessions.redis import _translate_errors

ALICE = "oAbC-alice_0123456789abcdefgh"
BOB = "oAbC-bob_0123456789abcdefghij"
SESSION = {"dialog": "pairing", "step": "student.name", "answers": {"姓名": "张三", "电话": "13900000000"}}
SHORT_LOCK_TTL_S = 0.5


class FakeClock:
    """A monotonic clock that moves only when a test advances it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def advance(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


@dataclass
class Backend:
    """One backend under test: a store factory and a way to let its TTLs run."""

    kind: str
    make: Callable[..., SessionStore]
    advance: Callable[[float], Awaitable[None]]


async def delete_prefixed_keys(url: str, prefix: str) -> None:
    client = redis.asyncio.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest_asyncio.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """Yield the memory backend on a fake clock, then the Redis backend under a prefix of its own."""
    if request.param == "memory":
        clock = FakeClock()

        def make_memory(**options: Any) -> SessionStore:
            return MemorySessionStore(clock=clock, **options)

        yield Backend("memory", make_memory, clock.advance)
        return

    url: str = request.getfixturevalue("redis_url")
    prefix: str = request.getfixturevalue("redis_prefix")
    stores: list[SessionStore] = []

    def make_redis(**options: Any) -> SessionStore:
        store = RedisSessionStore.from_url(url, prefix=prefix, **options)
        stores.append(store)
        return store

    try:
        yield Backend("redis", make_redis, asyncio.sleep)
    finally:
        for store in stores:
            await store.close()
        await delete_prefixed_keys(url, prefix)


class TestSessionStoreContract:
    """Behaviour every backend shares."""

    async def test_load_of_unknown_user_is_empty(self, backend: Backend) -> None:
        store = backend.make()

        assert await store.load(ALICE, "m:1") == Loaded(session=None, expired=False, reply=None)

    async def test_save_then_load_round_trip(self, backend: Backend) -> None:
        store = backend.make()

        await store.save(ALICE, SESSION, None, None)
        loaded = await store.load(ALICE, None)

        assert loaded.session == SESSION
        assert loaded.expired is False
        assert loaded.reply is None

    async def test_saved_session_is_a_copy(self, backend: Backend) -> None:
        store = backend.make()
        answers = {"姓名": "王老师"}
        session: dict[str, Any] = {"step": "cadre.name", "answers": answers}

        await store.save(ALICE, session, None, None)
        answers["姓名"] = "改过"
        loaded = await store.load(ALICE, None)

        assert loaded.session == {"step": "cadre.name", "answers": {"姓名": "王老师"}}

    async def test_session_not_json_serializable_is_rejected(self, backend: Backend) -> None:
        store = backend.make()

        with pytest.raises(TypeError):
            await store.save(ALICE, {"when": object()}, None, None)

    async def test_sessions_of_users_are_separate(self, backend: Backend) -> None:
        store = backend.make()

        await store.save(ALICE, {"step": "a"}, None, None)
        await store.save(BOB, {"step": "b"}, None, None)

        assert (await store.load(ALICE, None)).session == {"step": "a"}
        assert (await store.load(BOB, None)).session == {"step": "b"}

    async def test_session_expires_after_ttl(self, backend: Backend) -> None:
        store = backend.make(session_ttl_s=1)
        await store.save(ALICE, SESSION, None, None)

        await backend.advance(1.3)
        loaded = await store.load(ALICE, None)

        assert loaded.session is None
        assert loaded.expired is True

    async def test_save_restarts_ttl(self, backend: Backend) -> None:
        store = backend.make(session_ttl_s=1)
        await store.save(ALICE, {"step": 1}, None, None)
        await backend.advance(0.6)

        await store.save(ALICE, {"step": 2}, None, None)
        await backend.advance(0.6)
        loaded = await store.load(ALICE, None)

        assert loaded.session == {"step": 2}
        assert loaded.expired is False

    async def test_save_none_deletes_session(self, backend: Backend) -> None:
        store = backend.make()
        await store.save(ALICE, SESSION, None, None)

        await store.save(ALICE, None, None, None)
        loaded = await store.load(ALICE, None)

        assert loaded.session is None
        assert loaded.expired is False

    async def test_reply_is_returned_for_its_push_key(self, backend: Backend) -> None:
        store = backend.make()

        await store.save(ALICE, SESSION, "m:1001", "请输入学生姓名")

        assert (await store.load(ALICE, "m:1001")).reply == "请输入学生姓名"
        assert (await store.load(ALICE, "m:1002")).reply is None
        assert (await store.load(ALICE, None)).reply is None
        assert (await store.load(BOB, "m:1001")).reply is None

    async def test_reply_is_kept_when_session_is_deleted(self, backend: Backend) -> None:
        store = backend.make()
        await store.save(ALICE, SESSION, None, None)

        await store.save(ALICE, None, "e:1700000000:subscribe:", "欢迎关注")
        loaded = await store.load(ALICE, "e:1700000000:subscribe:")

        assert loaded.session is None
        assert loaded.reply == "欢迎关注"

    async def test_invalid_openid_is_rejected(self, backend: Backend) -> None:
        store = backend.make()

        with pytest.raises(ValueError, match="invalid OpenID"):
            await store.load("alice:m:1", None)
        with pytest.raises(ValueError, match="invalid OpenID"):
            await store.save("", SESSION, None, None)
        with pytest.raises(ValueError, match="invalid OpenID"):
            store.lock("张三")

    async def test_count_active_counts_live_sessions(self, backend: Backend) -> None:
        store = backend.make(session_ttl_s=1)
        assert await store.count_active() == 0

        for openid in (ALICE, BOB, "oAbC-carol"):
            await store.save(openid, SESSION, None, None)
        await store.save("oAbC-carol", None, None, None)
        assert await store.count_active() == 2

        await backend.advance(1.3)
        assert await store.count_active() == 0

    async def test_lock_serializes_one_user(self, backend: Backend) -> None:
        store = backend.make()
        await store.save(ALICE, {"count": 0}, None, None)
        events: list[str] = []

        async def increment() -> None:
            async with store.lock(ALICE, wait_s=5):
                events.append("enter")
                loaded = await store.load(ALICE, None)
                assert loaded.session is not None
                await asyncio.sleep(0.02)
                await store.save(ALICE, {"count": loaded.session["count"] + 1}, None, None)
                events.append("exit")

        await asyncio.gather(*(increment() for _ in range(5)))

        assert (await store.load(ALICE, None)).session == {"count": 5}
        assert events == ["enter", "exit"] * 5

    async def test_lock_of_other_user_does_not_wait(self, backend: Backend) -> None:
        store = backend.make()
        release = asyncio.Event()

        async def hold_alice() -> None:
            async with store.lock(ALICE):
                await release.wait()

        holder = asyncio.create_task(hold_alice())
        await asyncio.sleep(0.05)
        try:
            started = time.monotonic()
            async with store.lock(BOB, wait_s=0.5):
                elapsed_s = time.monotonic() - started
        finally:
            release.set()
            await holder

        assert elapsed_s < 0.2

    async def test_lock_times_out_while_held(self, backend: Backend) -> None:
        store = backend.make()

        async with store.lock(ALICE):
            started = time.monotonic()
            with pytest.raises(LockTimeout):
                async with store.lock(ALICE, wait_s=0.2):
                    pass
            elapsed_s = time.monotonic() - started

        assert 0.2 <= elapsed_s < 1.0

    async def test_lock_is_free_after_block_raises(self, backend: Backend) -> None:
        store = backend.make()

        with pytest.raises(RuntimeError):
            async with store.lock(ALICE):
                raise RuntimeError("handler failed")

        async with store.lock(ALICE, wait_s=0.1):
            pass

    async def test_lock_expires_after_holder_crashed(self, backend: Backend) -> None:
        store = backend.make(lock_ttl_s=SHORT_LOCK_TTL_S)
        crashed = store.lock(ALICE)
        await crashed.__aenter__()

        await backend.advance(SHORT_LOCK_TTL_S + 0.2)

        async with store.lock(ALICE, wait_s=0.1):
            pass

    async def test_waiter_takes_lock_when_holder_expires(self, backend: Backend) -> None:
        store = backend.make(lock_ttl_s=SHORT_LOCK_TTL_S)
        crashed = store.lock(ALICE)
        await crashed.__aenter__()

        async def wait_for_lock() -> None:
            async with store.lock(ALICE, wait_s=3):
                pass

        waiter = asyncio.create_task(wait_for_lock())
        await asyncio.sleep(0.05)
        await backend.advance(SHORT_LOCK_TTL_S + 0.2)

        await asyncio.wait_for(waiter, timeout=3)

    async def test_expired_holder_cannot_release_successor(
        self, backend: Backend, caplog: pytest.LogCaptureFixture
    ) -> None:
        store = backend.make(lock_ttl_s=SHORT_LOCK_TTL_S)
        expired_holder = store.lock(ALICE)
        await expired_holder.__aenter__()
        await backend.advance(SHORT_LOCK_TTL_S + 0.2)
        new_holder = store.lock(ALICE, wait_s=0.1)
        await new_holder.__aenter__()

        with caplog.at_level(logging.WARNING, logger="jiedui.sessions"):
            await expired_holder.__aexit__(None, None, None)

        with pytest.raises(LockTimeout):
            async with store.lock(ALICE, wait_s=0.2):
                pass
        assert "lock expired" in caplog.text
        await new_holder.__aexit__(None, None, None)
        async with store.lock(ALICE, wait_s=0.1):
            pass

    async def test_cancelled_waiter_leaves_lock_usable(self, backend: Backend) -> None:
        store = backend.make()

        async with store.lock(ALICE):

            async def wait_for_lock() -> None:
                async with store.lock(ALICE, wait_s=3):
                    pass

            waiter = asyncio.create_task(wait_for_lock())
            await asyncio.sleep(0.05)
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter

        async with store.lock(ALICE, wait_s=0.1):
            pass

    async def test_save_under_lock_read_back(self, backend: Backend) -> None:
        store = backend.make()

        async with store.lock(ALICE):
            await store.save(ALICE, {"step": 1}, "m:1", "第一步")
            inside = await store.load(ALICE, "m:1")
            await store.save(ALICE, {"step": 2}, "m:2", "第二步")
        after = await store.load(ALICE, "m:1")

        assert inside == Loaded(session={"step": 1}, expired=False, reply="第一步")
        assert after == Loaded(session={"step": 2}, expired=False, reply="第一步")
        assert (await store.load(ALICE, "m:2")).reply == "第二步"

    async def test_save_under_lock_survives_error_after_it(self, backend: Backend) -> None:
        store = backend.make()

        with pytest.raises(RuntimeError):
            async with store.lock(ALICE):
                await store.save(ALICE, SESSION, "m:7", "已保存")
                raise RuntimeError("sending the reply failed")

        assert await store.load(ALICE, "m:7") == Loaded(session=SESSION, expired=False, reply="已保存")

    async def test_save_after_lock_exit_is_kept(self, backend: Backend) -> None:
        store = backend.make()
        lock_released = asyncio.Event()

        async def save_later() -> None:
            await lock_released.wait()
            await store.save(ALICE, {"step": "late"}, None, None)

        async with store.lock(ALICE):
            late_saver = asyncio.create_task(save_later())
        lock_released.set()
        await late_saver

        assert (await store.load(ALICE, None)).session == {"step": "late"}


class TestMemorySessionStore:
    """Bookkeeping of the in-process backend."""

    async def test_reply_expires_after_reply_ttl(self) -> None:
        clock = FakeClock()
        store = MemorySessionStore(clock=clock)
        await store.save(ALICE, SESSION, "m:1", "好的")

        await clock.advance(REPLY_TTL_S - 1)
        assert (await store.load(ALICE, "m:1")).reply == "好的"
        await clock.advance(2)
        assert (await store.load(ALICE, "m:1")).reply is None

    async def test_expiry_notice_ends_after_its_ttl(self) -> None:
        clock = FakeClock()
        store = MemorySessionStore(session_ttl_s=10, clock=clock)
        await store.save(ALICE, SESSION, None, None)

        await clock.advance(10 + EXPIRY_NOTICE_TTL_S - 1)
        assert (await store.load(ALICE, None)).expired is True
        await clock.advance(2)
        assert (await store.load(ALICE, None)).expired is False

    async def test_save_sweeps_expired_entries(self) -> None:
        clock = FakeClock()
        store = MemorySessionStore(session_ttl_s=10, clock=clock)
        for number in range(SWEEP_LIMIT * 2):
            await store.save(f"user-{number}", SESSION, f"m:{number}", "好的")

        await clock.advance(REPLY_TTL_S + 10 + EXPIRY_NOTICE_TTL_S)
        await store.save(ALICE, SESSION, None, None)
        await store.save(BOB, SESSION, None, None)

        assert len(store._sessions) == 2
        assert len(store._seen) == 2
        assert len(store._replies) == 0

    async def test_lock_entry_removed_after_waiters(self) -> None:
        store = MemorySessionStore()

        async with store.lock(ALICE):
            waiter = asyncio.create_task(self._hold_briefly(store))
            await asyncio.sleep(0.01)
            assert set(store._locks) == {ALICE}
        await waiter

        assert store._locks == {}

    async def test_lock_entry_removed_after_timeout(self) -> None:
        store = MemorySessionStore()

        async with store.lock(ALICE):
            with pytest.raises(LockTimeout):
                async with store.lock(ALICE, wait_s=0.01):
                    pass

        assert store._locks == {}

    async def test_lock_entry_of_crashed_holder_is_swept(self) -> None:
        clock = FakeClock()
        store = MemorySessionStore(lock_ttl_s=SHORT_LOCK_TTL_S, clock=clock)
        crashed = store.lock(ALICE)
        await crashed.__aenter__()

        await clock.advance(SHORT_LOCK_TTL_S + 0.1)
        await store.save(BOB, SESSION, None, None)

        assert store._locks == {}

    @staticmethod
    async def _hold_briefly(store: MemorySessionStore) -> None:
        async with store.lock(ALICE, wait_s=1):
            await asyncio.sleep(0.01)


def closed_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class CountingConnection(redis.asyncio.Connection):
    """A Redis connection that counts the requests it sends, one per round trip."""

    sent = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sent += 1
        await super().send_packed_command(command, check_health)


@pytest_asyncio.fixture
async def redis_client(redis_url: str, redis_prefix: str) -> AsyncIterator[redis.asyncio.Redis]:
    """Yield a decoding client on a pool of counting connections, and delete the test's keys after."""
    pool = redis.asyncio.ConnectionPool.from_url(
        redis_url, connection_class=CountingConnection, decode_responses=True
    )
    client = redis.asyncio.Redis(connection_pool=pool)
    try:
        yield client
    finally:
        await client.aclose(close_connection_pool=True)
        await delete_prefixed_keys(redis_url, redis_prefix)


@pytest.mark.redis
class TestRedisSessionStore:
    """Behaviour of the Redis backend beyond the contract."""

    async def test_keys_carry_their_ttls(self, redis_client: redis.asyncio.Redis, redis_prefix: str) -> None:
        store = RedisSessionStore(redis_client, prefix=redis_prefix, session_ttl_s=3600)
        keys = Keys(redis_prefix)

        await store.save(ALICE, SESSION, "m:1", "好的")
        async with store.lock(ALICE):
            lock_ttl_ms = await redis_client.pttl(keys.lock(ALICE))

        assert 3590 <= await redis_client.ttl(keys.session(ALICE)) <= 3600
        assert await redis_client.get(keys.seen(ALICE)) == "1"
        assert 3600 + EXPIRY_NOTICE_TTL_S - 10 <= await redis_client.ttl(keys.seen(ALICE))
        assert REPLY_TTL_S - 10 <= await redis_client.ttl(keys.reply(ALICE, "m:1")) <= REPLY_TTL_S
        assert 0 < lock_ttl_ms <= 30_000
        assert await redis_client.exists(keys.lock(ALICE)) == 0

    async def test_round_trips_per_push(self, redis_client: redis.asyncio.Redis, redis_prefix: str) -> None:
        store = RedisSessionStore(redis_client, prefix=redis_prefix)
        await redis_client.ping()

        CountingConnection.sent = 0
        await store.load(ALICE, "m:1")
        assert CountingConnection.sent == 1

        CountingConnection.sent = 0
        await store.save(ALICE, SESSION, "m:1", "好的")
        assert CountingConnection.sent == 1

        CountingConnection.sent = 0
        async with store.lock(ALICE):
            loaded = await store.load(ALICE, "m:2")
            await store.save(ALICE, loaded.session, "m:2", "下一步")
        assert CountingConnection.sent == 3

    async def test_save_after_unordered_release_writes(
        self, redis_client: redis.asyncio.Redis, redis_prefix: str
    ) -> None:
        store = RedisSessionStore(redis_client, prefix=redis_prefix, lock_ttl_s=SHORT_LOCK_TTL_S)
        expired_holder = store.lock(ALICE)
        await expired_holder.__aenter__()
        await asyncio.sleep(SHORT_LOCK_TTL_S + 0.2)
        new_holder = store.lock(ALICE, wait_s=0.1)
        await new_holder.__aenter__()
        await expired_holder.__aexit__(None, None, None)
        await new_holder.__aexit__(None, None, None)

        await store.save(ALICE, {"step": "after"}, None, None)

        assert await redis_client.get(Keys(redis_prefix).session(ALICE)) == '{"step":"after"}'

    async def test_prefixes_keep_deployments_apart(
        self, redis_client: redis.asyncio.Redis, redis_prefix: str
    ) -> None:
        store = RedisSessionStore(redis_client, prefix=redis_prefix + "a:")
        other = RedisSessionStore(redis_client, prefix=redis_prefix + "b:")

        await store.save(ALICE, SESSION, None, None)

        assert await other.load(ALICE, None) == Loaded(session=None, expired=False, reply=None)
        assert await other.count_active() == 0
        assert await store.count_active() == 1

    async def test_client_returning_bytes_is_supported(self, redis_url: str, redis_prefix: str) -> None:
        client = redis.asyncio.Redis.from_url(redis_url)
        store = RedisSessionStore(client, prefix=redis_prefix)
        try:
            await store.save(ALICE, SESSION, "m:1", "好的")
            loaded = await store.load(ALICE, "m:1")
        finally:
            await client.aclose()
            await delete_prefixed_keys(redis_url, redis_prefix)

        assert loaded == Loaded(session=SESSION, expired=False, reply="好的")

    async def test_corrupt_session_raises_store_error(
        self, redis_client: redis.asyncio.Redis, redis_prefix: str
    ) -> None:
        store = RedisSessionStore(redis_client, prefix=redis_prefix)
        await redis_client.set(Keys(redis_prefix).session(ALICE), "[1, 2")

        with pytest.raises(SessionStoreError, match="not valid JSON"):
            await store.load(ALICE, None)

        await redis_client.set(Keys(redis_prefix).session(ALICE), "[1, 2]")
        with pytest.raises(SessionStoreError, match="expected an object"):
            await store.load(ALICE, None)

    async def test_unreachable_server_fails_fast(self) -> None:
        store = RedisSessionStore.from_url(f"redis://127.0.0.1:{closed_port()}/0", socket_timeout_s=1.0)
        operations: list[Callable[[], Awaitable[object]]] = [
            lambda: store.load(ALICE, "m:1"),
            lambda: store.save(ALICE, SESSION, "m:1", "好的"),
            store.count_active,
            lambda: store.lock(ALICE).__aenter__(),
        ]
        try:
            for operation in operations:
                started = time.monotonic()
                with pytest.raises(SessionStoreError) as raised:
                    await operation()
                assert time.monotonic() - started < 1.0
                assert not isinstance(raised.value, LockTimeout)
                assert isinstance(raised.value.__cause__, RedisConnectionError)
        finally:
            await store.close()

    async def test_server_error_hides_command_arguments(
        self, redis_client: redis.asyncio.Redis, redis_prefix: str
    ) -> None:
        key = Keys(redis_prefix).session(ALICE)

        with pytest.raises(SessionStoreError) as raised, _translate_errors("session write"):
            async with redis_client.pipeline(transaction=True) as pipe:
                pipe.set(key, "张三 13900000000")
                pipe.incr(key)
                await pipe.execute()

        assert "not an integer" in str(raised.value)
        assert "13900000000" not in str(raised.value)
        assert "13900000000" not in str(raised.value.__cause__)
