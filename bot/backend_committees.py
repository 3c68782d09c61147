"""The committee part of the conversation's backend on the SQL store (`dialogs.committee.CommitteeBackend`)."""

from __future__ import annotations

from dialogs.committee import BindResult, CommitteeView, RequestResult
from store.db import Database
from store.repo_committees import PASSCODE_MISSES_TO_NOTIFY, CommitteeRecord, CommitteeRepository


def _view(record: CommitteeRecord) -> CommitteeView:
    return CommitteeView(
        name=record.name,
        level=record.level,
        university=record.university_name,
        parent=record.parent_name,
        members=record.members,
    )


class CommitteesMixin:
    """Implements `dialogs.committee.CommitteeBackend`; call `_open_committee_repository` in `__init__`."""

    committees: CommitteeRepository

    def _open_committee_repository(self, db: Database) -> None:
        self.committees = CommitteeRepository(db)

    async def bind_committee(self, openid: str, code: str) -> BindResult:
        outcome = await self.committees.bind(openid, code)
        return BindResult(outcome.status, _view(outcome.committee) if outcome.committee else None)

    async def unbind_committee(self, openid: str) -> str | None:
        return await self.committees.unbind(openid)

    async def my_committee(self, openid: str) -> CommitteeView | None:
        record = await self.committees.membership(openid)
        return _view(record) if record is not None else None

    async def request_change(self, openid: str, text: str) -> RequestResult:
        outcome = await self.committees.request_change(openid, text)
        return RequestResult(outcome.status, outcome.committee)

    async def passcode_missed(self, openid: str, text: str) -> int:
        misses = await self.committees.record_passcode_miss(openid, text)
        # The repository starts counting again after it notified the administrators.
        return PASSCODE_MISSES_TO_NOTIFY if misses >= PASSCODE_MISSES_TO_NOTIFY else 0

    async def passcode_matched(self, openid: str) -> None:
        await self.committees.clear_passcode_misses(openid)
