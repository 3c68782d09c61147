"""Tests of EmploymentRepository.update_employment: page replacement, history rows and the filing rules."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select, update

from store.db import Database
from store.errors import StudentNotFound, TooManyOffers
from store.models import Pairing, Student
from store.models_history import EmploymentHistory
from store.records import (
    ChoiceAnswer,
    EmploymentRecord,
    OfferRecord,
    PairingSubmission,
    PostingRecord,
    StudentDetail,
    StudentRecord,
)
from store.repositories import CadreRepository, EmploymentRepository, PairingRepository, StudentRepository

MakeStudent = Callable[..., StudentRecord]
MakeSubmission = Callable[..., PairingSubmission]
CountRows = Callable[[Database], Awaitable[dict[str, int]]]

PAGE_FIELDS = (
    "support_measures",
    "recommend_channels",
    "postings_recommended",
    "postings",
    "has_offer",
    "offers",
    "final_employment",
)


@dataclass
class Paired:
    """One stored student of cadre 13800000001, and the repositories to change and read it."""

    db: Database
    cadre_id: int
    student_id: int
    employment: EmploymentRepository
    students: StudentRepository

    async def detail(self) -> StudentDetail:
        detail = await self.students.get_student(self.cadre_id, self.student_id)
        assert detail is not None
        return detail

    async def update(self, **changes: Any) -> int:
        """Call update_employment with the stored pages, changed by `changes`."""
        record = (await self.detail()).record
        pages = {name: getattr(record, name) for name in PAGE_FIELDS}
        pages.update(changes)
        return await self.employment.update_employment(self.cadre_id, self.student_id, **pages)


@pytest.fixture
async def paired(loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission) -> Paired:
    result = await PairingRepository(loaded_db).submit(make_submission(make_student("13700000001")))
    cadre = await CadreRepository(loaded_db).get_by_phone("13800000001")
    assert cadre is not None
    return Paired(
        db=loaded_db,
        cadre_id=cadre.id,
        student_id=result.student_ids[0],
        employment=EmploymentRepository(loaded_db),
        students=StudentRepository(loaded_db),
    )


async def _student_updated_at(db: Database, student_id: int) -> dt.datetime:
    async with db.session() as session:
        value = await session.scalar(select(Student.updated_at).where(Student.id == student_id))
    assert value is not None
    return value


async def test_unchanged_pages_write_nothing(paired: Paired, count_rows: CountRows) -> None:
    counts = await count_rows(paired.db)
    updated_at = await _student_updated_at(paired.db, paired.student_id)

    changed = await paired.update()

    assert changed == 0
    assert await count_rows(paired.db) == counts
    assert await paired.students.history(paired.student_id) == []
    assert await _student_updated_at(paired.db, paired.student_id) == updated_at


async def test_update_writes_one_history_row_per_field(paired: Paired) -> None:
    updated_at = await _student_updated_at(paired.db, paired.student_id)

    changed = await paired.update(
        support_measures=ChoiceAnswer(("简历指导", "其他"), other="心理疏导"),
        postings=(PostingRecord("甲公司", "后端工程师", "北京市"),),
        final_employment=EmploymentRecord("甲公司", "高级后端工程师", dt.date(2025, 8, 1)),
    )

    rows = await paired.students.history(paired.student_id)
    assert changed == 3
    assert [row.field for row in rows] == ["support_measures", "postings", "final_employment"]
    assert rows[0].old_value == {"options": ["简历指导", "模拟面试"], "other": None}
    assert rows[0].new_value == {"options": ["简历指导", "其他"], "other": "心理疏导"}
    assert rows[1].old_value == [
        {"employer": "甲公司", "position": "后端工程师", "location": "北京市"},
        {"employer": "乙公司", "position": "测试工程师", "location": "天津市"},
    ]
    assert rows[1].new_value == [{"employer": "甲公司", "position": "后端工程师", "location": "北京市"}]
    assert rows[2].old_value == {"employer": "甲公司", "position": "后端工程师", "start_date": "2025-07-01"}
    assert rows[2].new_value == {"employer": "甲公司", "position": "高级后端工程师", "start_date": "2025-08-01"}
    assert {row.author for row in rows} == {"cadre"}
    assert {row.author_cadre_id for row in rows} == {paired.cadre_id}
    assert len({row.changed_at for row in rows}) == 1
    assert rows[0].changed_at.tzinfo is not None
    assert await _student_updated_at(paired.db, paired.student_id) > updated_at


async def test_update_stores_new_pages(paired: Paired) -> None:
    offers = (
        OfferRecord("丁公司", "产品经理", True, "考虑中"),
        OfferRecord("戊公司", "测试工程师", False, "其他", "等待体检结果"),
    )
    await paired.update(
        recommend_channels=ChoiceAnswer(("线上推送", "校园招聘会")),
        postings_recommended=False,
        postings=(),
        offers=offers,
        final_employment=None,
    )

    record = (await paired.detail()).record
    assert record.recommend_channels == ChoiceAnswer(("线上推送", "校园招聘会"))
    assert record.support_measures == ChoiceAnswer(("简历指导", "模拟面试"))
    assert (record.postings_recommended, record.postings) == (False, ())
    assert record.offers == offers
    assert record.final_employment is None


async def test_update_keeps_basic_info(paired: Paired) -> None:
    before = (await paired.detail()).record

    await paired.update(has_offer=False, offers=(), final_employment=None)

    after = (await paired.detail()).record
    assert after.has_offer is False
    for name in ("name", "phone", "major", "department", "difficulty_types", "branch_recommend_forms"):
        assert getattr(after, name) == getattr(before, name)


async def test_update_history_is_json_text(paired: Paired) -> None:
    await paired.update(has_offer=False, offers=(), final_employment=None)

    async with paired.db.session() as session:
        rows = (
            await session.scalars(select(EmploymentHistory).order_by(EmploymentHistory.id))
        ).all()
    assert [row.field for row in rows] == ["has_offer", "offers", "final_employment"]
    assert [(row.old_value, row.new_value) for row in rows[:1]] == [("true", "false")]
    assert json.loads(rows[1].old_value)[0]["company"] == "甲公司"
    assert rows[1].new_value == "[]"
    assert rows[2].new_value == "null"


async def test_update_moves_signed_offer_first(paired: Paired) -> None:
    offers = (
        OfferRecord("丁公司", "产品经理", False, "考虑中"),
        OfferRecord("戊公司", "后端工程师", False, "已签约"),
        OfferRecord("己公司", "测试工程师", False, "已拒绝"),
    )

    await paired.update(offers=offers)

    stored = (await paired.detail()).record.offers
    assert [o.company for o in stored] == ["戊公司", "丁公司", "己公司"]
    rows = await paired.students.history(paired.student_id)
    assert [o["company"] for o in rows[-1].new_value] == ["戊公司", "丁公司", "己公司"]


async def test_update_accepts_ten_offers(paired: Paired) -> None:
    offers = tuple(OfferRecord(f"公司{n}", "工程师", False, "考虑中") for n in range(1, 11))

    await paired.update(offers=offers)

    assert len((await paired.detail()).record.offers) == 10


async def test_update_rejects_eleven_offers(paired: Paired, count_rows: CountRows) -> None:
    counts = await count_rows(paired.db)
    offers = tuple(OfferRecord(f"公司{n}", "工程师", False, "考虑中") for n in range(1, 12))

    with pytest.raises(TooManyOffers) as caught:
        await paired.update(offers=offers, support_measures=ChoiceAnswer(("简历指导",)))

    assert (caught.value.student_id, caught.value.limit) == (paired.student_id, 10)
    assert await count_rows(paired.db) == counts
    assert (await paired.detail()).record.support_measures == ChoiceAnswer(("简历指导", "模拟面试"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"support_measures": ChoiceAnswer(("简历指导", "简历指导"))}, "more than once"),
        ({"recommend_channels": ChoiceAnswer(("线上推送",), other="朋友圈")}, "其他 option is not selected"),
        ({"postings_recommended": False}, "postings_recommended is False"),
        ({"has_offer": False}, "has_offer is False"),
        ({"has_offer": False, "offers": ()}, "has_offer is False"),
        ({"offers": (), "final_employment": None}, "no offer is given"),
        ({"offers": (OfferRecord("甲公司", "后端工程师", False, "已入职"),)}, "status '已入职'"),
        ({"offers": (OfferRecord(" ", "后端工程师", False, "考虑中"),)}, "empty company"),
    ],
)
async def test_update_rejects_invalid_pages(
    paired: Paired, count_rows: CountRows, changes: dict[str, Any], message: str
) -> None:
    counts = await count_rows(paired.db)

    with pytest.raises(ValueError, match=message):
        await paired.update(**changes)

    assert await count_rows(paired.db) == counts


async def test_update_rejects_unknown_author(paired: Paired) -> None:
    record = (await paired.detail()).record
    pages = {name: getattr(record, name) for name in PAGE_FIELDS}
    with pytest.raises(ValueError, match="author 'robot'"):
        await paired.employment.update_employment(paired.cadre_id, paired.student_id, author="robot", **pages)


@pytest.mark.parametrize("author", ["import", "committee"])
async def test_update_by_import_or_committee_has_no_cadre(paired: Paired, author: str) -> None:
    record = (await paired.detail()).record
    pages: dict[str, Any] = {name: getattr(record, name) for name in PAGE_FIELDS}
    pages["postings_recommended"] = False
    pages["postings"] = ()

    changed = await paired.employment.update_employment(
        paired.cadre_id, paired.student_id, author=author, **pages
    )

    rows = await paired.students.history(paired.student_id)
    assert changed == 2
    assert {row.author for row in rows} == {author}
    assert {row.author_cadre_id for row in rows} == {None}


async def test_update_hides_other_cadres_student(
    paired: Paired, make_student: MakeStudent, make_submission: MakeSubmission, count_rows: CountRows
) -> None:
    other = await PairingRepository(paired.db).submit(
        make_submission(make_student("13700000002"), key="k2", cadre_phone="13800000002")
    )
    record = (await paired.detail()).record
    pages = {name: getattr(record, name) for name in PAGE_FIELDS}
    counts = await count_rows(paired.db)

    with pytest.raises(StudentNotFound) as caught:
        await paired.employment.update_employment(paired.cadre_id, other.student_ids[0], **pages)

    assert (caught.value.cadre_id, caught.value.student_id) == (paired.cadre_id, other.student_ids[0])
    assert await count_rows(paired.db) == counts


async def test_update_hides_deleted_pairing(paired: Paired, count_rows: CountRows) -> None:
    record = (await paired.detail()).record
    pages = {name: getattr(record, name) for name in PAGE_FIELDS}
    pages["has_offer"], pages["offers"], pages["final_employment"] = False, (), None
    async with paired.db.session() as session, session.begin():
        await session.execute(
            update(Pairing)
            .where(Pairing.student_id == paired.student_id)
            .values(deleted_at=dt.datetime.now(dt.UTC))
        )
    counts = await count_rows(paired.db)

    with pytest.raises(StudentNotFound):
        await paired.employment.update_employment(paired.cadre_id, paired.student_id, **pages)

    assert await count_rows(paired.db) == counts


async def test_update_twice_records_both_changes(paired: Paired) -> None:
    await paired.update(postings_recommended=False, postings=())
    await paired.update(postings_recommended=True, postings=(PostingRecord("庚公司", "运营", "上海市"),))

    rows = await paired.students.history(paired.student_id)

    assert [row.field for row in rows] == ["postings_recommended", "postings"] * 2
    assert [(row.old_value, row.new_value) for row in rows if row.field == "postings_recommended"] == [
        (True, False),
        (False, True),
    ]
    assert rows[3].old_value == []
    assert rows[3].new_value == [{"employer": "庚公司", "position": "运营", "location": "上海市"}]
    assert rows[0].changed_at <= rows[2].changed_at
