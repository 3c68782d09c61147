"""Tests of store.db and the model types: URL handling, SQLite settings and UTC timestamps."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from store.db import DEFAULT_DATABASE_URL, Database, normalize_url
from store.models import Cadre, Pairing


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/jiedui", "postgresql+asyncpg://u:p@db:5432/jiedui"),
        ("postgres://u@db/jiedui", "postgresql+asyncpg://u@db/jiedui"),
        ("postgresql+asyncpg://u@db/jiedui", "postgresql+asyncpg://u@db/jiedui"),
        ("sqlite:///jiedui.db", "sqlite+aiosqlite:///jiedui.db"),
        ("sqlite:////var/lib/jiedui.db", "sqlite+aiosqlite:////var/lib/jiedui.db"),
        (DEFAULT_DATABASE_URL, DEFAULT_DATABASE_URL),
    ],
)
def test_normalize_url_names_async_driver(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


@pytest.mark.parametrize(
    "given", ["mysql://u:secret@db/jiedui", "postgresql+psycopg2://u@db/x", "jiedui.db", "sqlite://", ""]
)
def test_normalize_url_rejects_other_schemes(given: str) -> None:
    with pytest.raises(ValueError, match="DATABASE_URL") as caught:
        normalize_url(given)
    assert "secret" not in str(caught.value)


async def test_database_repr_hides_password() -> None:
    database = Database("postgresql://jiedui:s3cret-word@127.0.0.1:5432/jiedui")
    try:
        text_shown = repr(database)
    finally:
        await database.dispose()
    assert "s3cret-word" not in text_shown
    assert "127.0.0.1:5432/jiedui" in text_shown


async def test_sqlite_connection_settings(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    try:
        async with database.engine.connect() as connection:
            foreign_keys = await connection.scalar(text("PRAGMA foreign_keys"))
            journal_mode = await connection.scalar(text("PRAGMA journal_mode"))
            busy_timeout = await connection.scalar(text("PRAGMA busy_timeout"))
    finally:
        await database.dispose()
    assert foreign_keys == 1
    assert journal_mode == "wal"
    assert busy_timeout == 5000


async def test_foreign_keys_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.session() as session, session.begin():
            session.add(Pairing(cadre_id=999, student_id=999, university_id=999, source="chat"))


async def test_timestamps_read_back_as_utc(db: Database) -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    created = dt.datetime(2025, 6, 27, 9, 30, 15, 123456, tzinfo=beijing)
    async with db.session() as session, session.begin():
        session.add(Cadre(phone="13800000001", created_at=created))

    async with db.session() as session:
        cadre = await session.scalar(select(Cadre))
    assert cadre is not None
    assert cadre.created_at == created
    assert cadre.created_at.utcoffset() == dt.timedelta(0)
    assert cadre.created_at.hour == 1
    assert cadre.updated_at.tzinfo is not None


async def test_naive_timestamp_rejected(db: Database) -> None:
    with pytest.raises(StatementError, match="has no timezone"):
        async with db.session() as session, session.begin():
            session.add(Cadre(phone="13800000001", created_at=dt.datetime(2025, 6, 27, 9, 30)))


async def test_default_timestamps_are_recent(db: Database) -> None:
    before = dt.datetime.now(dt.UTC)
    async with db.session() as session, session.begin():
        session.add(Cadre(phone="13800000001"))
    async with db.session() as session:
        cadre = await session.scalar(select(Cadre))
    assert cadre is not None
    assert before <= cadre.created_at <= dt.datetime.now(dt.UTC)
    assert cadre.name_locked is False
