"""The record of one push that becomes its log line and its metrics, shared by the webhook and the service.

The webhook creates a `PushTrace` for every POST and makes it current for the request. The chat service
adds what only it has: the dialog step the push arrived at, and a specific outcome such as `busy`.
No field holds personal data: the OpenID is hashed and the step is built from declared keys.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from bot import loggers
from bot.push import Push

UNSET = "-"


@dataclass
class PushTrace:
    """Fields of the log line and metrics of one push."""

    started: float = field(default_factory=time.perf_counter)
    openid_hash: str = UNSET
    kind: str = UNSET
    step: str = UNSET
    outcome: str = UNSET
    status: int = 200

    def describe(self, push: Push) -> None:
        """Copy the hashed sender and the message type of a parsed push."""
        self.openid_hash = loggers.hash_openid(push.openid)
        self.kind = push.kind if push.event is None else f"event/{push.event}"

    def settle(self, outcome: str) -> None:
        """Set the outcome unless the chat service already set a more specific one."""
        if self.outcome == UNSET:
            self.outcome = outcome

    @property
    def duration_s(self) -> float:
        """Seconds since the push arrived."""
        return time.perf_counter() - self.started


_CURRENT: ContextVar[PushTrace | None] = ContextVar("jiedui_push_trace", default=None)


@contextlib.contextmanager
def tracing(trace: PushTrace) -> Iterator[PushTrace]:
    """Make `trace` the current push's trace inside the block."""
    token = _CURRENT.set(trace)
    try:
        yield trace
    finally:
        _CURRENT.reset(token)


def current_trace() -> PushTrace:
    """Return the current push's trace, or a detached one when no push is being handled (tests, CLI)."""
    trace = _CURRENT.get()
    return trace if trace is not None else PushTrace()
