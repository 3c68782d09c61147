"""One-time SMS codes: issuing them under the rate limits, and binding a phone when a code is right.

The rules: a code has 6 digits, expires CODE_TTL_S after it is sent, and dies after
MAX_FAILED_ATTEMPTS wrong entries. A phone gets a new code at most every RESEND_AFTER_S seconds, and
each phone and each OpenID gets a configurable number of codes per calendar day in China Standard
Time. Only the newest code of an OpenID and phone can be entered. Everything lives in SQL, so the
limits hold across worker processes and on the embedded SQLite default.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Database
from store.models import utc_now
from store.models_binding import VerificationCode
from store.repo_cadres import BindResult, bind_in_session

logger = logging.getLogger("jiedui.store")

CODE_DIGITS = 6
CODE_TTL_S = 300
MAX_FAILED_ATTEMPTS = 5
RESEND_AFTER_S = 60
RETENTION_S = 2 * 86400
"""Age after which code rows are deleted; the daily limits need only the current day."""

LIMIT_DAY_ZONE = dt.timezone(dt.timedelta(hours=8), "CST")
"""The daily limits restart at midnight China Standard Time (UTC+8, no daylight saving)."""

IssueStatus = Literal["issued", "wait", "phone_limit", "openid_limit"]
CheckStatus = Literal["bound", "wrong", "exhausted", "expired", "missing"]


@dataclass(frozen=True)
class IssuedCode:
    """The result of a code request.

    `issued`: `code` is the plain code to send and `code_id` its row. `wait`: the phone got a code
    less than RESEND_AFTER_S ago and `wait_s` seconds remain. `own_code_pending` is True when that
    code was sent for this OpenID and can still be entered. `phone_limit` and `openid_limit`: the
    daily limit of the phone or of the OpenID is reached.
    """

    status: IssueStatus
    code: str | None = None
    code_id: int | None = None
    wait_s: int = 0
    own_code_pending: bool = False


@dataclass(frozen=True)
class CodeCheck:
    """The result of entering a code; `binding` is set when the status is `bound`.

    `wrong` counts the attempt and gives the `tries_left` (0 means the code is now dead), `exhausted`
    means the code was dead already, and `missing` that no unused code was sent for this OpenID and phone.
    """

    status: CheckStatus
    tries_left: int = 0
    binding: BindResult | None = None


def hash_code(key: bytes, salt: str, phone: str, code: str) -> str:
    """Return the hex HMAC-SHA256 of a code under the server key, bound to the row's salt and the phone."""
    return hmac.new(key, f"{salt}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def start_of_day(moment: dt.datetime) -> dt.datetime:
    """Return the UTC time of the last midnight in China Standard Time before `moment`."""
    local = moment.astimezone(LIMIT_DAY_ZONE)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def new_code() -> str:
    """Return a random 6-digit code from `secrets`."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _newest(openid: str | None, phone: str) -> Select[VerificationCode]:
    """Select the newest code row of a phone, for one OpenID or any."""
    statement = select(VerificationCode).where(VerificationCode.phone == phone)
    if openid is not None:
        statement = statement.where(VerificationCode.openid == openid)
    return statement.order_by(VerificationCode.sent_at.desc(), VerificationCode.id.desc()).limit(1)


class CodeRepository:
    """Issues and checks verification codes; each method runs in its own transaction.

    `key` is the server-side HMAC key (empty leaves only the per-row salt). `fixed_code`, when set,
    replaces the random code; it exists for development with the log sender only.
    """

    def __init__(
        self,
        db: Database,
        *,
        key: bytes,
        daily_limit_per_phone: int,
        daily_limit_per_openid: int,
        fixed_code: str | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._db = db
        self._key = key
        self.daily_limit_per_phone = daily_limit_per_phone
        self.daily_limit_per_openid = daily_limit_per_openid
        self._fixed_code = fixed_code
        self._clock = clock

    async def issue(self, openid: str, phone: str) -> IssuedCode:
        """Create a code for `openid` to bind `phone`, unless a limit or the resend wait forbids it."""
        now = self._clock()
        async with self._db.session() as session, session.begin():
            await session.execute(
                delete(VerificationCode).where(
                    VerificationCode.sent_at < now - dt.timedelta(seconds=RETENTION_S)
                )
            )
            rejected = await self._rejection(session, openid, phone, now)
            if rejected is not None:
                return rejected
            code = self._fixed_code or new_code()
            salt = secrets.token_hex(16)
            row = VerificationCode(
                openid=openid,
                phone=phone,
                salt=salt,
                code_hash=hash_code(self._key, salt, phone, code),
                sent_at=now,
                expires_at=now + dt.timedelta(seconds=CODE_TTL_S),
                failed_attempts=0,
            )
            session.add(row)
            await session.flush()
            code_id = row.id
        logger.info("verification code issued: code_id=%d", code_id)
        return IssuedCode("issued", code=code, code_id=code_id)

    async def _rejection(
        self, session: AsyncSession, openid: str, phone: str, now: dt.datetime
    ) -> IssuedCode | None:
        day_start = start_of_day(now)
        sent_today = (
            select(func.count()).select_from(VerificationCode).where(VerificationCode.sent_at >= day_start)
        )
        phone_count = await session.scalar(sent_today.where(VerificationCode.phone == phone))
        if (phone_count or 0) >= self.daily_limit_per_phone:
            logger.info("verification code rejected: daily limit of the phone reached")
            return IssuedCode("phone_limit")
        openid_count = await session.scalar(sent_today.where(VerificationCode.openid == openid))
        if (openid_count or 0) >= self.daily_limit_per_openid:
            logger.info("verification code rejected: daily limit of the OpenID reached")
            return IssuedCode("openid_limit")
        # NOTE: two OpenIDs requesting the same phone at the same moment can both pass this wait, since
        # each request holds only its own OpenID's lock; the daily limit of the phone still applies.
        last = await session.scalar(_newest(None, phone))
        if last is None:
            return None
        elapsed_s = (now - last.sent_at).total_seconds()
        if elapsed_s >= RESEND_AFTER_S:
            return None
        own = last.openid == openid and _usable(last, now)
        return IssuedCode("wait", wait_s=max(1, math.ceil(RESEND_AFTER_S - elapsed_s)), own_code_pending=own)

    async def discard(self, code_id: int) -> None:
        """Delete a code whose SMS could not be sent, so that it neither counts nor blocks a resend."""
        async with self._db.session() as session, session.begin():
            await session.execute(delete(VerificationCode).where(VerificationCode.id == code_id))

    async def verify(self, openid: str, phone: str, code: str) -> CodeCheck:
        """Check `code` against the newest code sent for `openid` and `phone`, and bind the phone if right.

        The code is marked used and the phone bound in one transaction, so a code binds at most once.
        """
        try:
            return await self._verify(openid, phone, code)
        except IntegrityError:
            logger.warning("phone binding hit a concurrent change; retrying the code check once")
            return await self._verify(openid, phone, code)

    async def _verify(self, openid: str, phone: str, code: str) -> CodeCheck:
        now = self._clock()
        async with self._db.session() as session, session.begin():
            row = await session.scalar(_newest(openid, phone).with_for_update())
            if row is None or row.used_at is not None:
                return CodeCheck("missing")
            if row.failed_attempts >= MAX_FAILED_ATTEMPTS:
                return CodeCheck("exhausted")
            if now >= row.expires_at:
                return CodeCheck("expired")
            expected = row.code_hash
            if not hmac.compare_digest(hash_code(self._key, row.salt, phone, code), expected):
                row.failed_attempts += 1
                logger.info("verification code wrong: code_id=%d attempts=%d", row.id, row.failed_attempts)
                return CodeCheck("wrong", tries_left=MAX_FAILED_ATTEMPTS - row.failed_attempts)
            row.used_at = now
            binding = await bind_in_session(session, openid, phone)
        return CodeCheck("bound", binding=binding)


def _usable(row: VerificationCode, now: dt.datetime) -> bool:
    return row.used_at is None and row.failed_attempts < MAX_FAILED_ATTEMPTS and now < row.expires_at
