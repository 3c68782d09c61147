"""Telling a database that cannot be reached apart from a statement that failed.

The first is answered busy (or 「稍后重试」) with the draft kept; the second is a bug and is raised.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


def is_connection_failure(error: BaseException) -> bool:
    """Tell whether `error`, or an exception it was raised from, means the database is unreachable.

    asyncpg reports a connection lost while connecting as a plain DBAPIError whose connection is not
    marked invalidated, so the chain of causes is searched as well.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, _CONNECTION_ERRORS):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
