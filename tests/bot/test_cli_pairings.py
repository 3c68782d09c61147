"""`jiedui pairings template` and `jiedui pairings import` run as the command line, on SQLite."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from tests.bot.test_cli import _clean_env, _run_jiedui
from tests.bot.workbooks import HEADERS, good_row, write_workbook


async def test_template_then_import_with_report(tmp_path: Path) -> None:
    env = _clean_env(DATABASE_URL=f"sqlite:///{tmp_path}/cli.db")
    template = tmp_path / "template.xlsx"
    workbook = write_workbook(tmp_path / "pairings.xlsx", [good_row(1), good_row(2, 学生手机号="1380000")])
    report = tmp_path / "report.xlsx"

    status, out, err = await _run_jiedui("pairings", "template", str(template), env=env)
    assert status == 0, err
    assert "Wrote the pairings template" in out
    assert [cell.value for cell in load_workbook(template)["结对名单"][1]] == HEADERS

    status, out, err = await _run_jiedui("pairings", "import", str(workbook), "--report", str(report), env=env)
    assert status == 1, err
    assert "共 2 行，新导入 1 行，已导入过未变 0 行，跳过 1 行；新建团干部 1 名" in out
    assert "第3行「学生手机号」：你发的号码有 7 位数字" in out
    assert f"跳过的行已写入 {report}" in out
    assert load_workbook(report)["结对名单"].max_row == 2
    assert "13900000001" not in err

    status, out, err = await _run_jiedui("pairings", "import", str(workbook), env=env)
    assert status == 1, err
    assert "新导入 0 行，已导入过未变 1 行，跳过 1 行" in out


async def test_import_all_good_exits_zero(tmp_path: Path) -> None:
    env = _clean_env(DATABASE_URL=f"sqlite:///{tmp_path}/cli.db")
    workbook = write_workbook(tmp_path / "pairings.xlsx", [good_row(1), good_row(2)])

    status, out, err = await _run_jiedui("pairings", "import", str(workbook), env=env)

    assert status == 0, err
    assert "新导入 2 行" in out


async def test_unusable_workbook_exits_two(tmp_path: Path) -> None:
    env = _clean_env(DATABASE_URL=f"sqlite:///{tmp_path}/cli.db")
    workbook = write_workbook(tmp_path / "pairings.xlsx", [good_row(1)], [*HEADERS, "备注"])

    status, _, err = await _run_jiedui("pairings", "import", str(workbook), env=env)
    assert status == 2
    assert "无法识别的列「备注」" in err

    status, _, err = await _run_jiedui("pairings", "import", str(tmp_path / "missing.xlsx"), env=env)
    assert status == 2
    assert "missing.xlsx not found" in err

    status, _, err = await _run_jiedui("pairings", "template", str(tmp_path / "template.csv"), env=env)
    assert status == 2
    assert "must be an .xlsx file" in err
