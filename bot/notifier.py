"""Delivery of the outbox as template messages, with retries and exponential backoff.

Results by WeChat error code:
- 0: sent; the msgid is stored for the TEMPLATESENDJOBFINISH report.
- PERMANENT_ERRORS (43004 not following, 43101 refused, 47003 bad template data, 40003 invalid
  OpenID, 40037 invalid template id): recorded as failed and never retried.
- any other code (-1 busy, 45009 daily quota, …), an HTTP or connection error, or no token: retried
  after BACKOFF_BASE_S doubled per attempt (up to BACKOFF_MAX_S), until MAX_ATTEMPTS.
The API client refreshes a rejected token and retries once. When that fails too, the message is
retried later like any other transient error.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from bot.access_token import TokenUnavailable
from bot.config_outbound import OutboundSettings, Template
from bot.privacy import describe_error
from bot.templates import template_data
from bot.wechat_api import WeChatApi, WeChatApiError, WeChatHttpError
from store.db import Database
from store.models import utc_now
from store.outbox import BEIJING
from store.repo_outbox import LEASE_S, OutboxItem, OutboxRepository
from store.scheduled import queue_daily_digests, queue_reminders

log = logging.getLogger("jiedui.notifier")

PERMANENT_ERRORS = frozenset({43004, 43101, 47003, 40003, 40037})
"""WeChat error codes after which a message to that recipient is never retried."""

MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 30.0
BACKOFF_MAX_S = 3600.0
BATCH_SIZE = 20
"""Messages claimed per look at the outbox."""


def client_msg_id(item: OutboxItem) -> str:
    """Return the template message's client_msg_id, derived from the outbox row id."""
    return f"jiedui-{item.id}"


def backoff_s(attempts: int, *, base_s: float = BACKOFF_BASE_S, max_s: float = BACKOFF_MAX_S) -> float:
    """Return the delay before the next try after `attempts` failed tries: base, 2×base, 4×base, …"""
    return float(min(base_s * 2 ** max(attempts - 1, 0), max_s))


@dataclass
class DeliveryCounts:
    """Counts of one pass over the outbox."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


class Notifier:
    """Sends due outbox rows whose kind has a template; the others wait in the outbox."""

    def __init__(
        self,
        db: Database,
        api: WeChatApi,
        templates: Mapping[str, Template],
        *,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base_s: float = BACKOFF_BASE_S,
        lease_s: int = LEASE_S,
    ) -> None:
        self.outbox = OutboxRepository(db)
        self.api = api
        self.templates = dict(templates)
        self.max_attempts = max_attempts
        self.backoff_base_s = backoff_base_s
        self.lease_s = lease_s

    async def deliver_due(self, *, limit: int = BATCH_SIZE) -> DeliveryCounts:
        """Claim due messages and send them one by one."""
        counts = DeliveryCounts()
        for item in await self.outbox.claim_due(self.templates, limit=limit, lease_s=self.lease_s):
            outcome = await self._deliver(item)
            setattr(counts, outcome, getattr(counts, outcome) + 1)
        return counts

    async def _deliver(self, item: OutboxItem) -> str:
        template = self.templates[item.kind]
        try:
            data = template_data(template.keys, item.values)
        except ValueError as error:
            log.error("outbox message %d not sent: %s", item.id, error)
            await self.outbox.mark_failed(item.id, "template-keys")
            return "failed"
        try:
            msgid = await self.api.send_template(
                item.recipient, template.template_id, data, client_msg_id=client_msg_id(item)
            )
        except WeChatApiError as error:
            if error.errcode in PERMANENT_ERRORS:
                log.warning("outbox message %d failed for good: errcode %d", item.id, error.errcode)
                await self.outbox.mark_failed(item.id, str(error.errcode))
                return "failed"
            return await self._retry_or_fail(item, str(error.errcode))
        except (WeChatHttpError, TokenUnavailable) as error:
            log.warning("outbox message %d not sent: %s", item.id, error)
            return await self._retry_or_fail(item, "http")
        await self.outbox.mark_sent(item.id, msgid)
        log.info("outbox message %d sent: kind=%s msgid=%s attempts=%d", item.id, item.kind, msgid, item.attempts)
        return "sent"

    async def _retry_or_fail(self, item: OutboxItem, reason: str) -> str:
        if item.attempts >= self.max_attempts:
            log.warning("outbox message %d given up after %d attempts: %s", item.id, item.attempts, reason)
            await self.outbox.mark_failed(item.id, f"retries-exhausted:{reason}")
            return "failed"
        delay_s = backoff_s(item.attempts, base_s=self.backoff_base_s)
        log.info("outbox message %d retried in %.0f s: %s (attempt %d)", item.id, delay_s, reason, item.attempts)
        await self.outbox.mark_retry(item.id, reason, delay_s)
        return "retried"


async def queue_scheduled(db: Database, settings: OutboundSettings, now: dt.datetime | None = None) -> int:
    """Queue the provincial digests of yesterday and the cadre reminders, once the digest hour has come.

    Safe to run often: both are written once per recipient and day.
    """
    now = now or utc_now()
    local = now.astimezone(BEIJING)
    if local.hour < settings.digest_hour:
        return 0
    queued = await queue_daily_digests(db, local.date() - dt.timedelta(days=1))
    return queued + await queue_reminders(db, stale_days=settings.reminder_days, now=now)


class InProcessNotifier:
    """Runs the notifier as an asyncio task of the web process (the embedded default without Redis)."""

    def __init__(self, db: Database, notifier: Notifier, settings: OutboundSettings) -> None:
        self.db = db
        self.notifier = notifier
        self.settings = settings
        self._task: asyncio.Task[None] | None = None
        self._scheduled_day: dt.date | None = None

    def start(self) -> None:
        """Start the loop; call `stop` before the event loop closes."""
        self._task = asyncio.create_task(self._run(), name="jiedui-notifier")

    async def stop(self) -> None:
        """Cancel the loop and wait for it; a message being sent stays claimed until its lease ends."""
        if self._task is None:
            return
        self._task.cancel()
        # wait() does not raise the task's CancelledError, so a cancellation of stop() itself still propagates.
        await asyncio.wait({self._task})
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._tick()
            except Exception as error:  # noqa: BLE001 - one failed look must not stop the loop; it is logged
                log.error("notifier pass failed: %s", describe_error(error))
            await asyncio.sleep(self.settings.outbox_poll_s)

    async def _tick(self) -> None:
        now = utc_now()
        local_day = now.astimezone(BEIJING).date()
        if self._scheduled_day != local_day and now.astimezone(BEIJING).hour >= self.settings.digest_hour:
            await queue_scheduled(self.db, self.settings, now)
            self._scheduled_day = local_day
        while True:
            counts = await self.notifier.deliver_due()
            if counts.sent + counts.retried + counts.failed < BATCH_SIZE:
                return
