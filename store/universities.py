"""The list of universities: reading the CSV, the first load and yearly imports matched by code.

A yearly list renames universities (新乡医学院 became 河南医药大学 in 2025). Matching by the 10-digit
`code` keeps a renamed university's id, so its pairings stay with it. Universities missing from a new
file are kept, because pairings may refer to them.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import os
import re
from dataclasses import astuple, dataclass, fields
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from store.db import Database
from store.models import University
from store.records import UniversityRecord

logger = logging.getLogger("jiedui.store")

PACKAGED_CSV: Traversable = resources.files("store") / "data" / "universities.csv"
"""The Ministry of Education list shipped with the package (2025-06-20, 3,167 rows)."""

CSV_HEADER: tuple[str, ...] = ("code", "name", "authority", "province", "city", "level", "remark", "category")

_CODE = re.compile(r"[0-9]{10}")

CsvSource = str | os.PathLike[str] | Traversable


@dataclass(frozen=True)
class UniversityRow:
    """One data row of the CSV, with every column as text stripped of surrounding spaces."""

    code: str
    name: str
    authority: str
    province: str
    city: str
    level: str
    remark: str
    category: str

    def as_values(self) -> dict[str, str]:
        """Return the columns by name, for an INSERT or an UPDATE."""
        return {item.name: getattr(self, item.name) for item in fields(self)}


@dataclass(frozen=True)
class ImportReport:
    """Counts of what `import_file` did; universities missing from the file are kept, only counted."""

    added: int = 0
    renamed: int = 0
    updated: int = 0
    unchanged: int = 0
    missing_from_file: int = 0

    def __str__(self) -> str:
        summary = (
            f"Imported the universities list: {self.added} added, {self.renamed} renamed, "
            f"{self.updated} updated in other columns, {self.unchanged} unchanged."
        )
        if self.missing_from_file:
            summary += (
                f" {self.missing_from_file} universities in the database are not in the file; they were kept"
                " because pairings may refer to them."
            )
        return summary


def _read_text(source: CsvSource, where: str) -> str:
    path = source if isinstance(source, Traversable) else Path(source)
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{where}: the file is not UTF-8 text (byte {error.start}); save it as UTF-8 CSV"
        ) from error


def _parse_row(fields_: list[str], line: int, where: str) -> UniversityRow:
    if len(fields_) != len(CSV_HEADER):
        raise ValueError(f"{where}: line {line}: expected {len(CSV_HEADER)} columns, found {len(fields_)}")
    row = UniversityRow(*(value.strip() for value in fields_))
    if not _CODE.fullmatch(row.code):
        raise ValueError(f"{where}: line {line}: code {row.code!r} is not 10 digits")
    if not row.name:
        raise ValueError(f"{where}: line {line}: name is empty")
    return row


def read_csv(source: CsvSource) -> list[UniversityRow]:
    """Read and check a universities CSV in the packaged format.

    The header must be exactly `code,name,authority,province,city,level,remark,category`. Codes must
    be 10 digits, and no code or name may appear twice. Any problem raises ValueError naming the file,
    the line and the problem.
    """
    where = os.fspath(source) if not isinstance(source, Traversable) else str(source)
    rows: list[UniversityRow] = []
    lines_by_code: dict[str, int] = {}
    lines_by_name: dict[str, int] = {}
    reader = csv.reader(io.StringIO(_read_text(source, where)))
    header = next(reader, None)
    if header is None or tuple(name.strip() for name in header) != CSV_HEADER:
        raise ValueError(f"{where}: line 1: the header must be {','.join(CSV_HEADER)}, found {header!r}")
    for fields_ in reader:
        if not any(value.strip() for value in fields_):
            continue
        line = reader.line_num
        row = _parse_row(fields_, line, where)
        if row.code in lines_by_code:
            raise ValueError(
                f"{where}: line {line}: code {row.code} is already on line {lines_by_code[row.code]}"
            )
        if row.name in lines_by_name:
            raise ValueError(
                f"{where}: line {line}: name {row.name} is already on line {lines_by_name[row.name]}"
            )
        lines_by_code[row.code] = line
        lines_by_name[row.name] = line
        rows.append(row)
    if not rows:
        raise ValueError(f"{where}: the file has a header but no universities")
    return rows


async def ensure_loaded(db: Database) -> int:
    """Load the packaged list when the universities table is empty; return the number of rows inserted.

    Returns 0 when the table already has rows, including when another process loads it at the same time.
    """
    async with db.session() as session:
        count = await session.scalar(select(func.count()).select_from(University))
    if count:
        return 0
    rows = await asyncio.to_thread(read_csv, PACKAGED_CSV)
    try:
        async with db.session() as session, session.begin():
            await session.execute(insert(University), [row.as_values() for row in rows])
    except IntegrityError:
        logger.info("universities list was loaded by another process; nothing inserted")
        return 0
    logger.info("loaded the packaged universities list: %d rows", len(rows))
    return len(rows)


def _check_name_conflicts(rows: list[UniversityRow], stored: dict[str, University]) -> None:
    """Reject a file that gives a new code the name of a stored university which the file leaves out."""
    codes_in_file = {row.code for row in rows}
    kept_names = {u.name: u.code for code, u in stored.items() if code not in codes_in_file}
    for row in rows:
        owner = kept_names.get(row.name)
        if owner is not None:
            raise ValueError(
                f"name {row.name} (code {row.code} in the file) belongs to the stored university with code "
                f"{owner}, which the file does not list; add code {owner} to the file with its new name, "
                "or correct the code"
            )


def _stored_tuple(university: University) -> tuple[str, ...]:
    return tuple(getattr(university, name) for name in CSV_HEADER)


async def import_file(db: Database, source: CsvSource) -> ImportReport:
    """Add, rename and update universities from a CSV in one transaction, matching rows by `code`.

    A name may move from one code to another within the same file. Every renamed row first gets a
    temporary name, so no intermediate state breaks the unique constraint on `name`.
    """
    rows = await asyncio.to_thread(read_csv, source)
    async with db.session() as session, session.begin():
        stored = {u.code: u for u in await session.scalars(select(University))}
        _check_name_conflicts(rows, stored)

        new_rows = [row for row in rows if row.code not in stored]
        renamed = [row for row in rows if row.code in stored and stored[row.code].name != row.name]
        updated = [
            row
            for row in rows
            if row.code in stored
            and stored[row.code].name == row.name
            and _stored_tuple(stored[row.code]) != astuple(row)
        ]

        for row in renamed:
            stored[row.code].name = f"~renaming {row.code}"
        await session.flush()
        for row in renamed + updated:
            for name, value in row.as_values().items():
                setattr(stored[row.code], name, value)
        await session.flush()
        if new_rows:
            await session.execute(insert(University), [row.as_values() for row in new_rows])

    codes_in_file = {row.code for row in rows}
    report = ImportReport(
        added=len(new_rows),
        renamed=len(renamed),
        updated=len(updated),
        unchanged=len(rows) - len(new_rows) - len(renamed) - len(updated),
        missing_from_file=sum(1 for code in stored if code not in codes_in_file),
    )
    logger.info("imported universities list: %s", report)
    return report


async def list_universities(db: Database) -> list[UniversityRecord]:
    """Return every university in the official order of the list they were loaded from."""
    async with db.session() as session:
        universities = await session.scalars(select(University).order_by(University.id))
        return [
            UniversityRecord(
                code=u.code, name=u.name, province=u.province, city=u.city, level=u.level, category=u.category
            )
            for u in universities
        ]
