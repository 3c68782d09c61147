"""Updates of a student's job-posting and employment pages, with one history row per changed field.

Basic info (page 1) is never written here: after a submission only a committee may change it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from store.db import Database
from store.errors import StudentNotFound, TooManyOffers
from store.history import add_history, changed_fields, check_author
from store.models import OTHER_OPTION, Employment, Offer, Pairing, Posting, Student, StudentChoice, utc_now
from store.offer_rules import OFFERS_MAX, check_offer, place_offer, signed_first
from store.outbox import notify_offer_signed
from store.records import (
    ChoiceAnswer,
    EmploymentRecord,
    OfferChange,
    OfferRecord,
    PostingRecord,
    StudentRecord,
)
from store.repo_students_read import student_record

logger = logging.getLogger("jiedui.store")

_PAGE_CHOICES = ("support_measures", "recommend_channels")
_PAGE_FLAGS = ("postings_recommended", "has_offer")


async def _lock_student(session: AsyncSession, cadre_id: int, student_id: int) -> StudentRecord:
    """Read the cadre's student, holding its row's write lock until the transaction ends.

    The no-op UPDATE runs before the read, so a concurrent update of the same student waits until
    this transaction ends and then reads what it wrote. On SQLite it takes the database write lock,
    because pysqlite only opens the transaction at the first write statement. The loaded rows are
    expunged, because the writes replace them with bulk statements and new rows may reuse their ids.
    """
    paired = (
        select(Pairing.id)
        .where(Pairing.student_id == student_id, Pairing.cadre_id == cadre_id, Pairing.deleted_at.is_(None))
        .exists()
    )
    touched = await session.scalar(
        update(Student)
        .where(Student.id == student_id, paired)
        .values(updated_at=Student.updated_at)
        .returning(Student.id)
        .execution_options(synchronize_session=False)
    )
    student = None
    if touched is not None:
        student = await session.scalar(
            select(Student)
            .where(Student.id == student_id)
            .options(
                selectinload(Student.choices),
                selectinload(Student.postings),
                selectinload(Student.offers),
                selectinload(Student.employment),
            )
        )
    if student is None:
        raise StudentNotFound(cadre_id, student_id)
    record = student_record(student)
    session.expunge_all()
    return record


def _check_pages(record: StudentRecord, student_id: int) -> None:
    """Raise ValueError or TooManyOffers when the employment pages of `record` break a filing rule."""
    for question in _PAGE_CHOICES:
        answer: ChoiceAnswer = getattr(record, question)
        if len(set(answer.options)) != len(answer.options):
            raise ValueError(f"student {student_id}: {question} lists an option more than once")
        if answer.other and OTHER_OPTION not in answer.options:
            raise ValueError(
                f"student {student_id}: {question} has 其他 text but the 其他 option is not selected"
            )
    if record.postings and not record.postings_recommended:
        raise ValueError(f"student {student_id}: postings are given but postings_recommended is False")
    if not record.has_offer and (record.offers or record.final_employment):
        raise ValueError(
            f"student {student_id}: has_offer is False but offers or a final employment are given; "
            "pass has_offer=True or leave them empty"
        )
    if record.has_offer and not record.offers:
        raise ValueError(
            f"student {student_id}: has_offer is True but no offer is given; at least one is required"
        )
    if len(record.offers) > OFFERS_MAX:
        raise TooManyOffers(student_id, OFFERS_MAX)
    for offer in record.offers:
        check_offer(offer)


def _choice_rows(student_id: int, question: str, answer: ChoiceAnswer) -> list[StudentChoice]:
    return [
        StudentChoice(
            student_id=student_id,
            question=question,
            option=option,
            option_order=order,
            other_text=answer.other if option == OTHER_OPTION else None,
        )
        for order, option in enumerate(answer.options, start=1)
    ]


def _posting_rows(student_id: int, postings: Sequence[PostingRecord]) -> list[Posting]:
    return [
        Posting(
            student_id=student_id,
            position_order=order,
            employer=p.employer,
            position=p.position,
            location=p.location,
        )
        for order, p in enumerate(postings, start=1)
    ]


def _offer_rows(student_id: int, offers: Sequence[OfferRecord]) -> list[Offer]:
    return [
        Offer(
            student_id=student_id,
            position_order=order,
            company=o.company,
            position=o.position,
            branch_recommended=o.branch_recommended,
            status=o.status,
            status_other=o.status_other,
        )
        for order, o in enumerate(offers, start=1)
    ]


def _employment_rows(student_id: int, employment: EmploymentRecord | None) -> list[Employment]:
    if employment is None:
        return []
    return [
        Employment(
            student_id=student_id,
            employer=employment.employer,
            position=employment.position,
            start_date=employment.start_date,
        )
    ]


async def _replace_field(session: AsyncSession, student_id: int, new: StudentRecord, name: str) -> None:
    """Write one changed employment field of `new`: a column of the student, or its child rows.

    Child rows are deleted with a bulk DELETE before the new ones are inserted, so a position_order
    or option is never held by two rows at the flush.
    """
    if name in _PAGE_FLAGS:
        await session.execute(
            update(Student)
            .where(Student.id == student_id)
            .values({name: getattr(new, name)})
            .execution_options(synchronize_session=False)
        )
        return
    if name in _PAGE_CHOICES:
        stale = delete(StudentChoice).where(
            StudentChoice.student_id == student_id, StudentChoice.question == name
        )
        rows: Sequence[object] = _choice_rows(student_id, name, getattr(new, name))
    elif name == "postings":
        stale = delete(Posting).where(Posting.student_id == student_id)
        rows = _posting_rows(student_id, new.postings)
    elif name == "offers":
        stale = delete(Offer).where(Offer.student_id == student_id)
        rows = _offer_rows(student_id, new.offers)
    elif name == "final_employment":
        stale = delete(Employment).where(Employment.student_id == student_id)
        rows = _employment_rows(student_id, new.final_employment)
    else:
        raise ValueError(f"{name!r} is not an employment field")
    await session.execute(stale.execution_options(synchronize_session=False))
    session.add_all(rows)


async def _store_changes(
    session: AsyncSession,
    student_id: int,
    old: StudentRecord,
    new: StudentRecord,
    *,
    author: str,
    cadre_id: int,
) -> int:
    """Write the employment fields that differ between `old` and `new` with their history rows.

    Returns the number of changed fields. When it is 0, nothing is written and updated_at is kept.
    """
    fields = changed_fields(old, new)
    if not fields:
        return 0
    for name in fields:
        await _replace_field(session, student_id, new, name)
    changed_at = utc_now()
    await session.execute(
        update(Student)
        .where(Student.id == student_id)
        .values(updated_at=changed_at)
        .execution_options(synchronize_session=False)
    )
    add_history(
        session,
        student_id=student_id,
        old=old,
        new=new,
        fields=fields,
        author=author,
        author_cadre_id=cadre_id if author == "cadre" else None,
        changed_at=changed_at,
    )
    await session.flush()
    return len(fields)


class EmploymentRepository:
    """Writes a paired student's job-posting and employment pages, one transaction per method call.

    Every method takes the id of the cadre the student is paired with and raises StudentNotFound when
    the student is not that cadre's or its pairing is in the recycle bin. `author` is one of
    AUTHOR_KINDS; the cadre id is stored with the history rows only when the author is `cadre`.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def update_employment(
        self,
        cadre_id: int,
        student_id: int,
        *,
        support_measures: ChoiceAnswer,
        recommend_channels: ChoiceAnswer,
        postings_recommended: bool,
        postings: Sequence[PostingRecord],
        has_offer: bool,
        offers: Sequence[OfferRecord],
        final_employment: EmploymentRecord | None,
        author: str = "cadre",
    ) -> int:
        """Replace the job-posting and employment pages of a student and return how many fields changed.

        A signed offer is moved to position 1. One history row is written per changed field, and the
        student's updated_at is set, so 0 means that nothing was written. Raises TooManyOffers for
        more than OFFERS_MAX offers, and ValueError for answers that break a filing rule (see
        _check_pages) or an unknown author. Nothing is written when it raises.
        """
        check_author(author)
        async with self._db.session() as session, session.begin():
            old = await _lock_student(session, cadre_id, student_id)
            new = replace(
                old,
                support_measures=support_measures,
                recommend_channels=recommend_channels,
                postings_recommended=postings_recommended,
                postings=tuple(postings),
                has_offer=has_offer,
                offers=tuple(signed_first(offers)),
                final_employment=final_employment,
            )
            _check_pages(new, student_id)
            count = await _store_changes(session, student_id, old, new, author=author, cadre_id=cadre_id)
            await notify_offer_signed(session, cadre_id=cadre_id, student_id=student_id, old=old, new=new)
        logger.info(
            "employment updated: student_id=%d changed_fields=%d author=%s", student_id, count, author
        )
        return count

    async def record_offer(
        self,
        cadre_id: int,
        student_id: int,
        offer: OfferRecord,
        *,
        final: EmploymentRecord | None = None,
        author: str = "cadre",
    ) -> OfferChange:
        """Add one offer to a student, or replace the listed offer of the same company, and set has_offer.

        The offer rules of store.offer_rules apply: company names match after normalization, a
        replacing offer without a position keeps the listed one, and a signed offer becomes offer 1.
        `final`, when given, replaces the final employment. Raises TooManyOffers when an offer would
        be added to a student with OFFERS_MAX offers, and ValueError for an invalid offer or author.
        Nothing is written when it raises.
        """
        check_author(author)
        check_offer(offer)
        async with self._db.session() as session, session.begin():
            old = await _lock_student(session, cadre_id, student_id)
            placement = place_offer(old.offers, offer, student_id=student_id)
            new = replace(
                old,
                has_offer=True,
                offers=placement.offers,
                final_employment=final if final is not None else old.final_employment,
            )
            count = await _store_changes(session, student_id, old, new, author=author, cadre_id=cadre_id)
            await notify_offer_signed(session, cadre_id=cadre_id, student_id=student_id, old=old, new=new)
        logger.info(
            "offer recorded: student_id=%d added=%s position=%d changed_fields=%d author=%s",
            student_id,
            placement.added,
            placement.index + 1,
            count,
            author,
        )
        return OfferChange(
            added=placement.added,
            position=placement.index + 1,
            moved_to_first=placement.index == 0 and placement.index_before != 0,
            previous=placement.previous,
            changed_fields=count,
        )
