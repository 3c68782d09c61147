"""The log line and metrics of every push, and no personal data in any log record at any level."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.loggers import hash_openid
from bot.simulator import sign_params
from tests.bot.stack import (
    Stack,
    StackConfig,
    example_lines,
    variant_stack,
)
from tests.dialogs.chat import START, basic_answers

PERSONAL_DATA = [
    "王建国", "张三", "李四", "赵小红",
    "13800001111", "13900002222", "13900003333", "13700004444",
    "计算机学院", "软件工程", "经济管理学院", "会计学", "校团委副书记", "后端开发", "广东深圳",
    "深圳市腾讯计算机系统有限公司", "华为技术有限公司", "测试开发工程师", "经济管理学院2022级1班团支部", "班会推荐",
]
"""Names, phone numbers and free-text answers of the example submission."""


@pytest.fixture
async def stack(stack_config: StackConfig) -> AsyncIterator[Stack]:
    async for built in variant_stack(stack_config, redis_settings=True):
        yield built


def record_texts(records: list[logging.LogRecord]) -> list[str]:
    """Return everything a handler could print of each record: message, arguments and traceback."""
    texts = []
    for record in records:
        texts.append(record.getMessage())
        texts.append(repr(record.args))
        if record.exc_info and record.exc_info[1] is not None:
            texts.append(logging.Formatter().formatException(record.exc_info))
        if record.exc_text:
            texts.append(record.exc_text)
    return texts


async def test_full_dialog_logs_no_personal_data(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    cadre = stack.cadre()
    with caplog.at_level(logging.DEBUG):
        await cadre.run(example_lines())
        await cadre.say("我的结对")
        await cadre.run(["提交结对", *START[3:8], "张三", "1", "13900002222", "取消", "是"])

    assert len(caplog.records) > len(example_lines())
    texts = record_texts(caplog.records)
    for value in [cadre.user.openid, *PERSONAL_DATA]:
        leaks = [text for text in texts if value in text]
        assert not leaks, f"{value!r} appears in a log record: {leaks[0][:200]}"


async def test_one_info_line_per_push(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    cadre = stack.cadre()
    await cadre.run([*START, *basic_answers()[:2]])

    with caplog.at_level(logging.INFO, logger="jiedui.webhook"):
        await cadre.say("13900002222")

    lines = [record for record in caplog.records if record.name == "jiedui.webhook"]
    assert len(lines) == 1
    assert lines[0].levelno == logging.INFO
    message = lines[0].getMessage()
    assert message.startswith(f"push openid={hash_openid(cadre.user.openid)} type=text outcome=reply duration_ms=")
    assert message.endswith(" step=pairing/students1/phone")


async def test_busy_and_rejected_outcomes_logged(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="jiedui.webhook"):
        async with stack.client.post("/wechat", params=sign_params("forgedToken1"), data=b"<xml/>") as response:
            assert response.status == 403

    assert "push rejected status=403 reason=invalid signature" in caplog.text


async def test_metrics_count_pushes_and_sessions(stack: Stack) -> None:
    cadre = stack.cadre()
    await cadre.run(START[:4])
    async with stack.client.post("/wechat", params=sign_params("forgedToken1"), data=b"<xml/>") as response:
        assert response.status == 403

    async with stack.client.get("/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()

    samples = _samples(text)
    assert samples['jiedui_pushes_total{outcome="reply"}'] == 4.0
    assert samples['jiedui_pushes_total{outcome="rejected"}'] == 1.0
    assert samples["jiedui_push_duration_seconds_count"] == 5.0
    assert samples['jiedui_push_duration_seconds_bucket{le="+Inf"}'] == 5.0
    assert samples["jiedui_active_sessions"] == 1.0
    assert samples["jiedui_outbox_backlog"] == 0.0


def _samples(text: str) -> dict[str, Any]:
    samples: dict[str, Any] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


async def test_metrics_report_outbox_backlog(stack: Stack) -> None:
    from store.outbox import NOTIFICATION_KINDS, add_message

    async with stack.database.session() as session, session.begin():
        for number in range(2):
            add_message(session, kind=NOTIFICATION_KINDS[0], recipient=f"o-member-{number}", values=["北京大学"])

    async with stack.client.get("/metrics") as response:
        text = await response.text()

    assert _samples(text)["jiedui_outbox_backlog"] == 2.0
