"""Sending the one-time verification codes by SMS: a log sender for development, and Tencent Cloud SMS.

`TencentSmsSender` calls the SendSms action of Tencent Cloud SMS API v3 (version 2021-01-11) with a
request signed by TC3-HMAC-SHA256, the "Signature v3" method of Tencent Cloud API 3.0. The endpoint
is configurable, so tests point it at a fake provider on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

log = logging.getLogger("jiedui.sms")

SEND_TIMEOUT_S = 3.0
"""Maximum time in seconds for one SendSms call; the chat reply to WeChat must leave within 5 s."""

TENCENT_SERVICE = "sms"
TENCENT_ACTION = "SendSms"
TENCENT_VERSION = "2021-01-11"
TENCENT_ALGORITHM = "TC3-HMAC-SHA256"
TENCENT_SIGNED_HEADERS = "content-type;host;x-tc-action"
TENCENT_CONTENT_TYPE = "application/json; charset=utf-8"
DEFAULT_TENCENT_ENDPOINT = "https://sms.tencentcloudapi.com"
DEFAULT_TENCENT_REGION = "ap-guangzhou"


class SmsError(Exception):
    """A verification code could not be sent; the message names the provider's error code if it gave one."""


class SmsSender(Protocol):
    """Sends a verification code to a mainland mobile number."""

    async def send_code(self, phone: str, code: str, ttl_minutes: int) -> None:
        """Send `code`, valid for `ttl_minutes`, to the 11-digit `phone`; raise SmsError on failure."""

    async def aclose(self) -> None:
        """Release the sender's connections."""


def mask_phone(phone: str) -> str:
    """Return the phone with its middle four digits hidden (138****1111), the only form logs may show."""
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else "****"


class LogSender:
    """Writes each code to the server log at WARNING instead of sending an SMS; for development only."""

    def __init__(self, logger: logging.Logger = log) -> None:
        self._log = logger

    async def send_code(self, phone: str, code: str, ttl_minutes: int) -> None:
        self._log.warning(
            "SMS not sent (JIEDUI_SMS_SENDER=log): verification code for %s is %s", mask_phone(phone), code
        )

    async def aclose(self) -> None:
        return None


@dataclass(frozen=True, kw_only=True)
class TencentSmsConfig:
    """The account, application, signature and template that Tencent Cloud SMS sends with.

    The template must have two parameters: {1} the code and {2} its validity in minutes.
    """

    secret_id: str
    secret_key: str
    sdk_app_id: str
    sign_name: str
    template_id: str
    region: str = DEFAULT_TENCENT_REGION
    endpoint: str = DEFAULT_TENCENT_ENDPOINT

    def __repr__(self) -> str:
        return (
            f"TencentSmsConfig(secret_id={self.secret_id!r}, secret_key='**********', "
            f"endpoint={self.endpoint!r})"
        )


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac_sha256(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def tc3_authorization(
    *, secret_id: str, secret_key: str, host: str, action: str, payload: bytes, timestamp: int, service: str
) -> str:
    """Return the Authorization header of a TC3-HMAC-SHA256 signed POST of a JSON `payload` to `host`.

    The canonical request signs the content-type, host and x-tc-action headers and the SHA-256 of the
    body. The signing key is derived from the secret key through the UTC date of `timestamp`, the
    service name and "tc3_request".
    """
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    canonical_headers = f"content-type:{TENCENT_CONTENT_TYPE}\nhost:{host}\nx-tc-action:{action.lower()}\n"
    canonical_request = "\n".join(
        ["POST", "/", "", canonical_headers, TENCENT_SIGNED_HEADERS, _sha256_hex(payload)]
    )
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        [TENCENT_ALGORITHM, str(timestamp), scope, _sha256_hex(canonical_request.encode("utf-8"))]
    )
    secret_date = _hmac_sha256(("TC3" + secret_key).encode("utf-8"), date)
    secret_service = _hmac_sha256(secret_date, service)
    secret_signing = _hmac_sha256(secret_service, "tc3_request")
    signature = hmac.new(secret_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return (
        f"{TENCENT_ALGORITHM} Credential={secret_id}/{scope}, "
        f"SignedHeaders={TENCENT_SIGNED_HEADERS}, Signature={signature}"
    )


class TencentSmsSender:
    """Sends codes through Tencent Cloud SMS; opens its HTTP session on first use, closed by `aclose`."""

    def __init__(self, config: TencentSmsConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._clock = clock
        self._host = urllib.parse.urlsplit(config.endpoint).netloc
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT_S))
        return self._session

    def request_body(self, phone: str, code: str, ttl_minutes: int) -> bytes:
        """Return the JSON body of the SendSms call for one mainland number."""
        body = {
            "PhoneNumberSet": [f"+86{phone}"],
            "SmsSdkAppId": self.config.sdk_app_id,
            "SignName": self.config.sign_name,
            "TemplateId": self.config.template_id,
            "TemplateParamSet": [code, str(ttl_minutes)],
        }
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def request_headers(self, payload: bytes) -> dict[str, str]:
        """Return the signed headers of a SendSms call with this body, stamped with the current time."""
        timestamp = int(self._clock())
        authorization = tc3_authorization(
            secret_id=self.config.secret_id,
            secret_key=self.config.secret_key,
            host=self._host,
            action=TENCENT_ACTION,
            payload=payload,
            timestamp=timestamp,
            service=TENCENT_SERVICE,
        )
        return {
            "Authorization": authorization,
            "Content-Type": TENCENT_CONTENT_TYPE,
            "Host": self._host,
            "X-TC-Action": TENCENT_ACTION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": TENCENT_VERSION,
            "X-TC-Region": self.config.region,
        }

    async def send_code(self, phone: str, code: str, ttl_minutes: int) -> None:
        payload = self.request_body(phone, code, ttl_minutes)
        headers = self.request_headers(payload)
        try:
            async with self._client().post(self.config.endpoint, data=payload, headers=headers) as response:
                status = response.status
                text = await response.text()
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("Tencent SMS request failed: %s", type(error).__name__)
            raise SmsError(f"Tencent SMS request failed: {type(error).__name__}") from error
        _check_response(status, text)
        log.info("verification code sent by Tencent SMS to %s", mask_phone(phone))

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _check_response(status: int, text: str) -> None:
    """Raise SmsError unless the SendSms response reports the one number as sent (Code "Ok")."""
    if status != 200:
        log.warning("Tencent SMS responded with HTTP %d", status)
        raise SmsError(f"Tencent SMS responded with HTTP {status}")
    try:
        response: Any = json.loads(text)["Response"]
    except (ValueError, KeyError, TypeError) as error:
        log.warning("Tencent SMS responded with a body that is not a SendSms response")
        raise SmsError("Tencent SMS response is not valid JSON with a Response object") from error
    error_info = response.get("Error") if isinstance(response, dict) else None
    if error_info:
        code = str(error_info.get("Code", "unknown"))
        log.warning("Tencent SMS rejected the request: %s (RequestId %s)", code, response.get("RequestId"))
        raise SmsError(f"Tencent SMS rejected the request: {code}")
    statuses = response.get("SendStatusSet") if isinstance(response, dict) else None
    if not statuses or statuses[0].get("Code") != "Ok":
        code = str(statuses[0].get("Code")) if statuses else "no SendStatusSet"
        log.warning("Tencent SMS did not send the code: %s (RequestId %s)", code, response.get("RequestId"))
        raise SmsError(f"Tencent SMS did not send the code: {code}")
