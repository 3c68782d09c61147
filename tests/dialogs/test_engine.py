"""The generic engine on a small dialog of its own, independent of the pairing declaration."""

from __future__ import annotations

import json
from typing import Any

from dialogs.engine import Engine, new_state
from dialogs.fields import Choice, Integer, Text, YesNo
from dialogs.parsing import ParseContext
from dialogs.spec import Block, Dialog, Field, Group, Info, Page

CONTEXT = ParseContext()

PETS = Group(
    "pets",
    "宠物",
    "只",
    (
        Field("kind", "种类", "宠物是什么？", Choice(("猫", "狗"))),
        Field("age", "年龄", "几岁了？", Integer(0, 30)),
    ),
    min_items=1,
    max_items=2,
    title=lambda item: f"{item.get('kind', '')}{item.get('age', '')}岁",
    when=lambda answers: answers.get("has_pets") is True,
)

TOY = Dialog(
    "toy",
    "测试问卷",
    (
        Page(
            "about",
            "基本",
            (
                Info("id", "编号", lambda answers, context: str(context.get("id", ""))),
                Field("city", "城市", "你在哪个城市？", Text(1, 10), locked_after_submit=True, locked_message="联系管理员"),
                Field("nickname", "昵称", "你的昵称？", Text(1, 10), optional=True),
                Field(
                    "adult",
                    "成年",
                    "你成年了吗？",
                    YesNo(),
                    blocks=(Block(lambda value: value is False, "未成年人不能填写。", scope="dialog"),),
                ),
            ),
            confirm=True,
        ),
        Field("has_pets", "养宠物", "你养宠物吗？", YesNo(), default=False),
        PETS,
    ),
)


async def reply(engine: Engine, state: dict, text: str) -> tuple[str, str]:
    outcome = await engine.handle(state, text, CONTEXT)
    json.dumps(state)  # the state must stay JSON-serializable after every step
    return "\n\n".join(outcome.messages), outcome.status


def started(answers: dict[str, Any] | None = None) -> tuple[Engine, dict]:
    engine = Engine(TOY)
    state = new_state(TOY, answers, {"id": "A-7"})
    engine.start(state)
    return engine, state


async def test_locked_field_is_not_asked() -> None:
    engine, state = started({"city": "北京", "_locked": ["city"]})
    assert "你的昵称" in engine.prompt(state)


async def test_page_summary_and_locked_entry() -> None:
    engine, state = started({"city": "北京", "_locked": ["city"]})
    await reply(engine, state, "小明")
    text, _ = await reply(engine, state, "是")
    assert "1. 编号：A-7（不可修改）" in text
    assert "2. 城市：北京（已锁定）" in text
    text, _ = await reply(engine, state, "修改 2")
    assert "联系管理员" in text


async def test_dialog_block_ends_dialog() -> None:
    engine, state = started()
    await reply(engine, state, "上海")
    await reply(engine, state, "跳过")
    text, status = await reply(engine, state, "否")
    assert status == "open"
    assert "未成年人不能填写。" in text
    assert "回复「确认」结束本次填写" in text
    text, status = await reply(engine, state, "确认")
    assert status == "ended"
    assert "未保存任何内容" in text


async def test_blocking_answer_can_be_corrected() -> None:
    engine, state = started()
    await reply(engine, state, "上海")
    await reply(engine, state, "跳过")
    await reply(engine, state, "否")
    text, status = await reply(engine, state, "是")
    assert status == "open"
    assert state["answers"]["adult"] is True
    assert "请核对基本" in text


async def test_condition_skips_group_and_completes() -> None:
    engine, state = started()
    for answer in ("上海", "跳过", "是", "确认"):
        await reply(engine, state, answer)
    _, status = await reply(engine, state, "默认")
    assert status == "complete"
    assert state["answers"]["has_pets"] is False
    assert "pets" not in state["answers"]


async def test_group_add_until_max_then_done() -> None:
    engine, state = started()
    for answer in ("上海", "跳过", "是", "确认", "是", "1", "3"):
        text, status = await reply(engine, state, answer)
    assert "已添加的宠物（1只）" in text
    for answer in ("添加", "2", "五"):
        text, _ = await reply(engine, state, answer)
    assert "已达到上限2只" in text
    assert state["answers"]["pets"][1] == {"kind": "狗", "age": 5}
    text, status = await reply(engine, state, "完成")
    assert status == "complete"


async def test_answers_of_hidden_group_are_pruned() -> None:
    engine, state = started()
    for answer in ("上海", "跳过", "是", "确认", "是", "1", "3", "返回", "返回", "返回"):
        text, _ = await reply(engine, state, answer)
    assert "你养宠物吗" in text
    await reply(engine, state, "否")
    assert "pets" not in state["answers"]


async def test_invalid_answer_repeats_question_with_reason() -> None:
    engine, state = started()
    await reply(engine, state, "上海")
    await reply(engine, state, "跳过")
    text, status = await reply(engine, state, "也许吧")
    assert status == "open"
    assert "你成年了吗" in text
    assert text.index("你成年了吗") > 0
    assert "adult" not in state["answers"]


async def test_prefilled_answer_kept_with_keep_word() -> None:
    engine, state = started({"city": "北京", "_locked": ["city"], "_prefill": {"nickname": "小明"}})
    assert "当前答案：小明（回复「不变」保留）" in engine.prompt(state)
    text, _ = await reply(engine, state, "不变")
    assert state["answers"]["nickname"] == "小明"
    assert "你成年了吗" in text
