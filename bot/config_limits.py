"""The load limits of the chat service: the per-user flood limit and the deadline of one push.

Read by `bot.config.Settings.from_env`; the variables are described on `read_limits`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import ConfigError
from store.flood import FLOOD_MAX_MESSAGES, FLOOD_WINDOW_S

PUSH_DEADLINE_S = 4.0
"""Default time in seconds within which every push is answered.

WeChat waits 5 seconds for an answer; the second left over covers the network and the reply.
"""

MAX_PUSH_DEADLINE_S = 4.0
"""Largest accepted push deadline: WeChat waits 5 seconds, and a save under way may take 0.5 more."""


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Flood limit (`flood_max_messages` pushes per `flood_window_s` seconds) and push deadline."""

    flood_max_messages: int = FLOOD_MAX_MESSAGES
    flood_window_s: int = FLOOD_WINDOW_S
    push_deadline_s: float = PUSH_DEADLINE_S


def read_limits(env: Mapping[str, str]) -> Limits:
    """Build the limits from non-empty environment variables.

    - JIEDUI_FLOOD_MAX_MESSAGES: pushes one user may send per window (default 120).
    - JIEDUI_FLOOD_WINDOW_S: length of the flood window in seconds (default 60).
    - JIEDUI_PUSH_DEADLINE_S: seconds within which a push is answered, busy if need be; more than 0
      and at most 4 (default 4).

    Raises ConfigError naming the invalid variable.
    """
    return Limits(
        flood_max_messages=_read_count(env, "JIEDUI_FLOOD_MAX_MESSAGES", FLOOD_MAX_MESSAGES, "pushes"),
        flood_window_s=_read_count(env, "JIEDUI_FLOOD_WINDOW_S", FLOOD_WINDOW_S, "seconds"),
        push_deadline_s=_read_deadline(env, "JIEDUI_PUSH_DEADLINE_S"),
    )


def _read_count(env: Mapping[str, str], name: str, default: int, unit: str) -> int:
    value = env.get(name)
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or int(value) <= 0:
        raise ConfigError(f"{name} is invalid: expected a positive whole number of {unit}, got {value!r}")
    return int(value)


def _read_deadline(env: Mapping[str, str], name: str) -> float:
    value = env.get(name)
    if value is None:
        return PUSH_DEADLINE_S
    try:
        deadline_s = float(value)
    except ValueError:
        deadline_s = -1.0
    if not 0 < deadline_s <= MAX_PUSH_DEADLINE_S:
        raise ConfigError(
            f"{name} is invalid: expected seconds above 0 and at most {MAX_PUSH_DEADLINE_S:.0f}, because "
            f"WeChat waits 5 s for an answer; got {value!r}"
        )
    return deadline_s
