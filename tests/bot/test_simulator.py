"""The simulated WeChat user against the real webhook app, and against servers that respond wrongly."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.config import Settings
from bot.simulator import (
    InvalidReply,
    PushRejected,
    UsageError,
    WeChatUser,
    build_text_push,
    build_voice_push,
    check_loopback,
    send_line,
)
from bot.webhook import create_webhook_app
from bot.wechat import parse_push
from tests.bot.conftest import AES_KEY, APP_ID, OPENID, TOKEN, FakeService, plain_env, safe_env

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


def test_built_push_parses_back() -> None:
    xml = build_text_push(openid=OPENID, account="gh_x", content="a]]>b", msg_id=5, create_time=1700000000)

    push = parse_push(xml)

    assert (push.openid, push.account, push.kind, push.text, push.msg_id) == (
        OPENID,
        "gh_x",
        "text",
        "a]]>b",
        5,
    )


def test_voice_push_without_recognition_has_no_element() -> None:
    xml = build_voice_push(openid=OPENID, account="gh_x", recognition=None, msg_id=5, create_time=1)

    assert "Recognition" not in xml
    assert parse_push(xml).text is None


@pytest.fixture(params=["plain", "safe"])
async def any_user(
    request: pytest.FixtureRequest, aiohttp_client: ClientFactory, service: FakeService
) -> WeChatUser:
    environ = safe_env() if request.param == "safe" else plain_env()
    client = await aiohttp_client(create_webhook_app(Settings.from_env(environ), service))
    return WeChatUser.from_settings(client, "/wechat", Settings.from_env(environ), openid=OPENID)


async def test_every_push_kind(any_user: WeChatUser, service: FakeService) -> None:
    user = any_user
    assert await user.send_text("你好") == "收到：你好"
    assert await user.send_voice("好的。") == "收到：好的"
    assert await user.send_voice(None) is None
    assert await user.send_image() is None
    assert await user.click("HELP") is None
    assert await user.subscribe() is None

    kinds = [(push.kind, push.event, push.event_key, push.text) for push in service.pushes]
    assert kinds == [
        ("text", None, None, "你好"),
        ("voice", None, None, "好的"),
        ("voice", None, None, None),
        ("image", None, None, None),
        ("event", "click", "HELP", None),
        ("event", "subscribe", None, None),
    ]
    message_ids = [push.msg_id for push in service.pushes if push.kind != "event"]
    assert len(set(message_ids)) == len(message_ids)
    assert len({push.dedup_key for push in service.pushes}) == len(service.pushes)


async def test_from_settings_uses_safe_mode(safe_client: TestClient[Any, Any], service: FakeService) -> None:
    user = WeChatUser.from_settings(safe_client, "/wechat", Settings.from_env(safe_env()), openid=OPENID)

    assert user.crypto is not None
    assert await user.send_text("加密") == "收到：加密"


async def test_wrong_token_raises_push_rejected(plain_client: TestClient[Any, Any]) -> None:
    user = WeChatUser(plain_client, "/wechat", token="otherToken")

    with pytest.raises(PushRejected) as error:
        await user.send_text("你好")

    assert error.value.status == 403


def _reply_app(body: str) -> web.Application:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(text=body, content_type="application/xml")

    app = web.Application()
    app.router.add_post("/wechat", answer)
    return app


@pytest.mark.parametrize(
    "body",
    [
        "<xml><broken>",
        (
            f"<xml><ToUserName>{OPENID}</ToUserName><FromUserName>gh_other</FromUserName>"
            "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>"
        ),
        (
            "<xml><ToUserName>gh_jiedui_sim</ToUserName><FromUserName>o-sim-cadre-0001</FromUserName>"
            "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>"
        ),
        (
            f"<xml><ToUserName>{OPENID}</ToUserName><FromUserName>gh_jiedui_sim</FromUserName>"
            "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content></Content></xml>"
        ),
    ],
)
async def test_wrong_reply_raises_invalid_reply(aiohttp_client: ClientFactory, body: str) -> None:
    client = await aiohttp_client(_reply_app(body))
    user = WeChatUser(client, "/wechat", token=TOKEN, openid=OPENID)

    with pytest.raises(InvalidReply):
        await user.send_text("你好")


async def test_unencrypted_reply_in_safe_mode_raises(aiohttp_client: ClientFactory) -> None:
    body = (
        f"<xml><ToUserName>{OPENID}</ToUserName><FromUserName>gh_jiedui_sim</FromUserName>"
        "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>"
    )
    client = await aiohttp_client(_reply_app(body))
    user = WeChatUser(client, "/wechat", token=TOKEN, aes_key=AES_KEY, app_id=APP_ID, openid=OPENID)

    with pytest.raises(InvalidReply):
        await user.send_text("你好")


async def test_send_line_commands(plain_user: WeChatUser, service: FakeService) -> None:
    await send_line(plain_user, "  普通消息  ")
    await send_line(plain_user, "/click SUBMIT_PAIRING")
    await send_line(plain_user, "/subscribe")
    await send_line(plain_user, "/voice 北京大学")
    await send_line(plain_user, "/voice")
    await send_line(plain_user, "/image")

    assert [(push.kind, push.event, push.event_key, push.text) for push in service.pushes] == [
        ("text", None, None, "普通消息"),
        ("event", "click", "SUBMIT_PAIRING", None),
        ("event", "subscribe", None, None),
        ("voice", None, None, "北京大学"),
        ("voice", None, None, None),
        ("image", None, None, None),
    ]


@pytest.mark.parametrize("line", ["/click", "/click   ", "/unknown", "/quitt"])
async def test_send_line_usage_errors(plain_user: WeChatUser, service: FakeService, line: str) -> None:
    with pytest.raises(UsageError):
        await send_line(plain_user, line)

    assert service.pushes == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/wechat",
        "http://127.9.8.7/wechat",
        "https://localhost/wechat",
        "http://LOCALHOST:1/wechat",
        "http://[::1]:8080/wechat",
    ],
)
def test_loopback_urls_accepted(url: str) -> None:
    check_loopback(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/wechat",
        "http://192.168.1.1:8080/wechat",
        "https://example.com/wechat",
        "http://127.0.0.1.example.com/wechat",
        "http://[::ffff:8.8.8.8]/wechat",
        "http://0.0.0.0:8080/wechat",
        "ftp://127.0.0.1/wechat",
        "127.0.0.1:8080/wechat",
        "",
    ],
)
def test_other_urls_rejected(url: str) -> None:
    with pytest.raises(UsageError):
        check_loopback(url)


def test_half_safe_mode_rejected(plain_client: TestClient[Any, Any]) -> None:
    with pytest.raises(ValueError):
        WeChatUser(plain_client, "/wechat", token=TOKEN, aes_key=AES_KEY)
