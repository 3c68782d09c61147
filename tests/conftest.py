"""Shared fixtures: URLs of the real Redis and PostgreSQL servers used by the tests.

`REDIS_TEST_URL` and `POSTGRES_TEST_URL` point at the servers. Without them, the tests that need a
server are skipped with the reason printed; with `JIEDUI_REQUIRE_SERVICES=1` (set by CI) they fail instead.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

REQUIRE_SERVICES = os.environ.get("JIEDUI_REQUIRE_SERVICES") == "1"


def _missing_service(variable: str) -> None:
    message = f"{variable} is not set, so the tests that need this server are not run"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}, but JIEDUI_REQUIRE_SERVICES=1 requires them")
    pytest.skip(message)


@pytest.fixture
def redis_url() -> str:
    """Return the Redis URL of the test server (a database the tests may flush keys in)."""
    url = os.environ.get("REDIS_TEST_URL")
    if not url:
        _missing_service("REDIS_TEST_URL")
    assert url is not None
    return url


@pytest.fixture
def redis_prefix() -> str:
    """Return a key prefix unique to one test, so that parallel runs never share keys."""
    return f"jiedui-test-{secrets.token_hex(6)}:"


@pytest_asyncio.fixture
async def postgres_url() -> AsyncIterator[str]:
    """Create an empty PostgreSQL database for one test and drop it afterwards.

    `POSTGRES_TEST_URL` names an existing database (for example `test`) that the fixture connects to
    in order to create and drop the temporary one.
    """
    import asyncpg  # imported here so that SQLite-only runs need no PostgreSQL driver at collection

    base = os.environ.get("POSTGRES_TEST_URL")
    if not base:
        _missing_service("POSTGRES_TEST_URL")
    assert base is not None
    plain = base.replace("postgresql+asyncpg://", "postgresql://")
    name = f"jiedui_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(plain)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    head, _, _ = plain.rpartition("/")
    try:
        yield f"postgresql+asyncpg://{head.removeprefix('postgresql://')}/{name}"
    finally:
        admin = await asyncpg.connect(plain)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    """Return the URL of a fresh SQLite file in the test's temporary folder."""
    return f"sqlite+aiosqlite:///{os.fspath(tmp_path)}/jiedui-test.db"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Yield the URL of a fresh database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_url")
    else:
        yield request.getfixturevalue("postgres_url")
