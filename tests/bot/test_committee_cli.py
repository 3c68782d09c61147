"""End to end: `jiedui serve`, `jiedui committees`, `jiedui chat` and `jiedui menu` against the fake WeChat API."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.bot.fake_wechat_api import FakeWeChatApi
from tests.bot.stack import EXAMPLE_SCRIPT
from tests.bot.test_cli import REPOSITORY, _clean_env, _free_port, _run_jiedui, _wait_for_health

TEMPLATE = "/cgi-bin/message/template/send"


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChatApi]:
    api = FakeWeChatApi()
    await api.start()
    try:
        yield api
    finally:
        await api.close()


def _env(fake: FakeWeChatApi, tmp_path: Path) -> dict[str, str]:
    return _clean_env(
        DATABASE_URL=f"sqlite:///{tmp_path}/e2e.db",
        WECHAT_TOKEN="jieduiTestToken42",
        WECHAT_APP_ID=fake.app_id,
        WECHAT_APP_SECRET=fake.app_secret,
        WECHAT_API_BASE_URL=fake.base_url,
        WECHAT_TEMPLATE_PAIRING_SUBMITTED="TPL-submitted",
        JIEDUI_SMS_DEV_CODE="000000",
        JIEDUI_OUTBOX_POLL_S="0.2",
    )


async def test_member_receives_submission_template(fake: FakeWeChatApi, tmp_path: Path) -> None:
    env = _env(fake, tmp_path)
    for args in (
        ("committees", "add", "北京团市委", "--level", "provincial"),
        ("committees", "add", "北京大学团委", "--level", "university", "--parent", "北京团市委", "--university", "北京大学"),
    ):
        status, out, err = await _run_jiedui(*args, env=env)
        assert status == 0, err
    status, out, err = await _run_jiedui("committees", "invite", "北京大学团委", env=env)
    assert status == 0, err
    code = re.search(r"绑定 ([A-Z0-9]{8})", out)
    assert code is not None, out

    port = _free_port()
    url = f"http://127.0.0.1:{port}/wechat"
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())", "serve", "--port", str(port),
        cwd=REPOSITORY, env=env, stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with aiohttp.ClientSession() as session:
            await _wait_for_health(session, f"http://127.0.0.1:{port}/healthz", server)
        member_script = tmp_path / "member.txt"
        member_script.write_text(f"绑定 {code.group(1)}\n", encoding="utf-8")
        status, member_out, err = await _run_jiedui(
            "chat", "--url", url, "--openid", "o-committee-member", "--script", str(member_script), env=env
        )
        assert status == 0, err
        assert "绑定成功" in member_out
        status, cadre_out, err = await _run_jiedui("chat", "--url", url, "--script", str(EXAMPLE_SCRIPT), env=env)
        assert status == 0, err
        assert "提交成功" in cadre_out

        sent = await fake.wait_for(TEMPLATE, timeout_s=20)
    finally:
        if server.returncode is None:
            server.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(server.communicate(), timeout=30)

    assert sent[0].body["touser"] == "o-committee-member"
    assert sent[0].body["template_id"] == "TPL-submitted"
    assert sent[0].body["data"]["thing1"] == {"value": "北京大学"}
    assert sent[0].body["data"]["thing3"] == {"value": "2名学生"}
    assert "notifications are sent by this process" in stderr.decode()

    status, out, err = await _run_jiedui("notifications", "status", env=env)
    assert status == 0, err
    assert "Sent: 1" in out
    assert "Backlog: 0" in out


async def test_menu_create_needs_secret(fake: FakeWeChatApi, tmp_path: Path) -> None:
    env = _env(fake, tmp_path)
    del env["WECHAT_APP_SECRET"]
    status, _out, err = await _run_jiedui("menu", "create", env=env)
    assert status == 2
    assert "WECHAT_APP_SECRET" in err
    assert fake.requests == []


async def test_menu_create_command(fake: FakeWeChatApi, tmp_path: Path) -> None:
    status, _out, err = await _run_jiedui("menu", "create", env=_env(fake, tmp_path))
    assert status == 0, err
    body = fake.calls("/cgi-bin/menu/create")[0].body
    assert [button["name"] for button in body["button"]] == ["提交结对", "我的结对", "帮助"]


async def test_committee_add_rejects_bad_parent(fake: FakeWeChatApi, tmp_path: Path) -> None:
    status, _out, err = await _run_jiedui(
        "committees", "add", "某团委", "--level", "provincial", "--parent", "不存在", env=_env(fake, tmp_path)
    )
    assert status == 2
    assert "no committee named '不存在'" in err


async def test_worker_needs_redis(fake: FakeWeChatApi, tmp_path: Path) -> None:
    status, _out, err = await _run_jiedui("worker", env=_env(fake, tmp_path))
    assert status == 2
    assert "needs REDIS_URL" in err
