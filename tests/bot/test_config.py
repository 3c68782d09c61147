"""Settings from the environment: defaults, validation messages and masking of secrets."""

from __future__ import annotations

import pytest

from bot.config import DEV_TOKEN, ConfigError, Secret, Settings
from store.db import DEFAULT_DATABASE_URL, normalize_url
from store.sessions.base import SESSION_TTL_S
from tests.bot.conftest import AES_KEY, APP_ID, PREVIOUS_AES_KEY, TOKEN, plain_env, safe_env


def test_defaults_without_variables() -> None:
    settings = Settings.from_env({})

    assert settings.token.get() == DEV_TOKEN
    assert settings.dev_token is True
    assert settings.safe_mode is False
    assert settings.app_id is None
    assert settings.app_secret is None
    assert settings.timestamp_window_s == 300
    assert settings.database_url.get() == normalize_url(DEFAULT_DATABASE_URL)
    assert settings.database_kind == "sqlite"
    assert settings.redis_url is None
    assert settings.session_ttl_s == SESSION_TTL_S == 7 * 24 * 3600


def test_from_env_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_TOKEN", TOKEN)
    monkeypatch.setenv("JIEDUI_SESSION_TTL_S", "3600")

    settings = Settings.from_env()

    assert settings.token.get() == TOKEN
    assert settings.dev_token is False
    assert settings.session_ttl_s == 3600


def test_empty_variables_count_as_unset() -> None:
    settings = Settings.from_env({"WECHAT_TOKEN": "", "REDIS_URL": "  ", "WECHAT_ENCODING_AES_KEY": ""})

    assert settings.dev_token is True
    assert settings.redis_url is None
    assert settings.safe_mode is False


def test_safe_mode_settings() -> None:
    settings = Settings.from_env(safe_env(WECHAT_ENCODING_AES_KEY_PREVIOUS=PREVIOUS_AES_KEY))

    assert settings.safe_mode is True
    assert settings.app_id == APP_ID
    assert settings.encoding_aes_key == Secret(AES_KEY)
    assert settings.previous_encoding_aes_key == Secret(PREVIOUS_AES_KEY)


def test_postgres_url_and_redis_url() -> None:
    settings = Settings.from_env(
        plain_env(
            DATABASE_URL="postgresql://jiedui:pw@127.0.0.1/jiedui", REDIS_URL="redis://:pw@127.0.0.1:6379/0"
        )
    )

    assert settings.database_kind == "postgresql"
    assert settings.database_url.get() == "postgresql+asyncpg://jiedui:pw@127.0.0.1/jiedui"
    assert settings.redis_url == Secret("redis://:pw@127.0.0.1:6379/0")


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"WECHAT_TOKEN": "ab"}, "WECHAT_TOKEN"),
        ({"WECHAT_TOKEN": "token with spaces"}, "WECHAT_TOKEN"),
        ({"WECHAT_TOKEN": "x" * 33}, "WECHAT_TOKEN"),
        ({"WECHAT_APP_ID": "wx 123"}, "WECHAT_APP_ID"),
        ({"WECHAT_APP_SECRET": "s3cret"}, "WECHAT_APP_ID"),
        (plain_env(WECHAT_APP_ID=APP_ID, WECHAT_ENCODING_AES_KEY=AES_KEY[:-1]), "WECHAT_ENCODING_AES_KEY"),
        (
            plain_env(WECHAT_APP_ID=APP_ID, WECHAT_ENCODING_AES_KEY=AES_KEY[:-1] + "="),
            "WECHAT_ENCODING_AES_KEY",
        ),
        (plain_env(WECHAT_ENCODING_AES_KEY=AES_KEY), "WECHAT_APP_ID"),
        ({"WECHAT_APP_ID": APP_ID, "WECHAT_ENCODING_AES_KEY": AES_KEY}, "WECHAT_TOKEN"),
        (safe_env(WECHAT_ENCODING_AES_KEY_PREVIOUS="short"), "WECHAT_ENCODING_AES_KEY_PREVIOUS"),
        (plain_env(WECHAT_ENCODING_AES_KEY_PREVIOUS=PREVIOUS_AES_KEY), "WECHAT_ENCODING_AES_KEY"),
        (plain_env(WECHAT_TIMESTAMP_WINDOW_S="five"), "WECHAT_TIMESTAMP_WINDOW_S"),
        (plain_env(WECHAT_TIMESTAMP_WINDOW_S="0"), "WECHAT_TIMESTAMP_WINDOW_S"),
        (plain_env(WECHAT_TIMESTAMP_WINDOW_S="-5"), "WECHAT_TIMESTAMP_WINDOW_S"),
        (plain_env(JIEDUI_SESSION_TTL_S="1.5"), "JIEDUI_SESSION_TTL_S"),
        (plain_env(DATABASE_URL="mysql://root:pw@127.0.0.1/jiedui"), "DATABASE_URL"),
        (plain_env(REDIS_URL="http://127.0.0.1:6379"), "REDIS_URL"),
    ],
)
def test_invalid_variable_is_named(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env(environ)

    assert str(error.value).startswith(variable + " ")


def test_database_url_error_hides_password() -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env(plain_env(DATABASE_URL="mysql://root:hunter2@127.0.0.1/jiedui"))

    assert "hunter2" not in str(error.value)


def test_secret_is_masked() -> None:
    secret = Secret("hunter2")

    assert secret.get() == "hunter2"
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)
    assert "hunter2" not in f"{secret}"
    assert secret == Secret("hunter2")
    assert secret != Secret("hunter3")


def test_settings_repr_shows_no_secret() -> None:
    settings = Settings.from_env(
        safe_env(
            WECHAT_APP_SECRET="appsecretvalue",
            WECHAT_ENCODING_AES_KEY_PREVIOUS=PREVIOUS_AES_KEY,
            DATABASE_URL="postgresql://jiedui:dbpassword@127.0.0.1/jiedui",
            REDIS_URL="redis://:redispassword@127.0.0.1:6379/0",
        )
    )

    text = repr(settings) + str(settings)
    for secret in (TOKEN, "appsecretvalue", AES_KEY, PREVIOUS_AES_KEY, "dbpassword", "redispassword"):
        assert secret not in text
    assert APP_ID in text


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({})

    with pytest.raises(AttributeError):
        settings.timestamp_window_s = 5  # type: ignore[misc]  # assigning to a frozen field is the test
