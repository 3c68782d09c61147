"""「我的结对」: the cadre's list of students, a student's details, updates by page and by one message.

Outside any dialog the session may contain `list`, the student ids of the last list shown, so that
「3」 or 「修改 3」 refer to it. It may also contain `pick`, a quick update that waits for the cadre to
choose between students of the same name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from dialogs import render, replies
from dialogs.engine import Engine, new_state
from dialogs.paging import PAGE_BREAK
from dialogs.pairing import SIGNED
from dialogs.quick import QuickUpdate, looks_like_quick_update, parse_quick_update
from dialogs.spec import PREFILL_KEY, Answers
from dialogs.updates import (
    ACTION_JOIN,
    ACTION_OF_KIND,
    BASIC_KEYS,
    KNOWN_OFFER_KEY,
    QUICK,
    QUICK_FORMS,
    UPDATE,
    UPDATE_PAGE,
)
from dialogs.walk import LOCKED_KEY, PageSummary

GROUP_KEYS = ("postings", "offers")
_NUMBER = re.compile(r"^\d+\. ")
"""The number of a summary line; the details page drops it, since 「修改 N」 there names a student."""
LIST_PAGE_ROWS = 10
"""Students per page of 「我的结对」."""


@dataclass(frozen=True)
class PairingLine:
    """One student in 「我的结对」."""

    student_id: int
    name: str
    major: str
    offer_status: str
    updated_on: str


@dataclass(frozen=True)
class StudentView:
    """A submitted student with the answers of its three pages, in the dialogs' answer format."""

    student_id: int
    name: str
    major: str
    phone: str
    university: str
    answers: Answers = field(default_factory=dict)


@dataclass(frozen=True)
class QuickResult:
    """The outcome of a quick update.

    `added` is False when an existing offer was updated. `moved_first` means a signed offer became
    offer 1. With `too_many` (the student already has 10 offers) or `gone` (the pairing was deleted
    meanwhile) nothing was stored.
    """

    added: bool = False
    moved_first: bool = False
    too_many: bool = False
    gone: bool = False


class StudentsBackend(Protocol):
    """The database side of 「我的结对」."""

    async def list_pairings(self, openid: str) -> list[PairingLine]:
        """List the students paired with the cadre bound to `openid`."""

    async def get_student(self, openid: str, student_id: int) -> StudentView | None:
        """Return one of the cadre's students, or None."""

    async def find_students(self, openid: str, *, name: str | None, phone: str | None) -> list[StudentView]:
        """Find the cadre's students by exact name or by phone."""

    async def update_student(self, openid: str, student_id: int, answers: Answers) -> int:
        """Replace a student's job-posting and employment pages; return the number of changed fields.

        A negative number means the pairing no longer exists (deleted by the committee meanwhile).
        """

    async def record_quick_update(self, openid: str, student_id: int, answers: Answers) -> QuickResult:
        """Store one offer or job from a quick update."""


def _mask(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else phone


def _label(student: StudentView) -> str:
    return f"{student.name}（{student.major}，{_mask(student.phone)}）"


def _offers(student: StudentView) -> list[Mapping[str, Any]]:
    return list(student.answers.get("offers") or [])


def _company_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


class MyPairings:
    """The flows of 「我的结对」; the conversation owns the session and calls these."""

    def __init__(self, backend: StudentsBackend, engines: Mapping[str, Engine]) -> None:
        self.backend = backend
        self.engines = engines

    async def show_list(self, session: dict, openid: str) -> str:
        """Render the numbered list and remember which student each number is."""
        lines = await self.backend.list_pairings(openid)
        session["list"] = [line.student_id for line in lines]
        if not lines:
            return replies.NO_PAIRINGS
        rows = [
            f"{number}. {line.name} · {line.major} · {line.offer_status} · {line.updated_on}更新"
            for number, line in enumerate(lines, 1)
        ]
        pages = ["\n".join(rows[start : start + LIST_PAGE_ROWS]) for start in range(0, len(rows), LIST_PAGE_ROWS)]
        header = replies.PAIRINGS_HEADER.format(count=len(lines))
        return header + "\n" + PAGE_BREAK.join(pages) + "\n" + replies.PAIRINGS_FOOTER

    async def _student(self, session: dict, openid: str, number: int) -> StudentView | str:
        ids = session.get("list")
        if not ids:
            return await self.show_list(session, openid)
        if not 1 <= number <= len(ids):
            return replies.NO_SUCH_STUDENT.format(number=number, count=len(ids))
        student = await self.backend.get_student(openid, int(ids[number - 1]))
        return student if student is not None else replies.STUDENT_GONE

    async def details(self, session: dict, openid: str, number: int) -> str:
        """Render one student's three pages, numbered as in the update summary."""
        student = await self._student(session, openid, number)
        if isinstance(student, str):
            return student
        context = {"university": student.university}
        scope = {**student.answers, LOCKED_KEY: list(BASIC_KEYS)}
        position = PageSummary(UPDATE_PAGE, scope, (), f"【{student.name}】")
        lines = [position.header + replies.DETAILS_TITLE]
        numbered = render.summary_lines(render.page_entries(position), scope, context)
        lines += [_NUMBER.sub("· ", line, count=1) for line in numbered]
        lines.append(replies.DETAILS_FOOTER.format(number=number))
        return "\n".join(lines)

    async def start_update(self, session: dict, openid: str, number: int) -> str:
        """Open the page-by-page update of a student, basic info locked and the rest offered with 「不变」."""
        student = await self._student(session, openid, number)
        if isinstance(student, str):
            return student
        answers: Answers = {key: student.answers[key] for key in BASIC_KEYS if key in student.answers}
        answers[LOCKED_KEY] = list(BASIC_KEYS)
        answers[PREFILL_KEY] = {
            key: value
            for key, value in student.answers.items()
            if key not in BASIC_KEYS and key not in GROUP_KEYS and not key.startswith("_")
        }
        for key in GROUP_KEYS:
            if student.answers.get(key):
                answers[key] = [dict(item) for item in student.answers[key]]
        context = {"university": student.university, "student_id": student.student_id, "student_name": student.name}
        engine = self.engines[UPDATE.key]
        state = new_state(UPDATE, answers, context)
        session["dialog"] = state
        intro = replies.UPDATE_INTRO.format(name=student.name)
        return intro + "\n\n" + engine.prompt(state)

    async def finish_update(self, openid: str, state: dict) -> str:
        """Save a confirmed update."""
        context = state["context"]
        changed = await self.backend.update_student(openid, int(context["student_id"]), state["answers"])
        if changed < 0:
            return replies.STUDENT_GONE
        if not changed:
            return replies.UPDATE_UNCHANGED.format(name=context["student_name"])
        return replies.UPDATE_SAVED.format(name=context["student_name"], count=changed)

    # Quick updates -----------------------------------------------------------------------------

    def is_quick(self, text: str) -> bool:
        """Tell whether a message outside any dialog reads as a quick offer update."""
        return looks_like_quick_update(text)

    async def quick(self, session: dict, openid: str, text: str) -> str:
        """Start a quick update from one message, or explain the accepted forms."""
        update = parse_quick_update(text)
        if update is None:
            return replies.QUICK_NOT_UNDERSTOOD + "\n\n" + QUICK_FORMS
        if not update.student_name and not update.student_phone:
            return replies.QUICK_NO_STUDENT + "\n\n" + QUICK_FORMS
        found = await self.backend.find_students(openid, name=update.student_name, phone=update.student_phone)
        if not found:
            who = update.student_name or _mask(update.student_phone or "")
            return replies.QUICK_UNKNOWN_STUDENT.format(who=who)
        if len(found) > 1:
            session["pick"] = {"ids": [student.student_id for student in found], "update": _as_dict(update)}
            rows = [replies.QUICK_PICK.format(count=len(found), name=found[0].name)]
            rows += [f"{number}. {_label(student)}" for number, student in enumerate(found, 1)]
            return "\n".join(rows)
        return self._start_quick(session, found[0], update)

    async def pick(self, session: dict, openid: str, text: str) -> str | None:
        """Resolve a pending choice between students; None when `text` is not a choice."""
        pending = session.pop("pick", None)
        if not pending or not text.strip().isdigit():
            return None
        number = int(text.strip())
        if not 1 <= number <= len(pending["ids"]):
            session["pick"] = pending
            return replies.NO_SUCH_STUDENT.format(number=number, count=len(pending["ids"]))
        student = await self.backend.get_student(openid, int(pending["ids"][number - 1]))
        if student is None:
            return replies.STUDENT_GONE
        return self._start_quick(session, student, QuickUpdate(**pending["update"]))

    def _start_quick(self, session: dict, student: StudentView, update: QuickUpdate) -> str:
        answers: Answers = {"action": ACTION_OF_KIND[update.action]}
        for key, value in (("company", update.company), ("position", update.position)):
            if value:
                answers[key] = value
        if update.action == "offer" and update.status:
            answers["status"] = {"option": update.status, "other": None}
        if update.action == "join" and update.start_date:
            answers["start_date"] = update.start_date
        known = self._known_offer(student, update.company)
        if known is not None:
            answers[KNOWN_OFFER_KEY] = True
            answers["company"] = known.get("company")
            answers.setdefault("position", known.get("position"))
        context = {"student_id": student.student_id, "student_label": _label(student), "student_name": student.name}
        state = new_state(QUICK, answers, context)
        session["dialog"] = state
        understood = [answers["action"], *(str(answers[key]) for key in ("company", "position") if answers.get(key))]
        if update.status and update.action == "offer":
            understood.append(update.status)
        if update.start_date:
            understood.append(update.start_date)
        intro = replies.QUICK_INTRO.format(student=_label(student), understood=" · ".join(understood))
        warnings = self._signed_warnings(student, update, known)
        return "\n".join([intro, *warnings]) + "\n\n" + self.engines[QUICK.key].prompt(state)

    @staticmethod
    def _signed_warnings(
        student: StudentView, update: QuickUpdate, known: Mapping[str, Any] | None
    ) -> list[str]:
        """Point out a second signed offer, or a signed offer about to be rejected."""
        signed = [offer for offer in _offers(student) if _is_signed(offer) and offer is not known]
        signing = update.action in ("sign", "join") or (update.action == "offer" and update.status == SIGNED)
        warnings = []
        if signing and signed:
            warnings.append(replies.QUICK_ALREADY_SIGNED.format(company=signed[0].get("company", "")))
        if update.action == "reject" and known is not None and _is_signed(known):
            warnings.append(replies.QUICK_REJECT_SIGNED.format(company=known.get("company", "")))
        return warnings

    @staticmethod
    def _known_offer(student: StudentView, company: str | None) -> Mapping[str, Any] | None:
        if not company:
            return None
        offers = _offers(student)
        wanted = _company_key(company)
        for offer in offers:
            if _company_key(str(offer.get("company", ""))) == wanted:
                return offer
        # A short name (腾讯) stands for the one listed full name that contains it.
        containing = [offer for offer in offers if wanted in _company_key(str(offer.get("company", "")))]
        return containing[0] if len(containing) == 1 and len(wanted) >= 2 else None

    async def finish_quick(self, openid: str, state: dict) -> str:
        """Save a confirmed quick update and return the message describing the change."""
        context, answers = state["context"], state["answers"]
        result = await self.backend.record_quick_update(openid, int(context["student_id"]), answers)
        if result.gone:
            return replies.STUDENT_GONE
        if result.too_many:
            return replies.QUICK_TOO_MANY.format(name=context["student_name"])
        if answers.get("action") == ACTION_JOIN:
            what = replies.QUICK_JOINED
        else:
            what = replies.QUICK_ADDED if result.added else replies.QUICK_UPDATED
        message = what.format(name=context["student_name"], company=answers.get("company", ""))
        if result.moved_first:
            message += replies.QUICK_MOVED_FIRST.format(status=SIGNED)
        return message


def _as_dict(update: QuickUpdate) -> dict[str, Any]:
    return {
        "student_name": update.student_name,
        "student_phone": update.student_phone,
        "action": update.action,
        "company": update.company,
        "position": update.position,
        "status": update.status,
        "start_date": update.start_date,
    }


def _is_signed(offer: Mapping[str, Any]) -> bool:
    status = offer.get("status")
    return isinstance(status, Mapping) and status.get("option") == SIGNED
