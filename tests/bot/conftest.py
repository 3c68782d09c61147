"""Fixtures of the edge tests: settings, a fake chat service, the real webhook app and simulated users."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.config import Settings
from bot.push import Push
from bot.simulator import WeChatUser
from bot.webhook import create_webhook_app

TOKEN = "jieduiTestToken42"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
PREVIOUS_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
APP_ID = "wx0123456789abcdef"
OPENID = "o-test-user-0001"

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


class FakeService:
    """A chat service that records every push and replies `收到：<text>` (or what the test sets)."""

    def __init__(self) -> None:
        self.pushes: list[Push] = []
        self.reply: str | None = None
        self.error: Exception | None = None

    async def handle(self, push: Push) -> str | None:
        self.pushes.append(push)
        if self.error is not None:
            raise self.error
        if self.reply is not None:
            return self.reply
        return f"收到：{push.text}" if push.text else None


def plain_env(**extra: str) -> dict[str, str]:
    return {"WECHAT_TOKEN": TOKEN, "DATABASE_URL": "sqlite:///unused.db", **extra}


def safe_env(**extra: str) -> dict[str, str]:
    return plain_env(WECHAT_ENCODING_AES_KEY=AES_KEY, WECHAT_APP_ID=APP_ID, **extra)


@pytest.fixture
def service() -> FakeService:
    return FakeService()


@pytest.fixture
def plain_settings() -> Settings:
    return Settings.from_env(plain_env())


@pytest.fixture
def safe_settings() -> Settings:
    return Settings.from_env(safe_env(WECHAT_ENCODING_AES_KEY_PREVIOUS=PREVIOUS_AES_KEY))


@pytest.fixture
async def plain_client(
    aiohttp_client: ClientFactory, plain_settings: Settings, service: FakeService
) -> TestClient[Any, Any]:
    return await aiohttp_client(create_webhook_app(plain_settings, service))


@pytest.fixture
async def safe_client(
    aiohttp_client: ClientFactory, safe_settings: Settings, service: FakeService
) -> TestClient[Any, Any]:
    return await aiohttp_client(create_webhook_app(safe_settings, service))


@pytest.fixture
def plain_user(plain_client: TestClient[Any, Any]) -> WeChatUser:
    return WeChatUser(plain_client, "/wechat", token=TOKEN, openid=OPENID)


@pytest.fixture
def safe_user(safe_client: TestClient[Any, Any]) -> WeChatUser:
    return WeChatUser(safe_client, "/wechat", token=TOKEN, aes_key=AES_KEY, app_id=APP_ID, openid=OPENID)


@pytest.fixture(params=["sqlite-memory", "postgres-redis"])
def stack_config(request: pytest.FixtureRequest) -> tuple[str, str | None, str]:
    """Return (database URL, Redis URL or None, Redis key prefix): SQLite with the in-process store, or
    PostgreSQL with Redis."""
    if request.param == "sqlite-memory":
        return request.getfixturevalue("sqlite_url"), None, ""
    return (
        request.getfixturevalue("postgres_url"),
        request.getfixturevalue("redis_url"),
        request.getfixturevalue("redis_prefix"),
    )
