"""Committees (团委), their WeChat members and invites, and the notification outbox.

A committee is central, provincial or university level. A WeChat user becomes a member by sending a
one-time invite code; only a hash of the code is stored. Notifications are written to `outbox` in the
transaction of the change that causes them, one row per recipient, and sent later by the notifier.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, UTCDateTime, utc_now

COMMITTEE_LEVELS: tuple[str, ...] = ("central", "provincial", "university")
"""Committee levels, top down: the central administrators, a provincial 团委, a university 团委."""

OUTBOX_STATUSES: tuple[str, ...] = ("pending", "sending", "sent", "failed")
"""Outbox row states: waiting (or waiting for a retry), claimed by a worker, accepted by WeChat, given up."""


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


class Committee(Base):
    """A 团委; a university committee names its university, the others name none."""

    __tablename__ = "committees"
    __table_args__ = (
        UniqueConstraint("name"),
        UniqueConstraint("university_id"),
        CheckConstraint(_in("level", COMMITTEE_LEVELS), name="level"),
        CheckConstraint("(level = 'university') = (university_id IS NOT NULL)", name="university_level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("committees.id"))
    university_id: Mapped[int | None] = mapped_column(ForeignKey("universities.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class CommitteeMember(Base):
    """A WeChat user who receives a committee's notifications; one committee per OpenID."""

    __tablename__ = "committee_members"
    __table_args__ = (UniqueConstraint("openid"), Index(None, "committee_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"))
    openid: Mapped[str] = mapped_column(String(64))
    bound_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class CommitteeInvite(Base):
    """A one-time invite code; `code_hash` is the SHA-256 hex digest of the normalized code."""

    __tablename__ = "committee_invites"
    __table_args__ = (UniqueConstraint("code_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    used_by: Mapped[str | None] = mapped_column(String(64))


class OutboxMessage(Base):
    """One notification to one WeChat user, from its writing to WeChat's answer.

    `payload` is JSON text: the ordered template values of `kind`. The row id is the template
    message's `client_msg_id`, so a resend after a crash is dropped by WeChat as a duplicate.
    `dedup_key` keeps scheduled notifications (digests, reminders) to one per recipient and period.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("recipient", "dedup_key"),
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "wechat_msgid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(64))
    committee_id: Mapped[int | None] = mapped_column(ForeignKey("committees.id", ondelete="SET NULL"))
    payload: Mapped[str] = mapped_column(Text)
    dedup_key: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(40))
    wechat_msgid: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class TemplateDelivery(Base):
    """WeChat's TEMPLATESENDJOBFINISH report of one template message, keyed by its MsgID."""

    __tablename__ = "template_deliveries"
    __table_args__ = (UniqueConstraint("msgid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    msgid: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(100))
    openid: Mapped[str] = mapped_column(String(64))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class PasscodeMiss(Base):
    """Consecutive pairing passcodes of one WeChat user that matched no university."""

    __tablename__ = "passcode_misses"
    __table_args__ = (UniqueConstraint("openid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    misses: Mapped[int] = mapped_column(Integer, default=0)
    last_text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class ChangeRequest(Base):
    """A change a cadre may not make (a student's phone, university or major; a deletion), sent to a committee."""

    __tablename__ = "change_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    committee_id: Mapped[int | None] = mapped_column(ForeignKey("committees.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class CadreReminder(Base):
    """When a cadre was last reminded of students without a recent employment update."""

    __tablename__ = "cadre_reminders"

    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id", ondelete="CASCADE"), primary_key=True)
    last_sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
