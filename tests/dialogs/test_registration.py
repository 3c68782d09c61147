"""The phone binding flow through the conversation, with the in-memory backend."""

from __future__ import annotations

import pytest

from dialogs.conversation import CadreInfo
from dialogs.registration import read_code
from tests.dialogs.chat import CADRE_CODE, CADRE_PHONE, START, Chat, student_answers


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("123456", "123456"),
        ("１２３ ４５６", "123456"),
        ("123-456", "123456"),
        ("一二三四五六", "123456"),
        ("幺二三四五六。", "123456"),
        ("【结对帮扶】你的验证码是 654321，5分钟内有效。", "654321"),
        ("12345", None),
        ("1234567", None),
        ("验证码 123456 和 654321", None),
        ("你好", None),
    ],
)
def test_read_code(text: str, code: str | None) -> None:
    assert read_code(text) == code


async def test_phone_as_first_message_sends_code() -> None:
    chat = Chat()
    reply = await chat.say("138 0000 1111")
    assert "验证码已发送至 138****1111" in reply
    assert chat.backend.codes_sent == [CADRE_PHONE]
    reply = await chat.say(CADRE_CODE)
    assert "绑定成功" in reply
    assert "你可以回复" in reply


async def test_help_and_invalid_phone_keep_step() -> None:
    chat = Chat()
    await chat.say("你好")
    reply = await chat.say("帮助")
    assert "短信验证码确认号码是你的" in reply
    assert "请输入你的手机号" in reply
    reply = await chat.say("1380000")
    assert "11位数字" in reply
    assert chat.backend.codes_sent == []


async def test_resend_before_phone_asks_for_phone() -> None:
    chat = Chat()
    await chat.say("你好")
    reply = await chat.say("重发")
    assert "还没有发送验证码，请先输入手机号" in reply
    assert chat.backend.codes_sent == []


async def test_text_in_code_step_asks_for_code() -> None:
    chat = Chat()
    await chat.run(["你好", CADRE_PHONE])
    reply = await chat.say("好的")
    assert "请回复短信中的6位数字验证码，例如 123456" in reply
    assert "验证码已发送至 138****1111" in reply


async def test_other_phone_in_code_step_switches_number() -> None:
    chat = Chat()
    await chat.run(["你好", CADRE_PHONE])
    reply = await chat.say("13900002222")
    assert "验证码已发送至 139****2222" in reply
    reply = await chat.say(CADRE_CODE)
    assert "绑定成功！手机号 139****2222" in reply
    assert chat.backend.cadres["o-test-1"].phone == "13900002222"


async def test_back_in_code_step_asks_phone_again() -> None:
    chat = Chat()
    await chat.run(["你好", CADRE_PHONE])
    reply = await chat.say("返回")
    assert "请输入你的手机号" in reply


async def test_cancel_first_binding() -> None:
    chat = Chat()
    await chat.run(["提交结对", CADRE_PHONE])
    reply = await chat.say("取消")
    assert "已取消绑定手机号" in reply
    assert chat.session is None
    assert chat.backend.cadres == {}


async def test_wrong_code_counts_down() -> None:
    chat = Chat()
    await chat.run(["你好", CADRE_PHONE])
    reply = await chat.say("111111")
    assert "还可以再试4次" in reply
    assert chat.backend.cadres == {}


async def test_change_phone_inside_submission_is_refused() -> None:
    chat = Chat()
    await chat.run(START[:4])
    reply = await chat.say("更换手机号")
    assert "如需更换手机号，请先回复「取消」" in reply
    assert "请输入你的姓名" in reply
    assert "cadre_name" not in chat.answers


async def test_change_phone_from_home() -> None:
    chat = Chat()
    await chat.run(["你好", CADRE_PHONE, CADRE_CODE])
    reply = await chat.say("更换手机号")
    assert "你当前绑定的是 138****1111" in reply
    await chat.say("13900002222")
    reply = await chat.say(CADRE_CODE)
    assert "你原来绑定的手机号 138****1111 已解除绑定" in reply


async def test_unlocked_name_is_prefilled() -> None:
    chat = Chat()
    chat.backend.cadres[chat.openid] = CadreInfo(CADRE_PHONE, "王建国", False, "辅导员", "教师")
    reply = await chat.run(["提交结对", "北京大学001"])
    assert "当前答案：王建国（回复「不变」保留）" in reply
    reply = await chat.say("不变")
    assert "当前答案：辅导员" in reply


async def test_name_title_identity_carried_over() -> None:
    chat = Chat()
    await chat.run([*START, *student_answers(), "确认", "提交"])
    reply = await chat.run(["提交结对", "北京大学001"])
    assert "请输入你的职务" in reply
    assert "当前答案：校团委副书记（回复「不变」保留）" in reply
    await chat.say("不变")
    reply = await chat.say("不变")
    assert "团干部姓名：王建国（已锁定）" in reply
    assert "身份：教师" in reply
