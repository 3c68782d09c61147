"""Service settings, read once from the environment at start-up and passed down.

Every variable and its default is described on `Settings.from_env`. Secrets (token, app secret, AES keys
and URLs that may embed a password) are held in `Secret`, whose repr and str never show the value.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from store.db import DEFAULT_DATABASE_URL, normalize_url
from store.sessions.base import SESSION_TTL_S

if TYPE_CHECKING:
    from bot.config_limits import Limits
    from bot.config_outbound import OutboundSettings
    from bot.config_sms import SmsSettings

DEV_TOKEN = "jiedui-dev-token"
"""Token used when WECHAT_TOKEN is unset. It is public, so it is only for local development."""

DEFAULT_TIMESTAMP_WINDOW_S = 300
"""Maximum age, in either direction, of a push's `timestamp` before the push is rejected."""

_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9]{3,32}")
_AES_KEY_PATTERN = re.compile(r"[A-Za-z0-9+/]{43}")
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class ConfigError(Exception):
    """An environment variable is missing or invalid. The message names the variable and the expected value."""


class Secret:
    """A string masked in repr and str. Call `get()` to read the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Typed service settings, built by `Settings.from_env`."""

    token: Secret
    dev_token: bool
    app_id: str | None
    app_secret: Secret | None
    encoding_aes_key: Secret | None
    previous_encoding_aes_key: Secret | None
    timestamp_window_s: int
    database_url: Secret
    redis_url: Secret | None
    session_ttl_s: int
    sms: SmsSettings
    limits: Limits = field(default_factory=lambda: _default_limits())
    outbound: OutboundSettings = field(default_factory=lambda: _default_outbound())

    @property
    def safe_mode(self) -> bool:
        """True when pushes and replies are AES-encrypted (WECHAT_ENCODING_AES_KEY is set)."""
        return self.encoding_aes_key is not None

    @property
    def database_kind(self) -> str:
        """The SQL dialect of DATABASE_URL (`sqlite` or `postgresql`), safe to print."""
        return self.database_url.get().partition("+")[0]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Build the settings from environment variables. An empty variable counts as unset.

        - WECHAT_TOKEN: the server token of the account, 3 to 32 letters or digits. When unset, the
          public development token `jiedui-dev-token` is used and `dev_token` is True.
        - WECHAT_APP_ID, WECHAT_APP_SECRET: the account's AppID and AppSecret (the secret needs the ID).
        - WECHAT_ENCODING_AES_KEY: 43 characters of the base64 alphabet. Setting it turns on safe mode,
          which also requires WECHAT_APP_ID and WECHAT_TOKEN.
        - WECHAT_ENCODING_AES_KEY_PREVIOUS: the key before the last change. WeChat may still encrypt
          with it for a while after the key is changed, so pushes are decrypted with either key.
        - WECHAT_TIMESTAMP_WINDOW_S: seconds a push's timestamp may differ from now (default 300).
        - DATABASE_URL: URL of a PostgreSQL or SQLite database (default: jiedui.db in the working folder).
        - REDIS_URL: Redis URL of the session store; when unset, sessions live in process memory.
        - JIEDUI_SESSION_TTL_S: idle seconds after which a session expires (default 7 days).
        - JIEDUI_SMS_* and TENCENT_SMS_*: how verification codes are sent; see `read_sms_settings`.
        - JIEDUI_FLOOD_MAX_MESSAGES, JIEDUI_FLOOD_WINDOW_S, JIEDUI_PUSH_DEADLINE_S: the flood limit
          and the push deadline; see `read_limits`.
        - WECHAT_API_BASE_URL, WECHAT_TEMPLATE_*, JIEDUI_REMINDER_DAYS and the notifier's timing;
          see `read_outbound`.

        Raises ConfigError naming the first invalid variable.
        """
        # Imported here because bot.config_sms needs ConfigError and Secret from this module.
        from bot.config_limits import read_limits
        from bot.config_outbound import read_outbound
        from bot.config_sms import read_sms_settings

        env = {name: value.strip() for name, value in environ.items() if value.strip()}

        token = env.get("WECHAT_TOKEN")
        if token is not None and not _TOKEN_PATTERN.fullmatch(token):
            raise ConfigError(
                "WECHAT_TOKEN is invalid: expected 3 to 32 letters or digits, the token entered in the "
                "WeChat console under server configuration"
            )

        app_id = env.get("WECHAT_APP_ID")
        if app_id is not None and re.search(r"\s", app_id):
            raise ConfigError(
                "WECHAT_APP_ID is invalid: expected the AppID without spaces, such as wx0123456789abcdef"
            )
        app_secret = env.get("WECHAT_APP_SECRET")
        if app_secret is not None and app_id is None:
            raise ConfigError(
                "WECHAT_APP_ID is missing: WECHAT_APP_SECRET is set, so the AppID it belongs to is required"
            )

        aes_key = _read_aes_key(env, "WECHAT_ENCODING_AES_KEY")
        previous_aes_key = _read_aes_key(env, "WECHAT_ENCODING_AES_KEY_PREVIOUS")
        if previous_aes_key is not None and aes_key is None:
            raise ConfigError(
                "WECHAT_ENCODING_AES_KEY is missing: WECHAT_ENCODING_AES_KEY_PREVIOUS is only used next to a current key"
            )
        if aes_key is not None and app_id is None:
            raise ConfigError(
                "WECHAT_APP_ID is missing: safe mode (WECHAT_ENCODING_AES_KEY is set) needs the AppID"
            )
        if aes_key is not None and token is None:
            raise ConfigError(
                "WECHAT_TOKEN is missing: safe mode (WECHAT_ENCODING_AES_KEY is set) cannot use the public "
                "development token"
            )

        try:
            database_url = normalize_url(env.get("DATABASE_URL", DEFAULT_DATABASE_URL))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        redis_url = env.get("REDIS_URL")
        if redis_url is not None and not redis_url.startswith(_REDIS_SCHEMES):
            raise ConfigError("REDIS_URL is invalid: expected a redis://, rediss:// or unix:// URL")

        return cls(
            token=Secret(token if token is not None else DEV_TOKEN),
            dev_token=token is None,
            app_id=app_id,
            app_secret=Secret(app_secret) if app_secret is not None else None,
            encoding_aes_key=aes_key,
            previous_encoding_aes_key=previous_aes_key,
            timestamp_window_s=_read_positive_int(
                env, "WECHAT_TIMESTAMP_WINDOW_S", DEFAULT_TIMESTAMP_WINDOW_S
            ),
            database_url=Secret(database_url),
            redis_url=Secret(redis_url) if redis_url is not None else None,
            session_ttl_s=_read_positive_int(env, "JIEDUI_SESSION_TTL_S", SESSION_TTL_S),
            sms=read_sms_settings(env, dev_token=token is None),
            limits=read_limits(env),
            outbound=read_outbound(env),
        )


def _default_limits() -> Limits:
    # Imported here because bot.config_limits needs ConfigError from this module.
    from bot.config_limits import Limits

    return Limits()


def _default_outbound() -> OutboundSettings:
    # Imported here because bot.config_outbound needs ConfigError from this module.
    from bot.config_outbound import OutboundSettings

    return OutboundSettings()


def _read_aes_key(env: Mapping[str, str], name: str) -> Secret | None:
    value = env.get(name)
    if value is None:
        return None
    if not _AES_KEY_PATTERN.fullmatch(value):
        raise ConfigError(
            f"{name} is invalid: expected the 43-character EncodingAESKey (letters, digits, + and /) "
            "shown in the WeChat console"
        )
    return Secret(value)


def _read_positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or int(value) <= 0:
        raise ConfigError(f"{name} is invalid: expected a positive whole number of seconds, got {value!r}")
    return int(value)
