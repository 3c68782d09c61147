"""`jiedui pairings template|import`: the workbook a committee fills in, and importing it.

The report of an import is printed in Chinese, because committees read it. Exit status of `import`:
0 when every row was imported or was already there, 1 when rows were skipped (the report gives the reasons),
2 when the workbook or the arguments cannot be used.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.pairing_import import ImportReport


class PairingsFailed(Exception):
    """A pairings command failed; the message explains why and `status` is the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def add_pairings_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `pairings template` and `pairings import` to the `jiedui` command line."""
    pairings = commands.add_parser("pairings", help="import pairings collected offline from an Excel workbook")
    actions = pairings.add_subparsers(dest="pairings_command", required=True, metavar="ACTION")
    template = actions.add_parser("template", help="write the empty workbook with an example row")
    template.add_argument("out", type=Path, help="path of the .xlsx file to write")
    importing = actions.add_parser(
        "import",
        help="import the rows of a filled-in workbook into DATABASE_URL",
        description="Exit status: 0 when every row is stored, 1 when rows were skipped, 2 for an unusable file.",
    )
    importing.add_argument("file", type=Path, help="the filled-in .xlsx workbook")
    importing.add_argument(
        "--report", type=Path, help="also write the skipped rows with a reason column to this .xlsx file"
    )


def run_pairings(args: argparse.Namespace, load_settings: Callable[[], Settings]) -> int:
    """Run `pairings template` or `pairings import`; raise PairingsFailed when the command fails."""
    if args.pairings_command == "template":
        return _write_template(args.out)
    return _import(args.file, args.report, load_settings())


def _write_template(out: Path) -> int:
    from bot.pairing_import import write_template

    if out.suffix.lower() != ".xlsx":
        raise PairingsFailed(f"{out}: the template must be an .xlsx file", status=2)
    try:
        write_template(out)
    except OSError as error:
        raise PairingsFailed(f"cannot write {out}: {error}") from None
    print(f"Wrote the pairings template to {out}.")
    return 0


def _import(path: Path, report_path: Path | None, settings: Settings) -> int:
    from bot import loggers
    from bot.workbook import WorkbookError

    if not path.is_file():
        raise PairingsFailed(f"{path} not found; give the path of a filled-in .xlsx workbook", status=2)
    if report_path is not None and report_path.suffix.lower() != ".xlsx":
        raise PairingsFailed(f"{report_path}: the report must be an .xlsx file", status=2)
    loggers.configure_logging()
    try:
        report = asyncio.run(_run_import(settings.database_url.get(), path, report_path))
    except WorkbookError as error:
        raise PairingsFailed(str(error), status=2) from None
    except (SQLAlchemyError, OSError) as error:
        raise PairingsFailed(f"pairings import failed: {error}") from None
    for line in report.lines():
        print(line)
    if report_path is not None and report.skipped:
        print(f"跳过的行已写入 {report_path}，修改后可以直接再次导入该文件。")
    return 1 if report.skipped else 0


async def _run_import(database_url: str, path: Path, report_path: Path | None) -> ImportReport:
    from bot.pairing_import import import_workbook
    from store.db import Database, upgrade
    from store.universities import ensure_loaded

    await upgrade(database_url)
    database = Database(database_url)
    try:
        await ensure_loaded(database)
        return await import_workbook(database, path, report_path=report_path)
    finally:
        await database.dispose()
