"""Notifications written to the outbox inside the caller's transaction.

Each helper takes the open session of the change that causes the notification, so the change and its
notification commit or roll back together. One row is written per recipient; a committee without
members gets no row. Values are stored whole; the notifier shortens them to WeChat's limit when sending.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Cadre, Pairing, University, utc_now
from store.models_committees import Committee, CommitteeMember, OutboxMessage
from store.records import SIGNED_STATUS, StudentRecord

logger = logging.getLogger("jiedui.outbox")

PAIRING_SUBMITTED = "pairing_submitted"
OFFER_SIGNED = "offer_signed"
PASSCODE_FAILED = "passcode_failed"
CHANGE_REQUEST = "change_request"
DAILY_DIGEST = "daily_digest"
REMINDER = "reminder"

NOTIFICATION_KINDS: tuple[str, ...] = (
    PAIRING_SUBMITTED,
    OFFER_SIGNED,
    PASSCODE_FAILED,
    CHANGE_REQUEST,
    DAILY_DIGEST,
    REMINDER,
)
"""Every kind of notification; each has its own template id setting."""

BEIJING = dt.timezone(dt.timedelta(hours=8), "UTC+8")
"""China Standard Time, in which committees read the times of notifications."""


def beijing_time(moment: dt.datetime) -> str:
    """Format an aware datetime as `YYYY-MM-DD HH:MM` in China Standard Time."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def add_message(
    session: AsyncSession,
    *,
    kind: str,
    recipient: str,
    values: Sequence[str],
    committee_id: int | None = None,
    dedup_key: str | None = None,
) -> OutboxMessage:
    """Add one notification for `recipient` (an OpenID) to the session; it is written at the next flush."""
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification kind {kind!r}; expected one of {', '.join(NOTIFICATION_KINDS)}")
    row = OutboxMessage(
        kind=kind,
        recipient=recipient,
        committee_id=committee_id,
        payload=json.dumps({"values": [str(value) for value in values]}, ensure_ascii=False),
        dedup_key=dedup_key,
        status="pending",
        attempts=0,
        next_attempt_at=utc_now(),
    )
    session.add(row)
    return row


async def member_openids(session: AsyncSession, committee_id: int) -> list[str]:
    """Return the OpenIDs of a committee's members, oldest membership first."""
    rows = await session.scalars(
        select(CommitteeMember.openid)
        .where(CommitteeMember.committee_id == committee_id)
        .order_by(CommitteeMember.id)
    )
    return list(rows)


async def notify_committee(
    session: AsyncSession, committee_id: int, kind: str, values: Sequence[str], *, dedup_key: str | None = None
) -> int:
    """Add one notification per member of the committee and return how many were added."""
    openids = await member_openids(session, committee_id)
    for openid in openids:
        add_message(
            session, kind=kind, recipient=openid, values=values, committee_id=committee_id, dedup_key=dedup_key
        )
    if openids:
        await session.flush()
    logger.info("notification queued: kind=%s committee_id=%d recipients=%d", kind, committee_id, len(openids))
    return len(openids)


async def university_committee_id(session: AsyncSession, university_id: int) -> int | None:
    """Return the id of the university's committee, or None when it has none."""
    return await session.scalar(select(Committee.id).where(Committee.university_id == university_id))


async def notify_pairing_submitted(
    session: AsyncSession, *, university_id: int, cadre_name: str, student_count: int
) -> int:
    """Notify the university committee of a submitted pairing; return how many messages were added."""
    committee_id = await university_committee_id(session, university_id)
    if committee_id is None:
        return 0
    university = await session.scalar(select(University.name).where(University.id == university_id))
    values = (university or "", cadre_name, f"{student_count}名学生", beijing_time(utc_now()))
    return await notify_committee(session, committee_id, PAIRING_SUBMITTED, values)


def newly_signed(old: StudentRecord, new: StudentRecord) -> list[str]:
    """Return the companies whose offer is 已签约 in `new` but was not signed in `old`."""
    signed_before = {offer.company for offer in old.offers if offer.status == SIGNED_STATUS}
    return [
        offer.company
        for offer in new.offers
        if offer.status == SIGNED_STATUS and offer.company not in signed_before
    ]


async def notify_offer_signed(
    session: AsyncSession, *, cadre_id: int, student_id: int, old: StudentRecord, new: StudentRecord
) -> int:
    """Notify the university committee when an update marks an offer 已签约; return the messages added."""
    companies = newly_signed(old, new)
    if not companies:
        return 0
    university_id = await session.scalar(
        select(Pairing.university_id).where(Pairing.student_id == student_id, Pairing.deleted_at.is_(None))
    )
    committee_id = None if university_id is None else await university_committee_id(session, university_id)
    if committee_id is None:
        return 0
    cadre_name = await session.scalar(select(Cadre.name).where(Cadre.id == cadre_id))
    added = 0
    for company in companies:
        values = (new.name, company, cadre_name or "", beijing_time(utc_now()))
        added += await notify_committee(session, committee_id, OFFER_SIGNED, values)
    return added
