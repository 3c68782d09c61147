"""Tests of StudentRepository and the list's last update: a cadre reads only its own students."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy import update

from store.db import Database
from store.models import Pairing, Student
from store.records import OfferRecord, PairingSubmission, StudentRecord
from store.repositories import CadreRepository, EmploymentRepository, PairingRepository, StudentRepository

MakeStudent = Callable[..., StudentRecord]
MakeSubmission = Callable[..., PairingSubmission]

OTHER_CADRE_PHONE = "13800000002"


async def _cadre_id(db: Database, phone: str = "13800000001") -> int:
    cadre = await CadreRepository(db).get_by_phone(phone)
    assert cadre is not None
    return cadre.id


async def _delete_pairing(db: Database, student_id: int) -> None:
    async with db.session() as session, session.begin():
        await session.execute(
            update(Pairing).where(Pairing.student_id == student_id).values(deleted_at=dt.datetime.now(dt.UTC))
        )


async def test_get_student_returns_every_answer(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    record = make_student("13700000001")
    result = await PairingRepository(loaded_db).submit(make_submission(record))
    cadre_id = await _cadre_id(loaded_db)

    detail = await StudentRepository(loaded_db).get_student(cadre_id, result.student_ids[0])

    assert detail is not None
    assert detail.student_id == result.student_ids[0]
    assert detail.record == record
    assert (detail.university_code, detail.university_name) == ("4111010001", "北京大学")
    assert detail.source == "chat"
    assert detail.created_at.tzinfo is not None
    assert detail.last_update == detail.created_at


async def test_get_student_without_branch_or_offers(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    record = make_student(
        "13700000001",
        branch_recommended=False,
        branch_name=None,
        branch_secretary_name=None,
        branch_secretary_phone=None,
        branch_recommend_forms=None,
        postings_recommended=False,
        postings=(),
        has_offer=False,
        offers=(),
        final_employment=None,
    )
    result = await PairingRepository(loaded_db).submit(make_submission(record))

    detail = await StudentRepository(loaded_db).get_student(await _cadre_id(loaded_db), result.student_ids[0])

    assert detail is not None
    assert detail.record == record


async def test_get_student_hides_other_cadres_students(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    pairings = PairingRepository(loaded_db)
    await pairings.submit(make_submission(make_student("13700000001"), key="k1"))
    other = await pairings.submit(
        make_submission(make_student("13700000002"), key="k2", cadre_phone=OTHER_CADRE_PHONE)
    )

    detail = await StudentRepository(loaded_db).get_student(await _cadre_id(loaded_db), other.student_ids[0])

    assert detail is None


async def test_get_student_hides_deleted_pairing(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    result = await PairingRepository(loaded_db).submit(make_submission(make_student("13700000001")))
    await _delete_pairing(loaded_db, result.student_ids[0])

    detail = await StudentRepository(loaded_db).get_student(await _cadre_id(loaded_db), result.student_ids[0])

    assert detail is None


async def test_get_student_unknown_id_is_none(loaded_db: Database) -> None:
    assert await StudentRepository(loaded_db).get_student(1, 999) is None


async def test_find_students_by_name_lists_namesakes(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    pairings = PairingRepository(loaded_db)
    first = await pairings.submit(
        make_submission(
            make_student("13700000001"),
            make_student("13700000002", name="李四"),
            make_student("13700000003", major="软件工程"),
            key="k1",
        )
    )
    await pairings.submit(make_submission(make_student("13700000004"), key="k2", cadre_phone=OTHER_CADRE_PHONE))
    students = StudentRepository(loaded_db)

    found = await students.find_students(await _cadre_id(loaded_db), name="张三")

    assert [d.student_id for d in found] == [first.student_ids[0], first.student_ids[2]]
    assert [d.record.major for d in found] == ["计算机科学与技术", "软件工程"]


async def test_find_students_by_phone(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    pairings = PairingRepository(loaded_db)
    result = await pairings.submit(
        make_submission(make_student("13700000001"), make_student("13700000002", name="李四"), key="k1")
    )
    await pairings.submit(make_submission(make_student("13700000003"), key="k2", cadre_phone=OTHER_CADRE_PHONE))
    students = StudentRepository(loaded_db)
    cadre_id = await _cadre_id(loaded_db)

    by_phone = await students.find_students(cadre_id, phone=" 13700000002 ")
    other_cadres = await students.find_students(cadre_id, phone="13700000003")

    assert [d.student_id for d in by_phone] == [result.student_ids[1]]
    assert by_phone[0].record.name == "李四"
    assert other_cadres == []


async def test_find_students_by_name_and_phone(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    result = await PairingRepository(loaded_db).submit(
        make_submission(make_student("13700000001"), make_student("13700000002"))
    )
    students = StudentRepository(loaded_db)
    cadre_id = await _cadre_id(loaded_db)

    both = await students.find_students(cadre_id, name="张三", phone="13700000002")
    mismatch = await students.find_students(cadre_id, name="李四", phone="13700000002")

    assert [d.student_id for d in both] == [result.student_ids[1]]
    assert mismatch == []


async def test_find_students_skips_deleted_and_unknown(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    result = await PairingRepository(loaded_db).submit(
        make_submission(make_student("13700000001"), make_student("13700000002"))
    )
    await _delete_pairing(loaded_db, result.student_ids[0])
    students = StudentRepository(loaded_db)
    cadre_id = await _cadre_id(loaded_db)

    by_name = await students.find_students(cadre_id, name="张三")
    deleted_phone = await students.find_students(cadre_id, phone="13700000001")
    unknown = await students.find_students(cadre_id, name="王五")

    assert [d.student_id for d in by_name] == [result.student_ids[1]]
    assert deleted_phone == []
    assert unknown == []


@pytest.mark.parametrize(("name", "phone"), [(None, None), ("", ""), ("  ", None)])
async def test_find_students_requires_name_or_phone(
    loaded_db: Database, name: str | None, phone: str | None
) -> None:
    with pytest.raises(ValueError, match="name or phone"):
        await StudentRepository(loaded_db).find_students(1, name=name, phone=phone)


async def test_last_update_follows_history(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    pairings = PairingRepository(loaded_db)
    result = await pairings.submit(make_submission(make_student("13700000001"), make_student("13700000002")))
    cadre_id = await _cadre_id(loaded_db)
    students = StudentRepository(loaded_db)
    changed_id, unchanged_id = result.student_ids
    before = await students.get_student(cadre_id, changed_id)
    assert before is not None

    await EmploymentRepository(loaded_db).record_offer(
        cadre_id, changed_id, OfferRecord("丁公司", "数据分析师", False, "考虑中")
    )

    history = await students.history(changed_id)
    changed = await students.get_student(cadre_id, changed_id)
    unchanged = await students.get_student(cadre_id, unchanged_id)
    summaries = {s.student_id: s for s in await pairings.list_for_cadre(cadre_id)}
    assert changed is not None
    assert unchanged is not None
    assert changed.last_update == history[-1].changed_at
    assert changed.last_update > before.last_update
    assert changed.created_at == before.created_at
    assert unchanged.last_update == unchanged.created_at
    assert summaries[changed_id].updated_at == changed.last_update
    assert summaries[unchanged_id].updated_at == unchanged.created_at
    assert summaries[changed_id].updated_at.tzinfo is not None


async def test_list_ignores_basic_info_changes(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    """A committee correcting basic info changes students.updated_at, but no employment data."""
    result = await PairingRepository(loaded_db).submit(make_submission(make_student("13700000001")))
    cadre_id = await _cadre_id(loaded_db)
    detail = await StudentRepository(loaded_db).get_student(cadre_id, result.student_ids[0])
    assert detail is not None
    async with loaded_db.session() as session, session.begin():
        await session.execute(
            update(Student)
            .where(Student.id == result.student_ids[0])
            .values(major="软件工程", updated_at=detail.created_at + dt.timedelta(days=3))
        )

    summaries = await PairingRepository(loaded_db).list_for_cadre(cadre_id)

    assert summaries[0].major == "软件工程"
    assert summaries[0].updated_at == detail.created_at


async def test_history_of_unknown_student_is_empty(loaded_db: Database) -> None:
    assert await StudentRepository(loaded_db).history(999) == []


async def test_detail_record_matches_submitted_offers_order(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    offers = tuple(OfferRecord(f"公司{n}", "工程师", False, "考虑中") for n in range(1, 6))
    record = replace(make_student("13700000001"), offers=offers)
    result = await PairingRepository(loaded_db).submit(make_submission(record))

    detail = await StudentRepository(loaded_db).get_student(await _cadre_id(loaded_db), result.student_ids[0])

    assert detail is not None
    assert [o.company for o in detail.record.offers] == ["公司1", "公司2", "公司3", "公司4", "公司5"]
