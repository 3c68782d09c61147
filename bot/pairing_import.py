"""Importing a committee's pairings workbook: read, check each row like the chat, write, and report.

`write_template` makes the workbook to fill in, and `import_workbook` imports one. Valid rows become
pairings with source 'import' under the cadre of their 团干部电话. The report lists, for every row that
was not imported, its row number, column and reason, and can be saved as a workbook of those rows
with a reason column, which imports again once fixed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.backend import load_catalogue
from bot.import_columns import CONDITIONS, UNIVERSITY_HEADER, Column, workbook_columns
from bot.import_rows import RowProblem, RowValidator
from bot.workbook import SheetRow, SheetRows, example_cells, read_rows, write_report
from bot.workbook import write_template as write_template_sheet
from dialogs.parsing import ParseContext
from dialogs.registration import mask_phone
from store.db import Database
from store.repo_imports import ImportConflict, ImportRecord, PairingImportRepository

log = logging.getLogger("jiedui.import")

REPEATED_STUDENT = "与第{row}行的学生手机号重复，同一名学生只能导入一次。"
OTHER_CADRE_NAME = "与第{row}行同一团干部电话的姓名「{name}」不一致，请统一团干部姓名。"
CONFLICT_REASONS = {
    "other_cadre": "该学生已在团干部 {phone} 的结对名单中（学生手机号在全库唯一），未覆盖；如需调整请联系团委在后台处理。",
    "deleted": "该学生的结对已被团委删除（在回收站中），未导入；如需恢复请联系团委。",
    "other_student": "该手机号已属于同一团干部名下的另一名学生「{name}」，未导入；请核对学生手机号。",
    "unpaired": "该学生已在库中但没有结对，未导入；请联系团委在后台处理。",
    "unknown_university": "高校不在当前的高校名单中，未导入；请核对高校全称。",
}


@dataclass(frozen=True)
class ImportReport:
    """The outcome of an import: counts of rows, and the problems of every row that was not imported."""

    rows: int
    imported: int
    unchanged: int
    problems: tuple[RowProblem, ...]
    example_skipped: bool = False
    cadres_created: int = 0

    @property
    def skipped(self) -> int:
        """The number of rows that were not imported because of a problem."""
        return len({problem.row for problem in self.problems})

    def lines(self) -> list[str]:
        """Return the report as the lines printed for a committee, in Chinese."""
        summary = (
            f"导入完成：共 {self.rows} 行，新导入 {self.imported} 行，已导入过未变 {self.unchanged} 行，"
            f"跳过 {self.skipped} 行；新建团干部 {self.cadres_created} 名。"
        )
        lines = [summary]
        if self.example_skipped:
            lines.append("模板中的示例行已跳过。")
        lines += [f"第{problem.row}行「{problem.column}」：{problem.reason}" for problem in self.problems]
        return lines


def write_template(path: Path) -> None:
    """Write the empty pairings workbook with the example row and the instructions sheet."""
    write_template_sheet(path, workbook_columns())


def _required_headers(columns: Sequence[Column]) -> list[str]:
    """Return the headers every workbook must have: required cadre and student columns without a condition."""
    return [
        column.header
        for column in columns
        if column.part != "item" and column.required and column.field.key not in CONDITIONS
    ]


async def import_workbook(db: Database, path: Path, *, report_path: Path | None = None) -> ImportReport:
    """Import the workbook at `path` into `db` and return the report; also save it at `report_path`.

    Raises bot.workbook.WorkbookError when the workbook cannot be read or its columns are wrong.
    """
    columns = workbook_columns()
    headers = [column.header for column in columns]
    sheet = await asyncio.to_thread(read_rows, path, headers, _required_headers(columns))
    validator = RowValidator(columns, ParseContext(catalogue=await load_catalogue(db)))
    example = {header: text for header, text in example_cells(columns).items() if text}
    rows = [row for row in sheet.rows if {h: t for h, t in row.cells.items() if t} != example]
    records, problems = await asyncio.to_thread(_validate_rows, validator, rows)
    result = await PairingImportRepository(db).import_records(records)
    problems += [_conflict_problem(conflict) for conflict in result.conflicts]
    problems.sort(key=lambda problem: problem.row)
    report = ImportReport(
        rows=len(rows),
        imported=len(result.imported),
        unchanged=len(result.unchanged),
        problems=tuple(problems),
        example_skipped=len(rows) < len(sheet.rows),
        cadres_created=result.cadres_created,
    )
    log.info(
        "pairings workbook imported: rows=%d imported=%d unchanged=%d skipped=%d",
        report.rows,
        report.imported,
        report.unchanged,
        report.skipped,
    )
    if report_path is not None:
        await asyncio.to_thread(_save_report, report_path, sheet, rows, report.problems)
    return report


def _header(part: str, key: str) -> str:
    return next(
        column.header for column in workbook_columns() if column.part == part and column.field.key == key
    )


def _validate_rows(
    validator: RowValidator, rows: Sequence[SheetRow]
) -> tuple[list[ImportRecord], list[RowProblem]]:
    """Check every row, then the rules across rows: a student once, one name per cadre phone."""
    student_phone_header, cadre_name_header = _header("student", "phone"), _header("cadre", "cadre_name")
    records: list[ImportRecord] = []
    problems: list[RowProblem] = []
    first_student_row: dict[str, int] = {}
    cadre_names: dict[str, tuple[int, str]] = {}
    for row in rows:
        checked = validator.validate(row.number, row.cells)
        if isinstance(checked, list):
            problems += checked
            continue
        phone = checked.student.phone
        if phone in first_student_row:
            reason = REPEATED_STUDENT.format(row=first_student_row[phone])
            problems.append(RowProblem(row.number, student_phone_header, reason))
            continue
        named = cadre_names.setdefault(checked.cadre_phone, (row.number, checked.cadre_name))
        if named[1] != checked.cadre_name:
            reason = OTHER_CADRE_NAME.format(row=named[0], name=named[1])
            problems.append(RowProblem(row.number, cadre_name_header, reason))
            continue
        first_student_row[phone] = row.number
        records.append(checked)
    return records, problems


def _conflict_problem(conflict: ImportConflict) -> RowProblem:
    column = UNIVERSITY_HEADER if conflict.reason == "unknown_university" else _header("student", "phone")
    phone = mask_phone(conflict.other_cadre_phone or "")
    reason = CONFLICT_REASONS[conflict.reason].format(phone=phone, name=conflict.other_student_name or "")
    return RowProblem(conflict.row, column, reason)


def _save_report(
    path: Path, sheet: SheetRows, rows: Sequence[SheetRow], problems: Sequence[RowProblem]
) -> None:
    reasons: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for problem in problems:
        reasons[problem.row][problem.column].append(problem.reason)
    rejected = [
        (row, {column: "".join(texts) for column, texts in reasons[row.number].items()})
        for row in rows
        if row.number in reasons
    ]
    write_report(path, sheet.headers, rejected)
