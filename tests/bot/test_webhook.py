"""The webhook in plain mode, driven with real signed pushes through the real aiohttp app."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.simulator import WeChatUser, build_event_push, build_text_push, sign_params
from bot.webhook import MAX_BODY_BYTES
from tests.bot.conftest import OPENID, TOKEN, FakeService


def _text_body(content: str = "你好", msg_id: int = 1001) -> bytes:
    return build_text_push(
        openid=OPENID, account="gh_test", content=content, msg_id=msg_id, create_time=int(time.time())
    ).encode("utf-8")


async def _post(
    client: TestClient[Any, Any], body: bytes, params: dict[str, str] | None = None
) -> tuple[int, str]:
    async with client.post(
        "/wechat", params=params if params is not None else sign_params(TOKEN), data=body
    ) as response:
        return response.status, await response.text()


async def test_get_verification_echoes(plain_client: TestClient[Any, Any]) -> None:
    params = {**sign_params(TOKEN), "echostr": "4096378123"}

    async with plain_client.get("/wechat", params=params) as response:
        assert response.status == 200
        assert await response.text() == "4096378123"


async def test_get_verification_wrong_signature(plain_client: TestClient[Any, Any]) -> None:
    params = {**sign_params("wrongToken"), "echostr": "4096378123"}

    async with plain_client.get("/wechat", params=params) as response:
        assert response.status == 403
        assert "4096378123" not in await response.text()


@pytest.mark.parametrize("missing", ["signature", "timestamp", "nonce", "echostr"])
async def test_get_verification_missing_parameter(plain_client: TestClient[Any, Any], missing: str) -> None:
    params = {**sign_params(TOKEN), "echostr": "4096378123"}
    del params[missing]

    async with plain_client.get("/wechat", params=params) as response:
        assert response.status == 400


async def test_healthz(plain_client: TestClient[Any, Any]) -> None:
    async with plain_client.get("/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


async def test_text_round_trip(plain_user: WeChatUser, service: FakeService) -> None:
    reply = await plain_user.send_text("我要提交结对")

    assert reply == "收到：我要提交结对"
    assert plain_user.last_reply is not None
    assert plain_user.last_reply.to_user == OPENID
    assert plain_user.last_reply.from_user == plain_user.account
    assert len(service.pushes) == 1
    push = service.pushes[0]
    assert (push.openid, push.account, push.kind, push.text) == (
        OPENID,
        plain_user.account,
        "text",
        "我要提交结对",
    )


async def test_reply_escapes_and_strips(plain_user: WeChatUser, service: FakeService) -> None:
    service.reply = "名单]]>已收到\x00\x1f。"

    reply = await plain_user.send_text("x")

    assert reply == "名单]]>已收到。"


async def test_inbound_control_chars_stripped(
    plain_client: TestClient[Any, Any], service: FakeService
) -> None:
    status, _ = await _post(plain_client, _text_body("张\x01三\x0b"))

    assert status == 200
    assert service.pushes[0].text == "张三"


async def test_no_reply_answers_success(plain_client: TestClient[Any, Any], service: FakeService) -> None:
    status, body = await _post(
        plain_client,
        build_event_push(
            openid=OPENID, account="gh_test", event="unsubscribe", create_time=int(time.time())
        ).encode(),
    )

    assert (status, body) == (200, "success")
    assert service.pushes[0].event == "unsubscribe"


async def test_empty_reply_answers_success(plain_client: TestClient[Any, Any], service: FakeService) -> None:
    service.reply = "   "

    assert await _post(plain_client, _text_body()) == (200, "success")


@pytest.mark.parametrize(
    "params",
    [
        {**sign_params(TOKEN), "signature": "0" * 40},
        {**sign_params(TOKEN), "signature": "签名"},
        sign_params("otherToken"),
        {key: value for key, value in sign_params(TOKEN).items() if key != "signature"},
        {key: value for key, value in sign_params(TOKEN).items() if key != "timestamp"},
        {key: value for key, value in sign_params(TOKEN).items() if key != "nonce"},
        {},
    ],
)
async def test_bad_signature_rejected(
    plain_client: TestClient[Any, Any], service: FakeService, params: dict[str, str]
) -> None:
    status, _ = await _post(plain_client, _text_body(), params)

    assert status == 403
    assert service.pushes == []


@pytest.mark.parametrize("offset_s", [-301, 301, -86400])
async def test_timestamp_outside_window(
    plain_client: TestClient[Any, Any], service: FakeService, offset_s: int
) -> None:
    params = sign_params(TOKEN, timestamp=str(int(time.time()) + offset_s))

    status, _ = await _post(plain_client, _text_body(), params)

    assert status == 403
    assert service.pushes == []


async def test_timestamp_inside_window(plain_client: TestClient[Any, Any]) -> None:
    params = sign_params(TOKEN, timestamp=str(int(time.time()) - 250))

    status, _ = await _post(plain_client, _text_body(), params)

    assert status == 200


async def test_timestamp_not_a_number(plain_client: TestClient[Any, Any]) -> None:
    status, _ = await _post(plain_client, _text_body(), sign_params(TOKEN, timestamp="soon"))

    assert status == 403


async def test_big_body_rejected(plain_client: TestClient[Any, Any], service: FakeService) -> None:
    status, _ = await _post(plain_client, _text_body("长" * (MAX_BODY_BYTES // 3 + 10)))

    assert status == 413
    assert service.pushes == []


async def test_big_chunked_body_rejected(plain_client: TestClient[Any, Any], service: FakeService) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 4096

    async with plain_client.post("/wechat", params=sign_params(TOKEN), data=chunks()) as response:
        assert response.status == 413
    assert service.pushes == []


async def test_body_at_limit_accepted(plain_client: TestClient[Any, Any]) -> None:
    body = _text_body()
    padded = body.replace(b"<xml>", b"<xml>" + b" " * (MAX_BODY_BYTES - len(body)), 1)
    assert len(padded) == MAX_BODY_BYTES

    status, _ = await _post(plain_client, padded)

    assert status == 200


async def test_signature_checked_before_size(plain_client: TestClient[Any, Any]) -> None:
    status, _ = await _post(plain_client, b" " * (MAX_BODY_BYTES * 2), sign_params("otherToken"))

    assert status == 403


@pytest.mark.parametrize(
    "prefix",
    [
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY name "value">]>',
        b"<!doctype xml>",
        b'<!ENTITY x SYSTEM "file:///etc/passwd">',
    ],
)
async def test_doctype_rejected_unparsed(
    plain_client: TestClient[Any, Any], service: FakeService, caplog: pytest.LogCaptureFixture, prefix: bytes
) -> None:
    with caplog.at_level(logging.INFO, logger="jiedui.webhook"):
        status, _ = await _post(plain_client, prefix + _text_body())

    assert status == 400
    assert service.pushes == []
    assert "DOCTYPE" in caplog.text


async def test_doctype_after_bad_signature_is_403(plain_client: TestClient[Any, Any]) -> None:
    status, _ = await _post(plain_client, b"<!DOCTYPE x>" + _text_body(), sign_params("otherToken"))

    assert status == 403


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml",
        b"<xml><MsgType>text</MsgType>",
        b"<xml><ToUserName>a</ToUserName></xml>",
        b"<xml>" + b"<a>" * 2000 + b"</xml>",
    ],
)
async def test_malformed_xml_answers_success(
    plain_client: TestClient[Any, Any], service: FakeService, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    with caplog.at_level(logging.INFO, logger="jiedui.webhook"):
        assert await _post(plain_client, body) == (200, "success")

    assert service.pushes == []
    assert "malformed" in caplog.text


async def test_unknown_type_answers_success(
    plain_client: TestClient[Any, Any], service: FakeService, caplog: pytest.LogCaptureFixture
) -> None:
    body = _text_body().replace(b"<![CDATA[text]]>", b"<![CDATA[miniprogrampage]]>")

    with caplog.at_level(logging.INFO, logger="jiedui.webhook"):
        assert await _post(plain_client, body) == (200, "success")

    assert service.pushes == []
    assert "type=miniprogrampage outcome=unsupported" in caplog.text


async def test_failing_service_answers_success(
    plain_client: TestClient[Any, Any], service: FakeService, caplog: pytest.LogCaptureFixture
) -> None:
    service.error = RuntimeError("database is down")

    with caplog.at_level(logging.INFO, logger="jiedui.webhook"):
        assert await _post(plain_client, _text_body()) == (200, "success")

    assert "chat service failed" in caplog.text
    assert "outcome=service-error" in caplog.text


async def test_invalid_utf8_rejected(plain_client: TestClient[Any, Any], service: FakeService) -> None:
    status, _ = await _post(plain_client, _text_body("你好").replace("你".encode(), b"\xff\xfe"))

    assert status == 400
    assert service.pushes == []


async def test_log_line_hides_personal_data(plain_user: WeChatUser, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        await plain_user.send_text("13800138000 张三")

    push_lines = [record for record in caplog.records if record.name == "jiedui.webhook"]
    assert len(push_lines) == 1
    line = push_lines[0].getMessage()
    assert push_lines[0].levelno == logging.INFO
    assert "type=text outcome=reply duration_ms=" in line
    assert "openid=" in line
    assert OPENID not in caplog.text
    assert "13800138000" not in caplog.text
    assert "张三" not in caplog.text


async def test_voice_recognition_reaches_service(plain_user: WeChatUser, service: FakeService) -> None:
    reply = await plain_user.send_voice("北京大学。")
    await plain_user.send_voice(None)

    assert reply == "收到：北京大学"
    assert [(push.kind, push.text) for push in service.pushes] == [("voice", "北京大学"), ("voice", None)]


async def test_events_reach_service(plain_user: WeChatUser, service: FakeService) -> None:
    await plain_user.subscribe()
    await plain_user.click("HELP")
    await plain_user.send_image()

    assert [(push.kind, push.event, push.event_key) for push in service.pushes] == [
        ("event", "subscribe", None),
        ("event", "click", "HELP"),
        ("image", None, None),
    ]
    assert service.pushes[0].create_time < service.pushes[1].create_time
