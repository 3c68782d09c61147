"""The in-process session store, for development, tests and single-process deployments."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from store.sessions.base import (
    EXPIRY_NOTICE_TTL_S,
    LOCK_TTL_S,
    LOCK_WAIT_S,
    REPLY_TTL_S,
    SESSION_TTL_S,
    Loaded,
    LockTimeout,
    SessionStore,
)
from store.sessions.keys import check_openid

logger = logging.getLogger("jiedui.sessions")

SWEEP_LIMIT = 100
"""Maximum number of expired entries of each kind that one save removes."""

_K = TypeVar("_K")
_V = TypeVar("_V")


class _ExpiringDict(Generic[_K, _V]):
    """A dict whose entries expire, kept in insertion order.

    Writing a key moves it to the end. When every entry gets the same TTL from a monotonic clock, the
    insertion order is also the expiry order, so `purge` stops at the first live entry.
    """

    def __init__(self) -> None:
        self._items: dict[_K, tuple[float, _V]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def put(self, key: _K, value: _V, expires_at: float) -> None:
        self._items.pop(key, None)
        self._items[key] = (expires_at, value)

    def get(self, key: _K, now: float) -> _V | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires_at, value = item
        if expires_at <= now:
            del self._items[key]
            return None
        return value

    def delete(self, key: _K) -> None:
        self._items.pop(key, None)

    def purge(self, now: float, limit: int | None) -> None:
        """Remove expired entries from the front, at most `limit` of them (None: no limit)."""
        expired: list[_K] = []
        for key, (expires_at, _) in self._items.items():
            if expires_at > now or (limit is not None and len(expired) >= limit):
                break
            expired.append(key)
        for key in expired:
            del self._items[key]


@dataclass
class _LockEntry:
    """The per-user lock: the holder's token, its expiry and the tasks waiting for it."""

    token: str | None = None
    expires_at: float = 0.0
    waiters: int = 0
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def is_free(self, now: float) -> bool:
        return self.token is None or self.expires_at <= now


class MemorySessionStore(SessionStore):
    """A session store in a dict of this process.

    It serves one process only: two worker processes would each see their own sessions and locks. It
    loses every session on restart. It honours every TTL of the Redis backend. Expired entries read as
    missing and are removed when read, and each save removes up to `SWEEP_LIMIT` more of each kind. So
    memory stays bounded by the number of users active within the TTLs.

    `clock` returns seconds and must be monotonic, because the sweep relies on entries expiring in the
    order they were written. Lock waits are measured on the event loop's clock.
    """

    def __init__(
        self,
        *,
        session_ttl_s: int = SESSION_TTL_S,
        lock_ttl_s: float = LOCK_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(session_ttl_s=session_ttl_s)
        self.lock_ttl_s = lock_ttl_s
        self._clock = clock
        self._sessions: _ExpiringDict[str, str] = _ExpiringDict()
        self._seen: _ExpiringDict[str, bool] = _ExpiringDict()
        self._replies: _ExpiringDict[tuple[str, str], str] = _ExpiringDict()
        self._locks: dict[str, _LockEntry] = {}

    def lock(
        self, openid: str, *, wait_s: float = LOCK_WAIT_S
    ) -> contextlib.AbstractAsyncContextManager[None]:
        return self._hold(check_openid(openid), wait_s)

    async def load(self, openid: str, push_key: str | None) -> Loaded:
        check_openid(openid)
        now = self._clock()
        encoded = self._sessions.get(openid, now)
        reply = self._replies.get((openid, push_key), now) if push_key is not None else None
        if encoded is not None:
            return Loaded(session=json.loads(encoded), expired=False, reply=reply)
        expired = self._seen.get(openid, now) is not None
        return Loaded(session=None, expired=expired, reply=reply)

    async def save(
        self, openid: str, session: dict[str, Any] | None, push_key: str | None, reply: str | None
    ) -> None:
        check_openid(openid)
        now = self._clock()
        if session is None:
            self._sessions.delete(openid)
            self._seen.delete(openid)
        else:
            # Storing JSON, as Redis does, rejects what Redis could not store and keeps the caller's dict
            # from changing the stored session.
            encoded = json.dumps(session, ensure_ascii=False, separators=(",", ":"))
            self._sessions.put(openid, encoded, now + self.session_ttl_s)
            self._seen.put(openid, True, now + self.session_ttl_s + EXPIRY_NOTICE_TTL_S)
        if push_key is not None and reply is not None:
            self._replies.put((openid, push_key), reply, now + REPLY_TTL_S)
        self._sweep(now)

    async def count_active(self) -> int:
        self._sessions.purge(self._clock(), limit=None)
        return len(self._sessions)

    def _sweep(self, now: float) -> None:
        self._sessions.purge(now, SWEEP_LIMIT)
        self._seen.purge(now, SWEEP_LIMIT)
        self._replies.purge(now, SWEEP_LIMIT)
        self._purge_locks(now)

    def _purge_locks(self, now: float) -> None:
        """Remove lock entries whose holder ended without releasing and that no task waits for.

        Taking a lock moves its entry to the end, so entries are in expiry order and the scan stops at
        the first live one.
        """
        stale: list[str] = []
        for openid, entry in self._locks.items():
            if entry.expires_at > now or len(stale) >= SWEEP_LIMIT:
                break
            if entry.waiters == 0:
                stale.append(openid)
        for openid in stale:
            del self._locks[openid]

    @contextlib.asynccontextmanager
    async def _hold(self, openid: str, wait_s: float) -> AsyncIterator[None]:
        token = await self._acquire(openid, wait_s)
        try:
            yield
        finally:
            self._release(openid, token)

    async def _acquire(self, openid: str, wait_s: float) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        token = secrets.token_hex(8)
        entry = self._locks.setdefault(openid, _LockEntry())
        entry.waiters += 1
        try:
            while True:
                now = self._clock()
                if entry.is_free(now):
                    self._take(openid, entry, token, now)
                    return token
                remaining_s = deadline - loop.time()
                if remaining_s <= 0:
                    raise LockTimeout(
                        f"per-user lock not acquired within {wait_s:.2f} s because another push of the "
                        "same user is still being handled; answer that the service is busy"
                    )
                # Wake up on release, on the holder's expiry or at the deadline, whichever comes first.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(remaining_s, entry.expires_at - now)):
                        await entry.released.wait()
        finally:
            entry.waiters -= 1
            self._drop_if_idle(openid, entry)

    def _take(self, openid: str, entry: _LockEntry, token: str, now: float) -> None:
        entry.token = token
        entry.expires_at = now + self.lock_ttl_s
        entry.released = asyncio.Event()
        self._locks.pop(openid, None)
        self._locks[openid] = entry

    def _release(self, openid: str, token: str) -> None:
        entry = self._locks.get(openid)
        if entry is None or entry.token != token:
            logger.warning(
                "per-user lock expired after %.1f s, before its holder released it", self.lock_ttl_s
            )
            return
        entry.token = None
        entry.released.set()
        self._drop_if_idle(openid, entry)

    def _drop_if_idle(self, openid: str, entry: _LockEntry) -> None:
        if entry.waiters == 0 and entry.token is None and self._locks.get(openid) is entry:
            del self._locks[openid]
