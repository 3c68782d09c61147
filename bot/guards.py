"""The flood limit and the session-loss check of one worker, on the same backend as its session store.

With a Redis session store both share Redis (their own connection pool, under the store's key prefix),
so every worker counts and notices the same way. With the in-process store they live in this process.
"""

from __future__ import annotations

import redis.asyncio

from bot.config import Settings
from store.db import Database
from store.epoch import MemorySessionLoss, RedisSessionLoss, SessionLoss, database_has_cadres
from store.flood import FloodGuard, RedisFloodCounter
from store.sessions.base import SessionStore
from store.sessions.redis import RedisSessionStore

REDIS_TIMEOUT_S = 2.0
"""Limit in seconds on connecting to Redis and on each reply, as for the session store."""


def open_guards(settings: Settings, database: Database, sessions: SessionStore) -> tuple[FloodGuard, SessionLoss]:
    """Create the flood guard and the session-loss check that match `sessions`.

    A Redis session store gets Redis-backed ones when REDIS_URL is set. A Redis store built without
    REDIS_URL (as some tests do) gets in-process ones, which serve one process only.
    """
    limits = settings.limits

    async def has_history() -> bool:
        return await database_has_cadres(database)

    if isinstance(sessions, RedisSessionStore) and settings.redis_url is not None:
        client = redis.asyncio.Redis.from_url(
            settings.redis_url.get(),
            socket_timeout=REDIS_TIMEOUT_S,
            socket_connect_timeout=REDIS_TIMEOUT_S,
            decode_responses=True,
        )
        prefix = sessions.keys.prefix
        counter = RedisFloodCounter(client, prefix=prefix, window_s=limits.flood_window_s, owns_client=True)
        flood = FloodGuard(
            max_messages=limits.flood_max_messages, window_s=limits.flood_window_s, counter=counter
        )
        loss: SessionLoss = RedisSessionLoss(
            client,
            prefix=prefix,
            has_history=has_history,
            has_sessions=sessions.count_active,
            notice_window_s=sessions.session_ttl_s,
        )
        return flood, loss
    flood = FloodGuard(max_messages=limits.flood_max_messages, window_s=limits.flood_window_s)
    loss = MemorySessionLoss(has_history=has_history, notice_window_s=sessions.session_ttl_s)
    return flood, loss
