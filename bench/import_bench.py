"""Time `jiedui pairings import` on a generated workbook (10,000 rows by default).

Usage: .venv/bin/python bench/import_bench.py [--rows N] [--keep DIR]

Generates a workbook in the template's format with varied valid rows, then imports it twice into a
fresh SQLite database: the first run writes every row, the second finds them all present. With
POSTGRES_TEST_URL set (an existing database to connect to, such as postgresql://postgres@127.0.0.1/test),
it does the same on a temporary PostgreSQL database created next to it and dropped afterwards.
Migrating and loading the university list are not timed. Results go to stdout as Markdown rows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from openpyxl import Workbook

from bot.import_columns import Column, workbook_columns
from bot.pairing_import import ImportReport, import_workbook
from store.db import Database, upgrade
from store.universities import PACKAGED_CSV, ensure_loaded, read_csv

STUDENTS_PER_CADRE = 20
UNIVERSITIES_USED = 200
_GIVEN_FIRST = "伟芳娜敏静丽强磊军洋"
_GIVEN_SECOND = "勇艳杰娟涛明超秀霞平"
_DIFFICULTIES = {False: "脱贫家庭（含防止返贫监测对象）", True: "城乡低保家庭、其他：单亲家庭"}


def _row_values(number: int, universities: list[str]) -> dict[tuple[str, int, str], str]:
    """Return the cells of generated row `number`; every fourth student has branch info, every third an offer."""
    cadre = number // STUDENTS_PER_CADRE
    values = {
        ("", 0, "cadre_phone"): f"138{cadre:08d}",
        ("", 0, "cadre_name"): "王建" + "一二三四五六七八九十"[cadre % 10],
        ("", 0, "cadre_title"): "辅导员",
        ("", 0, "cadre_identity"): "教师",
        ("", 0, "university"): universities[cadre % len(universities)],
        ("", 0, "name"): "张" + _GIVEN_FIRST[number % 10] + _GIVEN_SECOND[number // 10 % 10],
        ("", 0, "gender"): "男" if number % 2 else "女",
        ("", 0, "phone"): f"139{number:08d}",
        ("", 0, "department"): "计算机学院",
        ("", 0, "major"): ("软件工程", "会计学", "机械工程", "汉语言文学")[number % 4],
        ("", 0, "degree_level"): ("本科", "专科（高职）", "硕士研究生")[number % 3],
        ("", 0, "graduation_year"): "2026",
        ("", 0, "difficulty_types"): _DIFFICULTIES[number % 5 == 0],
        ("", 0, "intended_industry"): "互联网",
        ("", 0, "intended_position"): "后端开发",
        ("", 0, "intended_region"): "广东深圳",
        ("", 0, "branch_recommended"): "是" if number % 4 == 0 else "否",
        ("", 0, "support_measures"): "就业指导与职业规划、简历与面试辅导",
        ("", 0, "recommend_channels"): "线上推送岗位信息、推荐参加招聘会",
        ("", 0, "postings_recommended"): "是",
        ("postings", 1, "employer"): "深圳市腾讯计算机系统有限公司",
        ("postings", 1, "position"): "后端开发工程师",
        ("postings", 1, "location"): "广东深圳",
        ("postings", 2, "employer"): "华为技术有限公司",
        ("postings", 2, "position"): "软件工程师",
        ("postings", 2, "location"): "广东东莞",
        ("", 0, "has_offer"): "是" if number % 3 == 0 else "否",
    }
    if number % 4 == 0:
        values.update(
            {
                ("", 0, "branch_name"): "计算机学院2022级1班团支部",
                ("", 0, "branch_secretary_name"): "赵小红",
                ("", 0, "branch_secretary_phone"): f"137{number:08d}",
                ("", 0, "branch_recommend_forms"): "团支部大会推荐",
            }
        )
    if number % 3 == 0:
        values.update(
            {
                ("offers", 1, "company"): "华为技术有限公司",
                ("offers", 1, "position"): "软件工程师",
                ("offers", 1, "branch_recommended"): "否",
                ("offers", 1, "status"): "考虑中",
                ("offers", 2, "company"): "北京字节跳动科技有限公司",
                ("offers", 2, "position"): "测试开发工程师",
                ("offers", 2, "branch_recommended"): "是",
                ("offers", 2, "status"): "已签约",
            }
        )
    return values


def _key(column: Column) -> tuple[str, int, str]:
    return (column.group.key if column.group else "", column.number, column.field.key)


def generate(path: Path, rows: int) -> None:
    """Write a workbook of `rows` valid rows with the template's headers."""
    columns = workbook_columns()
    universities = [row.name for row in read_csv(PACKAGED_CSV)[:UNIVERSITIES_USED]]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("结对名单")
    sheet.append([column.header for column in columns])
    for number in range(rows):
        values = _row_values(number, universities)
        sheet.append([values.get(_key(column)) for column in columns])
    workbook.save(path)


@asynccontextmanager
async def postgres_database(base_url: str) -> AsyncIterator[str]:
    """Create a temporary PostgreSQL database next to `base_url` and drop it afterwards."""
    import asyncpg

    plain = base_url.replace("postgresql+asyncpg://", "postgresql://")
    name = f"jiedui_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(plain)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    head = plain.rpartition("/")[0]
    try:
        yield f"{head}/{name}"
    finally:
        admin = await asyncpg.connect(plain)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def time_imports(url: str, workbook: Path) -> list[tuple[str, float, ImportReport]]:
    """Import the workbook twice into the database at `url` and return each run's name, seconds and report."""
    await upgrade(url)
    database = Database(url)
    results = []
    try:
        await ensure_loaded(database)
        for run in ("first import", "second import"):
            started = time.perf_counter()
            report = await import_workbook(database, workbook)
            results.append((run, time.perf_counter() - started, report))
    finally:
        await database.dispose()
    return results


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=10_000, help="rows of the generated workbook (default: 10000)"
    )
    parser.add_argument("--keep", type=Path, help="folder to keep the workbook and the SQLite file in")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="jiedui-import-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    workbook = folder / "pairings.xlsx"
    started = time.perf_counter()
    generate(workbook, args.rows)
    size_kib = workbook.stat().st_size // 1024
    print(f"generated {args.rows} rows in {time.perf_counter() - started:.1f} s ({size_kib} KiB)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print("| database | run | rows | imported | unchanged | skipped | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- |")

    sqlite_file = folder / "bench.db"
    sqlite_file.unlink(missing_ok=True)
    _print_rows("SQLite", await time_imports(f"sqlite:///{sqlite_file}", workbook))
    postgres = os.environ.get("POSTGRES_TEST_URL")
    if postgres:
        async with postgres_database(postgres) as url:
            _print_rows("PostgreSQL", await time_imports(url, workbook))
    return 0


def _print_rows(name: str, results: list[tuple[str, float, ImportReport]]) -> None:
    for run, seconds, report in results:
        print(
            f"| {name} | {run} | {report.rows} | {report.imported} | {report.unchanged} | {report.skipped} "
            f"| {seconds:.1f} |"
        )


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
