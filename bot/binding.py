"""The backend side of phone binding: issuing codes under the limits, sending them, and checking them.

`PhoneBinding` implements `dialogs.registration.BindingBackend` with the SQL code repository and an
SMS sender. `open_phone_binding` builds both from the settings and announces at start-up where codes go.
"""

from __future__ import annotations

import logging

from bot.config_sms import SmsSettings
from bot.sms import LogSender, SmsError, SmsSender, TencentSmsSender
from dialogs.registration import CODE_TTL_MINUTES, CodeRequestResult, CodeVerifyResult
from store.db import Database
from store.repo_binding import CodeRepository

log = logging.getLogger("jiedui.binding")


class PhoneBinding:
    """Sends and checks the verification codes that bind a phone to a WeChat user."""

    def __init__(self, codes: CodeRepository, sender: SmsSender) -> None:
        self.codes = codes
        self.sender = sender

    async def request_code(self, openid: str, phone: str) -> CodeRequestResult:
        """Issue a code and send it; a code whose SMS fails is discarded, so the cadre may retry at once."""
        issued = await self.codes.issue(openid, phone)
        if issued.status == "phone_limit":
            return CodeRequestResult("phone_limit", daily_limit=self.codes.daily_limit_per_phone)
        if issued.status == "openid_limit":
            return CodeRequestResult("openid_limit", daily_limit=self.codes.daily_limit_per_openid)
        if issued.status == "wait":
            return CodeRequestResult("wait", wait_s=issued.wait_s, own_code_pending=issued.own_code_pending)
        code, code_id = issued.code, issued.code_id
        if code is None or code_id is None:
            raise RuntimeError(f"the code repository returned status {issued.status!r} without a code")
        try:
            await self.sender.send_code(phone, code, CODE_TTL_MINUTES)
        except SmsError as error:
            log.warning("verification code not sent, discarded: code_id=%d error=%s", code_id, error)
            await self.codes.discard(code_id)
            return CodeRequestResult("failed")
        return CodeRequestResult("sent")

    async def verify_code(self, openid: str, phone: str, code: str) -> CodeVerifyResult:
        """Check a code; when it is right the phone is bound to `openid` in the same transaction."""
        check = await self.codes.verify(openid, phone, code)
        if check.binding is None:
            return CodeVerifyResult(check.status, tries_left=check.tries_left)
        return CodeVerifyResult(
            "bound",
            took_from_other_openid=check.binding.took_from_other_openid,
            previous_phone=check.binding.previous_phone,
        )

    async def aclose(self) -> None:
        """Close the sender's connections."""
        await self.sender.aclose()


def open_sms_sender(settings: SmsSettings) -> SmsSender:
    """Create the sender the settings name; the log sender warns that codes only reach the server log."""
    if settings.tencent is not None:
        log.info("verification codes are sent by Tencent Cloud SMS (%s)", settings.tencent.endpoint)
        return TencentSmsSender(settings.tencent)
    log.warning(
        "JIEDUI_SMS_SENDER=log: verification codes are written to this log and no SMS is sent; "
        "set JIEDUI_SMS_SENDER=tencent before cadres bind real phones"
    )
    if settings.dev_code is not None:
        log.warning(
            "every verification code is the development code %s (JIEDUI_SMS_DEV_CODE, or the default with "
            "the public development token); never use it with real cadres",
            settings.dev_code,
        )
    return LogSender()


def open_phone_binding(
    settings: SmsSettings, db: Database, *, sender: SmsSender | None = None
) -> PhoneBinding:
    """Create the phone binding of one worker: the code repository on `db` and the configured sender."""
    codes = CodeRepository(
        db,
        key=settings.code_key.get().encode("utf-8") if settings.code_key is not None else b"",
        daily_limit_per_phone=settings.daily_limit_per_phone,
        daily_limit_per_openid=settings.daily_limit_per_openid,
        fixed_code=settings.dev_code,
    )
    return PhoneBinding(codes, sender if sender is not None else open_sms_sender(settings))
