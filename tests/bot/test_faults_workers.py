"""Worker processes: `jiedui serve` killed during a submission, two processes sharing one cadre, and
`jiedui serve --workers 2` sharing one port.

The servers run as child processes of the test on free ports, with a redis-server of the test's own
and PostgreSQL reached directly or through the test's TCP proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from sqlalchemy import select

from bot.cli import main
from bot.simulator import WeChatUser
from dialogs import replies
from store.db import Database
from store.models import Cadre as CadreRow
from store.models import Employment, Offer, Pairing, Posting, Student, StudentChoice, Submission
from store.sessions.redis import RedisSessionStore
from tests.bot.fault_tools import (
    RedisServer,
    ServerProcess,
    postgres_port,
    proxied,
    temporary_postgres_database,
    via_proxy,
)
from tests.bot.stack import TOKEN, Cadre, example_lines, open_stack
from tests.dialogs.chat import CADRE_CODE

SNAPSHOT_MODELS = (CadreRow, Submission, Student, Pairing, Posting, Offer, Employment, StudentChoice)
SKIPPED_COLUMNS = {"submission_key"}


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # A new connection per push, so that the kernel may hand each push to another worker.
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=15)) as session:
        yield session


def server_env(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        "WECHAT_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "JIEDUI_SMS_DEV_CODE": CADRE_CODE,
    }


def cadre_of(http: aiohttp.ClientSession, server: ServerProcess, openid: str = "o-cadre-0001") -> Cadre:
    return Cadre(WeChatUser(http, server.url, token=TOKEN, openid=openid))


async def snapshot(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row a cadre's submission writes, without timestamps and random keys."""
    database = Database(database_url)
    try:
        rows: dict[str, list[tuple[Any, ...]]] = {}
        async with database.session() as session:
            for model in SNAPSHOT_MODELS:
                columns = [column for column in model.__table__.columns if column.name not in SKIPPED_COLUMNS]
                result = await session.execute(select(*columns).order_by(model.__table__.c.id))
                rows[model.__tablename__] = [
                    tuple(value for value in row if not isinstance(value, dt.datetime)) for row in result
                ]
        return rows
    finally:
        await database.dispose()


async def delete_locks(redis_url: str) -> None:
    """Remove per-user locks, as their expiry (LOCK_TTL_S) would after a worker died holding one."""
    client = aioredis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match="jiedui:lock:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("markers", "stored"),
    [
        ((b"INSERT INTO submissions",), False),
        ((b"INSERT INTO students",), False),
        ((b"INSERT INTO pairings",), False),
        ((b"INSERT INTO pairings", b"COMMIT"), True),
    ],
    ids=["after-submission-row", "after-student-rows", "after-pairing-rows", "after-commit"],
)
async def test_worker_killed_during_submission_stores_all_or_nothing(
    tmp_path: Path,
    postgres_url: str,
    redis_server: RedisServer,
    http: aiohttp.ClientSession,
    markers: tuple[bytes, ...],
    stored: bool,
) -> None:
    async with proxied(postgres_port(postgres_url)) as proxy:
        env = server_env(via_proxy(postgres_url, proxy), redis_server.url)
        server = ServerProcess(env, tmp_path / "serve.log")
        await server.start()
        try:
            cadre = cadre_of(http, server)
            lines = example_lines()
            await cadre.run(lines[:-1])
            proxy.stall_after(*markers)
            submit = asyncio.create_task(cadre.say("提交"))
            await asyncio.wait_for(proxy.stalled.wait(), timeout=20)

            await server.kill()
            with pytest.raises(aiohttp.ClientError):
                await submit
        finally:
            await server.stop()
        proxy.cut()
        proxy.stall_after()

        rows = await snapshot(postgres_url)
        assert len(rows["submissions"]) == (1 if stored else 0)
        assert len(rows["students"]) == (2 if stored else 0)
        assert len(rows["pairings"]) == (2 if stored else 0)
        assert len(rows["offers"]) == (2 if stored else 0)

        await delete_locks(redis_server.url)
        restarted = ServerProcess(env, tmp_path / "restarted.log")
        await restarted.start()
        try:
            reply = await cadre_of(http, restarted).say("提交")
        finally:
            await restarted.stop()
        if stored:
            assert reply == replies.SUBMITTED_BEFORE
        else:
            assert "提交成功！本次共提交2名结对学生：张三、李四" in reply
        rows = await snapshot(postgres_url)
        assert len(rows["submissions"]) == 1
        assert len(rows["students"]) == 2
        assert len(rows["pairings"]) == 2


async def test_two_processes_match_one(
    tmp_path: Path, postgres_url: str, redis_server: RedisServer, redis_prefix: str, http: aiohttp.ClientSession
) -> None:
    lines = example_lines()
    single_sessions = RedisSessionStore.from_url(redis_server.url, prefix=redis_prefix)
    async for stack in open_stack(postgres_url, single_sessions):
        single = stack.cadre()
        await single.run(lines)
    expected_rows = await snapshot(postgres_url)

    async with temporary_postgres_database() as shared_url:
        env = server_env(shared_url, redis_server.url)
        first = ServerProcess(env, tmp_path / "first.log")
        second = ServerProcess(env, tmp_path / "second.log")
        # One after the other, because two processes migrating one empty database at once would race.
        await first.start()
        await second.start()
        try:
            cadres = [cadre_of(http, first), cadre_of(http, second)]
            alternated = [await cadres[number % 2].say(line) for number, line in enumerate(lines)]
        finally:
            await asyncio.gather(first.stop(), second.stop())
        rows = await snapshot(shared_url)

    assert alternated == single.replies
    assert rows == expected_rows
    assert "push openid=" in first.output()
    assert "push openid=" in second.output()


def _workers_of(pid: int) -> set[int]:
    """Return the worker processes of a parent, leaving out multiprocessing's resource tracker."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(FileNotFoundError):
                if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.add(int(child))
    return found


async def _wait_for_children(
    pid: int, count: int, *, exclude: frozenset[int] = frozenset(), timeout_s: float = 30
) -> set[int]:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        children = _workers_of(pid) - exclude
        if len(children) >= count:
            return children
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"process {pid} has {len(children)} new worker processes, expected {count}")
        await asyncio.sleep(0.1)


async def test_serve_workers_share_port_and_replace_killed_worker(
    tmp_path: Path, redis_server: RedisServer, http: aiohttp.ClientSession
) -> None:
    env = server_env(f"sqlite:///{tmp_path}/workers.db", redis_server.url)
    server = ServerProcess(env, tmp_path / "workers.log", workers=2)
    await server.start()
    try:
        assert server.process is not None
        workers = await _wait_for_children(server.process.pid, 2)
        lines = example_lines()
        cadre = cadre_of(http, server)
        half = len(lines) // 2
        await cadre.run(lines[:half])

        killed = min(workers)
        os.kill(killed, signal.SIGKILL)
        await _wait_for_children(server.process.pid, 2, exclude=frozenset({killed}))
        await server.wait_healthy()
        await delete_locks(redis_server.url)
        reply = await cadre.run(lines[half:])

        assert "提交成功！本次共提交2名结对学生：张三、李四" in reply
        log = server.output()
        serving = {pid for pid in workers if f"[worker {pid}]: push openid=" in log}
        assert serving == workers
        assert f"worker 0 (pid {killed}) exited" in log or f"worker 1 (pid {killed}) exited" in log
        async with http.get(f"http://127.0.0.1:{server.port}/metrics") as response:
            metrics = await response.text()
        # Counts of every worker, the killed one included, are added up.
        assert f'jiedui_pushes_total{{outcome="reply"}} {float(len(lines))}' in metrics
    finally:
        status = await server.stop()
    assert status == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_workers_need_redis(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///unused.db")

    status = main(["serve", "--workers", "2"])

    assert status == 2
    assert "--workers 2 needs REDIS_URL" in capsys.readouterr().err


async def test_proxy_reaches_postgres_without_tls(postgres_url: str) -> None:
    async with proxied(postgres_port(postgres_url)) as proxy:
        database = Database(via_proxy(postgres_url, proxy))
        proxy.stall_after(b"SELECT 1")
        try:
            async with database.session() as session:
                query = asyncio.create_task(session.scalar(select(1)))
                await asyncio.wait_for(proxy.stalled.wait(), timeout=10)
                proxy.stall_after()
                assert await query == 1
        finally:
            await database.dispose()
