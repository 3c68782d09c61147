"""Tests of PairingImportRepository on SQLite and PostgreSQL: rows, conflicts, chunks and idempotence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from store import repo_imports
from store.db import Database
from store.models import Cadre, Employment, Offer, Pairing, Posting, Student, StudentChoice
from store.records import PairingSubmission, StudentRecord
from store.repo_imports import ImportConflict, ImportRecord, PairingImportRepository
from store.repositories import CadreRepository, PairingRepository
from tests.store.conftest import PEKING_UNIVERSITY

CADRE = "13800001111"


def record(
    row: int, student: StudentRecord, *, cadre_phone: str = CADRE, university: str = PEKING_UNIVERSITY
) -> ImportRecord:
    return ImportRecord(
        row=row,
        cadre_phone=cadre_phone,
        cadre_name="王建国",
        cadre_title=None,
        cadre_identity=None,
        university_code=university,
        student=student,
    )


async def _answer_rows(db: Database, phone: str) -> dict[str, list[tuple[Any, ...]]]:
    """Return the answer rows of one student without ids, by table."""
    async with db.session() as session:
        student_id = await session.scalar(select(Student.id).where(Student.phone == phone))
        tables: dict[str, list[tuple[Any, ...]]] = {}
        for model, columns in (
            (StudentChoice, ("question", "option", "option_order", "other_text")),
            (Posting, ("position_order", "employer", "position", "location")),
            (
                Offer,
                ("position_order", "company", "position", "branch_recommended", "status", "status_other"),
            ),
            (Employment, ("employer", "position", "start_date")),
        ):
            statement = select(*(getattr(model, name) for name in columns)).where(
                model.student_id == student_id
            )
            tables[model.__tablename__] = sorted(
                tuple(row) for row in (await session.execute(statement)).all()
            )
        return tables


async def test_bulk_rows_match_submitted_rows(
    loaded_db: Database,
    make_student: Callable[..., StudentRecord],
    make_submission: Callable[..., PairingSubmission],
) -> None:
    await PairingRepository(loaded_db).submit(make_submission(make_student("13900000001")))
    result = await PairingImportRepository(loaded_db).import_records([record(2, make_student("13900000002"))])

    assert result.imported == (2,)
    submitted = await _answer_rows(loaded_db, "13900000001")
    imported = await _answer_rows(loaded_db, "13900000002")
    assert imported == submitted
    assert all(imported.values())
    async with loaded_db.session() as session:
        student = await session.scalar(select(Student).where(Student.phone == "13900000002"))
        pairing = await session.scalar(select(Pairing).join(Student).where(Student.phone == "13900000002"))
    assert student is not None and student.branch_secretary_phone == "13900000000"
    assert pairing is not None and (pairing.source, pairing.submission_id) == ("import", None)


async def test_conflicts_are_reported_not_overwritten(
    loaded_db: Database,
    make_student: Callable[..., StudentRecord],
    make_submission: Callable[..., PairingSubmission],
) -> None:
    pairings = PairingRepository(loaded_db)
    await pairings.submit(make_submission(make_student("13900000001"), cadre_phone="13800000009"))
    await pairings.submit(
        make_submission(make_student("13900000002"), key="draft-2", cadre_phone="13800000009")
    )
    await pairings.submit(
        make_submission(make_student("13900000005"), key="draft-3", cadre_phone="13800000009")
    )
    async with loaded_db.session() as session, session.begin():
        deleted_id = await session.scalar(select(Student.id).where(Student.phone == "13900000002"))
        await session.execute(
            update(Pairing).where(Pairing.student_id == deleted_id).values(deleted_at=dt.datetime.now(dt.UTC))
        )
        unpaired_id = await session.scalar(select(Student.id).where(Student.phone == "13900000005"))
        await session.execute(delete(Pairing).where(Pairing.student_id == unpaired_id))
    records = [
        record(2, make_student("13900000001")),
        record(3, make_student("13900000002")),
        record(4, make_student("13900000003"), university="9999999999"),
        record(5, make_student("13900000004")),
        record(6, make_student("13900000005")),
    ]

    result = await PairingImportRepository(loaded_db).import_records(records)

    assert result.imported == (5,)
    assert result.conflicts == (
        ImportConflict(2, "other_cadre", "13800000009"),
        ImportConflict(3, "deleted"),
        ImportConflict(4, "unknown_university"),
        ImportConflict(6, "unpaired"),
    )
    async with loaded_db.session() as session:
        owner = await session.scalar(
            select(Cadre.phone).join(Pairing).join(Student).where(Student.phone == "13900000001")
        )
    assert owner == "13800000009"


async def test_chunks_and_second_run(
    loaded_db: Database, make_student: Callable[..., StudentRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repo_imports, "CHUNK_ROWS", 3)
    records = [
        record(row, make_student(f"1390000{row:04d}"), cadre_phone=f"1380000000{row % 2}")
        for row in range(2, 10)
    ]
    imports = PairingImportRepository(loaded_db)

    first = await imports.import_records(records)
    second = await imports.import_records(records)

    assert first.imported == tuple(range(2, 10))
    assert first.cadres_created == 2
    assert (second.imported, second.unchanged, second.cadres_created) == ((), tuple(range(2, 10)), 0)
    cadres = CadreRepository(loaded_db)
    profile = await cadres.get_by_phone("13800000000")
    assert profile is not None and (profile.openid, profile.name, profile.name_locked) == (
        None,
        "王建国",
        False,
    )


async def test_locked_name_is_kept(
    loaded_db: Database,
    make_student: Callable[..., StudentRecord],
    make_submission: Callable[..., PairingSubmission],
) -> None:
    await PairingRepository(loaded_db).submit(make_submission(make_student("13900000001"), cadre_phone=CADRE))

    await PairingImportRepository(loaded_db).import_records([record(2, make_student("13900000002"))])

    profile = await CadreRepository(loaded_db).get_by_phone(CADRE)
    assert profile is not None and (profile.name, profile.title, profile.name_locked) == (
        "王老师",
        "团委书记",
        True,
    )


async def test_repeated_phones_are_refused(
    loaded_db: Database, make_student: Callable[..., StudentRecord]
) -> None:
    records = [record(2, make_student("13900000001")), record(3, make_student("13900000001"))]

    with pytest.raises(ValueError, match="repeat a student phone"):
        await PairingImportRepository(loaded_db).import_records(records)


async def test_same_cadre_other_student_with_phone_is_reported(
    loaded_db: Database, make_student: Callable[..., StudentRecord]
) -> None:
    repository = PairingImportRepository(loaded_db)
    first = await repository.import_records([record(2, make_student("13900000001", name="李娜"))])
    assert first.imported == (2,)

    result = await repository.import_records([record(2, make_student("13900000001", name="周杰"))])

    assert result.imported == ()
    assert result.unchanged == ()
    assert result.conflicts == (ImportConflict(2, "other_student", other_student_name="李娜"),)
