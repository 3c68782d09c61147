"""Tests of the universities list: CSV checks, the first load, yearly imports and the listing."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from store.db import Database, upgrade
from store.models import University
from store.universities import (
    CSV_HEADER,
    PACKAGED_CSV,
    ImportReport,
    UniversityRow,
    ensure_loaded,
    import_file,
    list_universities,
    read_csv,
)

HEADER_LINE = ",".join(CSV_HEADER)


def _write_csv(path: Path, rows: list[UniversityRow]) -> Path:
    lines = [HEADER_LINE] + [",".join(row.as_values().values()) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _row(code: str, name: str, **changes: str) -> UniversityRow:
    values = {
        "code": code,
        "name": name,
        "authority": "教育部",
        "province": "北京市",
        "city": "北京市",
        "level": "本科",
        "remark": "",
        "category": "普通高等学校",
    }
    values.update(changes)
    return UniversityRow(**values)


async def _stored(db: Database) -> dict[str, University]:
    async with db.session() as session:
        return {u.code: u for u in await session.scalars(select(University))}


def test_packaged_csv_matches_official_counts() -> None:
    rows = read_csv(PACKAGED_CSV)
    categories = Counter(row.category for row in rows)
    levels = Counter(row.level for row in rows if row.category == "普通高等学校")
    assert len(rows) == 3167
    assert categories == {"普通高等学校": 2919, "成人高等学校": 248}
    assert levels == {"本科": 1365, "专科": 1554}
    assert rows[0] == _row("4111010001", "北京大学")
    assert len({row.province for row in rows}) == 31


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("code,name\n4111010001,北京大学\n", "line 1: the header must be"),
        ("", "line 1: the header must be"),
        (f"{HEADER_LINE}\n", "no universities"),
        (
            f"{HEADER_LINE}\n411101001,北京大学,教育部,北京市,北京市,本科,,普通高等学校\n",
            "line 2: code '411101001'",
        ),
        (f"{HEADER_LINE}\n41110100x1,北京大学,教育部,北京市,北京市,本科,,普通高等学校\n", "is not 10 digits"),
        (f"{HEADER_LINE}\n4111010001,北京大学,教育部,北京市\n", "line 2: expected 8 columns, found 4"),
        (f"{HEADER_LINE}\n4111010001, ,教育部,北京市,北京市,本科,,普通高等学校\n", "line 2: name is empty"),
        (
            (
                f"{HEADER_LINE}\n4111010001,北京大学,教育部,北京市,北京市,本科,,普通高等学校\n"
                "4111010002,中国人民大学,教育部,北京市,北京市,本科,,普通高等学校\n"
                "4111010001,清华大学,教育部,北京市,北京市,本科,,普通高等学校\n"
            ),
            "line 4: code 4111010001 is already on line 2",
        ),
        (
            (
                f"{HEADER_LINE}\n4111010001,北京大学,教育部,北京市,北京市,本科,,普通高等学校\n"
                "4111010002,北京大学,教育部,北京市,北京市,本科,,普通高等学校\n"
            ),
            "line 3: name 北京大学 is already on line 2",
        ),
    ],
)
def test_read_csv_rejects_bad_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as caught:
        read_csv(path)
    assert str(path) in str(caught.value)


def test_read_csv_rejects_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(
        f"{HEADER_LINE}\n4111010001,北京大学,教育部,北京市,北京市,本科,,普通高等学校\n".encode("gbk")
    )
    with pytest.raises(ValueError, match="not UTF-8"):
        read_csv(path)


def test_read_csv_accepts_bom_and_trims_spaces(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text(
        f"\ufeff{HEADER_LINE}\r\n4111010001,北京大学 ,教育部,北京市,北京市,本科,,普通高等学校\r\n\r\n",
        encoding="utf-8",
    )
    assert read_csv(path) == [_row("4111010001", "北京大学")]


async def test_ensure_loaded_loads_once(db: Database) -> None:
    started = time.perf_counter()
    inserted = await ensure_loaded(db)
    elapsed_s = time.perf_counter() - started

    assert inserted == 3167
    assert await ensure_loaded(db) == 0
    assert len(await _stored(db)) == 3167
    # A generous bound: loading is one bulk INSERT, far below this even on a slow machine.
    assert elapsed_s < 5.0


async def test_ensure_loaded_on_sqlite_is_fast(sqlite_url: str) -> None:
    await upgrade(sqlite_url)
    database = Database(sqlite_url)
    try:
        started = time.perf_counter()
        await ensure_loaded(database)
        elapsed_s = time.perf_counter() - started
    finally:
        await database.dispose()
    assert elapsed_s < 2.0


async def test_list_universities_in_official_order(loaded_db: Database) -> None:
    universities = await list_universities(loaded_db)
    assert len(universities) == 3167
    first = universities[0]
    assert (first.code, first.name, first.province, first.city, first.level, first.category) == (
        "4111010001",
        "北京大学",
        "北京市",
        "北京市",
        "本科",
        "普通高等学校",
    )
    assert universities[-1].category == "成人高等学校"


async def test_import_renames_by_code(db: Database, tmp_path: Path) -> None:
    original = [
        _row("4141010001", "新乡医学院"),
        _row("4111010001", "北京大学"),
        _row("4111010002", "中国人民大学"),
    ]
    await import_file(db, _write_csv(tmp_path / "2024.csv", original))
    ids = {code: u.id for code, u in (await _stored(db)).items()}

    updated = [
        _row("4141010001", "河南医药大学"),
        _row("4111010001", "北京大学", authority="教育部直属"),
        _row("4111010002", "中国人民大学"),
        _row("4111010003", "清华大学"),
    ]
    report = await import_file(db, _write_csv(tmp_path / "2025.csv", updated))

    assert report == ImportReport(added=1, renamed=1, updated=1, unchanged=1, missing_from_file=0)
    stored = await _stored(db)
    assert stored["4141010001"].name == "河南医药大学"
    assert stored["4141010001"].id == ids["4141010001"]
    assert stored["4111010001"].authority == "教育部直属"
    assert stored["4111010003"].name == "清华大学"


async def test_import_moves_names_between_codes(db: Database, tmp_path: Path) -> None:
    await import_file(
        db, _write_csv(tmp_path / "old.csv", [_row("4111010001", "甲大学"), _row("4111010002", "乙大学")])
    )
    report = await import_file(
        db, _write_csv(tmp_path / "new.csv", [_row("4111010001", "乙大学"), _row("4111010002", "甲大学")])
    )
    assert report.renamed == 2
    stored = await _stored(db)
    assert stored["4111010001"].name == "乙大学"
    assert stored["4111010002"].name == "甲大学"


async def test_import_gives_new_code_a_renamed_name(db: Database, tmp_path: Path) -> None:
    await import_file(db, _write_csv(tmp_path / "old.csv", [_row("4111010001", "甲大学")]))
    report = await import_file(
        db, _write_csv(tmp_path / "new.csv", [_row("4111010001", "甲理工大学"), _row("4111010002", "甲大学")])
    )
    assert (report.added, report.renamed) == (1, 1)
    stored = await _stored(db)
    assert stored["4111010002"].name == "甲大学"


async def test_import_keeps_universities_missing_from_file(db: Database, tmp_path: Path) -> None:
    await import_file(
        db, _write_csv(tmp_path / "old.csv", [_row("4111010001", "甲大学"), _row("4111010002", "乙大学")])
    )
    report = await import_file(db, _write_csv(tmp_path / "new.csv", [_row("4111010001", "甲大学")]))
    assert report == ImportReport(unchanged=1, missing_from_file=1)
    assert set(await _stored(db)) == {"4111010001", "4111010002"}
    assert "1 universities in the database are not in the file" in str(report)


async def test_import_rejects_name_of_kept_university(db: Database, tmp_path: Path) -> None:
    await import_file(
        db, _write_csv(tmp_path / "old.csv", [_row("4111010001", "甲大学"), _row("4111010002", "乙大学")])
    )
    conflicting = [_row("4111010001", "甲大学"), _row("4111010003", "乙大学")]
    with pytest.raises(ValueError, match="code 4111010002, which the file does not list"):
        await import_file(db, _write_csv(tmp_path / "new.csv", conflicting))
    assert set(await _stored(db)) == {"4111010001", "4111010002"}


async def test_import_rejects_bad_file_without_writing(loaded_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"{HEADER_LINE}\n4111010001,北京大学,教育部\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: expected 8 columns"):
        await import_file(loaded_db, path)
    assert len(await _stored(loaded_db)) == 3167


async def test_import_of_packaged_list_changes_nothing(loaded_db: Database) -> None:
    report = await import_file(loaded_db, PACKAGED_CSV)
    assert report == ImportReport(unchanged=3167)
    assert str(report) == (
        "Imported the universities list: 0 added, 0 renamed, 0 updated in other columns, 3167 unchanged."
    )
