"""The pairings workbook on disk (openpyxl): the template, reading rows, and the report of rejected rows.

Every function here does blocking file I/O; async callers run them in a thread.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bot.import_columns import REASON_HEADER, REPORT_HEADERS, ROW_NUMBER_HEADER, Column, describe
from dialogs.fields import Choice, YesNo

DATA_SHEET = "结对名单"
HELP_SHEET = "填写说明"
TEMPLATE_ROWS = 10_000
"""Rows of the template that get the drop-down lists of yes/no and single-choice columns."""

EXAMPLE_CELLS: dict[tuple[str, int, str], str] = {
    ("", 0, "cadre_phone"): "13800001111",
    ("", 0, "cadre_name"): "王建国",
    ("", 0, "cadre_title"): "校团委副书记",
    ("", 0, "cadre_identity"): "教师",
    ("", 0, "university"): "北京大学",
    ("", 0, "name"): "张三",
    ("", 0, "gender"): "男",
    ("", 0, "phone"): "13900002222",
    ("", 0, "department"): "计算机学院",
    ("", 0, "major"): "软件工程",
    ("", 0, "degree_level"): "本科",
    ("", 0, "graduation_year"): "2026",
    ("", 0, "difficulty_types"): "城乡低保家庭、其他：单亲家庭",
    ("", 0, "policy_guaranteed"): "是",
    ("", 0, "job_seeking"): "是",
    ("", 0, "intended_industry"): "互联网",
    ("", 0, "intended_position"): "后端开发",
    ("", 0, "intended_region"): "广东深圳",
    ("", 0, "branch_recommended"): "否",
    ("", 0, "support_measures"): "就业指导与职业规划、简历与面试辅导",
    ("", 0, "recommend_channels"): "线上推送岗位信息",
    ("", 0, "postings_recommended"): "是",
    ("postings", 1, "employer"): "深圳市腾讯计算机系统有限公司",
    ("postings", 1, "position"): "后端开发工程师",
    ("postings", 1, "location"): "广东深圳",
    ("postings", 2, "employer"): "华为技术有限公司",
    ("postings", 2, "position"): "软件工程师",
    ("postings", 2, "location"): "广东东莞",
    ("", 0, "has_offer"): "是",
    ("offers", 1, "company"): "华为技术有限公司",
    ("offers", 1, "position"): "软件工程师",
    ("offers", 1, "branch_recommended"): "否",
    ("offers", 1, "status"): "已签约",
    ("", 0, "final_employer"): "华为技术有限公司",
    ("", 0, "final_position"): "软件工程师",
    ("", 0, "final_start_date"): "2026-07-01",
}
"""The example row of the template, by (group key, item number, field key); a test checks that it imports."""

GENERAL_NOTES = (
    "每一行填写一名结对学生及其团干部；第2行是示例，导入时会自动跳过，可以删除。",
    "团干部电话是团干部在公众号绑定的手机号，导入的结对在该号码验证绑定后归其所有。",
    "多选题的多个选项用顿号「、」分隔；选「其他」时写明内容，例如：城乡低保家庭、其他：单亲家庭。",
    "岗位和 offer 按编号分列填写：岗位1…岗位10，offer1…offer10；不用的编号留空。",
    "学生手机号在全库唯一：已导入的学生再次导入不会重复，已属于其他团干部的学生不会被覆盖。",
)

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_EXAMPLE_FONT = Font(italic=True, color="808080")
_PROBLEM_FILL = PatternFill("solid", fgColor="F8CBAD")


class WorkbookError(Exception):
    """The workbook cannot be imported as a whole: unreadable, or with missing, unknown or repeated columns."""


@dataclass(frozen=True)
class SheetRow:
    """One data row: its Excel row number and the text of each cell by header (empty cells are '')."""

    number: int
    cells: dict[str, str]


@dataclass(frozen=True)
class SheetRows:
    """The headers of a data sheet in their order (report columns excluded) and its non-empty rows."""

    headers: tuple[str, ...]
    rows: tuple[SheetRow, ...]


def example_cells(columns: Sequence[Column]) -> dict[str, str]:
    """Return the template's example row by header."""
    return {
        column.header: EXAMPLE_CELLS.get(_column_key(column), "")
        for column in columns
        if _column_key(column) in EXAMPLE_CELLS
    }


def _column_key(column: Column) -> tuple[str, int, str]:
    return (column.group.key if column.group else "", column.number, column.field.key)


def write_template(path: Path, columns: Sequence[Column]) -> None:
    """Write an empty workbook with one header per column, the example row and a sheet of instructions."""
    workbook, sheet = _new_workbook()
    example = example_cells(columns)
    for index, column in enumerate(columns, start=1):
        header = sheet.cell(row=1, column=index, value=column.header)
        header.font, header.fill = _HEADER_FONT, _HEADER_FILL
        header.alignment = Alignment(wrap_text=True, vertical="center")
        cell = sheet.cell(row=2, column=index, value=example.get(column.header) or None)
        cell.font = _EXAMPLE_FONT
        cell.number_format = "@"
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, 2 * len(column.header) + 2)
        _add_choices(sheet, column, letter)
    sheet.freeze_panes = "A2"
    _write_help(workbook.create_sheet(HELP_SHEET), columns)
    workbook.save(path)


def _new_workbook() -> tuple[Workbook, Worksheet]:
    """Return a workbook whose only sheet is an empty data sheet."""
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    return workbook, workbook.create_sheet(DATA_SHEET)


def _add_choices(sheet: Worksheet, column: Column, letter: str) -> None:
    """Offer a drop-down list for yes/no and single-choice columns without an 其他 text."""
    field_type = column.field.type
    if isinstance(field_type, YesNo):
        options = ["是", "否"]
    elif isinstance(field_type, Choice) and field_type.other is None:
        options = list(field_type.options.labels)
    else:
        return
    validation = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
    validation.error = "请从下拉列表中选择。"
    validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
    sheet.add_data_validation(validation)


def _write_help(sheet: Worksheet, columns: Sequence[Column]) -> None:
    for note in GENERAL_NOTES:
        sheet.append([note])
    sheet.append([])
    sheet.append(["列名", "是否必填", "格式", "说明"])
    for cell in sheet[sheet.max_row]:
        cell.font = _HEADER_FONT
    for column in columns:
        sheet.append([column.header, *describe(column)])
    for letter, width in zip("ABCD", (24, 24, 60, 70), strict=True):
        sheet.column_dimensions[letter].width = width


def cell_text(value: Any) -> str:
    """Return a cell value as the text a cadre would have typed: 2026 not 2026.0, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(path: Path, known_headers: Sequence[str], required_headers: Sequence[str]) -> SheetRows:
    """Read the data sheet (结对名单, else the first sheet); raise WorkbookError for a sheet that cannot be used."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, zipfile.BadZipFile, KeyError) as error:
        raise WorkbookError(f"{path}: cannot be read as an .xlsx workbook ({error})") from error
    try:
        sheet = workbook[DATA_SHEET] if DATA_SHEET in workbook.sheetnames else workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header_row = next(lines, None)
        if header_row is None:
            raise WorkbookError(
                f"{path}: the sheet {sheet.title} is empty; start from `jiedui pairings template`"
            )
        headers = _check_headers(
            path, [cell_text(value) for value in header_row], known_headers, required_headers
        )
        rows = tuple(_data_rows(path, lines, headers))
    finally:
        workbook.close()
    data_headers = tuple(header for header in headers if header and header not in REPORT_HEADERS)
    return SheetRows(data_headers, rows)


def _check_headers(
    path: Path, headers: list[str], known_headers: Sequence[str], required_headers: Sequence[str]
) -> list[str]:
    known = set(known_headers) | set(REPORT_HEADERS)
    unknown = [header for header in headers if header and header not in known]
    repeated = sorted({header for header in headers if header and headers.count(header) > 1})
    missing = [header for header in required_headers if header not in headers]
    problems = []
    if unknown:
        problems.append(f"无法识别的列「{'、'.join(unknown)}」")
    if repeated:
        problems.append(f"列「{'、'.join(repeated)}」重复，每列只保留一个")
    if missing:
        problems.append(f"缺少必填列「{'、'.join(missing)}」")
    if problems:
        raise WorkbookError(f"{path}：{'；'.join(problems)}。请使用 `jiedui pairings template` 生成的表头。")
    return headers


def _data_rows(path: Path, lines: Iterator[tuple[Any, ...]], headers: list[str]) -> Iterator[SheetRow]:
    for number, values in enumerate(lines, start=2):
        texts = [cell_text(value) for value in values]
        if not any(texts):
            continue
        for index, text in enumerate(texts):
            if text and (index >= len(headers) or not headers[index]):
                letter = get_column_letter(index + 1)
                raise WorkbookError(f"{path}: cell {letter}{number} has a value but its column has no header")
        cells = {
            header: text
            for header, text in zip(headers, texts, strict=False)
            if header and header not in REPORT_HEADERS
        }
        yield SheetRow(number, cells)


def write_report(
    path: Path, headers: Sequence[str], rejected: Sequence[tuple[SheetRow, Mapping[str, str]]]
) -> None:
    """Write the rejected rows with their cells, their row number and the reasons, problem cells shaded.

    `rejected` pairs each row with its reasons by column. The workbook imports again once fixed, since
    the import ignores the row-number and reason columns.
    """
    workbook, sheet = _new_workbook()
    all_headers = [*headers, ROW_NUMBER_HEADER, REASON_HEADER]
    sheet.append(all_headers)
    for cell in sheet[1]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    for row, reasons in rejected:
        text = "；".join(f"「{column}」{reason.rstrip('。')}" for column, reason in reasons.items()) + "。"
        sheet.append([*(row.cells.get(header, "") for header in headers), row.number, text])
        for index, header in enumerate(headers, start=1):
            if header in reasons:
                sheet.cell(row=sheet.max_row, column=index).fill = _PROBLEM_FILL
    for index, header in enumerate(all_headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, 2 * len(header) + 2)
    sheet.column_dimensions[get_column_letter(len(all_headers))].width = 80
    sheet.freeze_panes = "A2"
    workbook.save(path)
