"""The benchmark's results: one dictionary (printed as JSON), the ratios, the targets and a text report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.__main__ import Measured

TARGET_MESSAGES_PER_S = 1000.0
TARGET_SHARE_OF_WECHATPY = 0.40
TARGET_P99_MS = 100.0
TARGET_REDIS_ROUND_TRIPS = 3.0
TARGET_TWO_WORKER_GAIN = 1.6


def _server_figures(measured: Measured) -> dict[str, Any]:
    load = measured.load
    return {
        "messages_per_s": round(load.pushes_per_s, 1),
        "p50_ms": round(load.percentile_ms(0.50), 2),
        "p95_ms": round(load.percentile_ms(0.95), 2),
        "p99_ms": round(load.percentile_ms(0.99), 2),
        "peak_rss_mib": round(measured.peak_rss_mib, 1),
        "pushes": load.pushes,
        "errors": load.errors,
        "busy": load.busy,
        "submissions": load.submissions,
        "failed_submissions": load.failed_submissions,
        "quick_updates": load.quick_updates,
        "failed_quick_updates": load.failed_quick_updates,
        "client_cpu_s": round(load.client_cpu_s, 1),
    }


def _service_counters(counters: dict[str, Any]) -> dict[str, Any]:
    if not counters or not counters.get("pushes"):
        return {}
    submissions = counters["submit_pushes"]
    return {
        "redis_round_trips_per_push": round(counters["redis_round_trips"] / counters["pushes"], 2),
        "redis_round_trips_per_dialog_message": round(
            counters["dialog_redis_round_trips"] / max(1, counters["dialog_pushes"]), 2
        ),
        "sql_statements_per_submission": round(counters["sql_statements"] / submissions, 1) if submissions else None,
        "sql_statements_in_submit_push": round(counters["submit_sql_statements"] / submissions, 1) if submissions else None,
        "counted_pushes": counters["pushes"],
        "redis_connection_setup_round_trips": counters.get("redis_setup_round_trips", 0),
        "pushes_by_redis_round_trips": counters.get("redis_round_trips_by_count", {}),
        "steps_above_three_round_trips": counters.get("steps_above_three_round_trips", {}),
        "slowest_steps": _slowest_steps(counters.get("handling_ms_by_step", {})),
        "service_peak_rss_mib": round(counters["peak_rss_kib"] / 1024, 1),
    }


def _slowest_steps(by_step: dict[str, list[float]], count: int = 6) -> list[dict[str, Any]]:
    """Return the steps with the longest mean handling time in the server (pushes, mean and max ms)."""
    rows: list[dict[str, Any]] = []
    for step, (pushes, total, longest) in by_step.items():
        if pushes:
            rows.append({"step": step, "pushes": int(pushes), "mean_ms": round(total / pushes, 2), "max_ms": round(longest, 1)})
    rows.sort(key=lambda row: float(row["mean_ms"]), reverse=True)
    return rows[:count]


def _ratio(servers: dict[str, dict[str, Any]], numerator: str, denominator: str) -> float | None:
    if numerator not in servers or denominator not in servers:
        return None
    below = servers[denominator]["messages_per_s"]
    return round(servers[numerator]["messages_per_s"] / below, 3) if below else None


def _targets(servers: dict[str, dict[str, Any]], service: dict[str, Any], ratios: dict[str, Any]) -> list[dict[str, Any]]:
    checks: list[tuple[str, Any, float, bool]] = []
    if "jiedui" in servers:
        rate = servers["jiedui"]["messages_per_s"]
        checks.append(("dialog messages per second, one worker", rate, TARGET_MESSAGES_PER_S, rate >= TARGET_MESSAGES_PER_S))
        p99 = servers["jiedui"]["p99_ms"]
        checks.append(("p99 latency in ms", p99, TARGET_P99_MS, p99 <= TARGET_P99_MS))
    share = ratios.get("jiedui/wechatpy")
    if share is not None:
        checks.append(("share of the stateless wechatpy server", share, TARGET_SHARE_OF_WECHATPY, share >= TARGET_SHARE_OF_WECHATPY))
    trips = service.get("redis_round_trips_per_dialog_message")
    if trips is not None:
        checks.append(("Redis round trips per dialog message", trips, TARGET_REDIS_ROUND_TRIPS, trips <= TARGET_REDIS_ROUND_TRIPS))
    gain = ratios.get("jiedui-2w/jiedui")
    if gain is not None:
        checks.append(("two workers over one", gain, TARGET_TWO_WORKER_GAIN, gain >= TARGET_TWO_WORKER_GAIN))
    return [{"name": name, "measured": value, "target": target, "met": met} for name, value, target, met in checks]


def summarize(measured: list[Measured], *, machine: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """Build the results dictionary of a run."""
    servers = {item.name: _server_figures(item) for item in measured}
    service = next((_service_counters(item.counters) for item in measured if item.name == "jiedui"), {})
    ratios = {
        key: value
        for key, value in {
            "jiedui/wechatpy": _ratio(servers, "jiedui", "wechatpy"),
            "jiedui/bare": _ratio(servers, "jiedui", "bare"),
            "jiedui/werobot": _ratio(servers, "jiedui", "werobot"),
            "jiedui-2w/jiedui": _ratio(servers, "jiedui-2w", "jiedui"),
        }.items()
        if value is not None
    }
    return {
        "machine": machine,
        "settings": settings,
        "servers": servers,
        "service": service,
        "ratios": ratios,
        "targets": _targets(servers, service, ratios),
    }


def format_report(results: dict[str, Any]) -> str:
    """Render the results as the plain-text report printed at the end of a run."""
    machine, settings = results["machine"], results["settings"]
    quick = "on" if settings["quick_updates"] else "off"
    lines = [
        (
            f"jiedui-bot benchmark, {machine['date']}: {machine['cpus']} CPUs ({machine['cpu_model']}), "
            f"{machine['memory_gib']} GiB, Python {machine['python']}"
        ),
        (
            f"{settings['cadres']} simulated cadres, {settings['duration_s']:.0f} s measured after "
            f"{settings['warmup_s']:.0f} s warm-up per server; quick updates {quick}"
        ),
        "",
        f"{'server':<10} {'msg/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'peak MiB':>9} {'errors':>7} {'busy':>5} {'client CPU s':>13}",
    ]
    for name, figures in results["servers"].items():
        lines.append(
            f"{name:<10} {figures['messages_per_s']:>8.0f} {figures['p50_ms']:>8.1f} {figures['p95_ms']:>8.1f} "
            f"{figures['p99_ms']:>8.1f} {figures['peak_rss_mib']:>9.1f} {figures['errors']:>7} {figures['busy']:>5} "
            f"{figures['client_cpu_s']:>13.1f}"
        )
    for name in ("jiedui", "jiedui-2w"):
        figures = results["servers"].get(name)
        if figures:
            quick = ""
            if settings["quick_updates"]:
                quick = f", quick updates saved {figures['quick_updates']} (failed {figures['failed_quick_updates']})"
            lines.append(
                f"{name}: submissions stored {figures['submissions']} (failed {figures['failed_submissions']}){quick}"
            )
    if results["service"]:
        service = results["service"]
        lines += [
            "",
            (
                f"Redis round trips per push {service['redis_round_trips_per_push']}, per dialog message "
                f"{service['redis_round_trips_per_dialog_message']}; SQL statements per submission "
                f"{service['sql_statements_per_submission']} (in the 提交 push {service['sql_statements_in_submit_push']})"
            ),
            "slowest steps in the server (mean / max ms): "
            + ", ".join(f"{row['step']} {row['mean_ms']}/{row['max_ms']}" for row in service["slowest_steps"]),
        ]
    if results["ratios"]:
        lines += ["", "ratios: " + ", ".join(f"{key} {value:.2f}" for key, value in results["ratios"].items())]
    if results["targets"]:
        lines.append("")
        for target in results["targets"]:
            verdict = "met" if target["met"] else "MISSED"
            lines.append(f"{verdict:>6}: {target['name']}: {target['measured']} (target {target['target']})")
    lines += ["", f"server output: {settings['log_dir']}"]
    return "\n".join(lines)
