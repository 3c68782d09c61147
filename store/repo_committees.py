"""Committees: creation, invite codes, membership, and what cadres send them from the chat.

Each method runs in its own transaction; notifications are written to the outbox in that transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Database
from store.errors import StoreError
from store.models import Cadre, Pairing, University, utc_now
from store.models_committees import (
    COMMITTEE_LEVELS,
    ChangeRequest,
    Committee,
    CommitteeInvite,
    CommitteeMember,
    PasscodeMiss,
)
from store.outbox import CHANGE_REQUEST, PASSCODE_FAILED, beijing_time, member_openids, notify_committee

logger = logging.getLogger("jiedui.committees")

INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Invite code characters: capitals and digits without 0, O, 1 and I, which are easy to misread."""

INVITE_LENGTH = 8
INVITE_TTL_S = 7 * 24 * 3600
"""Default lifetime of an invite code in seconds."""

PASSCODE_MISSES_TO_NOTIFY = 3
"""Consecutive unknown passcodes of one cadre after which the central administrators are told."""

_PARENT_LEVELS = {"central": (), "provincial": ("central",), "university": ("provincial", "central")}


class CommitteeError(StoreError):
    """A committee command was given an invalid or unknown value; the message names it and the fix."""


@dataclass(frozen=True)
class CommitteeRecord:
    """A committee as tools and the chat show it."""

    id: int
    name: str
    level: str
    parent_name: str | None
    university_name: str | None
    members: int


@dataclass(frozen=True)
class Invite:
    """A new invite code (shown once; only its hash is stored) and when it expires."""

    code: str
    committee: str
    expires_at: dt.datetime


BindStatus = Literal["bound", "already_member", "member_elsewhere", "invalid", "expired", "used"]


@dataclass(frozen=True)
class BindOutcome:
    """The result of 「绑定 CODE」; `committee` is set for bound, already_member and member_elsewhere."""

    status: BindStatus
    committee: CommitteeRecord | None = None


RequestStatus = Literal["sent", "not_cadre", "no_university", "no_recipient"]


@dataclass(frozen=True)
class RequestOutcome:
    """The result of 「申请修改 …」: the committee that received it, when it was sent."""

    status: RequestStatus
    committee: str | None = None


def normalize_code(code: str) -> str:
    """Return the invite code in capitals without spaces and hyphens, as it is hashed."""
    return "".join(char for char in code.upper() if char not in " -\u3000")


def hash_code(code: str) -> str:
    """Return the SHA-256 hex digest of a normalized invite code."""
    return hashlib.sha256(normalize_code(code).encode("utf-8")).hexdigest()


def new_code() -> str:
    """Return a random invite code of INVITE_LENGTH characters from INVITE_ALPHABET."""
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


async def _record(session: AsyncSession, committee: Committee) -> CommitteeRecord:
    parent = None
    if committee.parent_id is not None:
        parent = await session.scalar(select(Committee.name).where(Committee.id == committee.parent_id))
    university = None
    if committee.university_id is not None:
        university = await session.scalar(select(University.name).where(University.id == committee.university_id))
    members = await session.scalar(
        select(func.count()).select_from(CommitteeMember).where(CommitteeMember.committee_id == committee.id)
    )
    return CommitteeRecord(committee.id, committee.name, committee.level, parent, university, int(members or 0))


async def _find(session: AsyncSession, name_or_id: str) -> Committee:
    statement = select(Committee).where(Committee.name == name_or_id.strip())
    if name_or_id.strip().isdigit():
        statement = select(Committee).where(
            or_(Committee.name == name_or_id.strip(), Committee.id == int(name_or_id.strip()))
        )
    committee = await session.scalar(statement)
    if committee is None:
        raise CommitteeError(f"no committee named {name_or_id!r}; `jiedui committees list` shows them")
    return committee


async def _university_id(session: AsyncSession, name_or_code: str) -> int:
    value = name_or_code.strip()
    university_id = await session.scalar(
        select(University.id).where(or_(University.name == value, University.code == value))
    )
    if university_id is None:
        raise CommitteeError(
            f"no university named or coded {value!r}; give the official name or the 10-digit code, "
            "or import it with `jiedui universities import`"
        )
    return university_id


class CommitteeRepository:
    """Reads and writes committees, members, invites, change requests and passcode misses."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, name: str, level: str, *, parent: str | None = None, university: str | None = None
    ) -> CommitteeRecord:
        """Create a committee. A university committee names its university (by name or code); a parent
        must be of a higher level. Raises CommitteeError for an invalid level, parent or university, or
        a name or university that already has a committee."""
        if level not in COMMITTEE_LEVELS:
            raise CommitteeError(f"invalid level {level!r}; expected one of {', '.join(COMMITTEE_LEVELS)}")
        if not name.strip():
            raise CommitteeError("the committee name is empty; give a name such as 北京大学团委")
        if (level == "university") != (university is not None):
            raise CommitteeError("--university is required for a university committee and allowed only there")
        try:
            async with self._db.session() as session, session.begin():
                committee = Committee(name=name.strip(), level=level)
                if parent is not None:
                    parent_row = await _find(session, parent)
                    if parent_row.level not in _PARENT_LEVELS[level]:
                        raise CommitteeError(
                            f"a {level} committee cannot be under the {parent_row.level} committee {parent!r}; "
                            f"its parent must be {' or '.join(_PARENT_LEVELS[level]) or 'none'}"
                        )
                    committee.parent_id = parent_row.id
                if university is not None:
                    committee.university_id = await _university_id(session, university)
                session.add(committee)
                await session.flush()
                record = await _record(session, committee)
        except IntegrityError:
            raise CommitteeError(
                f"committee {name!r} not added: the name, or the university's committee, exists already"
            ) from None
        logger.info("committee added: id=%d level=%s", record.id, level)
        return record

    async def list(self) -> list[CommitteeRecord]:
        """Return every committee, top level first."""
        async with self._db.session() as session:
            committees = list(await session.scalars(select(Committee).order_by(Committee.id)))
            records = [await _record(session, committee) for committee in committees]
        return sorted(records, key=lambda record: (COMMITTEE_LEVELS.index(record.level), record.id))

    async def invite(self, committee: str, *, ttl_s: int = INVITE_TTL_S) -> Invite:
        """Create a one-time invite code for a committee (by name or id) valid for `ttl_s` seconds."""
        if ttl_s <= 0:
            raise CommitteeError(f"invalid invite lifetime {ttl_s} s; expected a positive number of seconds")
        code = new_code()
        async with self._db.session() as session, session.begin():
            row = await _find(session, committee)
            expires_at = utc_now() + dt.timedelta(seconds=ttl_s)
            session.add(CommitteeInvite(committee_id=row.id, code_hash=hash_code(code), expires_at=expires_at))
        logger.info("invite created: committee_id=%d expires_at=%s", row.id, expires_at.isoformat())
        return Invite(code, row.name, expires_at)

    async def bind(self, openid: str, code: str) -> BindOutcome:
        """Make `openid` a member of the committee whose unused, unexpired invite code is `code`."""
        async with self._db.session() as session, session.begin():
            member = await session.scalar(select(CommitteeMember).where(CommitteeMember.openid == openid))
            invite = await session.scalar(select(CommitteeInvite).where(CommitteeInvite.code_hash == hash_code(code)))
            if invite is None:
                return BindOutcome("invalid")
            if member is not None:
                current = await session.get_one(Committee, member.committee_id)
                status: BindStatus = "already_member" if member.committee_id == invite.committee_id else "member_elsewhere"
                return BindOutcome(status, await _record(session, current))
            if invite.used_at is not None:
                return BindOutcome("used")
            if invite.expires_at <= utc_now():
                return BindOutcome("expired")
            claimed = await session.execute(
                update(CommitteeInvite)
                .where(CommitteeInvite.id == invite.id, CommitteeInvite.used_at.is_(None))
                .values(used_at=utc_now(), used_by=openid)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE has rowcount
                return BindOutcome("used")
            session.add(CommitteeMember(committee_id=invite.committee_id, openid=openid))
            await session.flush()
            record = await _record(session, await session.get_one(Committee, invite.committee_id))
        logger.info("committee member bound: committee_id=%d", record.id)
        return BindOutcome("bound", record)

    async def unbind(self, openid: str) -> str | None:
        """End the membership of `openid` and return the committee's name, or None when it had none."""
        async with self._db.session() as session, session.begin():
            member = await session.scalar(select(CommitteeMember).where(CommitteeMember.openid == openid))
            if member is None:
                return None
            name = await session.scalar(select(Committee.name).where(Committee.id == member.committee_id))
            await session.delete(member)
        logger.info("committee member unbound")
        return name

    async def membership(self, openid: str) -> CommitteeRecord | None:
        """Return the committee `openid` is a member of, or None."""
        async with self._db.session() as session:
            member = await session.scalar(select(CommitteeMember).where(CommitteeMember.openid == openid))
            if member is None:
                return None
            return await _record(session, await session.get_one(Committee, member.committee_id))

    async def request_change(self, openid: str, text: str) -> RequestOutcome:
        """Store a cadre's change request and notify the committee of the cadre's latest university.

        When that committee has no member the request goes up to its parent, and then to the
        central administrators, so that someone receives it.
        """
        async with self._db.session() as session, session.begin():
            cadre = await session.scalar(select(Cadre).where(Cadre.openid == openid))
            if cadre is None:
                return RequestOutcome("not_cadre")
            university_id = await session.scalar(
                select(Pairing.university_id)
                .where(Pairing.cadre_id == cadre.id)
                .order_by(Pairing.created_at.desc(), Pairing.id.desc())
                .limit(1)
            )
            if university_id is None:
                return RequestOutcome("no_university")
            committee = await self._recipient_committee(session, university_id)
            if committee is None:
                return RequestOutcome("no_recipient")
            session.add(ChangeRequest(cadre_id=cadre.id, committee_id=committee.id, text=text))
            sender = f"{cadre.name or '团干部'} {cadre.phone}"
            university = await session.scalar(select(University.name).where(University.id == university_id))
            values = (sender, text, university or "", beijing_time(utc_now()))
            await notify_committee(session, committee.id, CHANGE_REQUEST, values)
        logger.info("change request sent: committee_id=%d", committee.id)
        return RequestOutcome("sent", committee.name)

    async def _recipient_committee(self, session: AsyncSession, university_id: int) -> Committee | None:
        committee = await session.scalar(select(Committee).where(Committee.university_id == university_id))
        while committee is not None:
            if await member_openids(session, committee.id):
                return committee
            if committee.parent_id is None:
                break
            committee = await session.get(Committee, committee.parent_id)
        return await _central_with_members(session)

    async def record_passcode_miss(self, openid: str, text: str) -> int:
        """Count a passcode that matched no university and return the consecutive misses so far.

        At PASSCODE_MISSES_TO_NOTIFY misses, the central administrators are notified with the text
        typed and the cadre's phone, and the count starts again.
        """
        async with self._db.session() as session, session.begin():
            row = await session.scalar(select(PasscodeMiss).where(PasscodeMiss.openid == openid))
            if row is None:
                row = PasscodeMiss(openid=openid, misses=0, last_text=text)
                session.add(row)
            row.misses += 1
            row.last_text = text
            row.updated_at = utc_now()
            misses = row.misses
            if misses >= PASSCODE_MISSES_TO_NOTIFY:
                await self._notify_central(session, openid, text, misses)
                row.misses = 0
        return misses

    async def clear_passcode_misses(self, openid: str) -> None:
        """Reset the consecutive misses of `openid` after a passcode that matched."""
        async with self._db.session() as session, session.begin():
            await session.execute(
                update(PasscodeMiss).where(PasscodeMiss.openid == openid, PasscodeMiss.misses > 0).values(misses=0)
            )

    async def _notify_central(self, session: AsyncSession, openid: str, text: str, misses: int) -> None:
        phone = await session.scalar(select(Cadre.phone).where(Cadre.openid == openid))
        central_ids = await session.scalars(select(Committee.id).where(Committee.level == "central"))
        values = (text, phone or "未绑定", f"连续{misses}次", beijing_time(utc_now()))
        for committee_id in list(central_ids):
            await notify_committee(session, committee_id, PASSCODE_FAILED, values)


async def _central_with_members(session: AsyncSession) -> Committee | None:
    for committee in await session.scalars(select(Committee).where(Committee.level == "central")):
        if await member_openids(session, committee.id):
            return committee
    return None
