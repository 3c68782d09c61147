"""The per-OpenID flood limit: at most `max_messages` pushes per fixed window of `window_s` seconds.

Each process counts every user's pushes itself. With one process (the embedded default) that count is
the limit. With several worker processes the counts are also added up in Redis, but a worker only
sends its count there once the user passed `local_quota` pushes in the window on that worker. So a
user who stays below that quota costs no Redis round trip, and a flooding user costs one per push
(the push is then refused before it reaches the session lock).

The price of that saving: pushes below the quota on the other workers are not yet in the shared
total, so with N workers a user gets at most `max_messages + (N - 1) * local_quota` pushes through
in one window. With one worker the limit is exact.

Windows are aligned on the epoch (`floor(time / window_s)`), so every worker agrees on them, and a
burst at a window boundary can pass up to twice the limit within `window_s` seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio
from redis.exceptions import RedisError

from store.sessions.base import SessionStoreError
from store.sessions.keys import check_openid

logger = logging.getLogger("jiedui.flood")

FLOOD_MAX_MESSAGES = 120
"""Default number of pushes one user may send per window: 2 a second on average, more than anyone types."""

FLOOD_WINDOW_S = 60
"""Default length of a window in seconds."""

SWEEP_LIMIT = 100
"""Maximum number of stale per-user windows that one call removes."""


class FloodCounter(Protocol):
    """The shared part of the count: per-user totals of one window, added up across processes."""

    async def add(self, openid: str, window: int, count: int) -> int:
        """Add `count` pushes of `openid` to window number `window` and return the window's total."""

    async def close(self) -> None:
        """Release connections."""


class RedisFloodCounter:
    """Per-window totals in Redis under `{prefix}flood:{openid}:{window}`, expiring after two windows."""

    def __init__(self, client: redis.asyncio.Redis, *, prefix: str, window_s: int, owns_client: bool = False):
        self._client = client
        self._prefix = prefix
        self._window_s = window_s
        self._owns_client = owns_client

    def key(self, openid: str, window: int) -> str:
        return f"{self._prefix}flood:{check_openid(openid)}:{window}"

    async def add(self, openid: str, window: int, count: int) -> int:
        key = self.key(openid, window)
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.incrby(key, count)
                pipe.expire(key, 2 * self._window_s)
                total, _ = await pipe.execute()
        except (RedisError, OSError) as error:
            raise SessionStoreError(f"Redis flood counter failed: {error}") from error
        return int(total)

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()


@dataclass
class _Window:
    """One user's pushes in the current window on this process; `unsynced` are not yet in the total."""

    index: int
    count: int = 0
    unsynced: int = 0
    refused: int = 0


@dataclass(frozen=True)
class Admission:
    """Whether a push may be handled; `first_refusal` is True for the first refused push of a window."""

    allowed: bool
    first_refusal: bool = False


class FloodGuard:
    """Counts each user's pushes and refuses those above the limit; see the module docstring."""

    def __init__(
        self,
        *,
        max_messages: int = FLOOD_MAX_MESSAGES,
        window_s: int = FLOOD_WINDOW_S,
        counter: FloodCounter | None = None,
        local_quota: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_messages < 1 or window_s < 1:
            raise ValueError(
                f"flood limit of {max_messages} pushes per {window_s} s is invalid; both must be at least 1"
            )
        self.max_messages = max_messages
        self.window_s = window_s
        self.counter = counter
        self.local_quota = max_messages // 2 if local_quota is None else local_quota
        self._clock = clock
        self._windows: dict[str, _Window] = {}

    async def admit(self, openid: str) -> Admission:
        """Count one push of `openid` and tell whether it is within the limit.

        Raises SessionStoreError when the shared counter is needed and Redis fails.
        """
        index = int(self._clock() // self.window_s)
        window = self._windows.pop(openid, None)
        if window is None or window.index != index:
            window = _Window(index)
        self._windows[openid] = window
        self._sweep(index)

        window.count += 1
        window.unsynced += 1
        if self.counter is None:
            total = window.count
        elif window.count <= self.local_quota:
            return Admission(allowed=True)
        else:
            total = await self.counter.add(openid, index, window.unsynced)
            window.unsynced = 0
        if total <= self.max_messages:
            return Admission(allowed=True)
        window.refused += 1
        return Admission(allowed=False, first_refusal=window.refused == 1)

    async def close(self) -> None:
        if self.counter is not None:
            await self.counter.close()

    def _sweep(self, index: int) -> None:
        """Remove up to SWEEP_LIMIT windows of earlier periods, oldest first (the dict is in access order)."""
        stale: list[str] = []
        for openid, window in self._windows.items():
            if window.index >= index or len(stale) >= SWEEP_LIMIT:
                break
            stale.append(openid)
        for openid in stale:
            del self._windows[openid]
