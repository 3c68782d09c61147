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
from dialogs.spec import Answers
from dialogs.universities import UniversityCatalogue

CSV_PATH = Path(__file__).resolve().parents[2] / "store" / "data" / "universities.csv"


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
        self.submitted: list[tuple[Answers, Mapping[str, Any]]] = []
        self.taken_phones: set[str] = set()
        self.fail_submit = False

    def catalogue(self) -> UniversityCatalogue:
        return real_catalogue()

    async def cadre(self, openid: str) -> CadreInfo | None:
        return self.cadres.get(openid)

    async def bind_phone(self, openid: str, phone: str) -> CadreInfo:
        self.cadres[openid] = CadreInfo(phone=phone)
        return self.cadres[openid]

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
        self.cadres[openid] = CadreInfo(cadre.phone, answers["cadre_name"], True)
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
