"""The webhook in safe mode: msg_signature, AES round trips and key rotation, through the real app."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.crypto import SafeModeCrypto, compute_signature
from bot.simulator import WeChatUser, build_text_push, parse_reply, seal_push, sign_params
from bot.webhook import MAX_BODY_BYTES
from tests.bot.conftest import AES_KEY, APP_ID, OPENID, PREVIOUS_AES_KEY, TOKEN, FakeService

ACCOUNT = "gh_test"


def _crypto(aes_key: str = AES_KEY, app_id: str = APP_ID) -> SafeModeCrypto:
    return SafeModeCrypto(token=TOKEN, aes_key=aes_key, app_id=app_id)


def _sealed(
    content: str = "你好", crypto: SafeModeCrypto | None = None, overrides: dict[str, str] | None = None
) -> tuple[str, dict[str, str]]:
    xml = build_text_push(
        openid=OPENID, account=ACCOUNT, content=content, msg_id=77, create_time=int(time.time())
    )
    body, params = seal_push(xml, crypto or _crypto(), account=ACCOUNT, params=sign_params(TOKEN))
    return body, {**params, **(overrides or {})}


async def _post(client: TestClient[Any, Any], body: str | bytes, params: dict[str, str]) -> tuple[int, str]:
    data = body.encode("utf-8") if isinstance(body, str) else body
    async with client.post("/wechat", params=params, data=data) as response:
        return response.status, await response.text()


async def test_round_trip(safe_user: WeChatUser, service: FakeService) -> None:
    reply = await safe_user.send_text("我要提交结对")

    assert reply == "收到：我要提交结对"
    assert service.pushes[0].text == "我要提交结对"
    assert service.pushes[0].openid == OPENID


async def test_reply_is_encrypted_envelope(safe_client: TestClient[Any, Any], service: FakeService) -> None:
    service.reply = "名单]]>已收到\x01"
    body, params = _sealed()

    status, text = await _post(safe_client, body, params)

    assert status == 200
    assert "名单" not in text
    for element in ("<Encrypt>", "<MsgSignature>", "<TimeStamp>", "<Nonce>"):
        assert element in text
    reply = parse_reply(_crypto().open_envelope(text))
    assert (reply.to_user, reply.from_user, reply.content) == (OPENID, ACCOUNT, "名单]]>已收到")


async def test_url_signature_is_optional(safe_client: TestClient[Any, Any], service: FakeService) -> None:
    body, params = _sealed()
    del params["signature"]

    status, _ = await _post(safe_client, body, params)

    assert status == 200
    assert len(service.pushes) == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"msg_signature": "0" * 40},
        {"msg_signature": ""},
        {"encrypt_type": "raw"},
        {"encrypt_type": ""},
        {"signature": "0" * 40},
        {"nonce": ""},
        {"timestamp": str(int(time.time()) - 400)},
    ],
)
async def test_bad_parameters_rejected(
    safe_client: TestClient[Any, Any], service: FakeService, overrides: dict[str, str]
) -> None:
    body, params = _sealed(overrides=overrides)

    status, _ = await _post(safe_client, body, params)

    assert status == 403
    assert service.pushes == []


async def test_timestamp_outside_window_with_valid_signatures(safe_client: TestClient[Any, Any]) -> None:
    xml = build_text_push(openid=OPENID, account=ACCOUNT, content="x", msg_id=1, create_time=1)
    old = sign_params(TOKEN, timestamp=str(int(time.time()) - 3600))
    body, params = seal_push(xml, _crypto(), account=ACCOUNT, params=old)

    status, _ = await _post(safe_client, body, params)

    assert status == 403


async def test_plain_push_rejected(safe_client: TestClient[Any, Any], service: FakeService) -> None:
    xml = build_text_push(openid=OPENID, account=ACCOUNT, content="x", msg_id=1, create_time=int(time.time()))

    status, _ = await _post(safe_client, xml, sign_params(TOKEN))

    assert status == 403
    assert service.pushes == []


async def test_body_without_encrypt_rejected(safe_client: TestClient[Any, Any]) -> None:
    _, params = _sealed()

    status, _ = await _post(safe_client, "<xml><ToUserName>gh</ToUserName></xml>", params)

    assert status == 403


async def test_big_body_rejected(safe_client: TestClient[Any, Any]) -> None:
    body, params = _sealed()

    status, _ = await _post(safe_client, body.replace("<xml>", "<xml>" + " " * MAX_BODY_BYTES), params)

    assert status == 413


async def test_doctype_in_envelope_rejected(safe_client: TestClient[Any, Any], service: FakeService) -> None:
    body, params = _sealed()

    status, _ = await _post(safe_client, "<!DOCTYPE xml>" + body, params)

    assert status == 400
    assert service.pushes == []


async def test_doctype_in_plaintext_rejected(safe_client: TestClient[Any, Any], service: FakeService) -> None:
    xml = '<!DOCTYPE xml [<!ENTITY e "x">]>' + build_text_push(
        openid=OPENID, account=ACCOUNT, content="&e;", msg_id=1, create_time=int(time.time())
    )
    body, params = seal_push(xml, _crypto(), account=ACCOUNT, params=sign_params(TOKEN))

    status, _ = await _post(safe_client, body, params)

    assert status == 400
    assert service.pushes == []


async def test_invalid_utf8_outside_encrypt(safe_client: TestClient[Any, Any], service: FakeService) -> None:
    body, params = _sealed()

    status, _ = await _post(safe_client, body.encode().replace(b"<xml>", b"<xml>\xff\xfe", 1), params)

    assert status == 200
    assert len(service.pushes) == 1


async def test_previous_key_push_gets_previous_key_reply(
    safe_client: TestClient[Any, Any], service: FakeService
) -> None:
    previous = _crypto(aes_key=PREVIOUS_AES_KEY)
    body, params = _sealed("旧密钥", crypto=previous)

    status, text = await _post(safe_client, body, params)

    assert status == 200
    assert parse_reply(previous.open_envelope(text)).content == "收到：旧密钥"


async def test_unknown_key_answers_success(
    safe_client: TestClient[Any, Any], service: FakeService, caplog: pytest.LogCaptureFixture
) -> None:
    stranger = _crypto(aes_key="0123456789abcdefghijklmnopqrstuvwxyzABCDEFG")
    body, params = _sealed(crypto=stranger)

    with caplog.at_level(logging.INFO, logger="jiedui.webhook"):
        assert await _post(safe_client, body, params) == (200, "success")

    assert service.pushes == []
    assert "could not be decrypted" in caplog.text


async def test_wrong_app_id_answers_success(safe_client: TestClient[Any, Any], service: FakeService) -> None:
    body, params = _sealed(crypto=_crypto(app_id="wxffffffffffffffff"))

    assert await _post(safe_client, body, params) == (200, "success")
    assert service.pushes == []


async def test_control_chars_in_plaintext_stripped(
    safe_client: TestClient[Any, Any], service: FakeService
) -> None:
    body, params = _sealed("张\x02三")

    status, _ = await _post(safe_client, body, params)

    assert status == 200
    assert service.pushes[0].text == "张三"


async def test_msg_signature_over_other_encrypt(
    safe_client: TestClient[Any, Any], service: FakeService
) -> None:
    body, params = _sealed("原文")
    other_body, _ = _sealed("篡改")
    other_encrypt = other_body.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    params["msg_signature"] = compute_signature(TOKEN, params["timestamp"], params["nonce"], other_encrypt)

    status, _ = await _post(safe_client, body, params)

    assert status == 403
    assert service.pushes == []
