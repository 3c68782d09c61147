"""The production notifier: arq cron jobs on Redis, run by `jiedui worker`.

arq runs each cron tick once across all worker processes (its cron jobs have a unique id per tick),
and the outbox's claim-with-lease keeps a message with one worker even when two ticks overlap.
- `deliver_outbox` every JIEDUI_OUTBOX_POLL_S seconds (rounded to whole seconds, at least 1);
- `queue_scheduled` at minute 0 of every hour: the provincial digests and the cadre reminders of the
  day, once the digest hour has come (both are written once per recipient and day).
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from arq import cron
from arq.connections import RedisSettings

from bot.access_token import RedisTokenStore
from bot.config import Settings
from bot.notifier import Notifier
from bot.notifier import queue_scheduled as queue_scheduled_notifications
from bot.outbound import TOKEN_KEY_PREFIX, open_api
from store.db import Database

log = logging.getLogger("jiedui.notifier")

QUEUE_NAME = "jiedui:notifier"


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    ctx["database"] = Database(settings.database_url.get())
    ctx["http"] = aiohttp.ClientSession()
    # arq's own Redis connection also stores the shared access token.
    tokens = RedisTokenStore(ctx["redis"], prefix=ctx.get("token_prefix", TOKEN_KEY_PREFIX))
    api = open_api(settings, ctx["http"], tokens)
    ctx["notifier"] = Notifier(ctx["database"], api, settings.outbound.templates)
    log.info("notifier worker started: templates for %s", ", ".join(sorted(settings.outbound.templates)) or "no kind")


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["http"].close()
    await ctx["database"].dispose()
    log.info("notifier worker stopped")


async def deliver_outbox(ctx: dict[str, Any]) -> dict[str, int]:
    """Send the due outbox messages until fewer than a batch are due."""
    notifier: Notifier = ctx["notifier"]
    total = {"sent": 0, "retried": 0, "failed": 0}
    while True:
        counts = await notifier.deliver_due()
        for name in total:
            total[name] += getattr(counts, name)
        if counts.sent + counts.retried + counts.failed == 0:
            return total


async def queue_scheduled(ctx: dict[str, Any]) -> int:
    """Queue the digests and reminders of the day, once the digest hour has come."""
    settings: Settings = ctx["settings"]
    return await queue_scheduled_notifications(ctx["database"], settings.outbound)


def worker_settings(settings: Settings, *, token_prefix: str = TOKEN_KEY_PREFIX) -> dict[str, Any]:
    """Build the arq worker settings; raises ValueError without REDIS_URL, WECHAT_APP_ID or WECHAT_APP_SECRET.

    `token_prefix` is the prefix of the access token's Redis keys, shared with `jiedui serve`.
    """
    if settings.redis_url is None:
        raise ValueError("`jiedui worker` needs REDIS_URL; without it `jiedui serve` sends the notifications itself")
    if settings.app_id is None or settings.app_secret is None:
        raise ValueError("`jiedui worker` needs WECHAT_APP_ID and WECHAT_APP_SECRET to call the WeChat API")
    step_s = max(1, round(settings.outbound.outbox_poll_s))
    return {
        "functions": [deliver_outbox, queue_scheduled],
        "cron_jobs": [
            cron(deliver_outbox, second=set(range(0, 60, step_s)), run_at_startup=True),
            cron(queue_scheduled, minute=0, second=0, run_at_startup=True),
        ],
        "redis_settings": RedisSettings.from_dsn(settings.redis_url.get()),
        "queue_name": QUEUE_NAME,
        "on_startup": startup,
        "on_shutdown": shutdown,
        "ctx": {"settings": settings, "token_prefix": token_prefix},
        "max_jobs": 4,
    }
