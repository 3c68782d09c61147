"""Tests of CodeRepository: the code rules on a controlled clock, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from store.db import Database
from store.models_binding import VerificationCode
from store.repo_binding import (
    CODE_TTL_S,
    MAX_FAILED_ATTEMPTS,
    RESEND_AFTER_S,
    CodeRepository,
    hash_code,
    start_of_day,
)
from store.repositories import CadreRepository

PHONE = "13800001111"
KEY = b"k" * 32


class Clock:
    """A settable UTC clock."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    # 2026-12-05 10:00 in China Standard Time.
    return Clock(dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.UTC))


def codes(db: Database, clock: Clock, *, per_phone: int = 10, per_openid: int = 10) -> CodeRepository:
    return CodeRepository(
        db, key=KEY, daily_limit_per_phone=per_phone, daily_limit_per_openid=per_openid, clock=clock
    )


async def _rows(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(VerificationCode)) or 0)


def test_day_starts_at_midnight_china_time() -> None:
    late_evening = dt.datetime(2026, 12, 5, 15, 59, tzinfo=dt.UTC)
    just_after_midnight = dt.datetime(2026, 12, 5, 16, 1, tzinfo=dt.UTC)

    assert start_of_day(late_evening) == dt.datetime(2026, 12, 4, 16, 0, tzinfo=dt.UTC)
    assert start_of_day(just_after_midnight) == dt.datetime(2026, 12, 5, 16, 0, tzinfo=dt.UTC)


def test_hash_depends_on_key_salt_and_phone() -> None:
    base = hash_code(KEY, "salt", PHONE, "123456")

    assert base != hash_code(b"other-key", "salt", PHONE, "123456")
    assert base != hash_code(KEY, "other-salt", PHONE, "123456")
    assert base != hash_code(KEY, "salt", "13900002222", "123456")
    assert "123456" not in base


async def test_issue_then_verify_binds(db: Database, clock: Clock) -> None:
    repository = codes(db, clock)
    issued = await repository.issue("openid-a", PHONE)
    assert issued.status == "issued"
    assert issued.code is not None and len(issued.code) == 6

    check = await repository.verify("openid-a", PHONE, issued.code)

    assert check.status == "bound"
    assert check.binding is not None and check.binding.created
    profile = await CadreRepository(db).get_by_openid("openid-a")
    assert profile is not None and profile.phone == PHONE
    assert (await repository.verify("openid-a", PHONE, issued.code)).status == "missing"


async def test_code_of_other_openid_does_not_bind(db: Database, clock: Clock) -> None:
    repository = codes(db, clock)
    issued = await repository.issue("openid-a", PHONE)
    assert issued.code is not None

    check = await repository.verify("openid-b", PHONE, issued.code)

    assert check.status == "missing"
    assert await CadreRepository(db).get_by_phone(PHONE) is None


async def test_expiry_tries_and_resend(db: Database, clock: Clock) -> None:
    repository = codes(db, clock)
    issued = await repository.issue("openid-a", PHONE)
    assert issued.code is not None
    wrong = "000000" if issued.code != "000000" else "111111"

    results = [await repository.verify("openid-a", PHONE, wrong) for _ in range(MAX_FAILED_ATTEMPTS)]
    assert [r.tries_left for r in results] == [4, 3, 2, 1, 0]
    assert (await repository.verify("openid-a", PHONE, issued.code)).status == "exhausted"

    clock.advance(RESEND_AFTER_S - 1)
    waiting = await repository.issue("openid-a", PHONE)
    assert waiting.status == "wait"
    assert waiting.wait_s == 1
    assert waiting.own_code_pending is False

    clock.advance(1)
    fresh = await repository.issue("openid-a", PHONE)
    assert fresh.status == "issued" and fresh.code is not None
    clock.advance(CODE_TTL_S)
    assert (await repository.verify("openid-a", PHONE, fresh.code)).status == "expired"


async def test_daily_limits_reset_at_midnight(db: Database, clock: Clock) -> None:
    repository = codes(db, clock, per_phone=2, per_openid=3)
    for _ in range(2):
        assert (await repository.issue("openid-a", PHONE)).status == "issued"
        clock.advance(RESEND_AFTER_S)
    assert (await repository.issue("openid-b", PHONE)).status == "phone_limit"
    assert (await repository.issue("openid-a", "13900002222")).status == "issued"
    assert (await repository.issue("openid-a", "13700003333")).status == "openid_limit"

    clock.now = dt.datetime(2026, 12, 5, 16, 0, tzinfo=dt.UTC)

    assert (await repository.issue("openid-a", PHONE)).status == "issued"


async def test_discarded_code_neither_counts_nor_blocks(db: Database, clock: Clock) -> None:
    repository = codes(db, clock, per_phone=1)
    issued = await repository.issue("openid-a", PHONE)
    assert issued.code_id is not None

    await repository.discard(issued.code_id)

    assert await _rows(db) == 0
    assert (await repository.issue("openid-a", PHONE)).status == "issued"


async def test_old_rows_are_deleted(db: Database, clock: Clock) -> None:
    repository = codes(db, clock)
    await repository.issue("openid-a", PHONE)
    clock.advance(3 * 86400)

    await repository.issue("openid-b", "13900002222")

    assert await _rows(db) == 1


async def test_fixed_code_is_still_hashed(db: Database, clock: Clock) -> None:
    repository = CodeRepository(
        db, key=b"", daily_limit_per_phone=10, daily_limit_per_openid=10, fixed_code="246810", clock=clock
    )
    issued = await repository.issue("openid-a", PHONE)
    assert issued.code == "246810"
    async with db.session() as session:
        row = await session.scalar(select(VerificationCode))
    assert row is not None and "246810" not in row.code_hash

    assert (await repository.verify("openid-a", PHONE, "246810")).status == "bound"
