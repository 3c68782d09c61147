"""Importing pairings workbooks: the template, the rules per row, the report, and idempotence.

Runs on SQLite and PostgreSQL through the `database_url` fixture.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.backend import load_catalogue
from bot.import_columns import REASON_HEADER, ROW_NUMBER_HEADER, workbook_columns
from bot.import_rows import RowValidator
from bot.pairing_import import ImportReport, import_workbook, write_template
from bot.submission import student_record
from bot.workbook import DATA_SHEET, HELP_SHEET, WorkbookError, example_cells
from dialogs.parsing import ParseContext
from store.db import Database, upgrade
from store.models import Cadre, Offer, Pairing, Student
from store.records import PairingSubmission
from store.repositories import PairingRepository
from store.universities import ensure_loaded
from tests.bot.test_my_pairings_flow import draft
from tests.bot.workbooks import HEADERS, good_row, write_workbook

CADRE = "13800001111"
OTHER_CADRE = "13800002222"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    await upgrade(database_url)
    database = Database(database_url)
    await ensure_loaded(database)
    try:
        yield database
    finally:
        await database.dispose()


async def count(db: Database, model: Any, *conditions: Any) -> int:
    async with db.session() as session:
        statement = select(func.count()).select_from(model)
        for condition in conditions:
            statement = statement.where(condition)
        return int(await session.scalar(statement) or 0)


def problems_of(report: ImportReport) -> list[tuple[int, str, str]]:
    return [(problem.row, problem.column, problem.reason) for problem in report.problems]


def find(report: ImportReport, row: int, column: str) -> str:
    """Return the reasons given for one cell, joined; fail when there is none."""
    reasons = [reason for number, header, reason in problems_of(report) if (number, header) == (row, column)]
    assert reasons, f"no problem reported at row {row}, column {column}: {problems_of(report)}"
    return " ".join(reasons)


async def test_template_columns_and_example(tmp_path: Path, db: Database) -> None:
    path = tmp_path / "template.xlsx"
    write_template(path)

    workbook = load_workbook(path)
    sheet = workbook[DATA_SHEET]
    headers = [cell.value for cell in sheet[1]]
    assert headers == [column.header for column in workbook_columns()]
    assert {"团干部电话", "团干部姓名", "高校全称", "学生手机号", "岗位10工作地点", "offer10状态"} <= set(
        headers
    )
    assert sheet.max_row == 2
    assert HELP_SHEET in workbook.sheetnames
    validator = RowValidator(workbook_columns(), ParseContext(catalogue=await load_catalogue(db)))
    record = validator.validate(2, example_cells(workbook_columns()))
    assert not isinstance(record, list), record

    report = await import_workbook(db, path)
    assert (report.rows, report.imported, report.example_skipped) == (0, 0, True)
    assert await count(db, Student) == 0


async def test_good_and_bad_rows(tmp_path: Path, db: Database) -> None:
    await PairingRepository(db).submit(
        PairingSubmission(
            openid="o-other",
            cadre_phone=OTHER_CADRE,
            cadre_name="李建华",
            cadre_title="辅导员",
            cadre_identity="教师",
            university_code="4111010001",
            students=(student_record(draft("赵六", "13900000099")),),
            submission_key=secrets.token_hex(8),
        )
    )
    rows = [
        good_row(1),
        good_row(2, 学生手机号=13900000002, 毕业年份=2026, 入职日期=dt.datetime(2026, 7, 1)),
        good_row(3, 学生手机号="1380000"),
        good_row(4, 专业=None),
        good_row(5, 是否学校认定的政策保障学生="否"),
        good_row(6, 团支部名称="计算机学院团支部"),
        good_row(7, 岗位2单位名称=None, 岗位2名称=None, 岗位2工作地点=None),
        good_row(8, 岗位2工作地点=None),
        good_row(9, 困难类型="城乡低保家庭、其他"),
        good_row(10, 高校全称="北大"),
        good_row(11, 团干部身份="学生"),
        good_row(12, 学生手机号=CADRE),
        good_row(1, 学生姓名="重复"),
        good_row(14, 团干部姓名="王建民"),
        good_row(15, 学生手机号="13900000099"),
        good_row(
            16,
            offer1状态="考虑中",
            offer2企业名称="深圳市腾讯计算机系统有限公司",
            offer2岗位="后端开发",
            offer2是否团支部推荐="否",
            offer2状态="已签约",
        ),
        good_row(17, cadre_phone=OTHER_CADRE, 团干部姓名="李建华"),
        good_row(18, 是否拿到offer="否"),
    ]
    path = write_workbook(tmp_path / "pairings.xlsx", rows)

    report = await import_workbook(db, path, report_path=tmp_path / "report.xlsx")

    assert (report.rows, report.imported, report.unchanged) == (18, 4, 0)
    assert report.skipped == 14
    assert "11位" in find(report, 4, "学生手机号")
    assert "必填" in find(report, 5, "专业")
    assert "非学校认定的政策保障学生无法添加结对" in find(report, 6, "是否学校认定的政策保障学生")
    assert "「是否团支部推荐」为「是」时必填" in find(report, 7, "团支部名称")
    assert "至少需要2个岗位，本行填了1个" in find(report, 8, "岗位1单位名称")
    assert "必填" in find(report, 9, "岗位2工作地点")
    assert "选了「其他」" in find(report, 10, "困难类型")
    assert "北京大学" in find(report, 11, "高校全称")
    assert "学生身份的团干无法添加结对" in find(report, 12, "团干部身份")
    assert "与团干部电话相同" in find(report, 13, "学生手机号")
    assert "与第2行的学生手机号重复" in find(report, 14, "学生手机号")
    assert "与第2行同一团干部电话的姓名「王建国」不一致" in find(report, 15, "团干部姓名")
    assert "138****2222 的结对名单中" in find(report, 16, "学生手机号")
    assert "这一列不应填写" in find(report, 19, "offer1企业名称")
    assert {row for row, _, _ in problems_of(report)} == {4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 19}

    assert await count(db, Pairing, Pairing.source == "import") == 4
    assert await count(db, Student) == 5
    async with db.session() as session:
        cadre = await session.scalar(select(Cadre).where(Cadre.phone == CADRE))
        signed_first = await session.scalar(
            select(Offer.company)
            .join(Student, Student.id == Offer.student_id)
            .where(Student.phone == "13900000016", Offer.position_order == 1)
        )
    assert cadre is not None
    assert (cadre.openid, cadre.name, cadre.title, cadre.identity, cadre.name_locked) == (
        None,
        "王建国",
        "校团委副书记",
        "教师",
        False,
    )
    assert signed_first == "深圳市腾讯计算机系统有限公司"

    again = await import_workbook(db, path)

    assert (again.imported, again.unchanged, again.skipped) == (0, 4, 14)
    assert problems_of(again) == problems_of(report)
    assert await count(db, Student) == 5
    assert await count(db, Pairing) == 5


async def test_report_workbook_reimports_after_fix(tmp_path: Path, db: Database) -> None:
    rows = [good_row(1), good_row(2, 学生手机号="1380000"), good_row(3, 专业=None)]
    path = write_workbook(tmp_path / "pairings.xlsx", rows)
    report_path = tmp_path / "report.xlsx"
    await import_workbook(db, path, report_path=report_path)

    workbook = load_workbook(report_path)
    sheet = workbook[DATA_SHEET]
    headers = [cell.value for cell in sheet[1]]
    assert headers == [*HEADERS, ROW_NUMBER_HEADER, REASON_HEADER]
    assert sheet.max_row == 3
    values = [
        dict(zip(headers, (cell.value for cell in line), strict=True)) for line in sheet.iter_rows(min_row=2)
    ]
    assert [value[ROW_NUMBER_HEADER] for value in values] == [3, 4]
    assert "「学生手机号」" in values[0][REASON_HEADER]
    assert "「专业」" in values[1][REASON_HEADER]
    phone_column = headers.index("学生手机号") + 1
    assert sheet.cell(row=2, column=phone_column).fill.fgColor.rgb.endswith("F8CBAD")

    sheet.cell(row=2, column=phone_column, value="13900000002")
    workbook.save(report_path)
    fixed = await import_workbook(db, report_path)

    assert (fixed.rows, fixed.imported, fixed.skipped) == (2, 1, 1)
    assert [(problem.row, problem.column) for problem in fixed.problems] == [(3, "专业")]
    assert await count(db, Student) == 2


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ([*HEADERS, "备注"], "无法识别的列「备注」"),
        ([header for header in HEADERS if header != "学生手机号"], "缺少必填列「学生手机号」"),
        ([*HEADERS, "学生姓名"], "列「学生姓名」重复"),
    ],
)
async def test_unusable_columns_are_rejected(
    tmp_path: Path, db: Database, headers: list[str], message: str
) -> None:
    path = write_workbook(tmp_path / "pairings.xlsx", [good_row(1)], headers)

    with pytest.raises(WorkbookError, match=message):
        await import_workbook(db, path)
    assert await count(db, Student) == 0


async def test_not_a_workbook_is_rejected(tmp_path: Path, db: Database) -> None:
    path = tmp_path / "pairings.xlsx"
    path.write_text("学生手机号\n13900000001\n", encoding="utf-8")

    with pytest.raises(WorkbookError, match="cannot be read as an .xlsx workbook"):
        await import_workbook(db, path)


async def test_optional_columns_may_be_left_out(tmp_path: Path, db: Database) -> None:
    headers = [header for header in HEADERS if not header.startswith(("offer", "岗位1", "岗位2"))]
    headers = [
        header
        for header in headers
        if header not in ("团干部职务", "团干部身份", "最终入职单位", "入职岗位", "入职日期")
    ]
    row = good_row(1, 是否推荐不少于2个相符岗位="否", 是否拿到offer="否")
    path = write_workbook(tmp_path / "pairings.xlsx", [row], headers)

    report = await import_workbook(db, path)

    assert (report.imported, report.skipped) == (1, 0), problems_of(report)
    async with db.session() as session:
        cadre = await session.scalar(select(Cadre).where(Cadre.phone == CADRE))
    assert cadre is not None and (cadre.title, cadre.identity) == (None, None)
