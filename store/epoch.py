"""Noticing that the session store lost every session, so that each affected user gets a notice.

Redis restarted without persistence, a Redis replaced by an empty one, and a restart of a process that
keeps sessions in memory all lose every unfinished draft at once, including the "seen" markers that
announce an expired session. A user in the middle of a dialog would then get an answer to a question
the service no longer remembers asking.

The store's epoch tells the two apart. Redis holds `{prefix}epoch` (no TTL, so Redis must not evict it:
use `noeviction` or a `volatile-*` policy). Each worker reads it at start-up (`prime`). When a running
worker finds it missing, the sessions were lost; a worker that starts without one counts a loss only
when the store has no sessions and the database already has cadres (a fresh deployment has none).
The worker then writes a new epoch carrying the time of the loss. The in-process store's epoch is the
start of the process, a loss when the database already has cadres.

For `notice_window_s` after a loss (the session TTL: no session older than that could have survived
anyway), each user with no session gets the notice once. NOTE: the store cannot know which users
really had a draft, so the notice is worded for both cases.
"""

from __future__ import annotations

import abc
import itertools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

import redis.asyncio
from redis.exceptions import RedisError
from sqlalchemy import select

from store.db import Database
from store.models import Cadre
from store.sessions.base import SessionStoreError
from store.sessions.keys import check_openid

logger = logging.getLogger("jiedui.sessions")

SWEEP_LIMIT = 100
"""Maximum number of expired notice marks that one `mark_noticed` removes."""

HistoryCheck = Callable[[], Awaitable[bool]]
"""Returns True when the deployment has history (cadres in the database), so an empty store is a loss."""

SessionCount = Callable[[], Awaitable[int]]
"""Counts the live sessions of the session store."""


async def database_has_cadres(database: Database) -> bool:
    """Tell whether any cadre is stored, which means the service was in use before."""
    async with database.session() as session:
        return await session.scalar(select(Cadre.id).limit(1)) is not None


class SessionLoss(abc.ABC):
    """Decides whether a user with no session gets the notice that the store lost its sessions."""

    def __init__(self, *, has_history: HistoryCheck, notice_window_s: float, clock: Callable[[], float]):
        self._has_history = has_history
        self.notice_window_s = notice_window_s
        self._clock = clock

    @abc.abstractmethod
    async def prime(self) -> None:
        """Read or start the epoch when the worker starts, before any push can create a session."""

    @abc.abstractmethod
    async def notice_due(self, openid: str) -> bool:
        """Return True when sessions were lost within the window and `openid` has not had the notice yet."""

    @abc.abstractmethod
    async def mark_noticed(self, openid: str) -> None:
        """Record that `openid` had the notice, until the window ends."""

    async def close(self) -> None:
        """Release connections; the default has none."""

    def _within_window(self, lost_at: float) -> bool:
        return lost_at > 0 and self._clock() - lost_at < self.notice_window_s


class MemorySessionLoss(SessionLoss):
    """The epoch of the in-process session store: sessions were lost when this process started."""

    def __init__(
        self, *, has_history: HistoryCheck, notice_window_s: float, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(has_history=has_history, notice_window_s=notice_window_s, clock=clock)
        self._started_at = clock()
        self._lost_at: float | None = None
        self._noticed: dict[str, float] = {}

    async def prime(self) -> None:
        had_history = await self._has_history()
        self._lost_at = self._started_at if had_history else 0.0
        if had_history:
            logger.warning("in-process session store started empty: unfinished drafts of the last run are lost")

    async def notice_due(self, openid: str) -> bool:
        if self._lost_at is None:
            await self.prime()
        assert self._lost_at is not None
        if not self._within_window(self._lost_at):
            return False
        expires_at = self._noticed.get(check_openid(openid))
        return expires_at is None or expires_at <= self._clock()

    async def mark_noticed(self, openid: str) -> None:
        now = self._clock()
        self._noticed.pop(check_openid(openid), None)
        self._noticed[openid] = now + self.notice_window_s
        # Every entry lives equally long, so the dict is in expiry order and the sweep stops at a live one.
        stale = list(itertools.takewhile(lambda item: item[1] <= now, self._noticed.items()))[:SWEEP_LIMIT]
        for key, _ in stale:
            del self._noticed[key]


class RedisSessionLoss(SessionLoss):
    """The epoch of the Redis session store, shared by every worker that uses the same key prefix."""

    def __init__(
        self,
        client: redis.asyncio.Redis,
        *,
        prefix: str,
        has_history: HistoryCheck,
        has_sessions: SessionCount,
        notice_window_s: float,
        clock: Callable[[], float] = time.time,
        owns_client: bool = False,
    ) -> None:
        super().__init__(has_history=has_history, notice_window_s=notice_window_s, clock=clock)
        self._count_sessions = has_sessions
        self._client = client
        self._owns_client = owns_client
        self.epoch_key = f"{prefix}epoch"
        self._noticed_prefix = f"{prefix}loss-noticed:"
        self._known_token: str | None = None

    async def prime(self) -> None:
        try:
            raw_epoch = await self._client.get(self.epoch_key)
            if raw_epoch is None:
                # Sessions without an epoch were written before epochs existed, so they were not lost.
                lost = await self._count_sessions() == 0 and await self._has_history()
                raw_epoch = await self._start_epoch(lost)
        except (RedisError, OSError) as error:
            raise SessionStoreError(f"Redis epoch check failed: {error}") from error
        self._known_token, _ = _parse_epoch(raw_epoch)

    async def notice_due(self, openid: str) -> bool:
        noticed_key = self._noticed_prefix + check_openid(openid)
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.get(self.epoch_key)
                pipe.exists(noticed_key)
                raw_epoch, noticed = await pipe.execute()
            if raw_epoch is None:
                lost = self._known_token is not None or await self._has_history()
                raw_epoch = await self._start_epoch(lost)
        except (RedisError, OSError) as error:
            raise SessionStoreError(f"Redis epoch check failed: {error}") from error
        token, lost_at = _parse_epoch(raw_epoch)
        self._known_token = token
        return self._within_window(lost_at) and not noticed

    async def mark_noticed(self, openid: str) -> None:
        key = self._noticed_prefix + check_openid(openid)
        try:
            await self._client.set(key, "1", ex=max(1, int(self.notice_window_s)))
        except (RedisError, OSError) as error:
            raise SessionStoreError(f"Redis epoch write failed: {error}") from error

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _start_epoch(self, lost: bool) -> str | bytes:
        """Write a new epoch, recording the time of a loss when `lost`; return the epoch that won."""
        value = f"{secrets.token_hex(8)} {self._clock() if lost else 0.0:.3f}"
        if await self._client.set(self.epoch_key, value, nx=True):
            if lost:
                logger.warning("Redis lost the session store's epoch: unfinished drafts are lost")
            return value
        # Another worker wrote it first; theirs counts.
        current = await self._client.get(self.epoch_key)
        return current if current is not None else value


def _parse_epoch(raw: str | bytes) -> tuple[str, float]:
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    token, _, lost_at = text.partition(" ")
    try:
        return token, float(lost_at)
    except ValueError:
        logger.warning("session store epoch is not in the expected 'TOKEN SECONDS' form; treated as no loss")
        return token, 0.0
