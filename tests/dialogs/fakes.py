"""An in-memory conversation backend for dialog tests that need no database."""

from __future__ import annotations

import copy
import csv
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dialogs.conversation import CadreInfo, SubmitReport
from dialogs.my_pairings import PairingLine, QuickResult, StudentView
from dialogs.registration import MAX_TRIES, CodeRequestResult, CodeVerifyResult
from dialogs.spec import Answers
from dialogs.universities import UniversityCatalogue

CSV_PATH = Path(__file__).resolve().parents[2] / "store" / "data" / "universities.csv"

FAKE_CODE = "000000"
"""The verification code FakeBackend sends to every phone, like the development code of the log sender."""


@functools.cache
def real_catalogue() -> UniversityCatalogue:
    """Return a catalogue of the packaged Ministry of Education list (built once per test run)."""
    with CSV_PATH.open(encoding="utf-8") as handle:
        rows = [(row["code"], row["name"]) for row in csv.DictReader(handle)]
    return UniversityCatalogue(rows)


class FakeBackend:
    """Keeps cadres and submitted drafts in dicts; `taken_phones` simulates students stored by others."""

    def __init__(self) -> None:
        self.cadres: dict[str, CadreInfo] = {}
        self.pending_codes: dict[tuple[str, str], int] = {}
        """Failed attempts of the code sent for each (OpenID, phone) that is waiting to be entered."""
        self.codes_sent: list[str] = []
        self.submitted: list[tuple[Answers, Mapping[str, Any]]] = []
        self.taken_phones: set[str] = set()
        self.fail_submit = False

    def catalogue(self) -> UniversityCatalogue:
        return real_catalogue()

    async def cadre(self, openid: str) -> CadreInfo | None:
        return self.cadres.get(openid)

    async def request_code(self, openid: str, phone: str) -> CodeRequestResult:
        self.pending_codes[(openid, phone)] = 0
        self.codes_sent.append(phone)
        return CodeRequestResult("sent")

    async def verify_code(self, openid: str, phone: str, code: str) -> CodeVerifyResult:
        key = (openid, phone)
        if key not in self.pending_codes:
            return CodeVerifyResult("missing")
        if code != FAKE_CODE:
            self.pending_codes[key] += 1
            left = MAX_TRIES - self.pending_codes[key]
            if left <= 0:
                del self.pending_codes[key]
            return CodeVerifyResult("wrong", tries_left=left)
        del self.pending_codes[key]
        previous = self.cadres.pop(openid, None)
        holders = [other for other, info in self.cadres.items() if info.phone == phone]
        known = self.cadres.pop(holders[0]) if holders else None
        self.cadres[openid] = known or CadreInfo(phone=phone)
        previous_phone = previous.phone if previous is not None and previous.phone != phone else None
        return CodeVerifyResult("bound", took_from_other_openid=bool(holders), previous_phone=previous_phone)

    async def check(self, name: str, value: Any, answers: Answers) -> str | None:
        if name == "student_phone_free" and value in self.taken_phones:
            return "该手机号的学生已在结对名单中。"
        return None

    async def submit_pairing(self, openid: str, answers: Answers, context: Mapping[str, Any]) -> SubmitReport:
        from dialogs.conversation import BackendUnavailable

        if self.fail_submit:
            raise BackendUnavailable("test")
        phones = {student["phone"] for student in answers["students"]}
        taken = phones & self.taken_phones
        if taken:
            return SubmitReport(taken_phones=frozenset(taken))
        self.submitted.append((answers, context))
        self.taken_phones |= phones
        cadre = self.cadres[openid]
        self.cadres[openid] = CadreInfo(
            cadre.phone, answers["cadre_name"], True, answers["cadre_title"], answers["cadre_identity"]
        )
        return SubmitReport(saved_names=tuple(student["name"] for student in answers["students"]))

    async def list_pairings(self, openid: str) -> list[PairingLine]:
        return [
            PairingLine(number, student["name"], student["major"], "暂无offer", "2026-12-04")
            for number, student in enumerate(self.students(), 1)
        ]

    def students(self) -> list[Answers]:
        """Return every submitted student, in submission order."""
        return [student for answers, _ in self.submitted for student in answers["students"]]

    def _own(self, student_id: int) -> Answers | None:
        students = self.students()
        return students[student_id - 1] if 1 <= student_id <= len(students) else None

    def _view(self, student_id: int, student: Answers) -> StudentView:
        answers = {key: copy.deepcopy(value) for key, value in student.items() if not key.startswith("_")}
        return StudentView(student_id, student["name"], student["major"], student["phone"], "北京大学", answers)

    async def get_student(self, openid: str, student_id: int) -> StudentView | None:
        student = self._own(student_id)
        return None if student is None else self._view(student_id, student)

    async def find_students(self, openid: str, *, name: str | None, phone: str | None) -> list[StudentView]:
        return [
            self._view(number, student)
            for number, student in enumerate(self.students(), 1)
            if (name and student["name"] == name) or (phone and student["phone"] == phone)
        ]

    async def update_student(self, openid: str, student_id: int, answers: Answers) -> int:
        student = self._own(student_id)
        assert student is not None
        changed = 0
        for key in set(answers) | set(student):
            if key.startswith("_") or key in {"name", "gender", "phone", "department", "major"}:
                continue
            if answers.get(key) != student.get(key):
                changed += 1
                if key in answers:
                    student[key] = copy.deepcopy(answers[key])
                else:
                    student.pop(key, None)
        return changed

    async def record_quick_update(self, openid: str, student_id: int, answers: Answers) -> QuickResult:
        student = self._own(student_id)
        assert student is not None
        status = {"签约": "已签约", "拒绝": "已拒绝"}.get(answers["action"])
        offers = student.setdefault("offers", [])
        if answers["action"] == "入职":
            student.update(final_employer=answers["company"], final_position=answers["position"])
            return QuickResult()
        match = next((offer for offer in offers if offer["company"] == answers["company"]), None)
        if match is None and len(offers) >= 10:
            return QuickResult(too_many=True)
        offer = match or {"company": answers["company"], "branch_recommended": bool(answers.get("branch_recommended"))}
        offer["position"] = answers["position"]
        offer["status"] = {"option": status, "other": None} if status else answers["status"]
        if match is None:
            offers.append(offer)
        student["has_offer"] = True
        moved = offer["status"]["option"] == "已签约" and offers.index(offer) != 0
        if moved:
            offers.insert(0, offers.pop(offers.index(offer)))
        return QuickResult(added=match is None, moved_first=moved)
