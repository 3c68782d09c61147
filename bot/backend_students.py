"""The 「我的结对」 part of the store backend: reading a cadre's students and updating their employment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import Any

from bot.submission import student_answers, student_record
from dialogs.my_pairings import QuickResult, StudentView
from dialogs.spec import Answers
from dialogs.updates import ACTION_JOIN, ACTION_REJECT, ACTION_SIGN
from store.db import Database
from store.errors import StudentNotFound, TooManyOffers
from store.offer_rules import company_key
from store.records import EmploymentRecord, OfferRecord, StudentDetail
from store.repositories import CadreRepository, EmploymentRepository, StudentRepository

SIGNED = "已签约"
STUDENT_GONE = -1
"""What `update_student` returns when the pairing was deleted in the meantime."""
REJECTED = "已拒绝"


def _view(detail: StudentDetail) -> StudentView:
    record = detail.record
    return StudentView(
        detail.student_id,
        record.name,
        record.major,
        record.phone,
        detail.university_name,
        student_answers(record),
    )


def _status(answers: Answers) -> tuple[str, str | None]:
    action = answers["action"]
    if action in (ACTION_SIGN, ACTION_JOIN):
        return SIGNED, None
    if action == ACTION_REJECT:
        return REJECTED, None
    status = answers.get("status") or {}
    return str(status.get("option", "")), status.get("other")


class StudentsMixin:
    """Methods of `dialogs.my_pairings.StudentsBackend`; StoreBackend supplies `_guard` and the cadre look-up."""

    cadres: CadreRepository

    def _open_student_repositories(self, db: Database) -> None:
        self.students = StudentRepository(db)
        self.employment = EmploymentRepository(db)

    async def _guard(self, operation: Awaitable[Any]) -> Any:
        raise NotImplementedError

    async def _cadre_id(self, openid: str) -> int | None:
        profile = await self._guard(self.cadres.get_by_openid(openid))
        return None if profile is None else int(profile.id)

    async def get_student(self, openid: str, student_id: int) -> StudentView | None:
        cadre_id = await self._cadre_id(openid)
        if cadre_id is None:
            return None
        detail = await self._guard(self.students.get_student(cadre_id, student_id))
        return None if detail is None else _view(detail)

    async def find_students(self, openid: str, *, name: str | None, phone: str | None) -> list[StudentView]:
        cadre_id = await self._cadre_id(openid)
        if cadre_id is None or not (name or phone):
            return []
        found = await self._guard(
            self.students.find_students(cadre_id, name=None if phone else name, phone=phone)
        )
        return [_view(detail) for detail in found]

    async def update_student(self, openid: str, student_id: int, answers: Answers) -> int:
        cadre_id = await self._cadre_id(openid)
        if cadre_id is None:
            return 0
        record = student_record(answers)
        try:
            changed = await self._guard(
                self.employment.update_employment(
                    cadre_id,
                    student_id,
                    support_measures=record.support_measures,
                    recommend_channels=record.recommend_channels,
                    postings_recommended=record.postings_recommended,
                    postings=record.postings,
                    has_offer=record.has_offer,
                    offers=record.offers,
                    final_employment=record.final_employment,
                )
            )
        except StudentNotFound:
            return STUDENT_GONE
        return int(changed)

    async def record_quick_update(self, openid: str, student_id: int, answers: Answers) -> QuickResult:
        cadre_id = await self._cadre_id(openid)
        if cadre_id is None:
            return QuickResult()
        company, position = str(answers["company"]), str(answers.get("position") or "")
        status, status_other = _status(answers)
        offer = OfferRecord(
            company, position, await self._branch(cadre_id, student_id, answers), status, status_other
        )
        final = None
        if answers["action"] == ACTION_JOIN:
            start = answers.get("start_date")
            final = EmploymentRecord(company, position, dt.date.fromisoformat(start) if start else None)
        try:
            change = await self._guard(self.employment.record_offer(cadre_id, student_id, offer, final=final))
        except TooManyOffers:
            return QuickResult(too_many=True)
        except StudentNotFound:
            return QuickResult(gone=True)
        return QuickResult(added=change.added, moved_first=change.moved_to_first)

    async def _branch(self, cadre_id: int, student_id: int, answers: Answers) -> bool:
        """Return 是否团支部推荐: the answer given, else the value of the listed offer of that company."""
        if "branch_recommended" in answers:
            return bool(answers["branch_recommended"])
        detail = await self._guard(self.students.get_student(cadre_id, student_id))
        if detail is not None:
            for offer in detail.record.offers:
                if company_key(offer.company) == company_key(str(answers["company"])):
                    return offer.branch_recommended
        return False
