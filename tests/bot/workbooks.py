"""Builders of pairings workbooks for the import tests: a valid row by header, and the file itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

from bot.import_columns import workbook_columns
from bot.workbook import example_cells

HEADERS = [column.header for column in workbook_columns()]


def good_row(number: int, cadre_phone: str = "13800001111", **changes: Any) -> dict[str, Any]:
    """Return a valid row (the template's example) for student phone 1390000NNNN, with `changes` by header."""
    row: dict[str, Any] = dict(example_cells(workbook_columns()))
    row.update(
        {
            "团干部电话": cadre_phone,
            "学生手机号": f"1390000{number:04d}",
            "学生姓名": "张" + "零一二三四五六七八九"[number % 10] + "明",
        }
    )
    for header, value in changes.items():
        row[header] = value
    return row


def write_workbook(path: Path, rows: list[dict[str, Any]], headers: list[str] | None = None) -> Path:
    """Write `rows` (values by header; None or missing leaves a cell empty) under `headers`."""
    headers = headers or HEADERS
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "结对名单"
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(header) for header in headers])
    workbook.save(path)
    return path
