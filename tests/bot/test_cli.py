"""The `jiedui` command: exit statuses, the chat simulator against a live server, and `serve` start-up."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.cli import describe_startup, main
from bot.config import Settings
from bot.simulator import WeChatUser
from bot.webhook import create_webhook_app
from tests.bot.conftest import AES_KEY, APP_ID, TOKEN, FakeService, plain_env, safe_env

REPOSITORY = Path(__file__).resolve().parents[2]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


def _clean_env(**variables: str) -> dict[str, str]:
    """Return os.environ without the service's variables, plus `variables`."""
    prefixes = ("WECHAT_", "JIEDUI_", "DATABASE_URL", "REDIS_URL")
    env = {name: value for name, value in os.environ.items() if not name.startswith(prefixes)}
    return {**env, **variables}


async def _run_jiedui(*args: str, env: dict[str, str], stdin: bytes = b"") -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from bot.cli import main; sys.exit(main())",
        *args,
        cwd=REPOSITORY,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(stdin), timeout=60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("WECHAT_", "JIEDUI_", "DATABASE_URL", "REDIS_URL")):
            monkeypatch.delenv(name)


async def test_chat_script_prints_replies(aiohttp_server: ServerFactory, tmp_path: Path) -> None:
    service = FakeService()
    server = await aiohttp_server(create_webhook_app(Settings.from_env(plain_env()), service))
    script = tmp_path / "chat.txt"
    script.write_text("你好\n\n   \n/click HELP\n/voice 北京大学。\n", encoding="utf-8")

    status, stdout, stderr = await _run_jiedui(
        "chat",
        "--url",
        str(server.make_url("/wechat")),
        "--script",
        str(script),
        "--openid",
        "o-cli-1",
        env=_clean_env(WECHAT_TOKEN=TOKEN),
    )

    assert status == 0, stderr
    assert stdout.splitlines() == [
        "> 你好",
        "收到：你好",
        "> /click HELP",
        "(no reply: the server answered success)",
        "> /voice 北京大学。",
        "收到：北京大学",
    ]
    assert [push.openid for push in service.pushes] == ["o-cli-1"] * 3


async def test_chat_safe_mode_from_environment(aiohttp_server: ServerFactory, tmp_path: Path) -> None:
    service = FakeService()
    server = await aiohttp_server(create_webhook_app(Settings.from_env(safe_env()), service))
    script = tmp_path / "chat.txt"
    script.write_text("加密的消息\n", encoding="utf-8")
    env = _clean_env(WECHAT_TOKEN=TOKEN, WECHAT_ENCODING_AES_KEY=AES_KEY, WECHAT_APP_ID=APP_ID)

    status, stdout, stderr = await _run_jiedui(
        "chat", "--url", str(server.make_url("/wechat")), "--script", str(script), env=env
    )

    assert status == 0, stderr
    assert stdout.splitlines() == ["> 加密的消息", "收到：加密的消息"]


async def test_chat_interactive_reads_stdin(aiohttp_server: ServerFactory) -> None:
    service = FakeService()
    server = await aiohttp_server(create_webhook_app(Settings.from_env(plain_env()), service))

    status, stdout, stderr = await _run_jiedui(
        "chat",
        "--url",
        str(server.make_url("/wechat")),
        env=_clean_env(WECHAT_TOKEN=TOKEN),
        stdin="第一句\n/help\n/nonsense\n/subscribe\n/quit\n不会发送\n".encode(),
    )

    assert status == 0, stderr
    assert "收到：第一句" in stdout
    assert "/click KEY" in stdout
    assert "unknown command /nonsense" in stderr
    assert [push.kind for push in service.pushes] == ["text", "event"]


async def test_chat_script_stops_at_rejection(aiohttp_server: ServerFactory, tmp_path: Path) -> None:
    service = FakeService()
    server = await aiohttp_server(create_webhook_app(Settings.from_env(plain_env()), service))
    script = tmp_path / "chat.txt"
    script.write_text("一\n二\n", encoding="utf-8")

    status, stdout, stderr = await _run_jiedui(
        "chat",
        "--url",
        str(server.make_url("/wechat")),
        "--script",
        str(script),
        env=_clean_env(WECHAT_TOKEN="otherToken"),
    )

    assert status == 1
    assert "HTTP 403" in stderr
    assert stdout.splitlines() == ["> 一"]
    assert service.pushes == []


def test_chat_rejects_remote_url(clean_environ: None, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["chat", "--url", "http://10.0.0.1:8080/wechat"])

    assert status == 2
    assert "--allow-remote" in capsys.readouterr().err


def test_chat_unreachable_server(
    clean_environ: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "chat.txt"
    script.write_text("你好\n", encoding="utf-8")

    status = main(["chat", "--url", f"http://127.0.0.1:{_free_port()}/wechat", "--script", str(script)])

    assert status == 1
    assert "cannot reach" in capsys.readouterr().err


def test_chat_missing_script(clean_environ: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["chat", "--script", str(tmp_path / "missing.txt")])

    assert status == 2
    assert "missing.txt" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["serve"], ["chat"], ["db", "upgrade"]])
def test_invalid_config_exits_2(
    monkeypatch: pytest.MonkeyPatch,
    clean_environ: None,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    monkeypatch.setenv("WECHAT_TOKEN", "not a token")

    status = main(command)

    assert status == 2
    assert "WECHAT_TOKEN is invalid" in capsys.readouterr().err


def test_universities_import_missing_file(
    clean_environ: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["universities", "import", str(tmp_path / "missing.csv")])

    assert status == 2
    assert "missing.csv not found" in capsys.readouterr().err


def test_describe_startup_plain_memory() -> None:
    settings = Settings.from_env(plain_env(DATABASE_URL="sqlite:///x.db"))

    line = describe_startup(settings, "127.0.0.1", 8080)

    assert "http://127.0.0.1:8080/wechat" in line
    assert "database sqlite" in line
    assert "session store memory" in line
    assert "safe mode off" in line


def test_describe_startup_hides_passwords() -> None:
    settings = Settings.from_env(
        safe_env(
            DATABASE_URL="postgresql://u:dbpassword@127.0.0.1/j", REDIS_URL="redis://:redispassword@127.0.0.1"
        )
    )

    line = describe_startup(settings, "0.0.0.0", 80)

    assert "database postgresql" in line
    assert "session store redis" in line
    assert "safe mode on" in line
    assert "dbpassword" not in line
    assert "redispassword" not in line


async def test_db_upgrade_and_universities_import(tmp_path: Path) -> None:
    env = _clean_env(DATABASE_URL=f"sqlite:///{tmp_path}/cli.db")
    csv = tmp_path / "universities.csv"
    csv.write_text(
        "code,name,authority,province,city,level,remark,category\n"
        "4111010001,北京大学,教育部,北京市,北京市,本科,,普通高等学校\n",
        encoding="utf-8",
    )

    upgrade_status, upgrade_out, upgrade_err = await _run_jiedui("db", "upgrade", env=env)
    import_status, import_out, import_err = await _run_jiedui("universities", "import", str(csv), env=env)

    assert upgrade_status == 0, upgrade_err
    assert "sqlite database schema is at the latest version" in upgrade_out
    assert import_status == 0, import_err
    assert "Imported the universities list: 1 added" in import_out


async def test_serve_starts_and_replies(tmp_path: Path) -> None:
    port = _free_port()
    env = _clean_env(DATABASE_URL=f"sqlite:///{tmp_path}/serve.db")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from bot.cli import main; sys.exit(main())",
        "serve",
        "--port",
        str(port),
        cwd=REPOSITORY,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )

    try:
        async with aiohttp.ClientSession() as session:
            await _wait_for_health(session, f"http://127.0.0.1:{port}/healthz", process)
            user = WeChatUser(session, f"http://127.0.0.1:{port}/wechat", token="jiedui-dev-token")
            reply = await user.subscribe()
        assert isinstance(reply, str)
        assert reply.strip()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        _, stderr_bytes = await asyncio.wait_for(process.communicate(), timeout=30)

    stderr = stderr_bytes.decode()
    assert f"serving WeChat pushes on http://127.0.0.1:{port}/wechat" in stderr
    assert "database sqlite, session store memory (one process only), safe mode off" in stderr
    assert "'jiedui-dev-token'" in stderr
    assert "REDIS_URL is not set" in stderr
    assert "chat service stopping" in stderr
    assert "push openid=" in stderr
    assert "o-sim-cadre-0001" not in stderr


async def _wait_for_health(
    session: aiohttp.ClientSession, url: str, process: asyncio.subprocess.Process, *, timeout_s: float = 30.0
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        if process.returncode is not None:
            raise AssertionError(f"the server exited with status {process.returncode} before it served {url}")
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the server did not respond to {url} within {timeout_s} s")
        await asyncio.sleep(0.2)
