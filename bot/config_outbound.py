"""Settings of the outbound WeChat API and the notifier, read by `bot.config.Settings.from_env`.

The variables are described on `read_outbound`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.config import ConfigError
from bot.templates import DEFAULT_KEYS
from store.scheduled import REMINDER_DAYS

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com"

DIGEST_HOUR = 8
"""Default hour (China Standard Time) at which the provincial digests of the day before are queued."""

OUTBOX_POLL_S = 5.0
"""Default seconds between two looks at the outbox by a worker."""

_KEY_PATTERN = re.compile(r"[A-Za-z_]+[0-9]*")
_TEMPLATE_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")


@dataclass(frozen=True)
class Template:
    """A template message of the account: its id and the keyword names its values fill, in order."""

    template_id: str
    keys: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class OutboundSettings:
    """The WeChat API base URL, the template of each notification kind, and the notifier's timing."""

    api_base_url: str = DEFAULT_API_BASE_URL
    templates: Mapping[str, Template] = field(default_factory=dict)
    reminder_days: int = REMINDER_DAYS
    digest_hour: int = DIGEST_HOUR
    outbox_poll_s: float = OUTBOX_POLL_S


def template_variable(kind: str) -> str:
    """Return the environment variable that holds the template of a notification kind."""
    return f"WECHAT_TEMPLATE_{kind.upper()}"


def read_outbound(env: Mapping[str, str]) -> OutboundSettings:
    """Build the outbound settings from non-empty environment variables.

    - WECHAT_API_BASE_URL: scheme and host of the WeChat API, for every endpoint including the token
      (default https://api.weixin.qq.com). Tests point it at a fake server on 127.0.0.1.
    - WECHAT_TEMPLATE_PAIRING_SUBMITTED, _OFFER_SIGNED, _PASSCODE_FAILED, _CHANGE_REQUEST,
      _DAILY_DIGEST, _REMINDER: the template id of each notification kind, optionally followed by
      `:` and the template's keyword names separated by commas (defaults in `bot.templates.DEFAULT_KEYS`).
      A kind without a template stays in the outbox unsent.
    - JIEDUI_REMINDER_DAYS: days without an employment update before a cadre is reminded (default 30).
    - JIEDUI_DIGEST_HOUR: hour of the day, China Standard Time, for the provincial digests (default 8).
    - JIEDUI_OUTBOX_POLL_S: seconds between two looks at the outbox (default 5).

    Raises ConfigError naming the invalid variable.
    """
    return OutboundSettings(
        api_base_url=_read_base_url(env),
        templates={kind: template for kind in DEFAULT_KEYS if (template := _read_template(env, kind)) is not None},
        reminder_days=_read_int(env, "JIEDUI_REMINDER_DAYS", REMINDER_DAYS, 1, 3650, "days"),
        digest_hour=_read_int(env, "JIEDUI_DIGEST_HOUR", DIGEST_HOUR, 0, 23, "hours"),
        outbox_poll_s=_read_poll(env),
    )


def _read_base_url(env: Mapping[str, str]) -> str:
    value = env.get("WECHAT_API_BASE_URL", DEFAULT_API_BASE_URL).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
        raise ConfigError(
            f"WECHAT_API_BASE_URL is invalid: expected a scheme and host such as {DEFAULT_API_BASE_URL}, "
            f"got {value!r}"
        )
    return value


def _read_template(env: Mapping[str, str], kind: str) -> Template | None:
    name = template_variable(kind)
    value = env.get(name)
    if value is None:
        return None
    template_id, _, key_list = value.partition(":")
    if not _TEMPLATE_ID_PATTERN.fullmatch(template_id.strip()):
        raise ConfigError(f"{name} is invalid: expected the template id from the WeChat console, got {template_id!r}")
    keys = DEFAULT_KEYS[kind]
    if key_list.strip():
        keys = tuple(key.strip() for key in key_list.split(","))
        if len(keys) != len(DEFAULT_KEYS[kind]) or not all(_KEY_PATTERN.fullmatch(key) for key in keys):
            raise ConfigError(
                f"{name} is invalid: expected {len(DEFAULT_KEYS[kind])} keyword names after the colon "
                f"(such as {','.join(DEFAULT_KEYS[kind])}), got {key_list!r}"
            )
    return Template(template_id.strip(), keys)


def _read_int(env: Mapping[str, str], name: str, default: int, low: int, high: int, unit: str) -> int:
    value = env.get(name)
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        raise ConfigError(f"{name} is invalid: expected a whole number of {unit} from {low} to {high}, got {value!r}")
    return int(value)


def _read_poll(env: Mapping[str, str]) -> float:
    value = env.get("JIEDUI_OUTBOX_POLL_S")
    if value is None:
        return OUTBOX_POLL_S
    try:
        poll_s = float(value)
    except ValueError:
        poll_s = 0.0
    if not 0.05 <= poll_s <= 3600:
        raise ConfigError(f"JIEDUI_OUTBOX_POLL_S is invalid: expected seconds from 0.05 to 3600, got {value!r}")
    return poll_s
