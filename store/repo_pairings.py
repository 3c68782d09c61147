"""Pairings: the one-transaction write of a submission, and the list of a cadre's students."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Database
from store.errors import StudentPhoneTaken, UniversityNotFound
from store.history import last_update
from store.models import Cadre, Offer, Pairing, Student, Submission, University
from store.outbox import notify_pairing_submitted
from store.records import SIGNED_STATUS, PairingSubmission, PairingSummary, SubmissionResult
from store.repo_students import build_student, check_submission

logger = logging.getLogger("jiedui.store")

SUMMARY_SIGNED = SIGNED_STATUS
SUMMARY_HAS_OFFER = "有offer"
SUMMARY_NO_OFFER = "暂无offer"


async def _phones_taken(session: AsyncSession, phones: Iterable[str]) -> set[str]:
    requested = set(phones)
    if not requested:
        return set()
    return set(await session.scalars(select(Student.phone).where(Student.phone.in_(requested))))


async def _stored_result(session: AsyncSession, submission_key: str) -> SubmissionResult | None:
    """Return what an earlier submission with this key stored (created=False), or None."""
    submission_id = await session.scalar(
        select(Submission.id).where(Submission.submission_key == submission_key)
    )
    if submission_id is None:
        return None
    student_ids = await session.scalars(
        select(Pairing.student_id).where(Pairing.submission_id == submission_id).order_by(Pairing.id)
    )
    return SubmissionResult(submission_id=submission_id, student_ids=tuple(student_ids), created=False)


async def _update_cadre(session: AsyncSession, submission: PairingSubmission) -> Cadre:
    """Write the cadre info of a submission; a locked name is kept as stored."""
    cadre = await session.scalar(select(Cadre).where(Cadre.phone == submission.cadre_phone))
    if cadre is None:
        # NOTE: the OpenID is not bound here; only CadreRepository.bind_phone binds phones.
        cadre = Cadre(phone=submission.cadre_phone)
        session.add(cadre)
    if not cadre.name_locked or not cadre.name:
        cadre.name = submission.cadre_name
    cadre.title = submission.cadre_title
    cadre.identity = submission.cadre_identity
    cadre.name_locked = True
    await session.flush()
    return cadre


def _offer_summary(signed: bool, any_offer: bool) -> str:
    if signed:
        return SUMMARY_SIGNED
    return SUMMARY_HAS_OFFER if any_offer else SUMMARY_NO_OFFER


class PairingRepository:
    """Writes submissions and reads pairings; each method runs in its own transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def phones_taken(self, phones: Iterable[str]) -> set[str]:
        """Return which of `phones` already belong to a stored student."""
        async with self._db.session() as session:
            return await _phones_taken(session, phones)

    async def submit(self, submission: PairingSubmission) -> SubmissionResult:
        """Store a submission, its students with every answer, and their pairings in one transaction.

        Idempotent on `submission_key`: a key stored before returns the first result with
        created=False and writes nothing. Raises StudentPhoneTaken when a student phone is stored
        already (also when a concurrent submission stored it first), DuplicateStudentPhone when two
        students of the submission share a phone, UniversityNotFound for an unknown code, and
        ValueError for answers the tables cannot hold. Nothing is written when it raises.
        """
        check_submission(submission)
        try:
            return await self._write(submission)
        except IntegrityError as error:
            return await self._resolve_conflict(submission, error)

    async def _write(self, submission: PairingSubmission) -> SubmissionResult:
        phones = [student.phone for student in submission.students]
        async with self._db.session() as session, session.begin():
            stored = await _stored_result(session, submission.submission_key)
            if stored is not None:
                logger.info("submission already stored: submission_id=%d", stored.submission_id)
                return stored
            university_id = await session.scalar(
                select(University.id).where(University.code == submission.university_code)
            )
            if university_id is None:
                raise UniversityNotFound(submission.university_code)
            taken = await _phones_taken(session, phones)
            if taken:
                raise StudentPhoneTaken(taken)

            cadre = await _update_cadre(session, submission)
            row = Submission(
                cadre_id=cadre.id,
                university_id=university_id,
                submission_key=submission.submission_key,
                cadre_name=cadre.name or submission.cadre_name,
                cadre_title=submission.cadre_title,
                cadre_identity=submission.cadre_identity,
            )
            students = [build_student(record) for record in submission.students]
            session.add(row)
            session.add_all(students)
            await session.flush()
            session.add_all(
                Pairing(
                    cadre_id=cadre.id,
                    student_id=student.id,
                    university_id=university_id,
                    submission_id=row.id,
                    source="chat",
                )
                for student in students
            )
            await session.flush()
            await notify_pairing_submitted(
                session, university_id=university_id, cadre_name=row.cadre_name, student_count=len(students)
            )
            result = SubmissionResult(
                submission_id=row.id, student_ids=tuple(student.id for student in students), created=True
            )
        logger.info(
            "submission stored: submission_id=%d cadre_id=%d students=%d",
            result.submission_id,
            cadre.id,
            len(result.student_ids),
        )
        return result

    async def _resolve_conflict(
        self, submission: PairingSubmission, error: IntegrityError
    ) -> SubmissionResult:
        """Explain a unique-constraint failure caused by a concurrent transaction, or re-raise it."""
        async with self._db.session() as session:
            stored = await _stored_result(session, submission.submission_key)
            taken = set() if stored else await _phones_taken(session, (s.phone for s in submission.students))
        if stored is not None:
            logger.info(
                "submission stored concurrently by another request: submission_id=%d", stored.submission_id
            )
            return stored
        if taken:
            logger.info("submission rejected: %d student phone(s) stored concurrently", len(taken))
            raise StudentPhoneTaken(taken) from error
        raise error

    async def list_for_cadre(self, cadre_id: int) -> list[PairingSummary]:
        """Return the cadre's pairings that are not in the recycle bin, oldest first.

        `updated_at` is the time of the student's latest employment history row, else its creation.
        """
        signed = (
            select(Offer.id).where(Offer.student_id == Student.id, Offer.status == SIGNED_STATUS).exists()
        )
        any_offer = select(Offer.id).where(Offer.student_id == Student.id).exists()
        statement = (
            select(
                Student.id,
                Student.name,
                Student.major,
                University.name,
                Pairing.source,
                last_update().label("updated_at"),
                signed.label("signed"),
                any_offer.label("any_offer"),
            )
            .join(Pairing, Pairing.student_id == Student.id)
            .join(University, University.id == Pairing.university_id)
            .where(Pairing.cadre_id == cadre_id, Pairing.deleted_at.is_(None))
            .order_by(Pairing.created_at, Pairing.id)
        )
        async with self._db.session() as session:
            rows = (await session.execute(statement)).all()
        return [
            PairingSummary(
                student_id=student_id,
                student_name=student_name,
                major=major,
                university_name=university_name,
                offer_status=_offer_summary(bool(is_signed), bool(has_any)),
                source=source,
                updated_at=updated_at,
            )
            for student_id, student_name, major, university_name, source, updated_at, is_signed, has_any in rows
        ]

    async def count_students(self) -> int:
        """Count every stored student, paired or not."""
        async with self._db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(Student)) or 0)
