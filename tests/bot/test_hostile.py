"""Hostile input against the whole service: every attack is rejected or stored literally, the cadre's
dialog does not move, and the service keeps answering.

Runs on SQLite with the in-process session store and on PostgreSQL with Redis.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.notices import flood_reply
from bot.simulator import build_text_push, sign_params
from bot.webhook import MAX_BODY_BYTES
from store.models import Student, Submission
from tests.bot.stack import (
    TOKEN,
    Cadre,
    Stack,
    StackConfig,
    variant_stack,
)
from tests.dialogs.chat import START, basic_answers, student_answers

FLOOD_ENV = {"JIEDUI_FLOOD_MAX_MESSAGES": "40", "JIEDUI_FLOOD_WINDOW_S": "600"}


@pytest.fixture
async def stack(stack_config: StackConfig) -> AsyncIterator[Stack]:
    async for built in variant_stack(stack_config, env=FLOOD_ENV, redis_settings=True):
        yield built


async def count(stack: Stack, model: Any) -> int:
    async with stack.database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def post(client: TestClient[Any, Any], body: bytes, params: dict[str, str] | None = None) -> tuple[int, str]:
    async with client.post("/wechat", params=params or sign_params(TOKEN), data=body) as response:
        return response.status, await response.text()


def push_body(cadre: Cadre, content: str, msg_id: int = 5150) -> bytes:
    xml = build_text_push(
        openid=cadre.user.openid, account=cadre.user.account, content=content, msg_id=msg_id, create_time=int(time.time())
    )
    return xml.encode("utf-8")


async def at_phone_question(stack: Stack) -> tuple[Cadre, str]:
    """Return a cadre whose dialog waits for the first student's phone, and the question shown."""
    cadre = stack.cadre()
    question = await cadre.run([*START, *basic_answers()[:2]])
    assert "手机号" in question
    return cadre, question


async def assert_unmoved(cadre: Cadre, question: str) -> None:
    """Check that the dialog still asks `question`, then answer it to show the service still works."""
    progress = await cadre.say("进度")
    assert question.splitlines()[0] in progress
    reply = await cadre.say("13900002222")
    assert "院系" in reply


async def test_forged_signature_rejected(stack: Stack) -> None:
    cadre, question = await at_phone_question(stack)

    status, _ = await post(stack.client, push_body(cadre, "13900002222"), sign_params("forgedToken1"))

    assert status == 403
    await assert_unmoved(cadre, question)


async def test_replay_outside_window_rejected(stack: Stack) -> None:
    cadre, question = await at_phone_question(stack)
    old = str(int(time.time()) - 3600)

    status, _ = await post(stack.client, push_body(cadre, "13900002222"), sign_params(TOKEN, timestamp=old))

    assert status == 403
    await assert_unmoved(cadre, question)


async def test_replay_inside_window_has_one_effect(stack: Stack) -> None:
    cadre, _ = await at_phone_question(stack)
    body = push_body(cadre, "13900002222")
    params = sign_params(TOKEN)

    first = await post(stack.client, body, params)
    again = await post(stack.client, body, params)

    assert first == again
    assert "院系" in first[1]
    reply = await cadre.say("计算机学院")
    assert "专业" in reply


@pytest.mark.parametrize(
    "payload",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>',
        b'<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        b'<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd">',
    ],
    ids=["entity-expansion", "external-entity", "parameter-entity"],
)
async def test_doctype_and_entities_rejected(stack: Stack, payload: bytes) -> None:
    cadre, question = await at_phone_question(stack)

    status, body = await post(stack.client, payload + push_body(cadre, "&lol2;"))

    assert status == 400
    assert "passwd" not in body
    assert "root:" not in body
    await assert_unmoved(cadre, question)


async def test_ten_megabyte_body_rejected(stack: Stack) -> None:
    cadre, question = await at_phone_question(stack)
    body = push_body(cadre, "长" * (10 * 1024 * 1024 // 3))

    status, _ = await post(stack.client, body)

    assert len(body) > 10 * 1024 * 1024 - 10
    assert status == 413
    await assert_unmoved(cadre, question)


async def test_invalid_utf8_rejected(stack: Stack) -> None:
    cadre, question = await at_phone_question(stack)
    body = push_body(cadre, "一三九").replace("一".encode(), b"\xc3\x28")

    status, _ = await post(stack.client, body)

    assert status == 400
    await assert_unmoved(cadre, question)


async def test_control_characters_removed(stack: Stack) -> None:
    cadre, _ = await at_phone_question(stack)

    reply = await cadre.say("139\x000000\x08\x1b2222")
    await cadre.run(["计\x01算机\x1f学院", *basic_answers()[4:], "1", "1", "否", "否", "确认", "提交"])

    assert "院系" in reply
    async with stack.database.session() as session:
        phone, department = (await session.execute(select(Student.phone, Student.department))).one()
    assert phone == "13900002222"
    assert department == "计算机学院"


async def test_deeply_nested_xml_answered_success(stack: Stack) -> None:
    cadre, question = await at_phone_question(stack)
    depth = (MAX_BODY_BYTES - 1000) // 7
    body = push_body(cadre, "x").replace(b"<![CDATA[x]]>", b"<a>" * depth + b"</a>" * depth)

    status, text = await post(stack.client, body)

    assert len(body) <= MAX_BODY_BYTES
    assert (status, text) == (200, "success")
    await assert_unmoved(cadre, question)


async def test_ten_thousand_character_answer_refused_briefly(stack: Stack) -> None:
    cadre = stack.cadre()
    question = await cadre.run([*START, *basic_answers()[:3]])
    assert "院系" in question

    reply = await cadre.say("计" * 10_000)

    assert len(reply.encode("utf-8")) <= 2000
    assert "计" * 100 not in reply
    assert "院系" in reply
    await cadre.run(basic_answers()[3:])
    assert await count(stack, Student) == 0


async def test_sql_and_html_stored_literally(stack: Stack) -> None:
    department = "计算机学院'); DROP TABLE students;--"
    major = '<script>alert("x")</script>&amp;]]>'
    cadre = stack.cadre()
    answers = student_answers()
    answers[3], answers[4] = department, major
    reply = await cadre.run([*START, *answers])

    assert department in reply
    assert major in reply
    await cadre.run(["确认", "提交"])
    async with stack.database.session() as session:
        stored = (await session.execute(select(Student.department, Student.major))).one()
    assert tuple(stored) == (department, major)
    assert await count(stack, Submission) == 1


async def test_flooding_user_limited_others_not(stack: Stack) -> None:
    flooder = stack.cadre("o-flooder-0001")
    other = stack.cadre("o-cadre-0002")
    await other.say("帮助")

    answered = [await flooder.say("帮助") for _ in range(40)]
    limited = await flooder.say("帮助")

    assert flood_reply(600) not in answered
    assert limited == flood_reply(600)
    assert "分钟" in limited
    assert "保留" in limited
    assert await flooder.say("提交结对") == flood_reply(600)
    reply = await other.say("提交结对")
    assert reply != flood_reply(600)
    assert "手机号" in reply
