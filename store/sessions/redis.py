"""The Redis session store, shared by every worker process of a deployment.

A push costs 3 round trips: acquiring the lock, `load`, and `save` together with the release, because a
save made while holding the lock is sent with the release. Acquiring costs more round trips while
another push of the same user holds the lock. The key layout is in `store.sessions.keys`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
import secrets
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import MappingProxyType, TracebackType
from typing import Any

import redis.asyncio
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError, ResponseError

from store.sessions.base import (
    EXPIRY_NOTICE_TTL_S,
    LOCK_TTL_S,
    LOCK_WAIT_S,
    REPLY_TTL_S,
    SESSION_TTL_S,
    Loaded,
    LockTimeout,
    SessionStore,
    SessionStoreError,
)
from store.sessions.keys import Keys, check_openid

logger = logging.getLogger("jiedui.sessions")

DEFAULT_PREFIX = "jiedui:"
LOCK_RETRY_FIRST_S = 0.01
"""First pause before retrying a lock that another push holds; each retry doubles it up to LOCK_RETRY_MAX_S."""
LOCK_RETRY_MAX_S = 0.1
SCAN_BATCH = 1000
"""COUNT hint of each SCAN that `count_active` sends."""

# Deletes the lock only while it still contains our token, so a holder whose lock expired cannot
# release the lock of the push that took it over.
_RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""

_instance_ids = itertools.count()


@dataclass
class _Write:
    """A save waiting to be sent: the session JSON (None deletes the session) and replies by push key."""

    session_json: str | None
    replies: dict[str, str] = field(default_factory=dict)

    def merged_with(self, later: _Write) -> _Write:
        return _Write(later.session_json, {**self.replies, **later.replies})


@dataclass
class _HeldLock:
    """A lock the current task holds, with the save to send together with the release."""

    token: str
    acquired_at: float
    pending: _Write | None = None
    released: bool = False


_HELD: ContextVar[Mapping[tuple[int, str], _HeldLock]] = ContextVar(
    "jiedui_session_locks_held", default=MappingProxyType({})
)
"""The locks held in the current context, keyed by store instance and OpenID."""


@contextlib.contextmanager
def _translate_errors(action: str) -> Iterator[None]:
    """Raise every Redis or socket failure inside the block as SessionStoreError."""
    try:
        yield
    except ResponseError as exc:
        # redis-py prefixes a pipeline's error with the failed command and its arguments, which may
        # contain session data, so only the server's own message is kept.
        _, annotated, original = str(exc).partition(" of pipeline caused error: ")
        exc.args = (original if annotated else str(exc),)
        raise SessionStoreError(f"Redis rejected the {action}: {exc.args[0]}") from exc
    except (RedisError, OSError) as exc:
        raise SessionStoreError(
            f"Redis {action} failed: {exc}; check that Redis is running and reachable"
        ) from exc


def _text(value: bytes | str | None) -> str | None:
    """Return a Redis value as text, whether or not the client decodes responses."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def _decode_session(raw: str) -> dict[str, Any]:
    try:
        session = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SessionStoreError(f"stored session is not valid JSON ({exc}); delete the session key") from exc
    if not isinstance(session, dict):
        raise SessionStoreError(
            f"stored session is a JSON {type(session).__name__}, expected an object; delete the session key"
        )
    return session


class RedisSessionStore(SessionStore):
    """A session store in Redis; every worker process that uses the same prefix shares it.

    A `save` made while the current task holds the user's lock is kept until the next `load` or the
    release, and is sent in the same round trip as that call. So other processes see the write only
    then, but they cannot take the lock and read it before that anyway. A failure of that write is
    raised as SessionStoreError by `load` or when the `async with lock(...)` block exits. Outside a
    lock, `save` writes at once.

    `close` closes the client only when `from_url` created it; a client passed in belongs to the caller.
    """

    def __init__(
        self,
        client: redis.asyncio.Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        session_ttl_s: int = SESSION_TTL_S,
        lock_ttl_s: float = LOCK_TTL_S,
    ) -> None:
        super().__init__(session_ttl_s=session_ttl_s)
        self.lock_ttl_s = lock_ttl_s
        self.keys = Keys(prefix)
        self._client = client
        self._owns_client = False
        self._instance_id = next(_instance_ids)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        session_ttl_s: int = SESSION_TTL_S,
        lock_ttl_s: float = LOCK_TTL_S,
        socket_timeout_s: float = 2.0,
    ) -> RedisSessionStore:
        """Create a store with its own connection pool; `socket_timeout_s` limits connecting and each reply."""
        client = redis.asyncio.Redis.from_url(
            url,
            socket_timeout=socket_timeout_s,
            socket_connect_timeout=socket_timeout_s,
            decode_responses=True,
        )
        store = cls(client, prefix=prefix, session_ttl_s=session_ttl_s, lock_ttl_s=lock_ttl_s)
        store._owns_client = True
        return store

    def lock(
        self, openid: str, *, wait_s: float = LOCK_WAIT_S
    ) -> contextlib.AbstractAsyncContextManager[None]:
        return _RedisLock(self, openid, wait_s)

    async def load(self, openid: str, push_key: str | None) -> Loaded:
        names = [self.keys.session(openid), self.keys.seen(openid)]
        if push_key is not None:
            names.append(self.keys.reply(openid, push_key))
        held_lock = self._held_lock(openid)
        with _translate_errors("session read"):
            if held_lock is not None and held_lock.pending is not None:
                async with self._client.pipeline(transaction=True) as pipe:
                    self._queue_write(pipe, openid, held_lock.pending)
                    pipe.mget(names)
                    results = await pipe.execute()
                held_lock.pending = None
                values = results[-1]
            else:
                values = await self._client.mget(names)
        raw_session, seen = _text(values[0]), _text(values[1])
        reply = _text(values[2]) if push_key is not None else None
        if raw_session is not None:
            return Loaded(session=_decode_session(raw_session), expired=False, reply=reply)
        return Loaded(session=None, expired=seen is not None, reply=reply)

    async def save(
        self, openid: str, session: dict[str, Any] | None, push_key: str | None, reply: str | None
    ) -> None:
        # Checked now, because a write deferred to the lock release must not fail on it later.
        check_openid(openid)
        session_json = None
        if session is not None:
            session_json = json.dumps(session, ensure_ascii=False, separators=(",", ":"))
        write = _Write(session_json)
        if push_key is not None and reply is not None:
            write.replies[push_key] = reply

        held_lock = self._held_lock(openid)
        if held_lock is not None:
            held_lock.pending = write if held_lock.pending is None else held_lock.pending.merged_with(write)
            return
        with _translate_errors("session write"):
            async with self._client.pipeline(transaction=True) as pipe:
                self._queue_write(pipe, openid, write)
                await pipe.execute()

    async def count_active(self) -> int:
        # SCAN may return a key twice while Redis resizes its table, so keys are collected in a set.
        found: set[Any] = set()
        with _translate_errors("session count"):
            async for key in self._client.scan_iter(match=self.keys.session_pattern(), count=SCAN_BATCH):
                found.add(key)
        return len(found)

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def _held_lock(self, openid: str) -> _HeldLock | None:
        # A task started inside the block copies the context, so it may still see the lock after release.
        held_lock = _HELD.get().get((self._instance_id, openid))
        if held_lock is None or held_lock.released:
            return None
        return held_lock

    def _queue_write(self, pipe: Pipeline, openid: str, write: _Write) -> None:
        if write.session_json is None:
            pipe.delete(self.keys.session(openid), self.keys.seen(openid))
        else:
            pipe.set(self.keys.session(openid), write.session_json, ex=self.session_ttl_s)
            pipe.set(self.keys.seen(openid), "1", ex=self.session_ttl_s + EXPIRY_NOTICE_TTL_S)
        for push_key, reply in write.replies.items():
            pipe.set(self.keys.reply(openid, push_key), reply, ex=REPLY_TTL_S)

    async def _acquire(self, lock_key: str, wait_s: float) -> str:
        """Take the lock at `lock_key` and return its token, or raise LockTimeout after `wait_s`."""
        token = secrets.token_hex(16)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        pause_s = LOCK_RETRY_FIRST_S
        task = asyncio.current_task()
        while True:
            with _translate_errors("lock acquisition"):
                acquired = await self._client.set(lock_key, token, nx=True, px=int(self.lock_ttl_s * 1000))
            if task is not None and task.cancelling():
                # redis-py can absorb a cancellation that arrives during a command; honour it here.
                if acquired:
                    await asyncio.shield(self._drop_lock(lock_key, token))
                raise asyncio.CancelledError()
            if acquired:
                return token
            remaining_s = deadline - loop.time()
            if remaining_s <= 0:
                raise LockTimeout(
                    f"per-user lock not acquired within {wait_s:.2f} s because another push of the same "
                    "user is still being handled; answer that the service is busy"
                )
            await asyncio.sleep(min(random.uniform(pause_s / 2, pause_s), remaining_s))
            pause_s = min(pause_s * 2, LOCK_RETRY_MAX_S)

    async def _drop_lock(self, lock_key: str, token: str) -> None:
        """Release a lock taken by a waiter that was cancelled meanwhile, if it is still ours."""
        with _translate_errors("lock release"):
            await self._client.eval(_RELEASE_SCRIPT, 1, lock_key, token)  # type: ignore[misc]

    async def _release(self, openid: str, lock_key: str, held_lock: _HeldLock) -> bool:
        """Send the pending save, if any, and release the lock; return False when it was no longer ours."""
        with _translate_errors("lock release"):
            if held_lock.pending is None:
                # redis-py types eval as returning `Awaitable[str] | str` for both its sync and async clients.
                deleted = await self._client.eval(_RELEASE_SCRIPT, 1, lock_key, held_lock.token)  # type: ignore[misc]
                return bool(deleted)
            async with self._client.pipeline(transaction=True) as pipe:
                self._queue_write(pipe, openid, held_lock.pending)
                pipe.eval(_RELEASE_SCRIPT, 1, lock_key, held_lock.token)
                results = await pipe.execute()
            return bool(results[-1])


class _RedisLock(contextlib.AbstractAsyncContextManager[None]):
    """The per-user lock: `SET NX PX` retried with short pauses, released by a token-comparing script.

    While it is held, the current context maps the store and OpenID to it, so that `save` and `load`
    find the pending write.
    """

    def __init__(self, store: RedisSessionStore, openid: str, wait_s: float) -> None:
        self._store = store
        self._openid = openid
        self._key = store.keys.lock(openid)
        self._wait_s = wait_s
        self._context_key = (store._instance_id, openid)
        self._lock_state: _HeldLock | None = None

    async def __aenter__(self) -> None:
        token = await self._store._acquire(self._key, self._wait_s)
        self._lock_state = _HeldLock(token=token, acquired_at=asyncio.get_running_loop().time())
        _HELD.set(MappingProxyType({**_HELD.get(), self._context_key: self._lock_state}))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        held_lock = self._lock_state
        if held_lock is None:
            return
        self._lock_state = None
        held_lock.released = True
        # Only this lock's own entry is removed, because after a holder's lock expired, two locks of one
        # user can be left out of order, and ContextVar.reset would then bring back the other's entry.
        held_locks = _HELD.get()
        if held_locks.get(self._context_key) is held_lock:
            remaining = {key: value for key, value in held_locks.items() if key != self._context_key}
            _HELD.set(MappingProxyType(remaining))
        # A save made under the lock is sent even when the block raised after it, as it would have been
        # sent at once without the lock.
        if not await self._store._release(self._openid, self._key, held_lock):
            held_ms = (asyncio.get_running_loop().time() - held_lock.acquired_at) * 1000
            logger.warning(
                "per-user lock expired after %.1f s, before its holder released it (held for %.0f ms)",
                self._store.lock_ttl_s,
                held_ms,
            )
