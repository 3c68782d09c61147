"""The conversation's backend on the SQL store: cadres, pairings, phone checks and the university list."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError

from bot.backend_committees import CommitteesMixin
from bot.backend_students import StudentsMixin
from bot.binding import PhoneBinding
from bot.db_failures import is_connection_failure
from bot.submission import pairing_submission
from dialogs.conversation import BackendUnavailable, CadreInfo, SubmitReport
from dialogs.my_pairings import PairingLine
from dialogs.parsing import Catalogue
from dialogs.registration import CodeRequestResult, CodeVerifyResult
from dialogs.spec import Answers
from dialogs.universities import UniversityCatalogue
from store.db import Database
from store.errors import StudentPhoneTaken
from store.records import CadreProfile
from store.repositories import CadreRepository, PairingRepository
from store.universities import list_universities

log = logging.getLogger("jiedui.backend")

CATALOGUE_REFRESH_S = 600.0
"""How often each worker reloads the university list, so an import reaches running workers."""

PHONE_TAKEN = "该手机号的学生已在结对名单中（学生手机号在全库唯一），不能重复添加。请核对手机号；如确属重复，请联系所在高校团委。"


def _cadre_info(profile: CadreProfile) -> CadreInfo:
    return CadreInfo(
        phone=profile.phone,
        name=profile.name,
        name_locked=profile.name_locked,
        title=profile.title,
        identity=profile.identity,
    )


class StoreBackend(StudentsMixin, CommitteesMixin):
    """Implements `dialogs.conversation.Backend` with the SQL repositories."""

    def __init__(
        self,
        db: Database,
        catalogue: UniversityCatalogue,
        binding: PhoneBinding,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.binding = binding
        self.cadres = CadreRepository(db)
        self.pairings = PairingRepository(db)
        self._open_student_repositories(db)
        self._open_committee_repository(db)
        self._catalogue = catalogue
        self._clock = clock
        self._loaded_at = clock()

    @classmethod
    async def open(cls, db: Database, binding: PhoneBinding) -> StoreBackend:
        """Create a backend with the university list loaded from the database."""
        return cls(db, await load_catalogue(db), binding)

    def catalogue(self) -> Catalogue:
        return self._catalogue

    async def refresh_catalogue(self, *, force: bool = False) -> None:
        """Reload the university list when it is older than CATALOGUE_REFRESH_S (or when forced)."""
        if force or self._clock() - self._loaded_at > CATALOGUE_REFRESH_S:
            self._catalogue = await load_catalogue(self.db)
            self._loaded_at = self._clock()

    async def cadre(self, openid: str) -> CadreInfo | None:
        profile = await self._guard(self.cadres.get_by_openid(openid))
        return None if profile is None else _cadre_info(profile)

    async def request_code(self, openid: str, phone: str) -> CodeRequestResult:
        result: CodeRequestResult = await self._guard(self.binding.request_code(openid, phone))
        return result

    async def verify_code(self, openid: str, phone: str, code: str) -> CodeVerifyResult:
        result: CodeVerifyResult = await self._guard(self.binding.verify_code(openid, phone, code))
        return result

    async def check(self, name: str, value: Any, answers: Answers) -> str | None:
        if name == "student_phone_free":
            taken = await self._guard(self.pairings.phones_taken([value]))
            return PHONE_TAKEN if taken else None
        raise KeyError(f"unknown field check {name!r}")

    async def submit_pairing(self, openid: str, answers: Answers, context: Mapping[str, Any]) -> SubmitReport:
        submission = pairing_submission(openid, answers, context)
        try:
            result = await self._guard(self.pairings.submit(submission))
        except StudentPhoneTaken as error:
            return SubmitReport(taken_phones=error.phones)
        names = tuple(student.name for student in submission.students)
        log.info(
            "pairing submitted: submission=%s students=%d created=%s",
            result.submission_id,
            len(result.student_ids),
            result.created,
        )
        return SubmitReport(saved_names=names, repeated=not result.created)

    async def list_pairings(self, openid: str) -> list[PairingLine]:
        profile = await self._guard(self.cadres.get_by_openid(openid))
        if profile is None:
            return []
        summaries = await self._guard(self.pairings.list_for_cadre(profile.id))
        return [
            PairingLine(s.student_id, s.student_name, s.major, s.offer_status, s.updated_at.date().isoformat())
            for s in summaries
        ]

    async def _guard(self, operation: Any) -> Any:
        """Await a repository call; a lost database connection becomes BackendUnavailable."""
        try:
            return await operation
        except (OperationalError, DBAPIError, OSError) as error:
            if not is_connection_failure(error):
                raise
            log.warning("database unavailable: %s", type(error).__name__)
            raise BackendUnavailable(str(type(error).__name__)) from error


async def load_catalogue(db: Database) -> UniversityCatalogue:
    """Build the matching catalogue from the universities table."""
    universities = await list_universities(db)
    return UniversityCatalogue((university.code, university.name) for university in universities)
