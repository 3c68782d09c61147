"""Starting the servers of a benchmark run as child processes on 127.0.0.1, and measuring their memory.

The service gets a redis-server of the benchmark's own (no persistence, deleted afterwards) and a
temporary PostgreSQL database, so a run starts from empty stores and touches no other data.
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
import tempfile
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 90.0


class BenchError(Exception):
    """A server of the benchmark could not be started or measured; the message names it and the cause."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_for_port(port: int, process: asyncio.subprocess.Process, name: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.returncode is not None:
            raise BenchError(f"{name} exited with status {process.returncode} before it listened on port {port}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise BenchError(f"{name} did not listen on port {port} within {START_TIMEOUT_S:.0f} s") from None
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return


def _descendants(pid: int) -> list[int]:
    """Return `pid` and every process below it, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            parent = int(stat.rpartition(")")[2].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, []))
    return found


def peak_rss_mib(pid: int, *, exclude_names: Sequence[str] = ()) -> float:
    """Return the sum of the peak resident memory (VmHWM) of `pid` and its descendants, in MiB."""
    total_kib = 0
    for process in _descendants(pid):
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{process}/status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if fields.get("Name", "").strip() in exclude_names:
                continue
            total_kib += int(fields.get("VmHWM", "0 kB").split()[0])
    return total_kib / 1024


@dataclass
class Server:
    """A running server under test."""

    name: str
    port: int
    process: asyncio.subprocess.Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/wechat"

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


@contextlib.asynccontextmanager
async def run_server(name: str, command: Sequence[str], env: Mapping[str, str], port: int, log: Path) -> AsyncIterator[Server]:
    """Start `command` and yield it once it listens on `port`; stop it on exit."""
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(*command, env=full_env, cwd=ROOT, stdout=output, stderr=output)
    server = Server(name, port, process)
    try:
        await wait_for_port(port, process, name)
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def own_redis() -> AsyncIterator[str]:
    """Run a redis-server without persistence on a free port and yield its URL."""
    program = shutil.which("redis-server")
    if program is None:
        raise BenchError("redis-server is not installed; the service under test needs Redis")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="jiedui-bench-redis-") as folder:
        process = await asyncio.create_subprocess_exec(
            program, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            await wait_for_port(port, process, "redis-server")
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            await process.wait()


@contextlib.asynccontextmanager
async def temporary_database(postgres_url: str) -> AsyncIterator[str]:
    """Create an empty PostgreSQL database next to the one `postgres_url` names; drop it afterwards."""
    plain = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    name = f"jiedui_bench_{secrets.token_hex(4)}"
    try:
        admin = await asyncpg.connect(plain)
    except (OSError, asyncpg.PostgresError) as error:
        raise BenchError(f"cannot connect to PostgreSQL at the --postgres-url given: {error}") from error
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"{plain.rpartition('/')[0]}/{name}"
    finally:
        admin = await asyncpg.connect(plain)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def python_command(*arguments: str) -> list[str]:
    return [sys.executable, *arguments]
