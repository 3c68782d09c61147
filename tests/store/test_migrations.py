"""Tests of the Alembic migrations on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Connection, MetaData, String, inspect

from store.db import Database, alembic_config, upgrade
from store.models import Base


def _schema_diff(connection: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_creates_every_table(database_url: str) -> None:
    await upgrade(database_url)
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            tables = await connection.run_sync(_table_names)
    finally:
        await database.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


async def test_migrated_schema_matches_models(db: Database) -> None:
    async with db.engine.connect() as connection:
        diff = await connection.run_sync(_schema_diff, Base.metadata)
    assert diff == []


async def test_schema_comparison_detects_missing_column(db: Database) -> None:
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["cadres"].append_column(Column("nickname", String(20)))

    async with db.engine.connect() as connection:
        diff = await connection.run_sync(_schema_diff, changed)

    assert [entry[0] for entry in diff] == ["add_column"]
    assert diff[0][2] == "cadres"


async def test_upgrade_twice_is_noop(database_url: str) -> None:
    await upgrade(database_url)
    await upgrade(database_url)
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            diff = await connection.run_sync(_schema_diff, Base.metadata)
    finally:
        await database.dispose()
    assert diff == []


async def test_upgrade_from_other_working_folder(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    await upgrade(sqlite_url)
    database = Database(sqlite_url)
    try:
        async with database.engine.connect() as connection:
            tables = await connection.run_sync(_table_names)
    finally:
        await database.dispose()
    assert "pairings" in tables


def _downgrade_to_base(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")


async def test_downgrade_removes_tables(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(_downgrade_to_base)
    async with db.engine.connect() as connection:
        tables = await connection.run_sync(_table_names)
    assert tables & set(Base.metadata.tables) == set()
