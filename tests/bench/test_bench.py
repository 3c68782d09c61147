"""The load benchmark: its cadre scripts, its targets, and a short real run against the service."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.__main__ import build_parser, run
from bench.load import LoadResult
from bench.report import format_report, summarize
from bench.script import cadre_script
from tests.bot.fault_tools import require_program


def test_cadre_scripts_use_unique_phones() -> None:
    first, second = cadre_script(0, quick_updates=False), cadre_script(1, quick_updates=False)

    phones = [line for script in (first, second) for line in script.lines if line.startswith(("138", "139"))]

    assert len(phones) == len(set(phones)) == 6
    assert first.lines[first.submit_index] == "提交"
    assert first.openid != second.openid


def test_quick_update_lines_follow_submission() -> None:
    script = cadre_script(3, quick_updates=True)

    assert script.quick_start == script.submit_index + 1
    assert script.lines[script.quick_start].startswith("张三 拿到offer")
    assert script.lines[-1] == "确认"


def test_targets_judged_from_measurements() -> None:
    class Measured:
        def __init__(self, name: str, pushes: int, latency_ms: float) -> None:
            self.name = name
            self.load = LoadResult(duration_s=1.0, latencies_ms=[latency_ms] * pushes)
            self.peak_rss_mib = 50.0
            self.counters = (
                {"pushes": 10, "redis_round_trips": 30, "dialog_pushes": 10, "dialog_redis_round_trips": 30,
                 "sql_statements": 40, "submit_pushes": 1, "submit_sql_statements": 13, "peak_rss_kib": 1024}
                if name == "jiedui"
                else {}
            )

    results = summarize(
        [Measured("jiedui", 1200, 20.0), Measured("wechatpy", 2000, 5.0), Measured("jiedui-2w", 1500, 30.0)],
        machine={"cpus": 2, "cpu_model": "test", "memory_gib": 1, "python": "3.11", "date": "today"},
        settings={"cadres": 50, "duration_s": 1.0, "warmup_s": 0.0, "quick_updates": False, "log_dir": "/tmp"},
    )

    verdicts = {target["name"]: target["met"] for target in results["targets"]}
    assert verdicts == {
        "dialog messages per second, one worker": True,
        "p99 latency in ms": True,
        "share of the stateless wechatpy server": True,
        "Redis round trips per dialog message": True,
        "two workers over one": False,
    }
    assert results["ratios"]["jiedui-2w/jiedui"] == 1.25
    assert "MISSED: two workers over one" in format_report(results)


@pytest.fixture
def postgres_base() -> str:
    url = os.environ.get("POSTGRES_TEST_URL")
    if not url:
        pytest.skip("POSTGRES_TEST_URL is not set")
    require_program("redis-server")
    return url


@pytest.mark.parametrize("quick", [False, True], ids=["submissions", "quick-updates"])
async def test_short_run_measures_service(postgres_base: str, tmp_path: Path, quick: bool) -> None:
    arguments = ["--servers", "jiedui,bare", "--duration", "2", "--warmup", "0.5", "--cadres", "3"]
    arguments += ["--postgres-url", postgres_base, "--log-dir", str(tmp_path)]
    if quick:
        arguments.append("--quick-updates")

    results = await run(build_parser().parse_args(arguments))

    service, bare = results["servers"]["jiedui"], results["servers"]["bare"]
    assert service["errors"] == bare["errors"] == 0
    assert service["busy"] == 0
    assert service["pushes"] > 0
    assert bare["pushes"] > 0
    assert service["submissions"] >= 1
    assert service["failed_submissions"] == 0
    if quick:
        assert service["quick_updates"] >= 1
        assert service["failed_quick_updates"] == 0
    assert results["service"]["redis_round_trips_per_dialog_message"] == 3.0
    assert results["service"]["sql_statements_in_submit_push"] > 0
