"""The load generator: simulated cadres posting signed XML pushes over aiohttp's client, closed loop.

Each simulated cadre sends one push, waits for the answer, and sends the next; when its script ends it
starts again as a new cadre. Latencies are recorded only after the warm-up.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import resource
import secrets
import time
from dataclasses import dataclass, field

import aiohttp

from bench.script import QUICK_SAVED_MARK, SUBMITTED_MARK, CadreScript, cadre_script
from bot.crypto import compute_signature
from bot.simulator import DEFAULT_ACCOUNT, build_text_push

BUSY_MARK = "系统繁忙"
FLOOD_MARK = "发送消息太频繁"
_CONTENT = re.compile(r"<Content><!\[CDATA\[(.*?)\]\]></Content>", re.DOTALL)


@dataclass
class LoadResult:
    """Measurements of one run; `latencies_ms` contains every push answered after the warm-up."""

    duration_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    busy: int = 0
    submissions: int = 0
    failed_submissions: int = 0
    quick_updates: int = 0
    failed_quick_updates: int = 0
    client_cpu_s: float = 0.0

    @property
    def pushes(self) -> int:
        return len(self.latencies_ms)

    @property
    def pushes_per_s(self) -> float:
        return self.pushes / self.duration_s if self.duration_s else 0.0

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class _Clock:
    """Marks the measured window: pushes answered between `start` and `stop` are counted."""

    def __init__(self, warmup_s: float, duration_s: float) -> None:
        now = time.monotonic()
        self.start = now + warmup_s
        self.stop = self.start + duration_s

    def measuring(self, at: float) -> bool:
        return self.start <= at < self.stop

    def over(self) -> bool:
        return time.monotonic() >= self.stop


class _Sender:
    """Signs and posts pushes with fresh MsgIds, timestamps and nonces."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        self._session = session
        self._url = url
        self._token = token
        self._msg_ids = itertools.count(secrets.randbelow(2**40) + 1)

    async def send(self, openid: str, text: str) -> tuple[int, str]:
        now = int(time.time())
        timestamp, nonce = str(now), str(secrets.randbelow(10**9))
        params = {"signature": compute_signature(self._token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        body = build_text_push(
            openid=openid, account=DEFAULT_ACCOUNT, content=text, msg_id=next(self._msg_ids), create_time=now
        )
        async with self._session.post(self._url, params=params, data=body.encode("utf-8")) as response:
            return response.status, await response.text()


async def _run_cadre(
    sender: _Sender, clock: _Clock, numbers: itertools.count[int], result: LoadResult, *, quick_updates: bool, check: bool
) -> None:
    while not clock.over():
        script = cadre_script(next(numbers), quick_updates=quick_updates)
        await _walk(sender, clock, script, result, check=check)


async def _walk(sender: _Sender, clock: _Clock, script: CadreScript, result: LoadResult, *, check: bool) -> None:
    index = 0
    while index < len(script.lines) and not clock.over():
        started = time.monotonic()
        try:
            status, body = await sender.send(script.openid, script.lines[index])
        except (aiohttp.ClientError, TimeoutError):
            result.errors += 1
            return
        answered = time.monotonic()
        if clock.measuring(answered):
            result.latencies_ms.append((answered - started) * 1000)
        if status != 200:
            result.errors += 1
            return
        if check:
            content = _content(body)
            if BUSY_MARK in content or FLOOD_MARK in content:
                # A cadre asked to resend does so. The push is counted, and the dialog did not move.
                result.busy += 1
                continue
            _check_milestone(script, index, content, result, clock.measuring(answered))
        index += 1


def _check_milestone(script: CadreScript, index: int, content: str, result: LoadResult, counted: bool) -> None:
    if not counted:
        return
    if index == script.submit_index:
        if SUBMITTED_MARK in content:
            result.submissions += 1
        else:
            result.failed_submissions += 1
    if script.quick_start is not None and index == len(script.lines) - 1:
        if QUICK_SAVED_MARK in content:
            result.quick_updates += 1
        else:
            result.failed_quick_updates += 1


def _content(body: str) -> str:
    match = _CONTENT.search(body)
    return match.group(1) if match else ""


async def run_load(
    url: str,
    *,
    token: str,
    cadres: int,
    duration_s: float,
    warmup_s: float,
    quick_updates: bool,
    check: bool,
    first_cadre: int = 0,
) -> LoadResult:
    """Run `cadres` simulated cadres against `url` for `warmup_s` plus `duration_s` seconds.

    `check` reads the replies of the service (submissions, busy answers); reference servers answer
    something else, so they are run without it. `first_cadre` numbers the simulated cadres, so that
    runs against one database never reuse a phone number.
    """
    result = LoadResult()
    clock = _Clock(warmup_s, duration_s)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    connector = aiohttp.TCPConnector(limit=cadres)
    timeout = aiohttp.ClientTimeout(total=10)
    numbers = itertools.count(first_cadre)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        sender = _Sender(session, url, token)
        await asyncio.gather(
            *(
                _run_cadre(sender, clock, numbers, result, quick_updates=quick_updates, check=check)
                for _ in range(cadres)
            )
        )
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    result.duration_s = duration_s
    result.client_cpu_s = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return result
