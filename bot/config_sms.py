"""The SMS settings of phone binding: which sender, the code hashing key, the daily limits and Tencent Cloud.

Read by `bot.config.Settings.from_env`; the variables are described on `read_sms_settings`.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from bot.config import ConfigError, Secret
from bot.sms import DEFAULT_TENCENT_ENDPOINT, DEFAULT_TENCENT_REGION, TencentSmsConfig

DEV_SMS_CODE = "000000"
"""The code of every binding when the log sender runs with the public development token."""

DEFAULT_SMS_DAILY_LIMIT = 10
"""Default number of verification codes that one phone, and one OpenID, may get per day."""

SMS_CODE_KEY_MIN_LEN = 32
"""Minimum length in characters of JIEDUI_SMS_CODE_KEY."""

SmsSenderKind = Literal["log", "tencent"]

_SENDERS: tuple[SmsSenderKind, ...] = ("log", "tencent")
_CODE = re.compile(r"[0-9]{6}")
_DIGITS = re.compile(r"[0-9]{1,20}")
_REGION = re.compile(r"[a-z]{2,}-[a-z]+(?:-[a-z]+)?")
_TENCENT_REQUIRED = (
    "TENCENT_SMS_SECRET_ID",
    "TENCENT_SMS_SECRET_KEY",
    "TENCENT_SMS_SDK_APP_ID",
    "TENCENT_SMS_SIGN_NAME",
    "TENCENT_SMS_TEMPLATE_ID",
)
_TENCENT_VARIABLES = (*_TENCENT_REQUIRED, "TENCENT_SMS_REGION", "TENCENT_SMS_ENDPOINT")


@dataclass(frozen=True, kw_only=True)
class SmsSettings:
    """Settings of the verification codes: sender, fixed development code, hashing key and daily limits.

    `dev_code` replaces the random code (log sender only). `code_key` is the HMAC key of the stored
    code hashes; without it the hashes are only salted. `tencent` is set with the tencent sender.
    """

    sender: SmsSenderKind
    dev_code: str | None
    code_key: Secret | None
    daily_limit_per_phone: int
    daily_limit_per_openid: int
    tencent: TencentSmsConfig | None


def read_sms_settings(env: Mapping[str, str], *, dev_token: bool) -> SmsSettings:
    """Build the SMS settings from non-empty environment variables.

    - JIEDUI_SMS_SENDER: `log` (default; codes go to the server log, no SMS is sent) or `tencent`.
    - JIEDUI_SMS_DEV_CODE: six digits used as every code, with the log sender only. When unset and the
      public development token is in use, the code is DEV_SMS_CODE (000000).
    - JIEDUI_SMS_CODE_KEY: the HMAC key of stored code hashes, at least 32 characters; required with
      the tencent sender.
    - JIEDUI_SMS_DAILY_LIMIT_PER_PHONE, JIEDUI_SMS_DAILY_LIMIT_PER_OPENID: codes per calendar day
      (China Standard Time) for one phone and for one WeChat user (default 10 each).
    - TENCENT_SMS_SECRET_ID, TENCENT_SMS_SECRET_KEY, TENCENT_SMS_SDK_APP_ID, TENCENT_SMS_SIGN_NAME,
      TENCENT_SMS_TEMPLATE_ID: required with the tencent sender; TENCENT_SMS_REGION (default
      ap-guangzhou) and TENCENT_SMS_ENDPOINT (default https://sms.tencentcloudapi.com) are optional.

    Raises ConfigError naming the first invalid variable.
    """
    sender = env.get("JIEDUI_SMS_SENDER", "log")
    if sender not in _SENDERS:
        raise ConfigError(f"JIEDUI_SMS_SENDER is invalid: expected log or tencent, got {sender!r}")
    dev_code = env.get("JIEDUI_SMS_DEV_CODE")
    if dev_code is not None and not _CODE.fullmatch(dev_code):
        raise ConfigError("JIEDUI_SMS_DEV_CODE is invalid: expected six digits such as 000000")
    code_key = env.get("JIEDUI_SMS_CODE_KEY")
    if code_key is not None and len(code_key) < SMS_CODE_KEY_MIN_LEN:
        raise ConfigError(
            f"JIEDUI_SMS_CODE_KEY is invalid: expected at least {SMS_CODE_KEY_MIN_LEN} characters, "
            "for example the output of `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )

    tencent = None
    if sender == "tencent":
        if dev_code is not None:
            raise ConfigError(
                "JIEDUI_SMS_DEV_CODE must not be set with JIEDUI_SMS_SENDER=tencent: a fixed code would let "
                "anyone bind any number; unset it"
            )
        if code_key is None:
            raise ConfigError(
                f"JIEDUI_SMS_CODE_KEY is missing: JIEDUI_SMS_SENDER=tencent needs a key of at least "
                f"{SMS_CODE_KEY_MIN_LEN} characters to hash the verification codes it stores"
            )
        tencent = _read_tencent(env)
    else:
        stray = next((name for name in _TENCENT_VARIABLES if name in env), None)
        if stray is not None:
            raise ConfigError(
                f"{stray} is set but JIEDUI_SMS_SENDER is log, so no SMS would be sent; set "
                "JIEDUI_SMS_SENDER=tencent, or unset the TENCENT_SMS_* variables"
            )
        if dev_code is None and dev_token:
            dev_code = DEV_SMS_CODE

    return SmsSettings(
        sender=sender,
        dev_code=dev_code,
        code_key=Secret(code_key) if code_key is not None else None,
        daily_limit_per_phone=_read_count(env, "JIEDUI_SMS_DAILY_LIMIT_PER_PHONE"),
        daily_limit_per_openid=_read_count(env, "JIEDUI_SMS_DAILY_LIMIT_PER_OPENID"),
        tencent=tencent,
    )


def _read_count(env: Mapping[str, str], name: str) -> int:
    value = env.get(name)
    if value is None:
        return DEFAULT_SMS_DAILY_LIMIT
    if not value.isascii() or not value.isdigit() or int(value) <= 0:
        raise ConfigError(
            f"{name} is invalid: expected a positive whole number of codes per day, got {value!r}"
        )
    return int(value)


def _read_tencent(env: Mapping[str, str]) -> TencentSmsConfig:
    missing = next((name for name in _TENCENT_REQUIRED if name not in env), None)
    if missing is not None:
        raise ConfigError(
            f"{missing} is missing: JIEDUI_SMS_SENDER=tencent needs it (see the Tencent Cloud SMS console)"
        )
    for name in ("TENCENT_SMS_SDK_APP_ID", "TENCENT_SMS_TEMPLATE_ID"):
        if not _DIGITS.fullmatch(env[name]):
            raise ConfigError(
                f"{name} is invalid: expected the numeric ID shown in the Tencent Cloud SMS console"
            )
    region = env.get("TENCENT_SMS_REGION", DEFAULT_TENCENT_REGION)
    if not _REGION.fullmatch(region):
        raise ConfigError(
            f"TENCENT_SMS_REGION is invalid: expected a region such as ap-guangzhou, got {region!r}"
        )
    return TencentSmsConfig(
        secret_id=env["TENCENT_SMS_SECRET_ID"],
        secret_key=env["TENCENT_SMS_SECRET_KEY"],
        sdk_app_id=env["TENCENT_SMS_SDK_APP_ID"],
        sign_name=env["TENCENT_SMS_SIGN_NAME"],
        template_id=env["TENCENT_SMS_TEMPLATE_ID"],
        region=region,
        endpoint=_read_endpoint(env.get("TENCENT_SMS_ENDPOINT", DEFAULT_TENCENT_ENDPOINT)),
    )


def _read_endpoint(url: str) -> str:
    """Accept an https URL, or an http URL of a loopback host (a fake provider in tests)."""
    parts = urllib.parse.urlsplit(url)
    invalid = ConfigError(
        "TENCENT_SMS_ENDPOINT is invalid: expected an https:// URL such as https://sms.tencentcloudapi.com "
        "(http:// only for a server on a loopback address)"
    )
    if not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise invalid
    if parts.scheme == "https":
        return url
    if parts.scheme != "http":
        raise invalid
    try:
        loopback = ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        loopback = parts.hostname == "localhost"
    if not loopback:
        raise invalid
    return url
