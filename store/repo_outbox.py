"""The outbox as the notifier sees it: claiming due messages, recording results, and the backlog.

A worker claims a row by moving it to `sending` with a lease. A worker that stops mid-send leaves the
row `sending`; once the lease ends another worker claims it again and resends it with the same
`client_msg_id`, which WeChat drops as a duplicate within 10 minutes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from store.db import Database
from store.models import utc_now
from store.models_committees import OutboxMessage, TemplateDelivery

logger = logging.getLogger("jiedui.outbox")

LEASE_S = 60
"""Seconds a claimed row stays with its worker before another worker may claim it again."""


@dataclass(frozen=True)
class OutboxItem:
    """A claimed notification: its id (the client_msg_id), kind, recipient OpenID and template values."""

    id: int
    kind: str
    recipient: str
    values: tuple[str, ...]
    attempts: int


@dataclass(frozen=True)
class OutboxStatus:
    """Counts for `jiedui notifications status`."""

    backlog: dict[str, int] = field(default_factory=dict)
    """Unsent rows (pending or sending) per kind."""
    failures: dict[str, int] = field(default_factory=dict)
    """Given-up rows per last error."""
    sent: int = 0
    retrying: int = 0
    """Pending rows that failed at least once."""
    deliveries: dict[str, int] = field(default_factory=dict)
    """TEMPLATESENDJOBFINISH reports per status."""


def _claimable(now: dt.datetime) -> object:
    return or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now),
    )


class OutboxRepository:
    """Claims and settles outbox rows; each method runs in its own transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim_due(self, kinds: Collection[str], *, limit: int = 20, lease_s: int = LEASE_S) -> list[OutboxItem]:
        """Claim up to `limit` due rows of `kinds`, oldest first, for `lease_s` seconds."""
        if not kinds:
            return []
        now = utc_now()
        async with self._db.session() as session, session.begin():
            candidates = list(
                await session.scalars(
                    select(OutboxMessage.id)
                    .where(_claimable(now), OutboxMessage.kind.in_(list(kinds)))  # type: ignore[arg-type]
                    .order_by(OutboxMessage.id)
                    .limit(limit)
                )
            )
        claimed: list[OutboxItem] = []
        for message_id in candidates:
            item = await self._claim(message_id, now, lease_s)
            if item is not None:
                claimed.append(item)
        return claimed

    async def _claim(self, message_id: int, now: dt.datetime, lease_s: int) -> OutboxItem | None:
        """Move one row to `sending`, unless another worker claimed it since it was selected."""
        async with self._db.session() as session, session.begin():
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, _claimable(now))  # type: ignore[arg-type]
                .values(
                    status="sending",
                    lease_until=now + dt.timedelta(seconds=lease_s),
                    attempts=OutboxMessage.attempts + 1,
                )
                .returning(OutboxMessage.kind, OutboxMessage.recipient, OutboxMessage.payload, OutboxMessage.attempts)
                .execution_options(synchronize_session=False)
            )
            row = result.first()
        if row is None:
            return None
        kind, recipient, payload, attempts = row
        values = tuple(str(value) for value in json.loads(payload)["values"])
        return OutboxItem(message_id, kind, recipient, values, attempts)

    async def mark_sent(self, message_id: int, msgid: int | None) -> None:
        """Record that WeChat accepted the message and returned `msgid`."""
        await self._settle(message_id, status="sent", sent_at=utc_now(), wechat_msgid=msgid, last_error=None)

    async def mark_retry(self, message_id: int, error: str, delay_s: float) -> None:
        """Return the row to `pending`, due again after `delay_s` seconds."""
        due = utc_now() + dt.timedelta(seconds=delay_s)
        await self._settle(message_id, status="pending", next_attempt_at=due, last_error=error[:40])

    async def mark_failed(self, message_id: int, error: str) -> None:
        """Give the row up for good with `error` as the reason."""
        await self._settle(message_id, status="failed", last_error=error[:40])

    async def _settle(self, message_id: int, **values: object) -> None:
        async with self._db.session() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(lease_until=None, **values)
                .execution_options(synchronize_session=False)
            )

    async def record_delivery(self, msgid: int, status: str, openid: str) -> bool:
        """Store a TEMPLATESENDJOBFINISH report; False when this MsgID was recorded before."""
        try:
            async with self._db.session() as session, session.begin():
                outbox_id = await session.scalar(
                    select(OutboxMessage.id).where(OutboxMessage.wechat_msgid == msgid).limit(1)
                )
                session.add(TemplateDelivery(msgid=msgid, status=status[:100], openid=openid, outbox_id=outbox_id))
        except IntegrityError:
            return False
        logger.info("template delivery recorded: msgid=%d outbox_id=%s status=%s", msgid, outbox_id, status)
        return True

    async def status(self) -> OutboxStatus:
        """Count the backlog per kind, the failures per reason, and the delivery reports per status."""
        async with self._db.session() as session:
            backlog = await session.execute(
                select(OutboxMessage.kind, func.count())
                .where(OutboxMessage.status.in_(("pending", "sending")))
                .group_by(OutboxMessage.kind)
            )
            failures = await session.execute(
                select(OutboxMessage.last_error, func.count())
                .where(OutboxMessage.status == "failed")
                .group_by(OutboxMessage.last_error)
            )
            sent = await session.scalar(select(func.count()).where(OutboxMessage.status == "sent"))
            retrying = await session.scalar(
                select(func.count()).where(OutboxMessage.status == "pending", OutboxMessage.attempts > 0)
            )
            deliveries = await session.execute(
                select(TemplateDelivery.status, func.count()).group_by(TemplateDelivery.status)
            )
            return OutboxStatus(
                backlog={kind: int(count) for kind, count in backlog},
                failures={str(reason): int(count) for reason, count in failures},
                sent=int(sent or 0),
                retrying=int(retrying or 0),
                deliveries={status: int(count) for status, count in deliveries},
            )

    async def count_backlog(self) -> int:
        """Count the rows not yet sent or given up."""
        async with self._db.session() as session:
            count = await session.scalar(
                select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
            )
        return int(count or 0)
