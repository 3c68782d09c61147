"""Committee commands, passcode reports and slow replies over HTTP, with the fake WeChat API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.access_token import MemoryTokenStore
from bot.slow_replies import SlowReplies
from bot.webhook import create_webhook_app
from bot.wechat_api import WeChatApi
from dialogs import committee
from store.models_committees import OutboxMessage
from store.repo_committees import CommitteeRepository
from tests.bot.fake_wechat_api import FakeWeChatApi
from tests.bot.stack import Cadre, Stack, example_lines, memory_sessions, open_stack
from tests.dialogs.chat import CADRE_CODE, CADRE_PHONE

CUSTOM = "/cgi-bin/message/custom/send"


@pytest.fixture
async def stack(sqlite_url: str) -> AsyncIterator[Stack]:
    async for opened in open_stack(sqlite_url, memory_sessions()):
        repository = CommitteeRepository(opened.database)
        await repository.add("团中央青发部", "central")
        await repository.add("北京团市委", "provincial", parent="团中央青发部")
        await repository.add("北京大学团委", "university", parent="北京团市委", university="北京大学")
        yield opened


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChatApi]:
    api = FakeWeChatApi()
    await api.start()
    try:
        yield api
    finally:
        await api.close()


async def _invite(stack: Stack, name: str) -> str:
    return (await CommitteeRepository(stack.database).invite(name)).code


async def _outbox(stack: Stack) -> list[tuple[str, str]]:
    async with stack.database.session() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(row.kind, row.recipient) for row in rows]


async def test_bind_show_and_unbind(stack: Stack) -> None:
    member = stack.cadre("o-member")
    code = await _invite(stack, "北京大学团委")

    bound = await member.say(f"绑定 {code.lower()}")
    again = await member.say(f"绑定{code}")
    shown = await member.say("我的团委")
    clicked = await member.click("MY_COMMITTEE")
    unbound = await member.say("解绑")
    after = await member.say("我的团委")

    assert bound.startswith("绑定成功！你已成为「北京大学团委」（高校团委）的成员")
    assert again == committee.ALREADY_MEMBER.format(name="北京大学团委")
    assert "级别：高校团委\n高校：北京大学\n上级团委：北京团市委\n成员人数：1" in shown
    assert clicked == shown
    assert unbound == committee.UNBOUND.format(name="北京大学团委")
    assert after == committee.NOT_MEMBER


async def test_bind_rejects_bad_and_used_codes(stack: Stack) -> None:
    code = await _invite(stack, "北京大学团委")
    await stack.cadre("o-first").say(f"绑定 {code}")

    assert await stack.cadre("o-second").say(f"绑定 {code}") == committee.CODE_USED
    assert await stack.cadre("o-second").say("绑定 ZZZZZZZZ") == committee.CODE_INVALID
    assert await stack.cadre("o-second").say("绑定") == committee.BIND_USAGE


async def test_bind_after_follow_closes_phone_binding(stack: Stack) -> None:
    member = stack.cadre("o-member")
    followed = await member.user.subscribe()
    bound = await member.say(f"绑定 {await _invite(stack, '北京团市委')}")
    shown = await member.say("我的团委")

    assert followed is not None and "手机号" in followed
    assert bound.startswith("绑定成功！")
    assert "手机号" not in bound
    assert shown.startswith("你是「北京团市委」的成员。")
    assert "手机号" not in shown


async def test_third_unknown_passcode_reported(stack: Stack) -> None:
    await stack.cadre("o-central-member").say(f"绑定 {await _invite(stack, '团中央青发部')}")
    cadre = stack.cadre()
    await cadre.run(["提交结对", CADRE_PHONE, CADRE_CODE])

    first = await cadre.say("新华科技大学001")
    await cadre.say("帮助")
    await cadre.say("新华科技大学001")
    third = await cadre.say("新华科技大学001")

    assert "已把你输入的口令和手机号转给团中央管理员" not in first
    assert committee.PASSCODE_REPORTED.format(count=3) in third
    assert await _outbox(stack) == [("passcode_failed", "o-central-member")]


async def test_matched_passcode_resets_count(stack: Stack) -> None:
    await stack.cadre("o-central-member").say(f"绑定 {await _invite(stack, '团中央青发部')}")
    cadre = stack.cadre()
    await cadre.run(["提交结对", CADRE_PHONE, CADRE_CODE, "新华科技大学001", "新华科技大学001", "北京大学001"])
    await cadre.run(["取消", "确认", "提交结对", "新华科技大学001"])

    assert await _outbox(stack) == []


async def test_change_request_sent_to_committee(stack: Stack) -> None:
    await stack.cadre("o-pku").say(f"绑定 {await _invite(stack, '北京大学团委')}")
    cadre = stack.cadre()
    await cadre.run(example_lines())

    usage = await cadre.say("申请修改")
    sent = await cadre.say("申请修改 张三的专业应为电子信息工程")

    assert usage == committee.REQUEST_USAGE
    assert sent.startswith("已将你的申请发送给「北京大学团委」")
    assert await _outbox(stack) == [("pairing_submitted", "o-pku"), ("change_request", "o-pku")]


async def _slow_client(stack: Stack, fake: FakeWeChatApi, http: aiohttp.ClientSession) -> TestClient[Any, Any]:
    api = WeChatApi(http, base_url=fake.base_url, app_id=fake.app_id, app_secret=fake.app_secret, tokens=MemoryTokenStore())
    handler = SlowReplies(stack.service, api, reply_window_s=0.3)
    client: TestClient[Any, Any] = TestClient(TestServer(create_webhook_app(stack.settings, handler), host="127.0.0.1"))
    await client.start_server()
    return client


def _slow_down(stack: Stack, monkeypatch: pytest.MonkeyPatch, delay_s: float) -> None:
    backend = stack.service.backend
    assert backend is not None
    original = backend.cadre

    async def slow_cadre(openid: str) -> Any:
        await asyncio.sleep(delay_s)
        return await original(openid)

    monkeypatch.setattr(backend, "cadre", slow_cadre)


async def test_slow_reply_follows_as_customer_message(
    stack: Stack, fake: FakeWeChatApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with aiohttp.ClientSession() as http:
        client = await _slow_client(stack, fake, http)
        try:
            _slow_down(stack, monkeypatch, 0.6)
            cadre = Cadre(stack.cadre().user)
            cadre.user.client = client
            answered = await cadre.user.send_text("帮助")
            sent = await fake.wait_for(CUSTOM)
        finally:
            await client.close()

    assert answered is None
    assert sent[0].body["touser"] == "o-cadre-0001"
    assert sent[0].body["msgtype"] == "text"
    assert "手机号" in sent[0].body["text"]["content"]


async def test_fast_reply_stays_passive(stack: Stack, fake: FakeWeChatApi) -> None:
    async with aiohttp.ClientSession() as http:
        client = await _slow_client(stack, fake, http)
        try:
            user = stack.cadre().user
            user.client = client
            answered = await user.send_text("帮助")
        finally:
            await client.close()

    assert answered is not None and "手机号" in answered
    assert fake.calls(CUSTOM) == []


async def test_closed_window_logged_once(
    stack: Stack, fake: FakeWeChatApi, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail(CUSTOM, 45015)
    async with aiohttp.ClientSession() as http:
        client = await _slow_client(stack, fake, http)
        try:
            _slow_down(stack, monkeypatch, 0.6)
            user = stack.cadre().user
            user.client = client
            with caplog.at_level(logging.WARNING, logger="jiedui.slow_replies"):
                assert await user.send_text("帮助") is None
                await fake.wait_for(CUSTOM)
                await asyncio.sleep(0.3)
        finally:
            await client.close()

    assert len(fake.calls(CUSTOM)) == 1
    closed = [record for record in caplog.records if "window closed" in record.getMessage()]
    assert len(closed) == 1
    assert "45015" in closed[0].getMessage()
