"""The SMS settings of phone binding: defaults, the development code's safety rules and validation messages."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings
from bot.config_sms import DEFAULT_SMS_DAILY_LIMIT, DEV_SMS_CODE
from tests.bot.conftest import plain_env

CODE_KEY = "0123456789abcdef0123456789abcdef"


def tencent_env(**extra: str) -> dict[str, str]:
    return plain_env(
        JIEDUI_SMS_SENDER="tencent",
        JIEDUI_SMS_CODE_KEY=CODE_KEY,
        TENCENT_SMS_SECRET_ID="AKIDexample",
        TENCENT_SMS_SECRET_KEY="secret-key-value",
        TENCENT_SMS_SDK_APP_ID="1400000001",
        TENCENT_SMS_SIGN_NAME="结对帮扶",
        TENCENT_SMS_TEMPLATE_ID="2000001",
        **extra,
    )


def test_development_default_uses_fixed_code() -> None:
    sms = Settings.from_env({}).sms

    assert sms.sender == "log"
    assert sms.dev_code == DEV_SMS_CODE
    assert sms.daily_limit_per_phone == sms.daily_limit_per_openid == DEFAULT_SMS_DAILY_LIMIT
    assert sms.tencent is None


def test_own_token_means_random_codes() -> None:
    sms = Settings.from_env(plain_env()).sms

    assert sms.sender == "log"
    assert sms.dev_code is None


def test_explicit_dev_code_with_log_sender() -> None:
    assert Settings.from_env(plain_env(JIEDUI_SMS_DEV_CODE="246810")).sms.dev_code == "246810"


def test_tencent_settings() -> None:
    sms = Settings.from_env(tencent_env(TENCENT_SMS_REGION="ap-beijing")).sms

    assert sms.sender == "tencent"
    assert sms.dev_code is None
    assert sms.code_key is not None and sms.code_key.get() == CODE_KEY
    assert sms.tencent is not None
    assert sms.tencent.region == "ap-beijing"
    assert sms.tencent.endpoint == "https://sms.tencentcloudapi.com"
    assert "secret-key-value" not in repr(sms)
    assert CODE_KEY not in repr(sms)


def test_limits_from_environment() -> None:
    env = plain_env(JIEDUI_SMS_DAILY_LIMIT_PER_PHONE="3", JIEDUI_SMS_DAILY_LIMIT_PER_OPENID="4")
    sms = Settings.from_env(env).sms

    assert (sms.daily_limit_per_phone, sms.daily_limit_per_openid) == (3, 4)


def test_dev_code_with_tencent_is_rejected_even_with_dev_token() -> None:
    env = tencent_env(JIEDUI_SMS_DEV_CODE="000000")
    del env["WECHAT_TOKEN"]

    with pytest.raises(ConfigError, match="JIEDUI_SMS_DEV_CODE must not be set with JIEDUI_SMS_SENDER=tencent"):
        Settings.from_env(env)


def test_tencent_without_dev_token_has_no_fixed_code() -> None:
    env = tencent_env()
    del env["WECHAT_TOKEN"]

    assert Settings.from_env(env).sms.dev_code is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (plain_env(JIEDUI_SMS_SENDER="email"), "JIEDUI_SMS_SENDER is invalid"),
        (plain_env(JIEDUI_SMS_DEV_CODE="12345"), "JIEDUI_SMS_DEV_CODE is invalid"),
        (plain_env(JIEDUI_SMS_CODE_KEY="short"), "JIEDUI_SMS_CODE_KEY is invalid"),
        (plain_env(JIEDUI_SMS_DAILY_LIMIT_PER_PHONE="0"), "JIEDUI_SMS_DAILY_LIMIT_PER_PHONE is invalid"),
        (plain_env(JIEDUI_SMS_DAILY_LIMIT_PER_OPENID="ten"), "JIEDUI_SMS_DAILY_LIMIT_PER_OPENID is invalid"),
        (plain_env(TENCENT_SMS_SECRET_ID="AKID"), "TENCENT_SMS_SECRET_ID is set but JIEDUI_SMS_SENDER is log"),
        ({**tencent_env(), "JIEDUI_SMS_CODE_KEY": ""}, "JIEDUI_SMS_CODE_KEY is missing"),
        ({**tencent_env(), "TENCENT_SMS_SIGN_NAME": ""}, "TENCENT_SMS_SIGN_NAME is missing"),
        (tencent_env(TENCENT_SMS_REGION="Guangzhou"), "TENCENT_SMS_REGION is invalid"),
        ({**tencent_env(), "TENCENT_SMS_SDK_APP_ID": "app-1"}, "TENCENT_SMS_SDK_APP_ID is invalid"),
        (tencent_env(TENCENT_SMS_ENDPOINT="http://sms.example.com"), "TENCENT_SMS_ENDPOINT is invalid"),
        (tencent_env(TENCENT_SMS_ENDPOINT="ftp://127.0.0.1"), "TENCENT_SMS_ENDPOINT is invalid"),
    ],
)
def test_invalid_sms_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:9000", "http://localhost:9000/", "https://sms.example.com"])
def test_endpoint_https_or_loopback(endpoint: str) -> None:
    sms = Settings.from_env(tencent_env(TENCENT_SMS_ENDPOINT=endpoint)).sms

    assert sms.tencent is not None and sms.tencent.endpoint == endpoint
