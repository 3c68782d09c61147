"""The HTTP routes: URL verification and pushes (called by WeChat), a health check and the metrics.

A push is checked in this order, so that forged or oversized requests are rejected before any XML
parser reads them:

1. parameters present and signature valid (plain mode: `signature` over the URL; safe mode:
   `encrypt_type=aes` and `msg_signature` over the body's `Encrypt`, plus `signature` when sent), else 403;
2. `timestamp` within the window, else 403;
3. body at most MAX_BODY_BYTES, else 413 (in safe mode this comes before step 1's msg_signature check,
   which needs the body);
4. no DOCTYPE or ENTITY declaration, else 400;
5. decrypt and parse; a malformed push, an unsupported type or a failing chat service is answered
   `success` and logged, never with a 500;
6. the chat service's reply is sent as a text reply, encrypted in safe mode; no reply means `success`.
"""

from __future__ import annotations

import time
from typing import Protocol

from aiohttp import web

from bot import loggers
from bot.config import Settings
from bot.crypto import (
    DecryptionFailed,
    InvalidSignature,
    SafeModeCrypto,
    check_msg_signature,
    check_signature,
    find_element,
)
from bot.metrics import METRICS_KEY, PushMetrics, serve_metrics
from bot.privacy import describe_error
from bot.push import Push
from bot.trace import PushTrace, tracing
from bot.wechat import MalformedPush, UnsupportedPush, contains_doctype, parse_push, render_text_reply

MAX_BODY_BYTES = 64 * 1024
"""Maximum push body size in bytes. WeChat's pushes are a few KiB."""

MAX_REPLY_BYTES = 2000
"""Reply size in UTF-8 bytes above which a warning is logged.

WeChat does not document the limit; community reports put it near 2,048 bytes.
"""

SUCCESS = "success"
"""The response body that acknowledges a push without sending the user a reply."""


class ChatHandler(Protocol):
    """The chat service as the webhook uses it."""

    async def handle(self, push: Push) -> str | None:
        """Return the reply text to `push`, or None to respond with `success`."""


SETTINGS_KEY = web.AppKey("settings", Settings)
SERVICE_KEY: web.AppKey[ChatHandler] = web.AppKey("service")
CRYPTO_KEY = web.AppKey("crypto", SafeModeCrypto)


def build_webhook_app(settings: Settings) -> web.Application:
    """Create the application with the routes and settings. Set SERVICE_KEY before it serves requests."""
    app = web.Application()
    app[SETTINGS_KEY] = settings
    if settings.safe_mode:
        app[CRYPTO_KEY] = create_crypto(settings)
    app.router.add_get("/wechat", verify_url)
    app.router.add_post("/wechat", receive_push)
    app.router.add_get("/healthz", healthz)
    app[METRICS_KEY] = PushMetrics()
    app.router.add_get("/metrics", metrics)
    return app


def create_webhook_app(settings: Settings, service: ChatHandler) -> web.Application:
    """Create the application serving `service` (no database or session store is opened)."""
    app = build_webhook_app(settings)
    app[SERVICE_KEY] = service
    return app


def create_crypto(settings: Settings) -> SafeModeCrypto:
    """Create the safe-mode cipher from settings that are in safe mode."""
    if settings.encoding_aes_key is None or settings.app_id is None:
        raise ValueError("safe mode needs WECHAT_ENCODING_AES_KEY and WECHAT_APP_ID")
    previous = settings.previous_encoding_aes_key
    return SafeModeCrypto(
        token=settings.token.get(),
        aes_key=settings.encoding_aes_key.get(),
        app_id=settings.app_id,
        previous_aes_key=previous.get() if previous is not None else None,
    )


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def metrics(request: web.Request) -> web.Response:
    """Respond with the Prometheus metrics; see `bot.metrics`."""
    return await serve_metrics(request, request.app[SERVICE_KEY])


async def verify_url(request: web.Request) -> web.Response:
    """Respond to WeChat's server verification by echoing `echostr` when the signature is valid."""
    settings = request.app[SETTINGS_KEY]
    names = ("signature", "timestamp", "nonce", "echostr")
    values = [request.query.get(name, "") for name in names]
    if not all(values):
        loggers.webhook.warning("URL verification rejected: parameters missing (status 400)")
        raise web.HTTPBadRequest(text="signature, timestamp, nonce and echostr are required")
    signature, timestamp, nonce, echostr = values
    try:
        check_signature(settings.token.get(), signature, timestamp, nonce)
    except InvalidSignature:
        loggers.webhook.warning("URL verification rejected: invalid signature (status 403)")
        raise web.HTTPForbidden(text="invalid signature") from None
    loggers.webhook.info("URL verification passed")
    return web.Response(text=echostr)


class _Rejected(Exception):
    """A push rejected with an HTTP error status before it reached the chat service."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def receive_push(request: web.Request) -> web.Response:
    """Check, decrypt and parse a push, pass it to the chat service and respond with its reply.

    Every push ends in one log line: INFO with the hashed OpenID, message type, outcome, duration and
    dialog step, or WARNING when the request was rejected.
    """
    with tracing(PushTrace()) as record:
        try:
            response = await _handle_push(request, record)
        except _Rejected as rejected:
            record.outcome = "rejected"
            record.status = rejected.status
            response = web.Response(status=rejected.status, text=rejected.reason)
            loggers.webhook.warning(
                "push rejected status=%d reason=%s duration_ms=%.0f",
                rejected.status,
                rejected.reason,
                record.duration_s * 1000,
            )
        else:
            loggers.webhook.info(
                "push openid=%s type=%s outcome=%s duration_ms=%.0f step=%s",
                record.openid_hash,
                record.kind,
                record.outcome,
                record.duration_s * 1000,
                record.step,
            )
        request.app[METRICS_KEY].observe(record.outcome, record.duration_s)
        return response


async def _handle_push(request: web.Request, record: PushTrace) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    query = request.query
    timestamp = query.get("timestamp", "")
    nonce = query.get("nonce", "")
    if not timestamp or not nonce:
        raise _Rejected(403, "timestamp and nonce are required")

    crypto = request.app.get(CRYPTO_KEY)
    signature = query.get("signature")
    if crypto is None and not signature:
        raise _Rejected(403, "signature is required")
    if signature:
        try:
            check_signature(settings.token.get(), signature, timestamp, nonce)
        except InvalidSignature:
            raise _Rejected(403, "invalid signature") from None

    if crypto is None:
        return await _handle_plain_push(request, record, timestamp)
    return await _handle_safe_mode_push(request, record, crypto, timestamp, nonce)


async def _handle_plain_push(request: web.Request, record: PushTrace, timestamp: str) -> web.Response:
    _check_timestamp(timestamp, request.app[SETTINGS_KEY].timestamp_window_s)
    body = await _read_body(request)
    _reject_doctype(body)
    try:
        xml = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _Rejected(400, "body is not valid UTF-8") from None
    return await _answer(request, record, xml, crypto=None, key_index=0)


async def _handle_safe_mode_push(
    request: web.Request, record: PushTrace, crypto: SafeModeCrypto, timestamp: str, nonce: str
) -> web.Response:
    msg_signature = request.query.get("msg_signature", "")
    if request.query.get("encrypt_type", "").lower() != "aes" or not msg_signature:
        raise _Rejected(403, "safe mode requires encrypt_type=aes and msg_signature")
    body = await _read_body(request)
    # Encrypt is base64, so undecodable bytes elsewhere in the envelope cannot hide or change it.
    encrypt = find_element(body.decode("utf-8", errors="replace"), "Encrypt")
    if not encrypt:
        raise _Rejected(403, "body has no Encrypt element to check msg_signature against")
    try:
        check_msg_signature(crypto.token, msg_signature, timestamp, nonce, encrypt)
    except InvalidSignature:
        raise _Rejected(403, "invalid msg_signature") from None
    _check_timestamp(timestamp, request.app[SETTINGS_KEY].timestamp_window_s)
    _reject_doctype(body)

    try:
        decrypted = crypto.decrypt(encrypt, msg_signature=msg_signature, timestamp=timestamp, nonce=nonce)
    except (InvalidSignature, DecryptionFailed):
        loggers.webhook.error("push could not be decrypted; check WECHAT_ENCODING_AES_KEY and WECHAT_APP_ID")
        record.outcome = "decryption-failed"
        return web.Response(text=SUCCESS)
    _reject_doctype(decrypted.xml.encode("utf-8"))
    return await _answer(request, record, decrypted.xml, crypto=crypto, key_index=decrypted.key_index)


def _reject_doctype(body: bytes) -> None:
    if contains_doctype(body):
        raise _Rejected(400, "DOCTYPE and ENTITY declarations are not accepted")


def _check_timestamp(timestamp: str, window_s: int) -> None:
    if not timestamp.isascii() or not timestamp.isdigit():
        raise _Rejected(403, "timestamp is not a whole number of seconds")
    if abs(time.time() - int(timestamp)) > window_s:
        raise _Rejected(403, "timestamp is outside the accepted window")


async def _read_body(request: web.Request) -> bytes:
    """Read at most MAX_BODY_BYTES + 1 bytes of the body, and raise _Rejected(413) when it is larger."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _Rejected(413, f"body is larger than {MAX_BODY_BYTES} bytes")
    body = bytearray()
    while len(body) <= MAX_BODY_BYTES:
        chunk = await request.content.read(MAX_BODY_BYTES + 1 - len(body))
        if not chunk:
            break
        body += chunk
    if len(body) > MAX_BODY_BYTES:
        raise _Rejected(413, f"body is larger than {MAX_BODY_BYTES} bytes")
    return bytes(body)


async def _answer(
    request: web.Request, record: PushTrace, xml: str, *, crypto: SafeModeCrypto | None, key_index: int
) -> web.Response:
    try:
        push = parse_push(xml)
    except UnsupportedPush as exc:
        record.kind = exc.kind
        record.outcome = "unsupported"
        return web.Response(text=SUCCESS)
    except MalformedPush as exc:
        loggers.webhook.warning("malformed push answered with success: %s", exc)
        record.outcome = "malformed"
        return web.Response(text=SUCCESS)
    record.describe(push)

    try:
        reply = await request.app[SERVICE_KEY].handle(push)
    except Exception as error:  # noqa: BLE001 - any service failure is logged and answered `success`, never a 500
        # Only the type and place are logged: messages of database errors quote personal data.
        loggers.webhook.error(
            "chat service failed on a push from openid=%s: %s", record.openid_hash, describe_error(error)
        )
        record.outcome = "service-error"
        return web.Response(text=SUCCESS)

    if reply is None or not reply.strip():
        if reply is not None:
            loggers.webhook.warning("chat service returned an empty reply; answering success instead")
        record.settle("no-reply")
        return web.Response(text=SUCCESS)
    size = len(reply.encode("utf-8"))
    if size > MAX_REPLY_BYTES:
        loggers.webhook.warning(
            "reply is %d bytes, more than the %d WeChat reliably shows", size, MAX_REPLY_BYTES
        )

    reply_xml = render_text_reply(push, reply, create_time=int(time.time()))
    if crypto is not None:
        reply_xml = crypto.encrypt(reply_xml, key_index=key_index)
    record.settle("reply")
    return web.Response(text=reply_xml, content_type="application/xml")
