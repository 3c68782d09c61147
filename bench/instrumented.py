"""The service under test: `bot.app.create_app` with counters of Redis round trips and SQL statements.

Run as `python -m bench.instrumented --port PORT [--workers N]`; settings come from the environment
as for `jiedui serve`. The counters add nothing to the service's own code path except the counting:

- a Redis round trip is one call of redis-py's `send_packed_command` (a pipeline is one call), except
  the commands redis-py sends once when it opens a connection (`CLIENT SETINFO`, `HELLO`, `AUTH`,
  `SELECT`), which are counted apart as connection set-up;
- a SQL statement is one `before_cursor_execute` event of any SQLAlchemy engine.

Both are counted per push through a context variable, and kept by step: pushes answered inside a
dialog (step other than `home`) and the pushes that stored a submission (those whose statements
include `INSERT INTO submissions`). `GET /bench/stats` returns the totals of this
worker as JSON; `POST /bench/reset` sets them to zero.
"""

from __future__ import annotations

import argparse
import contextvars
import re
import resource
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web
from redis.asyncio.connection import AbstractConnection
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot import trace, webhook
from bot.app import create_app as create_service_app
from bot.config import Settings

SUBMISSION_INSERT = "INSERT INTO submissions"
CONNECTION_SETUP_COMMANDS = (b"CLIENT", b"HELLO", b"AUTH", b"SELECT")


@dataclass
class _PushCounts:
    redis_round_trips: int = 0
    redis_setup_round_trips: int = 0
    sql_statements: int = 0
    stored_submission: bool = False
    traces: list[trace.PushTrace] = field(default_factory=list)


@dataclass
class Stats:
    """Totals of one worker since start-up or the last reset."""

    pushes: int = 0
    redis_round_trips: int = 0
    redis_setup_round_trips: int = 0
    sql_statements: int = 0
    dialog_pushes: int = 0
    dialog_redis_round_trips: int = 0
    submit_pushes: int = 0
    submit_sql_statements: int = 0
    peak_rss_kib: int = 0
    redis_round_trips_by_count: dict[str, int] = field(default_factory=dict)
    handling_ms_by_step: dict[str, list[float]] = field(default_factory=dict)
    steps_above_three_round_trips: dict[str, int] = field(default_factory=dict)


_CURRENT: contextvars.ContextVar[_PushCounts | None] = contextvars.ContextVar("bench_push_counts", default=None)
STATS_KEY = web.AppKey("bench_stats", Stats)


@dataclass
class _RecordedTrace(trace.PushTrace):
    """The webhook's trace, also handed to the push's counters so the step can be read afterwards."""

    def __post_init__(self) -> None:
        counts = _CURRENT.get()
        if counts is not None:
            counts.traces.append(self)


def _install_counters() -> None:
    original: Callable[..., Awaitable[None]] = AbstractConnection.send_packed_command
    if getattr(original, "bench_counted", False):
        return

    async def counted(self: AbstractConnection, command: bytes | str | Iterable[bytes], check_health: bool = True) -> None:
        counts = _CURRENT.get()
        if counts is not None:
            if _is_connection_setup(command):
                counts.redis_setup_round_trips += 1
            else:
                counts.redis_round_trips += 1
        await original(self, command, check_health)

    counted.bench_counted = True  # type: ignore[attr-defined]
    AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]

    def count_statement(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        counts = _CURRENT.get()
        if counts is not None:
            counts.sql_statements += 1
            counts.stored_submission = counts.stored_submission or statement.startswith(SUBMISSION_INSERT)

    event.listen(Engine, "before_cursor_execute", count_statement)
    # The webhook builds its trace through this module attribute.
    webhook.PushTrace = _RecordedTrace  # type: ignore[misc]


def _is_connection_setup(command: bytes | str | Iterable[bytes]) -> bool:
    if isinstance(command, str):
        head = command.encode()[:40]
    elif isinstance(command, bytes):
        head = command[:40]
    else:
        head = b"".join(command)[:40]
    name = head.split(b"\r\n")[2] if head.count(b"\r\n") >= 2 else b""
    return name.upper() in CONNECTION_SETUP_COMMANDS


@web.middleware
async def _count_push(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if request.method != "POST" or request.path != "/wechat":
        return await handler(request)
    counts = _PushCounts()
    started = time.perf_counter()
    token = _CURRENT.set(counts)
    try:
        response = await handler(request)
    finally:
        _CURRENT.reset(token)
    _add_push(request.app[STATS_KEY], counts, (time.perf_counter() - started) * 1000)
    return response


def _add_push(stats: Stats, counts: _PushCounts, handling_ms: float) -> None:
    stats.pushes += 1
    stats.redis_round_trips += counts.redis_round_trips
    stats.redis_setup_round_trips += counts.redis_setup_round_trips
    stats.sql_statements += counts.sql_statements
    step = counts.traces[0].step if counts.traces else trace.UNSET

    # Steps of group items are merged (students1 and students2 count as one step).
    by_step = stats.handling_ms_by_step.setdefault(re.sub(r"\d+(?=/|$)", "", step), [0, 0.0, 0.0])
    by_step[0] += 1
    by_step[1] += handling_ms
    by_step[2] = max(by_step[2], handling_ms)

    trips = str(counts.redis_round_trips)
    stats.redis_round_trips_by_count[trips] = stats.redis_round_trips_by_count.get(trips, 0) + 1
    if counts.redis_round_trips > 3:
        stats.steps_above_three_round_trips[step] = stats.steps_above_three_round_trips.get(step, 0) + 1
    if step not in ("home", trace.UNSET):
        stats.dialog_pushes += 1
        stats.dialog_redis_round_trips += counts.redis_round_trips
    if counts.stored_submission:
        stats.submit_pushes += 1
        stats.submit_sql_statements += counts.sql_statements


async def _stats(request: web.Request) -> web.Response:
    stats = request.app[STATS_KEY]
    stats.peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return web.json_response(asdict(stats))


async def _reset(request: web.Request) -> web.Response:
    stats = request.app[STATS_KEY]
    for name, value in asdict(Stats()).items():
        setattr(stats, name, value)
    return web.json_response({"status": "reset"})


def create_app(settings: Settings) -> web.Application:
    """Create the service's application with the counters and the /bench routes."""
    _install_counters()
    app = create_service_app(settings)
    app[STATS_KEY] = Stats()
    app.middlewares.append(_count_push)
    app.router.add_get("/bench/stats", _stats)
    app.router.add_post("/bench/reset", _reset)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the service with benchmark counters.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    settings = Settings.from_env()
    if args.workers == 1:
        web.run_app(create_app(settings), host=args.host, port=args.port, access_log=None, print=None)
        return
    from bot.workers import serve_workers

    raise SystemExit(serve_workers(settings, args.host, args.port, args.workers, factory="bench.instrumented:create_app"))


if __name__ == "__main__":
    main()
