"""The SQL engine: URL checks, the `Database` wrapper and the Alembic upgrade run at start-up.

Two backends are supported: PostgreSQL through asyncpg and SQLite through aiosqlite. SQLite connections
get foreign keys, WAL journaling and a busy timeout, so that one process with several connections can
read while another connection writes.
"""

from __future__ import annotations

import logging
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

logger = logging.getLogger("jiedui.store")

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///jiedui.db"
"""A SQLite file named jiedui.db in the working folder."""

SQLITE_BUSY_TIMEOUT_MS = 5000
"""How long a SQLite statement waits for another connection's write lock before it fails."""

POSTGRES_POOL_SIZE = 5
POSTGRES_MAX_OVERFLOW = 10
POSTGRES_POOL_RECYCLE_S = 1800
"""Age after which a pooled PostgreSQL connection is replaced, so idle-timeout cuts are never seen."""

_DRIVER_PREFIXES = {
    "postgresql://": "postgresql+asyncpg://",
    "postgres://": "postgresql+asyncpg://",
    "postgresql+asyncpg://": "postgresql+asyncpg://",
    "sqlite:///": "sqlite+aiosqlite:///",
    "sqlite+aiosqlite:///": "sqlite+aiosqlite:///",
}


def normalize_url(url: str) -> str:
    """Rewrite a PostgreSQL or SQLite URL to name its async driver (asyncpg or aiosqlite).

    Raises ValueError, naming DATABASE_URL, for any other scheme. The message shows only the scheme,
    because the rest of the URL may contain a password.
    """
    for prefix, replacement in _DRIVER_PREFIXES.items():
        if url.startswith(prefix):
            return replacement + url[len(prefix) :]
    scheme = url.partition("://")[0] if "://" in url else url[:20]
    raise ValueError(
        f"DATABASE_URL has the unsupported scheme {scheme!r}; use postgresql://USER:PASSWORD@HOST/DB "
        "or sqlite:///PATH (for example sqlite:///jiedui.db)"
    )


def _configure_sqlite_connection(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()


def _create_engine(url: str, *, echo: bool) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=POSTGRES_MAX_OVERFLOW,
        pool_recycle=POSTGRES_POOL_RECYCLE_S,
    )


class Database:
    """An async engine and its session factory for one database URL.

    Sessions keep loaded objects usable after commit (`expire_on_commit=False`), so a repository can
    build its return records after the transaction ends.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalize_url(url)
        self.engine: AsyncEngine = _create_engine(self.url, echo=echo)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"

    @property
    def dialect(self) -> str:
        """The SQLAlchemy dialect name: `postgresql` or `sqlite`."""
        return self.engine.dialect.name

    def session(self) -> AsyncSession:
        """Return a new session; use it as `async with db.session() as s, s.begin(): ...`."""
        return self._sessions()

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def alembic_config() -> Config:
    """Build the Alembic configuration in code, with the migrations folder inside the `store` package.

    The folder is found through importlib.resources, so it works from a source tree, an installed
    package and any working folder.
    """
    config = Config()
    config.set_main_option("script_location", str(resources.files("store") / "migrations"))
    return config


def _upgrade_to_head(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade(url: str) -> None:
    """Apply every Alembic migration up to the head revision to the database at `url`."""
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_upgrade_to_head)
    finally:
        await database.dispose()
    logger.info("database schema is at the head revision (%r)", database)
