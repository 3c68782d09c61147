"""The Tencent Cloud SMS sender against a fake provider on 127.0.0.1 that checks every request's signature.

The fake provider rebuilds the TC3-HMAC-SHA256 signature from the request it received (method, path,
query, the signed headers and the body) with its own code, so a signing mistake in the sender fails
here instead of passing by symmetry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bot.sms import SmsError, TencentSmsConfig, TencentSmsSender
from store.models_binding import VerificationCode
from tests.bot.stack import Stack, memory_sessions, open_stack

SECRET_ID = "AKIDtestsecretid0001"
SECRET_KEY = "test-secret-key-of-the-fake-provider"
SDK_APP_ID = "1400000001"
TEMPLATE_ID = "2000001"
SIGN_NAME = "结对帮扶"
PHONE = "13800001111"

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_authorization(request_headers: dict[str, str], body: bytes, path: str, query: str) -> str:
    """Rebuild the Authorization header Tencent Cloud would accept for this request."""
    timestamp = int(request_headers["X-TC-Timestamp"])
    date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    signed = ["content-type", "host", "x-tc-action"]
    values = {name: request_headers[name].strip() for name in signed}
    values["x-tc-action"] = values["x-tc-action"].lower()
    canonical_headers = "".join(f"{name}:{values[name]}\n" for name in signed)
    payload_hash = hashlib.sha256(body).hexdigest()
    canonical = "\n".join(["POST", path, query, canonical_headers, ";".join(signed), payload_hash])
    scope = f"{date}/sms/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = _hmac(_hmac(_hmac(("TC3" + SECRET_KEY).encode(), date), "sms"), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    credential = f"Credential={SECRET_ID}/{scope}"
    return f"TC3-HMAC-SHA256 {credential}, SignedHeaders={';'.join(signed)}, Signature={signature}"


@dataclass
class FakeProvider:
    """Accepts SendSms requests whose signature is valid, and records the codes it was asked to send."""

    status_code: str = "Ok"
    http_status: int = 200
    sent: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)

    def codes_for(self, phone: str) -> list[str]:
        return [
            str(body["TemplateParamSet"][0])
            for body in self.sent
            if body["PhoneNumberSet"] == [f"+86{phone}"]
        ]

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {name.lower(): value for name, value in request.headers.items()}
        headers.update({name: value for name, value in request.headers.items()})
        problem = self._problem(headers, body, request)
        if problem is not None:
            self.rejected.append(problem)
            return web.json_response(
                {"Response": {"Error": {"Code": problem, "Message": problem}, "RequestId": "r-1"}}
            )
        if self.http_status != 200:
            return web.Response(status=self.http_status, text="internal error")
        payload = json.loads(body)
        self.sent.append(payload)
        status = {
            "SerialNo": "s-1",
            "PhoneNumber": payload["PhoneNumberSet"][0],
            "Fee": 1,
            "Code": self.status_code,
            "Message": "send success" if self.status_code == "Ok" else "limit",
            "IsoCode": "CN",
        }
        return web.json_response({"Response": {"SendStatusSet": [status], "RequestId": "r-2"}})

    def _problem(self, headers: dict[str, str], body: bytes, request: web.Request) -> str | None:
        if headers.get("X-TC-Action") != "SendSms" or headers.get("X-TC-Version") != "2021-01-11":
            return "InvalidAction"
        if headers.get("X-TC-Region") != "ap-guangzhou":
            return "InvalidParameterValue.Region"
        if abs(int(headers.get("X-TC-Timestamp", "0")) - time.time()) > 300:
            return "AuthFailure.SignatureExpire"
        expected = expected_authorization(headers, body, request.path, request.query_string)
        if not hmac.compare_digest(headers.get("Authorization", ""), expected):
            return "AuthFailure.SignatureFailure"
        payload = json.loads(body)
        if (payload.get("SmsSdkAppId"), payload.get("TemplateId"), payload.get("SignName")) != (
            SDK_APP_ID,
            TEMPLATE_ID,
            SIGN_NAME,
        ):
            return "InvalidParameterValue"
        return None


@pytest.fixture
async def provider(aiohttp_server: ServerFactory) -> AsyncIterator[tuple[FakeProvider, str]]:
    fake = FakeProvider()
    app = web.Application()
    app.router.add_post("/", fake.handle)
    server = await aiohttp_server(app)
    yield fake, str(server.make_url("/")).rstrip("/")


def make_sender(endpoint: str, *, secret_key: str = SECRET_KEY) -> TencentSmsSender:
    config = TencentSmsConfig(
        secret_id=SECRET_ID,
        secret_key=secret_key,
        sdk_app_id=SDK_APP_ID,
        sign_name=SIGN_NAME,
        template_id=TEMPLATE_ID,
        endpoint=endpoint,
    )
    return TencentSmsSender(config)


async def test_signed_request_is_accepted(provider: tuple[FakeProvider, str]) -> None:
    fake, endpoint = provider
    sender = make_sender(endpoint)
    try:
        await sender.send_code(PHONE, "123456", 5)
    finally:
        await sender.aclose()

    assert fake.rejected == []
    assert fake.sent == [
        {
            "PhoneNumberSet": ["+8613800001111"],
            "SmsSdkAppId": SDK_APP_ID,
            "SignName": SIGN_NAME,
            "TemplateId": TEMPLATE_ID,
            "TemplateParamSet": ["123456", "5"],
        }
    ]


async def test_wrong_secret_key_is_rejected(provider: tuple[FakeProvider, str]) -> None:
    fake, endpoint = provider
    sender = make_sender(endpoint, secret_key="not-the-key")
    try:
        with pytest.raises(SmsError, match="AuthFailure.SignatureFailure"):
            await sender.send_code(PHONE, "123456", 5)
    finally:
        await sender.aclose()
    assert fake.sent == []


async def test_tampered_body_fails_signature(provider: tuple[FakeProvider, str]) -> None:
    fake, endpoint = provider
    sender = make_sender(endpoint)
    headers = sender.request_headers(sender.request_body(PHONE, "123456", 5))
    other_body = sender.request_body(PHONE, "654321", 5)
    async with (
        aiohttp.ClientSession() as client,
        client.post(endpoint, data=other_body, headers=headers) as response,
    ):
        reply = await response.json()
    assert reply["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert fake.sent == []


@pytest.mark.parametrize(
    ("status_code", "http_status", "message"),
    [
        ("LimitExceeded.PhoneNumberDailyLimit", 200, "LimitExceeded.PhoneNumberDailyLimit"),
        ("Ok", 500, "HTTP 500"),
    ],
)
async def test_provider_failure_raises(
    provider: tuple[FakeProvider, str], status_code: str, http_status: int, message: str
) -> None:
    fake, endpoint = provider
    fake.status_code, fake.http_status = status_code, http_status
    sender = make_sender(endpoint)
    try:
        with pytest.raises(SmsError, match=message):
            await sender.send_code(PHONE, "123456", 5)
    finally:
        await sender.aclose()


def test_config_repr_hides_secret_key() -> None:
    assert SECRET_KEY not in repr(make_sender("https://sms.tencentcloudapi.com").config)


def tencent_env(endpoint: str) -> dict[str, str]:
    return {
        "JIEDUI_SMS_SENDER": "tencent",
        "JIEDUI_SMS_DEV_CODE": "",
        "JIEDUI_SMS_CODE_KEY": "k" * 40,
        "TENCENT_SMS_SECRET_ID": SECRET_ID,
        "TENCENT_SMS_SECRET_KEY": SECRET_KEY,
        "TENCENT_SMS_SDK_APP_ID": SDK_APP_ID,
        "TENCENT_SMS_SIGN_NAME": SIGN_NAME,
        "TENCENT_SMS_TEMPLATE_ID": TEMPLATE_ID,
        "TENCENT_SMS_ENDPOINT": endpoint,
    }


async def _code_rows(stack: Stack) -> int:
    async with stack.database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(VerificationCode)) or 0)


async def test_binding_through_app_with_tencent(
    provider: tuple[FakeProvider, str], sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake, endpoint = provider
    caplog.set_level(logging.DEBUG)
    async for stack in open_stack(sqlite_url, memory_sessions(), env=tencent_env(endpoint)):
        cadre = stack.cadre()
        reply = await cadre.say(PHONE)
        assert "验证码已发送至 138****1111" in reply
        [code] = fake.codes_for(PHONE)

        reply = await cadre.say(code)

        assert "绑定成功" in reply
        assert fake.rejected == []
    assert code not in caplog.text
    assert PHONE not in caplog.text
    assert SECRET_KEY not in caplog.text


async def test_failed_sms_is_reported_and_discarded(
    provider: tuple[FakeProvider, str], sqlite_url: str
) -> None:
    fake, endpoint = provider
    fake.status_code = "FailedOperation.InsufficientBalanceInSmsPackage"
    async for stack in open_stack(sqlite_url, memory_sessions(), env=tencent_env(endpoint)):
        cadre = stack.cadre()
        reply = await cadre.say(PHONE)
        assert "验证码短信发送失败" in reply
        assert await _code_rows(stack) == 0

        fake.status_code = "Ok"
        reply = await cadre.say(PHONE)
        assert "验证码已发送至 138****1111" in reply
        assert await _code_rows(stack) == 1
