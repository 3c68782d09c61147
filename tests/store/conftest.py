"""Fixtures of the SQL store tests: a migrated database on SQLite and PostgreSQL, and record builders."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from store.db import Database, upgrade
from store.models import Base
from store.records import (
    ChoiceAnswer,
    EmploymentRecord,
    OfferRecord,
    PairingSubmission,
    PostingRecord,
    StudentRecord,
)
from store.universities import ensure_loaded

PEKING_UNIVERSITY = "4111010001"
"""北京大学 in the packaged list."""


@pytest_asyncio.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """Yield a Database whose schema is migrated to head, on SQLite and on PostgreSQL."""
    await upgrade(database_url)
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest_asyncio.fixture
async def loaded_db(db: Database) -> Database:
    """Return the migrated database with the packaged universities list loaded."""
    await ensure_loaded(db)
    return db


async def _count_rows(db: Database) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with db.session() as session:
        for table in Base.metadata.sorted_tables:
            counts[table.name] = int(await session.scalar(select(func.count()).select_from(table)) or 0)
    return counts


@pytest.fixture
def count_rows() -> Callable[[Database], Awaitable[dict[str, int]]]:
    """Return a function counting the rows of every table, by table name."""
    return _count_rows


def _make_student(phone: str, **changes: Any) -> StudentRecord:
    student = StudentRecord(
        name="张三",
        gender="男",
        phone=phone,
        department="信息科学技术学院",
        major="计算机科学与技术",
        degree_level="本科",
        graduation_year=2025,
        difficulty_types=ChoiceAnswer(("家庭经济困难", "其他"), other="单亲家庭"),
        policy_guaranteed=True,
        job_seeking=True,
        intended_industry="互联网",
        intended_position="后端开发",
        intended_region="北京市",
        branch_recommended=True,
        branch_name="计算机系2025届团支部",
        branch_secretary_name="李四",
        branch_secretary_phone="13900000000",
        branch_recommend_forms=ChoiceAnswer(("岗位推荐",)),
        support_measures=ChoiceAnswer(("简历指导", "模拟面试")),
        recommend_channels=ChoiceAnswer(("线上推送",)),
        postings_recommended=True,
        postings=(
            PostingRecord("甲公司", "后端工程师", "北京市"),
            PostingRecord("乙公司", "测试工程师", "天津市"),
        ),
        has_offer=True,
        offers=(
            OfferRecord("甲公司", "后端工程师", branch_recommended=True, status="已签约"),
            OfferRecord("丙公司", "运维工程师", branch_recommended=False, status="其他", status_other="待定"),
        ),
        final_employment=EmploymentRecord("甲公司", "后端工程师", dt.date(2025, 7, 1)),
    )
    return replace(student, **changes)


@pytest.fixture
def make_student() -> Callable[..., StudentRecord]:
    """Return a builder of complete student records: `make_student(phone, **changed_fields)`."""
    return _make_student


@pytest.fixture
def make_submission() -> Callable[..., PairingSubmission]:
    """Return a builder of submissions from a cadre phone, students and a key."""

    def build(
        *students: StudentRecord,
        key: str = "draft-1",
        cadre_phone: str = "13800000001",
        cadre_name: str = "王老师",
        openid: str = "openid-cadre-1",
        university_code: str = PEKING_UNIVERSITY,
    ) -> PairingSubmission:
        return PairingSubmission(
            openid=openid,
            cadre_phone=cadre_phone,
            cadre_name=cadre_name,
            cadre_title="团委书记",
            cadre_identity="教师",
            university_code=university_code,
            students=students,
            submission_key=key,
        )

    return build
