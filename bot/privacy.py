"""Keeping personal data out of logs: library loggers that would print it, and safe error descriptions.

Answers, names and phone numbers reach the database as SQL parameters, and database errors quote the
values that broke a constraint. So neither SQL parameters nor exception messages of the layers below
the chat service are ever logged.
"""

from __future__ import annotations

import logging
import traceback

CAPPED_LIBRARY_LOGGERS = {
    "aiosqlite": logging.INFO,
    "sqlalchemy.engine": logging.WARNING,
}
"""Library loggers and the lowest level they may emit.

aiosqlite logs every statement with its parameters at DEBUG, and SQLAlchemy's engine logger logs them
at INFO when statement logging is turned on.
"""


def cap_library_loggers() -> None:
    """Raise the level of the loggers in CAPPED_LIBRARY_LOGGERS, so no setting can print SQL parameters."""
    for name, level in CAPPED_LIBRARY_LOGGERS.items():
        logger = logging.getLogger(name)
        # The logger's own level, not the effective one, so that lowering the root level later
        # (a DEBUG setting) cannot reach it.
        if logger.level < level:
            logger.setLevel(level)


def describe_error(error: BaseException) -> str:
    """Return the exception's type and the place it was raised, without its message.

    For example `IntegrityError at store/repo_pairings.py:120 in _write`. The message is left out
    because database errors quote the offending values.
    """
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return type(error).__name__
    frame = frames[-1]
    return f"{type(error).__name__} at {_short_path(frame.filename)}:{frame.lineno} in {frame.name}"


def _short_path(filename: str) -> str:
    _, found, tail = filename.rpartition("/site-packages/")
    if found:
        return tail
    for package in ("bot", "dialogs", "store"):
        _, found, tail = filename.rpartition(f"/{package}/")
        if found:
            return f"{package}/{tail}"
    return filename
