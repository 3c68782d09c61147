"""Tests of the offer rules and EmploymentRepository.record_offer, the store side of a quick update."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import update

from store.db import Database, upgrade
from store.errors import StudentNotFound, TooManyOffers
from store.models import Pairing
from store.offer_rules import OFFERS_MAX, company_key, find_offer, place_offer, signed_first
from store.records import EmploymentRecord, OfferRecord, PairingSubmission, StudentDetail, StudentRecord
from store.repositories import CadreRepository, EmploymentRepository, PairingRepository, StudentRepository
from store.universities import ensure_loaded

MakeStudent = Callable[..., StudentRecord]
MakeSubmission = Callable[..., PairingSubmission]
CountRows = Callable[[Database], Awaitable[dict[str, int]]]


def _offer(company: str, status: str = "考虑中", position: str = "工程师") -> OfferRecord:
    return OfferRecord(company, position, branch_recommended=False, status=status)


# The pure rules.


@pytest.mark.parametrize(
    ("left", "right"),
    [("字节跳动", "字节 跳动"), ("ＡＢＣ科技", "abc科技"), ("Tencent", " tencent "), ("华为\u3000技术", "华为技术")],
)
def test_company_key_matches_variants(left: str, right: str) -> None:
    assert company_key(left) == company_key(right)


def test_company_key_keeps_distinct_names() -> None:
    assert company_key("华为") != company_key("华为技术")


def test_find_offer_returns_first_match() -> None:
    offers = [_offer("甲公司"), _offer("乙 公司"), _offer("乙公司")]
    assert find_offer(offers, "乙公司") == 1
    assert find_offer(offers, "丙公司") is None


def test_signed_first_moves_first_signed() -> None:
    offers = [_offer("甲"), _offer("乙", "已签约"), _offer("丙", "已签约")]
    assert [o.company for o in signed_first(offers)] == ["乙", "甲", "丙"]


def test_signed_first_keeps_signed_offer_one() -> None:
    offers = [_offer("甲", "已签约"), _offer("乙"), _offer("丙", "已签约")]
    assert [o.company for o in signed_first(offers)] == ["甲", "乙", "丙"]
    assert [o.company for o in signed_first(offers, prefer=2)] == ["丙", "甲", "乙"]


def test_signed_first_without_signed_keeps_order() -> None:
    offers = [_offer("甲"), _offer("乙")]
    assert signed_first(offers) == offers
    assert signed_first([]) == []


def test_place_offer_tracks_equal_offers() -> None:
    listed = (_offer("甲", "已签约"), _offer("乙"))
    placement = place_offer(listed, _offer("乙"), student_id=1)
    assert (placement.added, placement.index_before, placement.index) == (False, 1, 1)
    assert placement.previous == _offer("乙")


def test_place_offer_rejects_eleventh() -> None:
    listed = tuple(_offer(f"公司{n}") for n in range(OFFERS_MAX))
    with pytest.raises(TooManyOffers):
        place_offer(listed, _offer("新公司"), student_id=7)
    assert place_offer(listed, _offer("公司3", "已签约"), student_id=7).index == 0


# The repository.


@dataclass
class Paired:
    """One stored student of cadre 13800000001 without offers, and the repositories around it."""

    db: Database
    cadre_id: int
    student_id: int
    employment: EmploymentRepository
    students: StudentRepository

    async def detail(self) -> StudentDetail:
        detail = await self.students.get_student(self.cadre_id, self.student_id)
        assert detail is not None
        return detail

    async def companies(self) -> list[str]:
        return [offer.company for offer in (await self.detail()).record.offers]


async def _pair(db: Database, make_student: MakeStudent, make_submission: MakeSubmission) -> Paired:
    student = make_student("13700000001", has_offer=False, offers=(), final_employment=None)
    result = await PairingRepository(db).submit(make_submission(student))
    cadre = await CadreRepository(db).get_by_phone("13800000001")
    assert cadre is not None
    return Paired(db, cadre.id, result.student_ids[0], EmploymentRepository(db), StudentRepository(db))


@pytest.fixture
async def paired(loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission) -> Paired:
    return await _pair(loaded_db, make_student, make_submission)


async def test_first_offer_sets_has_offer(paired: Paired) -> None:
    change = await paired.employment.record_offer(
        paired.cadre_id, paired.student_id, _offer("腾讯", position="后端开发")
    )

    record = (await paired.detail()).record
    rows = await paired.students.history(paired.student_id)
    assert (change.added, change.position, change.moved_to_first, change.previous) == (True, 1, False, None)
    assert change.changed_fields == 2
    assert record.has_offer is True
    assert record.offers == (_offer("腾讯", position="后端开发"),)
    assert [row.field for row in rows] == ["has_offer", "offers"]
    assert (rows[0].old_value, rows[0].new_value) == (False, True)
    assert rows[1].old_value == []
    assert rows[1].new_value == [
        {
            "company": "腾讯",
            "position": "后端开发",
            "branch_recommended": False,
            "status": "考虑中",
            "status_other": None,
        }
    ]
    assert {row.author_cadre_id for row in rows} == {paired.cadre_id}


async def test_offer_for_listed_company_updates_it(paired: Paired) -> None:
    employment = paired.employment
    await employment.record_offer(paired.cadre_id, paired.student_id, _offer("字节跳动", position="产品经理"))
    await employment.record_offer(paired.cadre_id, paired.student_id, _offer("京东"))

    change = await employment.record_offer(
        paired.cadre_id, paired.student_id, _offer("字节 跳动", "已拒绝", position="产品经理")
    )

    offers = (await paired.detail()).record.offers
    rows = await paired.students.history(paired.student_id)
    assert (change.added, change.position, change.moved_to_first) == (False, 1, False)
    assert change.previous == _offer("字节跳动", position="产品经理")
    assert change.changed_fields == 1
    assert [(o.company, o.status) for o in offers] == [("字节 跳动", "已拒绝"), ("京东", "考虑中")]
    assert rows[-1].field == "offers"
    assert [o["status"] for o in rows[-1].old_value] == ["考虑中", "考虑中"]
    assert [o["status"] for o in rows[-1].new_value] == ["已拒绝", "考虑中"]


async def test_update_without_position_keeps_listed_one(paired: Paired) -> None:
    employment = paired.employment
    await employment.record_offer(paired.cadre_id, paired.student_id, _offer("华为", position="测试工程师"))

    await employment.record_offer(paired.cadre_id, paired.student_id, _offer("华为", "已接受未签约", position=""))

    offers = (await paired.detail()).record.offers
    assert offers == (_offer("华为", "已接受未签约", position="测试工程师"),)


async def test_same_offer_again_changes_nothing(paired: Paired, count_rows: CountRows) -> None:
    employment = paired.employment
    await employment.record_offer(paired.cadre_id, paired.student_id, _offer("腾讯"))
    counts = await count_rows(paired.db)

    change = await employment.record_offer(paired.cadre_id, paired.student_id, _offer("腾讯"))

    assert (change.added, change.position, change.changed_fields) == (False, 1, 0)
    assert await count_rows(paired.db) == counts


async def test_signed_offer_becomes_offer_one(paired: Paired) -> None:
    employment = paired.employment
    for company in ("甲公司", "乙公司", "丙公司"):
        await employment.record_offer(paired.cadre_id, paired.student_id, _offer(company))

    change = await employment.record_offer(paired.cadre_id, paired.student_id, _offer("丙公司", "已签约"))

    assert (change.added, change.position, change.moved_to_first) == (False, 1, True)
    assert await paired.companies() == ["丙公司", "甲公司", "乙公司"]
    rows = await paired.students.history(paired.student_id)
    assert [o["company"] for o in rows[-1].new_value] == ["丙公司", "甲公司", "乙公司"]


async def test_new_signed_offer_goes_first(paired: Paired) -> None:
    employment = paired.employment
    await employment.record_offer(paired.cadre_id, paired.student_id, _offer("甲公司"))

    change = await employment.record_offer(paired.cadre_id, paired.student_id, _offer("乙公司", "已签约"))

    assert (change.added, change.position, change.moved_to_first) == (True, 1, True)
    assert await paired.companies() == ["乙公司", "甲公司"]


async def test_unsigned_offer_after_signed_keeps_order(paired: Paired) -> None:
    employment = paired.employment
    await employment.record_offer(paired.cadre_id, paired.student_id, _offer("甲公司", "已签约"))

    change = await employment.record_offer(paired.cadre_id, paired.student_id, _offer("乙公司"))

    assert (change.added, change.position, change.moved_to_first) == (True, 2, False)
    assert await paired.companies() == ["甲公司", "乙公司"]


async def test_unsigning_offer_one_promotes_next_signed(paired: Paired) -> None:
    employment = paired.employment
    await employment.record_offer(paired.cadre_id, paired.student_id, _offer("甲公司", "已签约"))
    await employment.record_offer(paired.cadre_id, paired.student_id, _offer("乙公司"))
    await employment.update_employment(
        paired.cadre_id,
        paired.student_id,
        **_pages((await paired.detail()).record, offers=(_offer("甲公司", "已签约"), _offer("乙公司", "已签约"))),
    )

    change = await employment.record_offer(paired.cadre_id, paired.student_id, _offer("甲公司", "已拒绝"))

    assert (change.added, change.position, change.moved_to_first) == (False, 2, False)
    assert await paired.companies() == ["乙公司", "甲公司"]


async def test_eleventh_offer_is_rejected(paired: Paired, count_rows: CountRows) -> None:
    employment = paired.employment
    for number in range(1, OFFERS_MAX + 1):
        await employment.record_offer(paired.cadre_id, paired.student_id, _offer(f"公司{number}"))
    counts = await count_rows(paired.db)

    with pytest.raises(TooManyOffers) as caught:
        await employment.record_offer(
            paired.cadre_id, paired.student_id, _offer("公司11"), final=EmploymentRecord("公司11", "工程师")
        )

    assert (caught.value.student_id, caught.value.limit) == (paired.student_id, OFFERS_MAX)
    assert await count_rows(paired.db) == counts
    assert len(await paired.companies()) == OFFERS_MAX


async def test_listed_company_updates_at_limit(paired: Paired) -> None:
    employment = paired.employment
    for number in range(1, OFFERS_MAX + 1):
        await employment.record_offer(paired.cadre_id, paired.student_id, _offer(f"公司{number}"))

    change = await employment.record_offer(paired.cadre_id, paired.student_id, _offer("公司10", "已签约"))

    assert (change.added, change.position, change.moved_to_first) == (False, 1, True)
    assert (await paired.companies())[:2] == ["公司10", "公司1"]
    assert len(await paired.companies()) == OFFERS_MAX


async def test_final_employment_is_recorded(paired: Paired) -> None:
    final = EmploymentRecord("京东", "算法工程师", dt.date(2026, 7, 1))

    change = await paired.employment.record_offer(
        paired.cadre_id, paired.student_id, _offer("京东", "已签约", position="算法工程师"), final=final
    )

    record = (await paired.detail()).record
    rows = await paired.students.history(paired.student_id)
    assert change.changed_fields == 3
    assert record.final_employment == final
    assert [row.field for row in rows] == ["has_offer", "offers", "final_employment"]
    assert rows[2].old_value is None
    assert rows[2].new_value == {"employer": "京东", "position": "算法工程师", "start_date": "2026-07-01"}


async def test_offer_without_final_keeps_employment(paired: Paired) -> None:
    employment = paired.employment
    final = EmploymentRecord("京东", "算法工程师", None)
    await employment.record_offer(paired.cadre_id, paired.student_id, _offer("京东", "已签约"), final=final)

    await employment.record_offer(paired.cadre_id, paired.student_id, _offer("美团"))

    assert (await paired.detail()).record.final_employment == final


@pytest.mark.parametrize(
    ("offer", "message"),
    [(_offer("腾讯", "已入职"), "status '已入职'"), (_offer("  "), "empty company")],
)
async def test_invalid_offer_is_rejected(
    paired: Paired, count_rows: CountRows, offer: OfferRecord, message: str
) -> None:
    counts = await count_rows(paired.db)
    with pytest.raises(ValueError, match=message):
        await paired.employment.record_offer(paired.cadre_id, paired.student_id, offer)
    assert await count_rows(paired.db) == counts


async def test_committee_offer_has_no_cadre(paired: Paired) -> None:
    await paired.employment.record_offer(paired.cadre_id, paired.student_id, _offer("腾讯"), author="committee")

    rows = await paired.students.history(paired.student_id)

    assert {(row.author, row.author_cadre_id) for row in rows} == {("committee", None)}


async def test_offer_for_other_cadres_student_is_rejected(
    paired: Paired, make_student: MakeStudent, make_submission: MakeSubmission, count_rows: CountRows
) -> None:
    other = await PairingRepository(paired.db).submit(
        make_submission(make_student("13700000002"), key="k2", cadre_phone="13800000002")
    )
    counts = await count_rows(paired.db)

    with pytest.raises(StudentNotFound):
        await paired.employment.record_offer(paired.cadre_id, other.student_ids[0], _offer("腾讯"))

    assert await count_rows(paired.db) == counts


async def test_offer_for_deleted_pairing_is_rejected(paired: Paired, count_rows: CountRows) -> None:
    async with paired.db.session() as session, session.begin():
        await session.execute(
            update(Pairing)
            .where(Pairing.student_id == paired.student_id)
            .values(deleted_at=dt.datetime.now(dt.UTC))
        )
    counts = await count_rows(paired.db)

    with pytest.raises(StudentNotFound):
        await paired.employment.record_offer(paired.cadre_id, paired.student_id, _offer("腾讯"))

    assert await count_rows(paired.db) == counts


async def test_concurrent_offers_are_both_stored(
    database_url: str, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    """Two workers recording offers for one student at once: the second reads what the first wrote."""
    await upgrade(database_url)
    databases = [Database(database_url), Database(database_url)]
    try:
        await ensure_loaded(databases[0])
        paired = await _pair(databases[0], make_student, make_submission)
        companies = [f"公司{number}" for number in range(1, 7)]

        await asyncio.gather(
            *(
                EmploymentRepository(databases[number % 2]).record_offer(
                    paired.cadre_id, paired.student_id, _offer(company)
                )
                for number, company in enumerate(companies)
            )
        )

        stored = await paired.companies()
        history = await paired.students.history(paired.student_id)
    finally:
        for database in databases:
            await database.dispose()
    assert sorted(stored) == sorted(companies)
    assert [row.field for row in history].count("offers") == len(companies)


def _pages(record: StudentRecord, **changes: Any) -> dict[str, Any]:
    pages: dict[str, Any] = {
        name: getattr(record, name)
        for name in (
            "support_measures",
            "recommend_channels",
            "postings_recommended",
            "postings",
            "has_offer",
            "offers",
            "final_employment",
        )
    }
    pages.update(changes)
    return pages
