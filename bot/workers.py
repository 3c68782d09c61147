"""`jiedui serve --workers N`: several worker processes that share one port, Redis and the database.

Each worker is a process of its own (started with `spawn`, so it shares nothing with the parent) with
its own event loop and connection pools. Every worker listens on the same host and port with
SO_REUSEPORT, and the kernel spreads new connections over them. Sessions, per-user locks, replies
kept for WeChat's retries and flood counts live in Redis, so a user's consecutive pushes may land on
different workers. The in-process session store serves one process only, so more than one worker
requires REDIS_URL.

The parent process checks that the port is free, migrates the database once, starts the workers,
restarts a worker that exits, and stops them all on SIGTERM or SIGINT. It gives up, with exit status
1, when one worker slot fails MAX_QUICK_FAILURES times in a row within MIN_UPTIME_S of its start.
Metrics of all workers are added up through prometheus-client's multi-process mode.
"""

from __future__ import annotations

import asyncio
import errno
import importlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import FrameType

from aiohttp import web

from bot.config import ConfigError, Settings
from bot.metrics import MULTIPROCESS_DIR_VARIABLE

log = logging.getLogger("jiedui.workers")

DEFAULT_APP_FACTORY = "bot.app:create_app"
"""`module:function` that builds a worker's application from the settings."""

MIN_UPTIME_S = 10.0
"""A worker that exits sooner after its start counts as a failed start."""

MAX_QUICK_FAILURES = 3
"""Failed starts in a row of one worker slot after which the parent stops every worker."""

RESTART_DELAY_S = 1.0
"""Pause before a worker that exited is started again."""

STOP_TIMEOUT_S = 10.0
"""Time the workers get to finish their requests after SIGTERM before they are killed."""

PARENT_CHECK_S = 1.0
"""How often a worker checks that its parent is alive; a worker whose parent died stops itself."""

WORKER_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [worker %(process)d]: %(message)s"


def check_workers(settings: Settings, workers: int) -> None:
    """Raise ConfigError when `workers` processes cannot share this configuration's session store."""
    if workers < 1:
        raise ConfigError(f"--workers {workers} is invalid: expected 1 or more worker processes")
    if workers > 1 and settings.redis_url is None:
        raise ConfigError(
            f"--workers {workers} needs REDIS_URL: the in-process session store serves one process "
            "only, so each worker would keep its own sessions. Set REDIS_URL or use --workers 1."
        )


def check_port_free(host: str, port: int) -> None:
    """Raise OSError when another program listens on host:port.

    The check binds without SO_REUSEPORT, so it also fails when another `jiedui serve` (whose workers
    would otherwise share the port with ours) is running.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


async def prepare_database(settings: Settings) -> None:
    """Migrate the database and load the universities once, before the workers start."""
    from store import universities
    from store.db import Database, upgrade

    await upgrade(settings.database_url.get())
    database = Database(settings.database_url.get())
    try:
        await universities.ensure_loaded(database)
    finally:
        await database.dispose()


@dataclass
class _Slot:
    """One worker position: its current process, when it started and how often it failed to start."""

    index: int
    process: BaseProcess | None = None
    started_at: float = 0.0
    quick_failures: int = 0


class _Supervisor:
    """Starts, watches, restarts and stops the worker processes."""

    def __init__(self, host: str, port: int, workers: int, factory: str) -> None:
        self._host = host
        self._port = port
        self._factory = factory
        self._context = multiprocessing.get_context("spawn")
        self._slots = [_Slot(index) for index in range(workers)]
        self._stopping = False

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for slot in self._slots:
                self._start(slot)
            return self._watch()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _request_stop(self, signum: int, frame: FrameType | None) -> None:
        log.info("received %s; stopping the workers", signal.Signals(signum).name)
        self._stopping = True

    def _start(self, slot: _Slot) -> None:
        process = self._context.Process(
            target=run_worker,
            args=(self._host, self._port, slot.index, self._factory),
            name=f"jiedui-worker-{slot.index}",
        )
        process.start()
        slot.process = process
        slot.started_at = time.monotonic()
        log.info("worker %d started with pid %s", slot.index, process.pid)

    def _watch(self) -> int:
        while not self._stopping:
            sentinels = [slot.process.sentinel for slot in self._slots if slot.process is not None]
            multiprocessing.connection.wait(sentinels, timeout=0.5)
            for slot in self._slots:
                if self._stopping or slot.process is None or slot.process.is_alive():
                    continue
                if not self._restart(slot):
                    return 1
        return 0

    def _restart(self, slot: _Slot) -> bool:
        """Start a dead worker again; return False when its slot keeps failing to start."""
        assert slot.process is not None
        uptime_s = time.monotonic() - slot.started_at
        log.error(
            "worker %d (pid %s) exited with status %s after %.1f s",
            slot.index,
            slot.process.pid,
            slot.process.exitcode,
            uptime_s,
        )
        slot.quick_failures = slot.quick_failures + 1 if uptime_s < MIN_UPTIME_S else 0
        if slot.quick_failures >= MAX_QUICK_FAILURES:
            log.error(
                "worker %d failed %d times within %.0f s of starting; stopping all workers",
                slot.index,
                slot.quick_failures,
                MIN_UPTIME_S,
            )
            return False
        time.sleep(RESTART_DELAY_S)
        if not self._stopping:
            self._start(slot)
        return True

    def _stop_all(self) -> None:
        running = [slot.process for slot in self._slots if slot.process is not None and slot.process.is_alive()]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("worker pid %s did not stop within %.0f s; killing it", process.pid, STOP_TIMEOUT_S)
                process.kill()
                process.join()


def serve_workers(settings: Settings, host: str, port: int, workers: int, *, factory: str = DEFAULT_APP_FACTORY) -> int:
    """Run `workers` worker processes on host:port until SIGTERM or SIGINT; return the exit status.

    Raises ConfigError for a configuration the workers cannot share and OSError when the port is taken.
    """
    check_workers(settings, workers)
    check_port_free(host, port)
    asyncio.run(prepare_database(settings))
    created_dir = None
    if not os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        created_dir = tempfile.mkdtemp(prefix="jiedui-metrics-")
        os.environ[MULTIPROCESS_DIR_VARIABLE] = created_dir
    try:
        return _Supervisor(host, port, workers, factory).run()
    finally:
        if created_dir is not None:
            os.environ.pop(MULTIPROCESS_DIR_VARIABLE, None)
            shutil.rmtree(created_dir, ignore_errors=True)


def load_factory(path: str) -> Callable[[Settings], web.Application]:
    """Import the application factory named `module:function`."""
    module_name, _, function_name = path.partition(":")
    factory: Callable[[Settings], web.Application] = getattr(importlib.import_module(module_name), function_name)
    return factory


def run_worker(host: str, port: int, index: int, factory: str) -> None:
    """Serve in one worker process; the target of each spawned process."""
    # A worker leaves the parent's process group, so that Ctrl-C in a terminal reaches only the
    # parent, which then stops every worker once.
    os.setpgrp()
    logging.basicConfig(level=logging.INFO, format=WORKER_LOG_FORMAT)
    settings = Settings.from_env()
    app = load_factory(factory)(settings)
    app.cleanup_ctx.append(_stop_with_parent)
    try:
        # The access log is off because WeChat puts the user's OpenID in the push URL.
        web.run_app(app, host=host, port=port, reuse_port=True, access_log=None, print=None)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            log.error("worker %d cannot listen on %s:%d: the port is in use", index, host, port)
        raise


async def _stop_with_parent(app: web.Application) -> AsyncIterator[None]:
    parent = os.getppid()

    async def watch() -> None:
        while os.getppid() == parent:
            await asyncio.sleep(PARENT_CHECK_S)
        log.error("the parent process %d is gone; stopping this worker", parent)
        os.kill(os.getpid(), signal.SIGTERM)

    task = asyncio.create_task(watch())
    yield
    task.cancel()
    await asyncio.wait({task})
