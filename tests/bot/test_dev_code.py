"""The embedded default: `jiedui serve` announces the development code, and the example script binds with it."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import aiohttp

from tests.bot.test_cli import REPOSITORY, _clean_env, _free_port, _run_jiedui, _wait_for_health

EXAMPLE = REPOSITORY / "docs" / "examples" / "submission.txt"


async def test_example_script_runs_on_embedded_default(tmp_path: Path) -> None:
    port = _free_port()
    env = _clean_env(DATABASE_URL=f"sqlite:///{tmp_path}/serve.db")
    server = await asyncio.create_subprocess_exec(
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
            await _wait_for_health(session, f"http://127.0.0.1:{port}/healthz", server)
        url = f"http://127.0.0.1:{port}/wechat"
        status, out, err = await _run_jiedui("chat", "--url", url, "--script", str(EXAMPLE), env=env)
    finally:
        if server.returncode is None:
            server.send_signal(signal.SIGINT)
        _, stderr_bytes = await asyncio.wait_for(server.communicate(), timeout=30)

    assert status == 0, err
    assert "验证码已发送至 138****1111" in out
    assert "绑定成功" in out
    assert "提交成功！本次共提交2名结对学生" in out
    log = stderr_bytes.decode()
    assert "JIEDUI_SMS_SENDER=log: verification codes are written to this log" in log
    assert "every verification code is the development code 000000" in log
    assert "verification code for 138****1111 is 000000" in log
    assert "13800001111" not in log
