"""The one access_token of the account, shared by every worker.

WeChat's documentation requires a central token store because each fetch from /cgi-bin/token replaces the previous token, and
the daily number of fetches is limited. `RedisTokenStore` keeps the token in Redis with one refresher
at a time under a Redis lock. Each refresh takes a generation number before it fetches, and a token
is stored only over an older generation, so a slow refresher never replaces a newer token.
`MemoryTokenStore` does the same for the single process of the embedded default.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.wechat_api import TokenFetch

log = logging.getLogger("jiedui.wechat_api")

REFRESH_MARGIN_S = 300
"""Seconds before its expiry at which a token counts as expired, so it is never used in its last minutes."""

LOCK_TTL_MS = 15_000
"""Lifetime of the refresher's lock in milliseconds, longer than one token request."""

WAIT_FOR_REFRESH_S = 20.0
"""Maximum seconds a worker waits for another worker's refresh."""

POLL_S = 0.05
"""Seconds between two looks at Redis while another worker refreshes."""

_STORE = """
local generation = tonumber(redis.call('HGET', KEYS[1], 'generation') or '0')
if generation >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'value', ARGV[1], 'expires_at', ARGV[2], 'generation', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""

_INVALIDATE = """
if redis.call('HGET', KEYS[1], 'value') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'expires_at', '0')
  return 1
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class TokenUnavailable(Exception):
    """No valid token could be obtained: the refresh failed or another worker's refresh took too long."""


class MemoryTokenStore:
    """The token in this process's memory, for the embedded default with one process."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = asyncio.Lock()
        self._value: str | None = None
        self._expires_at = 0.0

    async def get(self, fetch: TokenFetch) -> str:
        if self._value is not None and self._clock() < self._expires_at:
            return self._value
        async with self._lock:
            if self._value is not None and self._clock() < self._expires_at:
                return self._value
            token = await fetch()
            self._value = token.value
            self._expires_at = self._clock() + max(token.expires_in_s - REFRESH_MARGIN_S, 60)
            return self._value

    async def invalidate(self, token: str) -> None:
        if self._value == token:
            self._expires_at = 0.0


class RedisTokenStore:
    """The token in Redis under `{prefix}wechat:access_token`, shared by every worker process."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        clock: Callable[[], float] = time.time,
        wait_s: float = WAIT_FOR_REFRESH_S,
    ) -> None:
        self._redis = redis
        self._key = f"{prefix}wechat:access_token"
        self._lock_key = f"{prefix}wechat:access_token:lock"
        self._generation_key = f"{prefix}wechat:access_token:generation"
        self._clock = clock
        self._wait_s = wait_s
        self._store = redis.register_script(_STORE)
        self._invalidate = redis.register_script(_INVALIDATE)
        self._release = redis.register_script(_RELEASE)

    async def get(self, fetch: TokenFetch) -> str:
        deadline = self._clock() + self._wait_s
        while True:
            value = await self._valid()
            if value is not None:
                return value
            refreshed = await self._refresh_if_free(fetch)
            if refreshed is not None:
                return refreshed
            if self._clock() > deadline:
                raise TokenUnavailable(f"no access token after waiting {self._wait_s:.0f} s for another worker")
            await asyncio.sleep(POLL_S)

    async def invalidate(self, token: str) -> None:
        if await self._invalidate(keys=[self._key], args=[token]):
            log.info("stored access token marked invalid")

    async def _valid(self) -> str | None:
        stored = await self._redis.hgetall(self._key)  # type: ignore[misc]  # redis-py types sync and async in one union
        value = stored.get(b"value")
        expires_at = float(stored.get(b"expires_at") or 0)
        if value and self._clock() < expires_at:
            return bytes(value).decode("utf-8")
        return None

    async def _refresh_if_free(self, fetch: TokenFetch) -> str | None:
        """Fetch and store a token when this worker gets the lock; None when another worker holds it."""
        owner = secrets.token_hex(8)
        if not await self._redis.set(self._lock_key, owner, nx=True, px=LOCK_TTL_MS):
            return None
        try:
            value = await self._valid()
            if value is not None:
                return value
            generation = int(await self._redis.incr(self._generation_key))
            token = await fetch()
            expires_at = self._clock() + max(token.expires_in_s - REFRESH_MARGIN_S, 60)
            stored = await self._store(
                keys=[self._key], args=[token.value, repr(expires_at), generation, token.expires_in_s]
            )
            if not stored:
                log.info("fetched access token discarded: a newer one is stored")
                return await self._valid() or token.value
            return token.value
        finally:
            try:
                await self._release(keys=[self._lock_key], args=[owner])
            except RedisError as error:
                log.warning("access token lock not released (it expires by itself): %s", type(error).__name__)
