"""Library loggers capped and errors described without their messages."""

from __future__ import annotations

import logging

from bot.privacy import CAPPED_LIBRARY_LOGGERS, cap_library_loggers, describe_error


def test_library_loggers_capped_under_debug_root() -> None:
    root = logging.getLogger()
    previous = root.level
    root.setLevel(logging.DEBUG)
    try:
        cap_library_loggers()
        for name, level in CAPPED_LIBRARY_LOGGERS.items():
            assert not logging.getLogger(name).isEnabledFor(level - 1)
    finally:
        root.setLevel(previous)


def test_error_described_without_message() -> None:
    try:
        raise ValueError('duplicate key value violates unique constraint: Key (phone)=(13900002222)')
    except ValueError as error:
        described = describe_error(error)

    assert described.startswith("ValueError at ")
    assert "test_privacy.py:" in described
    assert "13900002222" not in described
    assert "test_error_described_without_message" in described
