"""The script of one simulated cadre: registration, the example submission and a quick offer update.

The submission is docs/examples/submission.txt with the phone numbers replaced, so every simulated
cadre is a new cadre with new students (student phone numbers are unique in the whole database).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXAMPLE_SCRIPT = Path(__file__).resolve().parents[1] / "docs" / "examples" / "submission.txt"

BENCH_SMS_CODE = "000000"
"""The verification code of every binding: the server runs with JIEDUI_SMS_DEV_CODE set to it."""

EXAMPLE_CADRE_PHONE = "13800001111"
EXAMPLE_STUDENT_PHONES = ("13900002222", "13900003333")
EXAMPLE_CODE = "000000"

SUBMITTED_MARK = "提交成功"
QUICK_SAVED_MARK = "已为「"


def registration_lines(phone: str) -> list[str]:
    """Return the replies that bind `phone` after the bot asks for it: the number and the SMS code.

    Registration is the one part of the flow that changes with the verification method, so it is
    built here only.
    """
    return [phone, BENCH_SMS_CODE]


def quick_update_lines(student: str) -> list[str]:
    """Return a quick offer update about `student` and the answers up to 「确认」, which saves it."""
    return [f"{student} 拿到offer 美团 后端开发 已签约", "否", "确认"]


@dataclass(frozen=True)
class CadreScript:
    """Everything one simulated cadre sends, in order, and where the checks apply."""

    openid: str
    lines: tuple[str, ...]
    submit_index: int
    quick_start: int | None


def _example_body() -> list[str]:
    """Return the example's lines after registration (from the passcode on)."""
    lines = [line.strip() for line in EXAMPLE_SCRIPT.read_text(encoding="utf-8").splitlines() if line.strip()]
    if lines[:3] != ["提交结对", EXAMPLE_CADRE_PHONE, EXAMPLE_CODE]:
        raise ValueError(f"{EXAMPLE_SCRIPT} no longer starts with 提交结对, the phone and the code; update bench/script.py")
    return lines[3:]


def cadre_script(number: int, *, quick_updates: bool) -> CadreScript:
    """Build the script of simulated cadre `number` (0 or more), unique phones included."""
    body = _example_body()
    replacements = {
        EXAMPLE_STUDENT_PHONES[0]: f"139{2 * number:08d}",
        EXAMPLE_STUDENT_PHONES[1]: f"139{2 * number + 1:08d}",
    }
    body = [replacements.get(line, line) for line in body]
    lines = ["提交结对", *registration_lines(f"138{number:08d}"), *body]
    submit_index = len(lines) - 1
    quick_start = None
    if quick_updates:
        quick_start = len(lines)
        lines += quick_update_lines("张三")
    return CadreScript(openid=f"o-bench-{number:08d}", lines=tuple(lines), submit_index=submit_index, quick_start=quick_start)
