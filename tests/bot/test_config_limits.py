"""The flood limit and push deadline settings."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings
from bot.config_limits import PUSH_DEADLINE_S, Limits
from store.flood import FLOOD_MAX_MESSAGES, FLOOD_WINDOW_S

BASE = {"DATABASE_URL": "sqlite:///unused.db"}


def test_defaults() -> None:
    limits = Settings.from_env(BASE).limits

    assert limits == Limits(
        flood_max_messages=FLOOD_MAX_MESSAGES, flood_window_s=FLOOD_WINDOW_S, push_deadline_s=PUSH_DEADLINE_S
    )


def test_values_read() -> None:
    env = {**BASE, "JIEDUI_FLOOD_MAX_MESSAGES": "10", "JIEDUI_FLOOD_WINDOW_S": "30", "JIEDUI_PUSH_DEADLINE_S": "2.5"}

    limits = Settings.from_env(env).limits

    assert (limits.flood_max_messages, limits.flood_window_s, limits.push_deadline_s) == (10, 30, 2.5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("JIEDUI_FLOOD_MAX_MESSAGES", "0"),
        ("JIEDUI_FLOOD_MAX_MESSAGES", "ten"),
        ("JIEDUI_FLOOD_WINDOW_S", "-5"),
        ("JIEDUI_PUSH_DEADLINE_S", "0"),
        ("JIEDUI_PUSH_DEADLINE_S", "4.5"),
        ("JIEDUI_PUSH_DEADLINE_S", "soon"),
    ],
)
def test_invalid_value_names_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({**BASE, name: value})
