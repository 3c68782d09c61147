"""Scheduled notifications: the provincial committees' daily digest and the cadres' update reminders.

Both are written to the outbox with a `dedup_key` per period, so running a job twice writes nothing new.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Database
from store.history import last_update
from store.models import Cadre, Offer, Pairing, Student, University, utc_now
from store.models_committees import CadreReminder, Committee, OutboxMessage
from store.outbox import BEIJING, DAILY_DIGEST, REMINDER, add_message, member_openids
from store.records import SIGNED_STATUS

logger = logging.getLogger("jiedui.outbox")

REMINDER_DAYS = 30
"""Default days without an employment update after which a student is listed in a reminder."""

REMINDER_INTERVAL_DAYS = 7
"""Minimum days between two reminders to the same cadre."""


def _day_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=BEIJING)
    return start, start + dt.timedelta(days=1)


async def _queued(session: AsyncSession, recipient: str, dedup_key: str) -> bool:
    found = await session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.recipient == recipient, OutboxMessage.dedup_key == dedup_key)
    )
    return found is not None


async def queue_daily_digests(db: Database, day: dt.date) -> int:
    """Queue one digest per member of each provincial committee for pairings submitted on `day`.

    `day` is a date in China Standard Time. A committee whose universities had no submission that day
    gets no digest. Returns the number of messages queued.
    """
    start, end = _day_window(day)
    queued = 0
    async with db.session() as session, session.begin():
        provinces = list(await session.scalars(select(Committee).where(Committee.level == "provincial")))
        for province in provinces:
            counts = await _submitted_per_university(session, province.id, start, end)
            if not counts:
                continue
            total = sum(count for _, count in counts)
            listing = "、".join(f"{name}{count}人" for name, count in counts)
            dedup_key = f"digest:{province.id}:{day.isoformat()}"
            for openid in await member_openids(session, province.id):
                if await _queued(session, openid, dedup_key):
                    continue
                values = (day.isoformat(), f"{total}名学生", listing)
                add_message(
                    session, kind=DAILY_DIGEST, recipient=openid, values=values, committee_id=province.id,
                    dedup_key=dedup_key,
                )
                queued += 1
    logger.info("daily digests queued: day=%s messages=%d", day.isoformat(), queued)
    return queued


async def _submitted_per_university(
    session: AsyncSession, province_id: int, start: dt.datetime, end: dt.datetime
) -> list[tuple[str, int]]:
    universities = select(Committee.university_id).where(
        Committee.parent_id == province_id, Committee.level == "university"
    )
    rows = await session.execute(
        select(University.name, func.count(Pairing.id))
        .join(University, University.id == Pairing.university_id)
        .where(
            Pairing.university_id.in_(universities),
            Pairing.submission_id.is_not(None),
            Pairing.deleted_at.is_(None),
            Pairing.created_at >= start,
            Pairing.created_at < end,
        )
        .group_by(University.name)
        .order_by(func.count(Pairing.id).desc(), University.name)
    )
    return [(name, int(count)) for name, count in rows]


async def queue_reminders(db: Database, *, stale_days: int = REMINDER_DAYS, now: dt.datetime | None = None) -> int:
    """Queue a reminder to each cadre with students not updated for `stale_days` days.

    A student with a signed offer needs no more updates and is not listed. A cadre is reminded at
    most once per REMINDER_INTERVAL_DAYS. Returns the number of reminders queued.
    """
    now = now or utc_now()
    cutoff = now - dt.timedelta(days=stale_days)
    signed = select(Offer.id).where(Offer.student_id == Student.id, Offer.status == SIGNED_STATUS).exists()
    statement = (
        select(Cadre.id, Cadre.openid, Student.name)
        .join(Pairing, Pairing.cadre_id == Cadre.id)
        .join(Student, Student.id == Pairing.student_id)
        .where(Cadre.openid.is_not(None), Pairing.deleted_at.is_(None), ~signed, last_update() < cutoff)
        .order_by(Cadre.id, Pairing.created_at, Pairing.id)
    )
    queued = 0
    async with db.session() as session, session.begin():
        stale: dict[tuple[int, str], list[str]] = defaultdict(list)
        for cadre_id, openid, name in await session.execute(statement):
            if openid is not None:
                stale[(cadre_id, openid)].append(name)
        for (cadre_id, openid), names in stale.items():
            if await _remind(session, cadre_id, openid, names, stale_days=stale_days, now=now):
                queued += 1
    logger.info("reminders queued: %d", queued)
    return queued


async def _remind(
    session: AsyncSession, cadre_id: int, openid: str, names: list[str], *, stale_days: int, now: dt.datetime
) -> bool:
    reminder = await session.get(CadreReminder, cadre_id)
    if reminder is not None and now - reminder.last_sent_at < dt.timedelta(days=REMINDER_INTERVAL_DAYS):
        return False
    dedup_key = f"reminder:{now.astimezone(BEIJING).date().isoformat()}"
    if await _queued(session, openid, dedup_key):
        return False
    values = (f"{len(names)}名学生", "、".join(names), f"超过{stale_days}天未更新")
    add_message(session, kind=REMINDER, recipient=openid, values=values, dedup_key=dedup_key)
    if reminder is None:
        session.add(CadreReminder(cadre_id=cadre_id, last_sent_at=now))
    else:
        reminder.last_sent_at = now
    return True
