"""Pairings imported from a committee's offline list: students linked to their cadre by phone.

An imported row creates the student with every answer and a pairing with source 'import'. The cadre
is found by phone, or created without an OpenID; the cadre gets the pairings on binding that phone.
The import is idempotent on the student phone: a student already paired with the same cadre is left
as it is, and one paired with another cadre, or whose pairing is in the recycle bin, is reported and
never overwritten. Rows are written in chunks of CHUNK_ROWS, each in its own transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Database
from store.import_rows import child_rows, student_row
from store.models import Cadre, Employment, Offer, Pairing, Posting, Student, StudentChoice, University
from store.records import StudentRecord

logger = logging.getLogger("jiedui.store")

CHUNK_ROWS = 500
"""Rows written per transaction; a chunk that meets a concurrent write is retried once."""

IMPORT_SOURCE = "import"

_CHILD_TABLES: dict[str, type[Any]] = {
    "student_choices": StudentChoice,
    "postings": Posting,
    "offers": Offer,
    "employments": Employment,
}

ConflictReason = Literal["other_cadre", "other_student", "deleted", "unpaired", "unknown_university"]


@dataclass(frozen=True)
class ImportRecord:
    """One valid row of an import: the cadre it belongs to and the student with its answers.

    `cadre_title` and `cadre_identity` may be missing from an offline list; the cadre confirms them
    at the next submission.
    """

    row: int
    cadre_phone: str
    cadre_name: str
    cadre_title: str | None
    cadre_identity: str | None
    university_code: str
    student: StudentRecord


@dataclass(frozen=True)
class ImportConflict:
    """A row that was not written, and why.

    `other_cadre`: another cadre (`other_cadre_phone`) has the student. `other_student`: the same cadre
    has another student (`other_student_name`) with this phone. `deleted`: the student's pairing
    is in the recycle bin. `unpaired`: the student is stored without a pairing. `unknown_university`:
    the university code is not in the list.
    """

    row: int
    reason: ConflictReason
    other_cadre_phone: str | None = None
    other_student_name: str | None = None


@dataclass(frozen=True)
class ImportResult:
    """The row numbers that were imported or already present, and the rows that were not written."""

    imported: tuple[int, ...] = ()
    unchanged: tuple[int, ...] = ()
    conflicts: tuple[ImportConflict, ...] = ()
    cadres_created: int = 0


@dataclass
class _Chunk:
    imported: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    conflicts: list[ImportConflict] = field(default_factory=list)
    cadres_created: int = 0


class PairingImportRepository:
    """Writes imported pairings; see the module docstring for the rules."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def import_records(self, records: Sequence[ImportRecord]) -> ImportResult:
        """Write the records chunk by chunk and return what happened to each row.

        Student phones must be distinct within `records`; the caller reports repeated rows.
        """
        phones = [record.student.phone for record in records]
        if len(set(phones)) != len(phones):
            raise ValueError(
                "import records repeat a student phone; report the repeated rows before importing"
            )
        async with self._db.session() as session:
            universities = dict(
                (await session.execute(select(University.code, University.id))).all()
            )
        total = _Chunk()
        for start in range(0, len(records), CHUNK_ROWS):
            chunk = records[start : start + CHUNK_ROWS]
            try:
                done = await self._write_chunk(chunk, universities)
            except IntegrityError:
                logger.warning(
                    "import chunk at row %d met a concurrent write; retrying it once", chunk[0].row
                )
                done = await self._write_chunk(chunk, universities)
            total.imported += done.imported
            total.unchanged += done.unchanged
            total.conflicts += done.conflicts
            total.cadres_created += done.cadres_created
        result = ImportResult(
            tuple(total.imported), tuple(total.unchanged), tuple(total.conflicts), total.cadres_created
        )
        logger.info(
            "pairings import: imported=%d unchanged=%d conflicts=%d cadres_created=%d",
            len(result.imported),
            len(result.unchanged),
            len(result.conflicts),
            result.cadres_created,
        )
        return result

    async def _write_chunk(self, records: Sequence[ImportRecord], universities: dict[str, int]) -> _Chunk:
        done = _Chunk()
        async with self._db.session() as session, session.begin():
            existing = await _existing_students(session, [record.student.phone for record in records])
            fresh: list[ImportRecord] = []
            for record in records:
                conflict = _conflict(record, existing, universities)
                if conflict == "unchanged":
                    done.unchanged.append(record.row)
                elif conflict is not None:
                    done.conflicts.append(conflict)
                else:
                    fresh.append(record)
            if not fresh:
                return done
            cadres, done.cadres_created = await _cadres_for(session, fresh)
            await _insert_students(session, fresh, cadres, universities)
            done.imported = [record.row for record in fresh]
        return done


async def _insert_students(
    session: AsyncSession,
    records: Sequence[ImportRecord],
    cadres: dict[str, Cadre],
    universities: dict[str, int],
) -> None:
    """Insert the students, their answers and their pairings with one multi-row INSERT per table."""
    inserted = await session.execute(
        insert(Student).returning(Student.id, sort_by_parameter_order=True),
        [student_row(record.student) for record in records],
    )
    student_ids = list(inserted.scalars())
    children: dict[str, list[dict[str, Any]]] = {table: [] for table in _CHILD_TABLES}
    for student_id, record in zip(student_ids, records, strict=True):
        for table, rows in child_rows(student_id, record.student).items():
            children[table] += rows
    for table, model in _CHILD_TABLES.items():
        if children[table]:
            await session.execute(insert(model), children[table])
    pairings = [
        {
            "cadre_id": cadres[record.cadre_phone].id,
            "student_id": student_id,
            "university_id": universities[record.university_code],
            "submission_id": None,
            "source": IMPORT_SOURCE,
        }
        for student_id, record in zip(student_ids, records, strict=True)
    ]
    await session.execute(insert(Pairing), pairings)


@dataclass(frozen=True)
class _Existing:
    cadre_phone: str | None
    deleted: bool
    name: str


async def _existing_students(session: AsyncSession, phones: list[str]) -> dict[str, _Existing]:
    """Return the stored students among `phones` with their cadre's phone and whether the pairing is deleted."""
    statement = (
        select(Student.phone, Cadre.phone, Pairing.deleted_at, Student.name)
        .outerjoin(Pairing, Pairing.student_id == Student.id)
        .outerjoin(Cadre, Cadre.id == Pairing.cadre_id)
        .where(Student.phone.in_(phones))
    )
    rows = (await session.execute(statement)).all()
    return {
        phone: _Existing(cadre_phone, deleted_at is not None, name) for phone, cadre_phone, deleted_at, name in rows
    }


def _conflict(
    record: ImportRecord, existing: dict[str, _Existing], universities: dict[str, int]
) -> ImportConflict | Literal["unchanged"] | None:
    stored = existing.get(record.student.phone)
    if stored is None:
        if record.university_code not in universities:
            return ImportConflict(record.row, "unknown_university")
        return None
    if stored.deleted:
        return ImportConflict(record.row, "deleted")
    if stored.cadre_phone is None:
        return ImportConflict(record.row, "unpaired")
    if stored.cadre_phone == record.cadre_phone:
        if stored.name != record.student.name:
            return ImportConflict(record.row, "other_student", other_student_name=stored.name)
        return "unchanged"
    return ImportConflict(record.row, "other_cadre", stored.cadre_phone)


async def _cadres_for(session: AsyncSession, records: Sequence[ImportRecord]) -> tuple[dict[str, Cadre], int]:
    """Return the cadres of the records by phone, creating the missing ones without an OpenID.

    A cadre's name, title and identity are filled from the first row that gives them and only while
    empty, so a name the cadre submitted (and which is locked) is kept.
    """
    phones = sorted({record.cadre_phone for record in records})
    cadres = {
        cadre.phone: cadre for cadre in await session.scalars(select(Cadre).where(Cadre.phone.in_(phones)))
    }
    created = 0
    for record in records:
        cadre = cadres.get(record.cadre_phone)
        if cadre is None:
            cadre = Cadre(phone=record.cadre_phone, name_locked=False)
            session.add(cadre)
            cadres[record.cadre_phone] = cadre
            created += 1
        cadre.name = cadre.name or record.cadre_name
        cadre.title = cadre.title or record.cadre_title
        cadre.identity = cadre.identity or record.cadre_identity
    await session.flush()
    return cadres, created
