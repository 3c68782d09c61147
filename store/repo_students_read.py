"""Reading students back: a cadre's student with every answer, look-up by name or phone, and history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from store.db import Database
from store.history import history_row, last_update
from store.models import Pairing, Student, StudentChoice, University
from store.models_history import EmploymentHistory
from store.records import (
    ChoiceAnswer,
    EmploymentRecord,
    HistoryRow,
    OfferRecord,
    PostingRecord,
    StudentDetail,
    StudentRecord,
)

DetailsSelect = Select[Student, str, str, str, dt.datetime]
"""Rows of (student, university code, university name, pairing source, last update)."""


def _choice(rows: list[StudentChoice], question: str) -> ChoiceAnswer:
    selected = sorted((row for row in rows if row.question == question), key=lambda row: row.option_order)
    other = next((row.other_text for row in selected if row.other_text is not None), None)
    return ChoiceAnswer(tuple(row.option for row in selected), other)


def student_record(student: Student) -> StudentRecord:
    """Build the record of a student row whose choices, postings, offers and employment are loaded."""
    employment = None
    if student.employment is not None:
        job = student.employment
        employment = EmploymentRecord(employer=job.employer, position=job.position, start_date=job.start_date)
    return StudentRecord(
        name=student.name,
        gender=student.gender,
        phone=student.phone,
        department=student.department,
        major=student.major,
        degree_level=student.degree_level,
        graduation_year=student.graduation_year,
        difficulty_types=_choice(student.choices, "difficulty_types"),
        policy_guaranteed=student.policy_guaranteed,
        job_seeking=student.job_seeking,
        intended_industry=student.intended_industry,
        intended_position=student.intended_position,
        intended_region=student.intended_region,
        branch_recommended=student.branch_recommended,
        branch_name=student.branch_name,
        branch_secretary_name=student.branch_secretary_name,
        branch_secretary_phone=student.branch_secretary_phone,
        # The submission stores no rows for this answer when the branch did not recommend the student.
        branch_recommend_forms=(
            _choice(student.choices, "branch_recommend_forms") if student.branch_recommended else None
        ),
        support_measures=_choice(student.choices, "support_measures"),
        recommend_channels=_choice(student.choices, "recommend_channels"),
        postings_recommended=student.postings_recommended,
        postings=tuple(PostingRecord(p.employer, p.position, p.location) for p in student.postings),
        has_offer=student.has_offer,
        offers=tuple(
            OfferRecord(o.company, o.position, o.branch_recommended, o.status, o.status_other)
            for o in student.offers
        ),
        final_employment=employment,
    )


def details_statement(cadre_id: int) -> DetailsSelect:
    """Select the cadre's students outside the recycle bin with every answer, oldest pairing first."""
    return (
        select(Student, University.code, University.name, Pairing.source, last_update())
        .join(Pairing, Pairing.student_id == Student.id)
        .join(University, University.id == Pairing.university_id)
        .where(Pairing.cadre_id == cadre_id, Pairing.deleted_at.is_(None))
        .options(
            selectinload(Student.choices),
            selectinload(Student.postings),
            selectinload(Student.offers),
            selectinload(Student.employment),
        )
        .order_by(Pairing.created_at, Pairing.id)
    )


def student_detail(row: Any) -> StudentDetail:
    """Copy one row of details_statement into a StudentDetail."""
    student, university_code, university_name, source, updated = row
    return StudentDetail(
        student_id=student.id,
        university_code=university_code,
        university_name=university_name,
        source=source,
        record=student_record(student),
        created_at=student.created_at,
        last_update=updated,
    )


async def _details(session: AsyncSession, statement: DetailsSelect) -> list[StudentDetail]:
    rows = (await session.execute(statement)).all()
    return [student_detail(row) for row in rows]


class StudentRepository:
    """Reads the students paired with a cadre and their employment history.

    Each method runs in its own transaction. The writes are in EmploymentRepository.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get_student(self, cadre_id: int, student_id: int) -> StudentDetail | None:
        """Return the student when it is paired with the cadre and not in the recycle bin, else None."""
        statement = details_statement(cadre_id).where(Student.id == student_id)
        async with self._db.session() as session:
            found = await _details(session, statement)
        return found[0] if found else None

    async def find_students(
        self, cadre_id: int, *, name: str | None = None, phone: str | None = None
    ) -> list[StudentDetail]:
        """Return the cadre's students with exactly this name and/or phone, oldest pairing first.

        Surrounding whitespace of `name` and `phone` is ignored. With both given, a student must match
        both. Students of other cadres and those in the recycle bin are never returned. Raises
        ValueError when neither is given.
        """
        name = name.strip() if name else None
        phone = phone.strip() if phone else None
        if not name and not phone:
            raise ValueError("find_students needs a student name or phone")
        statement = details_statement(cadre_id)
        if name:
            statement = statement.where(Student.name == name)
        if phone:
            statement = statement.where(Student.phone == phone)
        async with self._db.session() as session:
            return await _details(session, statement)

    async def history(self, student_id: int) -> list[HistoryRow]:
        """Return every employment history row of the student, oldest first."""
        statement = (
            select(EmploymentHistory)
            .where(EmploymentHistory.student_id == student_id)
            .order_by(EmploymentHistory.changed_at, EmploymentHistory.id)
        )
        async with self._db.session() as session:
            rows = (await session.scalars(statement)).all()
        return [history_row(row) for row in rows]
