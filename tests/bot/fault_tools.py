"""Tools of the fault tests: a private redis-server, a TCP proxy that breaks connections on demand,
temporary PostgreSQL databases and `jiedui serve` run as a child process.

Everything listens on 127.0.0.1 only. The shared Redis and PostgreSQL servers are never stopped or
slowed: a test that needs to restart Redis starts its own, and a test that needs a slow or
unreachable server puts a `TcpProxy` in front of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import BinaryIO, Literal

import aiohttp
import pytest

from tests.conftest import REQUIRE_SERVICES

ProxyMode = Literal["forward", "refuse", "blackhole"]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def require_program(name: str) -> str:
    """Return the path of program `name`, or skip (fail under JIEDUI_REQUIRE_SERVICES=1) without it."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed, so the tests that start their own {name} are not run"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    return path


class RedisServer:
    """A redis-server of the test's own, without persistence, that the test may stop and restart."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self._process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        program = require_program("redis-server")
        self._process = await asyncio.create_subprocess_exec(
            program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(self.folder),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await wait_for_port(self.port)

    async def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            await asyncio.wait_for(self._process.wait(), 10)
            self._process = None

    async def restart(self) -> None:
        """Stop the server and start an empty one on the same port, as a restart without persistence does."""
        await self.stop()
        await self.start()


async def wait_for_port(port: int, *, timeout_s: float = 15.0) -> None:
    """Wait until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s") from None
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return


class TcpProxy:
    """A TCP proxy on 127.0.0.1 in front of one server, whose behaviour the test switches.

    Modes: `forward` passes bytes through, after `delay_s` per chunk when it is set. `refuse` closes
    every connection, open or new, at once. `blackhole` keeps connections open and drops every byte.
    Leaving `blackhole` closes the connections it held, because they lost bytes and cannot go on.
    `stall_after(markers)` freezes the connection that sends the markers in order, right after the
    chunk holding the last one has been forwarded, and sets `stalled`.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.mode: ProxyMode = "forward"
        self.delay_s = 0.0
        self.stalled = asyncio.Event()
        self._in_flight = 0
        self._markers: list[bytes] = []
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks)

    def set_mode(self, mode: ProxyMode) -> None:
        """Switch the mode; `refuse` and leaving `blackhole` close the connections that are open."""
        leaving_blackhole = self.mode == "blackhole" and mode != "blackhole"
        self.mode = mode
        if mode == "refuse" or leaving_blackhole:
            self.cut()

    async def drain(self) -> None:
        """Wait until every delayed chunk has been passed on, so nothing arrives late after this."""
        while self._in_flight:
            await asyncio.sleep(0.02)

    def cut(self) -> None:
        """Close every open connection in both directions."""
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def stall_after(self, *markers: bytes) -> None:
        self._markers = list(markers)
        self.stalled.clear()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self.mode == "refuse":
            client_writer.transport.abort()
            return
        self._writers.add(client_writer)
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers.add(server_writer)
        upstream = asyncio.create_task(self._pipe(client_reader, server_writer, watch=True))
        downstream = asyncio.create_task(self._pipe(server_reader, client_writer, watch=False))
        for task in (upstream, downstream):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, watch: bool) -> None:
        seen = b""
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                if self.mode == "blackhole":
                    continue
                while self.stalled.is_set():
                    await asyncio.sleep(0.05)
                if self.mode == "refuse":
                    break
                self._in_flight += 1
                try:
                    if self.delay_s:
                        await asyncio.sleep(self.delay_s)
                    writer.write(chunk)
                    await writer.drain()
                finally:
                    self._in_flight -= 1
                if watch and self._markers:
                    seen = (seen + chunk)[-65536:]
                    self._match(seen)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()

    def _match(self, seen: bytes) -> None:
        while self._markers and self._markers[0] in seen:
            seen = seen[seen.index(self._markers[0]) + len(self._markers[0]) :]
            self._markers.pop(0)
        if not self._markers:
            self.stalled.set()


@contextlib.asynccontextmanager
async def proxied(target_port: int) -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy(target_port)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


def via_proxy(database_url: str, proxy: TcpProxy) -> str:
    """Return a PostgreSQL URL that connects through `proxy` without TLS, so markers stay readable."""
    head, _, rest = database_url.partition("@")
    _, _, path = rest.partition("/")
    return f"{head}@127.0.0.1:{proxy.port}/{path}?ssl=disable"


def postgres_port(database_url: str) -> int:
    host_port = database_url.partition("@")[2].partition("/")[0]
    return int(host_port.rpartition(":")[2]) if ":" in host_port else 5432


@contextlib.asynccontextmanager
async def temporary_postgres_database() -> AsyncIterator[str]:
    """Create an extra empty PostgreSQL database for one test and drop it afterwards."""
    import asyncpg

    base = os.environ.get("POSTGRES_TEST_URL")
    if not base:
        pytest.skip("POSTGRES_TEST_URL is not set")
    plain = base.replace("postgresql+asyncpg://", "postgresql://")
    name = f"jiedui_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(plain)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    head = plain.rpartition("/")[0]
    try:
        yield f"postgresql+asyncpg://{head.removeprefix('postgresql://')}/{name}"
    finally:
        admin = await asyncpg.connect(plain)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


class ServerProcess:
    """`jiedui serve` in a child process on a free port, with its output kept in a file."""

    def __init__(self, env: Mapping[str, str], log_path: Path, *, workers: int = 1) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.workers = workers
        self._env = env
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/wechat"

    async def start(self, *, timeout_s: float = 60.0) -> None:
        command = [
            sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())",
            "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers),
        ]
        env = {**os.environ, **self._env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        with self._open_log() as log:
            self.process = await asyncio.create_subprocess_exec(
                *command, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        await self.wait_healthy(timeout_s=timeout_s)

    def _open_log(self) -> BinaryIO:
        return self.log_path.open("ab")

    async def wait_healthy(self, *, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        async with aiohttp.ClientSession() as session:
            while True:
                if self.process is not None and self.process.returncode is not None:
                    raise RuntimeError(f"jiedui serve exited with {self.process.returncode}:\n{self.output()}")
                try:
                    async with session.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"jiedui serve did not answer within {timeout_s} s:\n{self.output()}")
                await asyncio.sleep(0.1)

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    async def kill(self) -> None:
        """Kill the process at once with SIGKILL, as a crash or the OOM killer would."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await asyncio.wait_for(self.process.wait(), 10)

    async def stop(self) -> int | None:
        """Stop with SIGTERM and return the exit status (killing it after 20 s)."""
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await asyncio.wait_for(self.process.wait(), 10)
        return self.process.returncode
