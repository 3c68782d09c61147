"""`python -m bench`: measure the service under load beside three reference servers.

The load is simulated cadres walking the example submission with signed XML pushes. It is run,
one server after the other, against the service with one worker, the service with two workers,
aiohttp with wechatpy and no state, a bare aiohttp handler, and WeRoBot's echo robot under gunicorn.
Prints a report, or one JSON line with --json. Every server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.util
import json
import os
import platform
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.load import LoadResult, run_load
from bench.report import format_report, summarize
from bench.servers import (
    BenchError,
    free_port,
    own_redis,
    peak_rss_mib,
    python_command,
    run_server,
    temporary_database,
)

TOKEN = "jieduiBenchToken1"
SERVERS = ("jiedui", "jiedui-2w", "wechatpy", "bare", "werobot")
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Measured:
    """One server's load result, memory and (for the service) its own counters."""

    name: str
    load: LoadResult
    peak_rss_mib: float
    counters: dict[str, Any] = field(default_factory=dict)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=50, help="simulated cadres sending at once (default: %(default)s)")
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds per server (default: %(default)s)")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before each measurement (default: %(default)s)")
    parser.add_argument("--quick-updates", action="store_true", help="after each submission, send a quick offer update and 确认")
    parser.add_argument("--servers", default=",".join(SERVERS), help="comma-separated servers to run (default: all: %(default)s)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="PostgreSQL database next to which a temporary one is created (default: $BENCH_POSTGRES_URL or %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as one JSON line")
    parser.add_argument("--log-dir", type=Path, help="folder for the servers' output (default: a temporary folder)")
    return parser


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
        memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        memory_kib = 0
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


async def measure_service(args: argparse.Namespace, log_dir: Path, *, workers: int) -> Measured:
    name = "jiedui" if workers == 1 else f"jiedui-{workers}w"
    async with own_redis() as redis_url, temporary_database(args.postgres_url) as database_url:
        env = {
            "WECHAT_TOKEN": TOKEN,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "JIEDUI_SMS_DEV_CODE": "000000",
            # A simulated cadre walks in seconds what takes a person minutes. The per-user flood limit
            # is raised to treat it as a person, because otherwise every walk is counted in Redis.
            "JIEDUI_FLOOD_MAX_MESSAGES": "100000",
        }
        port = free_port()
        command = python_command("-m", "bench.instrumented", "--port", str(port), "--workers", str(workers))
        async with run_server(name, command, env, port, log_dir / f"{name}.log") as server:
            await _wait_healthy(port)
            load = await run_load(
                server.url,
                token=TOKEN,
                cadres=args.cadres,
                duration_s=args.duration,
                warmup_s=args.warmup,
                quick_updates=args.quick_updates,
                check=True,
            )
            counters = await _counters(port) if workers == 1 else {}
            memory = peak_rss_mib(server.process.pid)
    return Measured(name, load, memory, counters)


async def measure_reference(args: argparse.Namespace, log_dir: Path, name: str) -> Measured:
    if name == "werobot" and not all(importlib.util.find_spec(module) for module in ("werobot", "gunicorn")):
        raise BenchError(
            "the werobot reference server needs WeRoBot and gunicorn: run `make bench`, or "
            "`pip install -e '.[bench]'`, or leave it out with --servers"
        )
    port = free_port()
    env = {"WECHAT_TOKEN": TOKEN}
    commands = {
        "bare": python_command("-m", "bench.reference_bare", "--port", str(port)),
        "wechatpy": python_command("-m", "bench.reference_stateless", "--port", str(port)),
        "werobot": python_command(
            "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
            "bench.reference_werobot:app",
        ),
    }
    async with run_server(name, commands[name], env, port, log_dir / f"{name}.log") as server:
        load = await run_load(
            server.url,
            token=TOKEN,
            cadres=args.cadres,
            duration_s=args.duration,
            warmup_s=args.warmup,
            quick_updates=args.quick_updates,
            check=False,
        )
        memory = peak_rss_mib(server.process.pid)
    return Measured(name, load, memory)


async def _wait_healthy(port: int) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise BenchError(f"the service on port {port} did not become healthy within 30 s")


async def _counters(port: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/bench/stats") as response:
        counters: dict[str, Any] = await response.json()
        return counters


async def run(args: argparse.Namespace) -> dict[str, Any]:
    names = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SERVERS))
    if unknown:
        raise BenchError(f"unknown server {', '.join(unknown)}; choose among {', '.join(SERVERS)}")
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="jiedui-bench-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    measured: list[Measured] = []
    for name in names:
        print(f"measuring {name} ...", file=sys.stderr)
        if name == "jiedui":
            measured.append(await measure_service(args, log_dir, workers=1))
        elif name == "jiedui-2w":
            measured.append(await measure_service(args, log_dir, workers=2))
        else:
            measured.append(await measure_reference(args, log_dir, name))
    settings = {
        "cadres": args.cadres,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "quick_updates": args.quick_updates,
        "log_dir": str(log_dir),
    }
    return summarize(measured, machine=machine(), settings=settings)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        results = asyncio.run(run(args))
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(results, ensure_ascii=False, separators=(",", ":")))
    else:
        print(format_report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
