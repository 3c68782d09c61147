"""Phone binding with SMS codes through the HTTP app, on SQLite with memory and PostgreSQL with Redis.

Codes are random here (the fixed development code is turned off) and reach the tests the way they
reach a developer: through the log sender's WARNING records. Time is moved by ageing the code rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.pairing_import import import_workbook
from bot.submission import student_record
from store.models import Cadre, Pairing
from store.models_binding import VerificationCode
from store.records import PairingSubmission
from store.repositories import PairingRepository
from tests.bot.stack import Cadre as SimulatedCadre
from tests.bot.stack import Stack, delete_keys, memory_sessions, open_stack, redis_sessions
from tests.bot.test_my_pairings_flow import draft
from tests.bot.workbooks import good_row, write_workbook

PHONE = "13800001111"
OTHER_PHONE = "13900002222"
THIRD_PHONE = "13700003333"
_LOGGED_CODE = re.compile(r"verification code for (\d{3}\*{4}\d{4}) is (\d{6})")

StackFactory = Callable[..., AbstractAsyncContextManager[Stack]]


@pytest.fixture
def open_binding_stack(stack_config: tuple[str, str | None, str]) -> StackFactory:
    """Return a factory of stacks with random codes and the given extra environment."""

    @asynccontextmanager
    async def build(**env: str) -> AsyncIterator[Stack]:
        database_url, redis_url, prefix = stack_config
        sessions = memory_sessions() if redis_url is None else redis_sessions(redis_url, prefix)
        try:
            async for stack in open_stack(database_url, sessions, env={"JIEDUI_SMS_DEV_CODE": "", **env}):
                yield stack
        finally:
            if redis_url is not None:
                await delete_keys(redis_url, prefix)

    return build


def logged_codes(caplog: pytest.LogCaptureFixture, phone: str) -> list[str]:
    """Return the codes the log sender wrote for `phone`, oldest first."""
    masked = phone[:3] + "****" + phone[-4:]
    codes = []
    for record in caplog.records:
        if record.name != "jiedui.sms":
            continue
        match = _LOGGED_CODE.search(record.getMessage())
        if match and match.group(1) == masked:
            codes.append(match.group(2))
    return codes


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def age_codes(stack: Stack, seconds: int) -> None:
    """Move every code row `seconds` into the past, as if that much time had passed."""
    shift = dt.timedelta(seconds=seconds)
    async with stack.database.session() as session, session.begin():
        for row in await session.scalars(select(VerificationCode)):
            row.sent_at -= shift
            row.expires_at -= shift


async def bind(cadre: SimulatedCadre, caplog: pytest.LogCaptureFixture, phone: str) -> str:
    """Walk the whole binding: phone, then the code from the log. Return the last reply."""
    await cadre.say(phone)
    return await cadre.say(logged_codes(caplog, phone)[-1])


async def openid_of(stack: Stack, phone: str) -> str | None:
    async with stack.database.session() as session:
        return await session.scalar(select(Cadre.openid).where(Cadre.phone == phone))


async def file_unbound_pairing(stack: Stack, phone: str, name: str = "张三") -> None:
    """Store a pairing for a cadre phone that no WeChat user is bound to."""
    await PairingRepository(stack.database).submit(
        PairingSubmission(
            openid="",
            cadre_phone=phone,
            cadre_name="王建国",
            cadre_title="校团委副书记",
            cadre_identity="教师",
            university_code="4111010001",
            students=(student_record(draft(name, "13600000001")),),
            submission_key=secrets.token_hex(8),
        )
    )


@pytest.fixture(autouse=True)
def _capture_codes(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="jiedui.sms")


async def test_nothing_shown_or_added_before_code(
    open_binding_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_binding_stack() as stack:
        await file_unbound_pairing(stack, PHONE)
        cadre = stack.cadre()

        reply = await cadre.say("我的结对")
        assert "请输入你的手机号" in reply
        assert "张三" not in reply
        reply = await cadre.say(PHONE)
        assert "验证码已发送至 138****1111" in reply
        reply = await cadre.say("我的结对")
        assert "张三" not in reply
        reply = await cadre.say("提交结对")
        assert "请回复短信中的6位数字验证码" in reply
        assert "结对口令" not in reply
        reply = await cadre.say(wrong_code(logged_codes(caplog, PHONE)[-1]))
        assert "验证码不正确，还可以再试4次" in reply
        assert await openid_of(stack, PHONE) is None

        reply = await cadre.say(logged_codes(caplog, PHONE)[-1])
        assert "绑定成功！手机号 138****1111" in reply
        assert await openid_of(stack, PHONE) == cadre.user.openid
        reply = await cadre.say("我的结对")
        assert "1. 张三" in reply


async def test_code_expires_after_five_minutes(
    open_binding_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_binding_stack() as stack:
        cadre = stack.cadre()
        await cadre.say(PHONE)
        [code] = logged_codes(caplog, PHONE)
        await age_codes(stack, 301)

        reply = await cadre.say(code)
        assert "验证码已过期（有效期5分钟）" in reply
        assert await openid_of(stack, PHONE) is None
        reply = await cadre.say("重发")
        assert "验证码已发送至 138****1111" in reply
        reply = await cadre.say(logged_codes(caplog, PHONE)[-1])
        assert "绑定成功" in reply


async def test_code_dies_after_five_wrong_tries(
    open_binding_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_binding_stack() as stack:
        cadre = stack.cadre()
        await cadre.say(PHONE)
        [code] = logged_codes(caplog, PHONE)
        for left in (4, 3, 2, 1):
            reply = await cadre.say(wrong_code(code))
            assert f"还可以再试{left}次" in reply

        reply = await cadre.say(wrong_code(code))
        assert "验证码错误次数过多（5次），已失效" in reply
        reply = await cadre.say(code)
        assert "已失效" in reply
        assert await openid_of(stack, PHONE) is None

        await age_codes(stack, 61)
        reply = await cadre.say("重发")
        assert "验证码已发送" in reply
        reply = await cadre.say(logged_codes(caplog, PHONE)[-1])
        assert "绑定成功" in reply


async def test_resend_waits_sixty_seconds(
    open_binding_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_binding_stack() as stack:
        cadre = stack.cadre()
        await cadre.say(PHONE)
        reply = await cadre.say("重发")
        assert "仍然有效" in reply
        assert re.search(r"(?:60|59|58)秒后可回复「重发」", reply)
        assert len(logged_codes(caplog, PHONE)) == 1

        await age_codes(stack, 61)
        reply = await cadre.say("重发")
        assert "验证码已发送至 138****1111" in reply
        first, second = logged_codes(caplog, PHONE)
        if first != second:
            reply = await cadre.say(first)
            assert "验证码不正确" in reply
        reply = await cadre.say(second)
        assert "绑定成功" in reply


async def test_other_user_waits_for_phone_cooldown(
    open_binding_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_binding_stack() as stack:
        await stack.cadre("o-cadre-0001").say(PHONE)
        reply = await stack.cadre("o-cadre-0002").say(PHONE)
        assert "该手机号刚刚收到过验证码" in reply
        assert len(logged_codes(caplog, PHONE)) == 1


async def test_daily_limit_per_phone(
    open_binding_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_binding_stack(JIEDUI_SMS_DAILY_LIMIT_PER_PHONE="2") as stack:
        cadre = stack.cadre("o-cadre-0001")
        await cadre.say(PHONE)
        await age_codes(stack, 61)
        await cadre.say("重发")
        await age_codes(stack, 61)

        reply = await cadre.say("重发")
        assert "手机号 138****1111 今天接收验证码的次数已达上限（2次），请明天再试" in reply
        reply = await stack.cadre("o-cadre-0002").say(PHONE)
        assert "今天接收验证码的次数已达上限（2次）" in reply
        assert len(logged_codes(caplog, PHONE)) == 2
        reply = await stack.cadre("o-cadre-0002").say(OTHER_PHONE)
        assert "验证码已发送至 139****2222" in reply


async def test_daily_limit_per_openid(
    open_binding_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_binding_stack(JIEDUI_SMS_DAILY_LIMIT_PER_OPENID="2") as stack:
        cadre = stack.cadre("o-cadre-0001")
        await cadre.say(PHONE)
        reply = await cadre.say("更换手机号")
        assert "请输入你的手机号" in reply
        await cadre.say(OTHER_PHONE)

        reply = await cadre.say("更换手机号")
        reply = await cadre.say(THIRD_PHONE)
        assert "你今天获取验证码的次数已达上限（2次），请明天再试" in reply
        assert logged_codes(caplog, THIRD_PHONE) == []
        reply = await stack.cadre("o-cadre-0002").say(THIRD_PHONE)
        assert "验证码已发送至 137****3333" in reply


async def test_rebinding_takes_number_from_other_user(
    open_binding_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_binding_stack() as stack:
        first = stack.cadre("o-cadre-0001")
        await bind(first, caplog, PHONE)
        second = stack.cadre("o-cadre-0002")
        reply = await second.say(PHONE)
        assert "该手机号刚刚收到过验证码" in reply
        await age_codes(stack, 61)
        await second.say(PHONE)
        assert await openid_of(stack, PHONE) == "o-cadre-0001"

        reply = await second.say(logged_codes(caplog, PHONE)[-1])
        assert "绑定成功" in reply
        assert "这个手机号之前绑定在另一个微信号上，原绑定已解除" in reply
        assert await openid_of(stack, PHONE) == "o-cadre-0002"
        reply = await first.say("我的结对")
        assert "请输入你的手机号" in reply


async def test_change_phone_keeps_old_until_code(
    open_binding_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_binding_stack() as stack:
        cadre = stack.cadre()
        await bind(cadre, caplog, PHONE)
        reply = await cadre.say("更换手机号")
        assert "你当前绑定的是 138****1111" in reply
        await cadre.say(OTHER_PHONE)
        reply = await cadre.say("取消")
        assert "已取消更换，仍使用原手机号 138****1111" in reply
        assert await openid_of(stack, PHONE) == cadre.user.openid

        await cadre.say("更换手机号")
        reply = await cadre.say(OTHER_PHONE)
        assert "刚才发送到 139****2222 的验证码仍然有效" in reply
        reply = await cadre.say(logged_codes(caplog, OTHER_PHONE)[-1])
        assert "绑定成功！手机号 139****2222" in reply
        assert "你原来绑定的手机号 138****1111 已解除绑定" in reply
        assert await openid_of(stack, PHONE) is None
        assert await openid_of(stack, OTHER_PHONE) == cadre.user.openid


async def test_same_phone_needs_no_change(
    open_binding_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_binding_stack() as stack:
        cadre = stack.cadre()
        await bind(cadre, caplog, PHONE)
        await cadre.say("换手机号")
        reply = await cadre.say(PHONE)
        assert "138****1111 就是你当前绑定的手机号，无需更换" in reply
        assert len(logged_codes(caplog, PHONE)) == 1


async def test_codes_are_stored_as_hashes(
    open_binding_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_binding_stack() as stack:
        await stack.cadre().say(PHONE)
        [code] = logged_codes(caplog, PHONE)
        async with stack.database.session() as session:
            [row] = (await session.scalars(select(VerificationCode))).all()
        stored = [str(value) for value in (row.salt, row.code_hash, row.openid, row.phone)]
        assert len(row.code_hash) == 64
        assert all(code not in value for value in stored)
        assert row.expires_at - row.sent_at == dt.timedelta(minutes=5)


async def test_info_carried_over_to_next_submission(
    open_binding_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_binding_stack() as stack:
        await file_unbound_pairing(stack, PHONE)
        cadre = stack.cadre()
        await cadre.say("提交结对")
        reply = await bind(cadre, caplog, PHONE)
        assert "请输入结对口令" in reply

        reply = await cadre.say("北京大学001")
        assert "请输入你的职务" in reply
        assert "当前答案：校团委副书记（回复「不变」保留）" in reply
        reply = await cadre.say("不变")
        assert "请选择你的身份" in reply
        assert "当前答案：教师" in reply
        reply = await cadre.say("不变")
        assert "团干部姓名：王建国（已锁定）" in reply
        assert "职务：校团委副书记" in reply
        reply = await cadre.say("修改 3")
        assert "团干部姓名在首次提交成功后不可修改，如需更正请联系所在高校团委" in reply


async def test_imported_pairings_owned_after_binding(
    open_binding_stack: StackFactory, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    rows = [good_row(1, cadre_phone=PHONE), good_row(2, cadre_phone=PHONE, 学生姓名="李四")]
    workbook = write_workbook(tmp_path / "pairings.xlsx", rows)
    async with open_binding_stack() as stack:
        report = await import_workbook(stack.database, workbook)
        assert (report.imported, report.skipped) == (2, 0)
        cadre = stack.cadre()
        reply = await cadre.say("我的结对")
        assert "李四" not in reply

        reply = await bind(cadre, caplog, PHONE)
        assert "绑定成功" in reply
        reply = await cadre.say("我的结对")
        assert "共有2名结对学生" in reply
        assert "1. 张一明" in reply
        assert "2. 李四" in reply
        reply = await cadre.say("2")
        assert "【李四】的结对信息" in reply

        async with stack.database.session() as session:
            owners = (
                await session.execute(
                    select(Cadre.openid, Pairing.source).join(Pairing, Pairing.cadre_id == Cadre.id)
                )
            ).all()
        assert [tuple(owner) for owner in owners] == [(cadre.user.openid, "import")] * 2
        again = await import_workbook(stack.database, workbook)
        assert (again.imported, again.unchanged) == (0, 2)
