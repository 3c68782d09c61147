"""An in-memory conversation backend for dialog tests that need no database."""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dialogs.conversation import CadreInfo, PairingLine, SubmitReport
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
            PairingLine(student["name"], student["major"], "暂无offer", "2026-12-04")
            for answers, _ in self.submitted
            for student in answers["students"]
        ]
