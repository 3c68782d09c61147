"""Complete submissions and the dialog rules through the real HTTP app, real signed XML and real stores.

Every test runs twice: on SQLite with the in-process session store (the embedded default) and on
PostgreSQL with Redis (production).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.simulator import build_text_push
from store.models import Employment, Offer, Pairing, Posting, Student, StudentChoice, Submission
from tests.bot.stack import (
    AES_KEY,
    APP_ID,
    Stack,
    StackConfig,
    delete_keys,
    example_lines,
    memory_sessions,
    open_stack,
    redis_sessions,
    variant_stack,
)
from tests.dialogs.chat import CADRE_CODE, START, basic_answers, student_answers


@pytest.fixture
async def stack(stack_config: StackConfig) -> AsyncIterator[Stack]:
    async for built in variant_stack(stack_config):
        yield built


async def count(stack: Stack, model: Any) -> int:
    async with stack.database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_example_submission_is_stored(stack: Stack) -> None:
    cadre = stack.cadre()
    reply = await cadre.run(example_lines())
    assert "提交成功！本次共提交2名结对学生：张三、李四" in reply
    assert await count(stack, Submission) == 1
    assert await count(stack, Student) == 2
    assert await count(stack, Pairing) == 2
    assert await count(stack, Posting) == 3
    assert await count(stack, Offer) == 2
    assert await count(stack, Employment) == 1
    async with stack.database.session() as session:
        offers = (await session.scalars(select(Offer).order_by(Offer.position_order))).all()
        other = await session.scalar(select(StudentChoice.other_text).where(StudentChoice.option == "其他"))
    assert [offer.company for offer in offers] == ["华为技术有限公司", "深圳市腾讯计算机系统有限公司"]
    assert offers[0].status == "已签约"
    assert other == "班会推荐"


async def test_safe_mode_submission(sqlite_url: str) -> None:
    env = {"WECHAT_ENCODING_AES_KEY": AES_KEY, "WECHAT_APP_ID": APP_ID}
    async for stack in open_stack(sqlite_url, memory_sessions(), env=env):
        cadre = stack.cadre()
        assert cadre.user.crypto is not None
        reply = await cadre.run(example_lines())
        assert "提交成功" in reply
        assert await count(stack, Student) == 2


async def test_second_cadre_cannot_reuse_student_phone(stack: Stack) -> None:
    await stack.cadre("o-cadre-0001").run([*START, *student_answers("张三", "13900000001"), "确认", "提交"])
    other = stack.cadre("o-cadre-0002")
    await other.run(["提交结对", "13800002222", CADRE_CODE, "清华大学001", "李明", "辅导员", "1", "确认", "李四", "1"])
    reply = await other.say("139 0000 0001")
    assert "已在结对名单中" in reply
    assert "请输入学生本人的手机号" in reply


@pytest.mark.parametrize(
    ("answers", "bad", "expected"),
    [
        (START[:4], "王2", "汉字"),
        (START[:4], "😀王", "汉字"),
        (START[:8], "张三", None),
        ([*START[:8], "张三"], "3", "1"),
        ([*START[:8], "张三", "1"], "1380000111", "11位"),
        ([*START[:8], *basic_answers()[:6]], "去年", "年份"),
        ([*START[:8], *basic_answers()[:7]], "1、9", "9"),
        ([*START[:8], *basic_answers()[:8]], "也许", "是"),
    ],
)
async def test_rejected_answer_keeps_question(stack: Stack, answers: list[str], bad: str, expected: str | None) -> None:
    cadre = stack.cadre()
    question = await cadre.run(answers)
    reply = await cadre.say(bad)
    if expected is None:
        assert "请选择学生性别" in reply
        return
    assert expected in reply
    assert question.splitlines()[-1] in reply or question[:20] in reply


async def test_full_width_and_chinese_separators(stack: Stack) -> None:
    cadre = stack.cadre()
    await cadre.run([*START[:1], "＋86 138-0000-1111", *START[2:8], "张三", "１"])
    await cadre.say("１３９ ００００ ２２２２")
    await cadre.run(basic_answers()[3:7])
    reply = await cadre.say("１，３；８ 单亲家庭")
    assert "政策保障学生" in reply
    await cadre.run(basic_answers()[8:])
    reply = await cadre.say("1 2")
    assert "推荐岗位" in reply


async def test_blocking_rules(stack: Stack) -> None:
    cadre = stack.cadre()
    await cadre.run([*START, *basic_answers()[:8]])
    reply = await cadre.say("否")
    assert "非学校认定的政策保障学生无法添加结对" in reply
    reply = await cadre.say("确认")
    assert "这名学生未添加" in reply
    await cadre.run(["添加", *basic_answers()[:9]])
    reply = await cadre.say("否")
    assert "无就业意向的学生无法添加结对" in reply
    await cadre.say("确认")
    await cadre.say("取消")
    await cadre.say("是")
    reply = await cadre.run(START[:1] + START[3:6])
    reply = await cadre.say("学生")
    assert "学生身份的团干无法添加结对" in reply
    reply = await cadre.say("确认")
    assert "未保存任何内容" in reply
    assert await count(stack, Student) == 0


async def test_back_cancel_and_edit(stack: Stack) -> None:
    cadre = stack.cadre()
    await cadre.run([*START[:7]])
    reply = await cadre.say("修改 4")
    assert "当前答案：校团委副书记" in reply
    reply = await cadre.say("返回")
    assert "请核对团干信息" in reply
    await cadre.say("确认")
    await cadre.say("张三")
    reply = await cadre.say("返回")
    assert "当前答案：张三" in reply
    reply = await cadre.say("取消")
    assert "确定要放弃" in reply
    reply = await cadre.say("是")
    assert "已放弃" in reply
    reply = await cadre.say("我的结对")
    assert "还没有结对学生" in reply


async def test_next_page_of_long_summary(stack: Stack) -> None:
    cadre = stack.cadre()
    employer = "某某省某某市某某区高新技术产业开发区智能制造科技有限公司"
    postings: list[str] = []
    for number in range(10):
        postings += [f"{employer}{number}", "智能制造工程技术岗位见习生", "某某省某某市某某区"]
        if 1 <= number < 9:
            postings.append("添加")
    reply = await cadre.run([*START, *basic_answers(), "1", "1", "是", *postings, "完成", "否"])
    assert "回复「下一页」" in reply
    pages = [reply]
    while "回复「下一页」" in pages[-1]:
        pages.append(await cadre.say("下一页"))
    assert "回复「确认」保存" in pages[-1]
    reply = await cadre.say("确认")
    assert "第1名学生已保存" in reply


async def test_redelivered_push_gets_first_reply(stack: Stack) -> None:
    cadre = stack.cadre()
    await cadre.run(START[:3])
    push = build_text_push(
        openid=cadre.user.openid, account=cadre.user.account, content="北京大学001", msg_id=424242, create_time=1_900_000_000
    )
    first = await cadre.user.send_xml(push)
    again = await cadre.user.send_xml(push)
    assert first is not None
    assert first == again
    reply = await cadre.say("王建国")
    assert "请输入你的职务" in reply


async def test_failed_push_is_processed_on_retry(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    cadre = stack.cadre()
    await cadre.run(START[:3])
    original = stack.service.conversation.handle
    calls = {"count": 0}

    async def fail_once(*args: Any, **kwargs: Any) -> Any:
        calls["count"] += 1
        if calls["count"] == 1:
            raise RuntimeError("simulated failure")
        return await original(*args, **kwargs)

    monkeypatch.setattr(stack.service.conversation, "handle", fail_once)
    push = build_text_push(
        openid=cadre.user.openid, account=cadre.user.account, content="北京大学001", msg_id=77, create_time=1_900_000_001
    )
    assert await cadre.user.send_xml(push) is None
    retried = await cadre.user.send_xml(push)
    assert retried is not None
    assert "团干信息" in retried


async def test_one_users_pushes_are_serialized(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    original = stack.service.conversation.handle
    active: dict[str, int] = {}
    peak: dict[str, int] = {"same": 0, "all": 0}

    async def slow(session: Any, expired: bool, openid: str, incoming: Any) -> Any:
        active[openid] = active.get(openid, 0) + 1
        peak["same"] = max(peak["same"], active[openid])
        peak["all"] = max(peak["all"], sum(active.values()))
        await asyncio.sleep(0.05)
        try:
            return await original(session, expired, openid, incoming)
        finally:
            active[openid] -= 1

    monkeypatch.setattr(stack.service.conversation, "handle", slow)
    one = stack.cadre("o-cadre-0001")
    replies = await asyncio.gather(one.say("帮助"), one.say("你好"), one.say("帮助"))
    assert all(replies)
    assert peak["same"] == 1
    users = [stack.cadre(f"o-cadre-000{number}") for number in range(2, 5)]
    await asyncio.gather(*(user.say("帮助") for user in users))
    assert peak["all"] >= 2


async def test_events_and_media(stack: Stack) -> None:
    cadre = stack.cadre()
    reply = await cadre.user.subscribe()
    assert reply is not None and "欢迎关注" in reply
    reply = await cadre.say(START[1])
    assert "验证码已发送至 138****1111" in reply
    reply = await cadre.say(START[2])
    assert "绑定成功" in reply
    await cadre.run([START[0], *START[3:8]])
    reply = await cadre.click("HELP")
    assert "请输入学生姓名" in reply
    reply = await cadre.click("MY_PAIRINGS")
    assert "还没有结对学生" in reply
    assert await cadre.user.click("SOME_OTHER_KEY") is None
    reply = await cadre.user.send_image()
    assert reply is not None and "只能识别文字" in reply
    assert "请输入学生姓名" in reply
    reply = await cadre.user.send_voice(None)
    assert reply is not None and "改用文字" in reply
    reply = await cadre.user.send_voice("张三。")
    assert reply is not None and "请选择学生性别" in reply


async def test_expired_session_is_announced(sqlite_url: str) -> None:
    async for stack in open_stack(sqlite_url, memory_sessions(session_ttl_s=1)):
        cadre = stack.cadre()
        await cadre.run(START[:4])
        await asyncio.sleep(1.3)
        reply = await cadre.say("王建国")
        assert "已自动失效" in reply


async def test_expired_redis_session_is_announced(postgres_url: str, redis_url: str, redis_prefix: str) -> None:
    try:
        async for stack in open_stack(postgres_url, redis_sessions(redis_url, redis_prefix, session_ttl_s=1)):
            cadre = stack.cadre()
            await cadre.run(START[:4])
            await asyncio.sleep(1.3)
            reply = await cadre.say("王建国")
            assert "已自动失效" in reply
    finally:
        await delete_keys(redis_url, redis_prefix)
