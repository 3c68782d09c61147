"""Per-user dialog state, the per-user lock and stored replies, in memory or in Redis; see `base`."""

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
from store.sessions.memory import MemorySessionStore
from store.sessions.redis import RedisSessionStore

__all__ = [
    "EXPIRY_NOTICE_TTL_S",
    "LOCK_TTL_S",
    "LOCK_WAIT_S",
    "REPLY_TTL_S",
    "SESSION_TTL_S",
    "Loaded",
    "LockTimeout",
    "MemorySessionStore",
    "RedisSessionStore",
    "SessionStore",
    "SessionStoreError",
]
