"""The session store: per-user dialog state, the per-user lock and the replies kept for redelivery.

A "session" is one JSON-serializable dict per OpenID. The chat service calls, for every push:
`lock(openid)` → `load(openid, push_key)` → handle → `save(openid, session, push_key, reply)` → unlock.
`load` and `save` each cost one round trip on a networked backend, unless the backend sends a save made
under the lock together with the release.
"""

from __future__ import annotations

import abc
import contextlib
from dataclasses import dataclass
from typing import Any

SESSION_TTL_S = 7 * 24 * 3600
"""Idle time after which a session expires."""

EXPIRY_NOTICE_TTL_S = 30 * 24 * 3600
"""How long, after a session expired, the store still remembers that it existed (no answers kept)."""

REPLY_TTL_S = 600
"""How long a push's reply is kept so that WeChat's retries of that push get the same reply."""

LOCK_TTL_S = 30.0
"""Expiry of a per-user lock, so that a crashed worker cannot block a user for longer."""

LOCK_WAIT_S = 4.0
"""How long a push waits for the per-user lock before the service answers that it is busy."""


class SessionStoreError(Exception):
    """The session backend failed or timed out."""


class LockTimeout(SessionStoreError):
    """The per-user lock was not acquired within the wait limit."""


@dataclass(frozen=True)
class Loaded:
    """The result of `load`.

    `session` is None when the user has no live session. `expired` is True when the user had a session
    that expired for inactivity. `reply` is the reply already given to this push, if it was handled.
    """

    session: dict[str, Any] | None
    expired: bool
    reply: str | None


class SessionStore(abc.ABC):
    """Abstract session store; see the module docstring for the call order."""

    def __init__(self, *, session_ttl_s: int = SESSION_TTL_S) -> None:
        self.session_ttl_s = session_ttl_s

    @abc.abstractmethod
    def lock(self, openid: str, *, wait_s: float = LOCK_WAIT_S) -> contextlib.AbstractAsyncContextManager[None]:
        """Return a context manager holding the per-user lock; raise LockTimeout after `wait_s`.

        The lock is not reentrant: taking it again for the same user inside the block raises LockTimeout.
        """

    @abc.abstractmethod
    async def load(self, openid: str, push_key: str | None) -> Loaded:
        """Read the session and, when `push_key` is given, the reply stored for that push."""

    @abc.abstractmethod
    async def save(
        self, openid: str, session: dict[str, Any] | None, push_key: str | None, reply: str | None
    ) -> None:
        """Write the session (None deletes it) and remember `reply` for `push_key`."""

    @abc.abstractmethod
    async def count_active(self) -> int:
        """Count live sessions (for metrics)."""

    async def close(self) -> None:
        """Release connections; the default has none."""
