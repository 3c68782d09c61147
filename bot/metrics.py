"""Prometheus metrics of the webhook, served at `/metrics` in the Prometheus text format.

- `jiedui_pushes_total{outcome}`: pushes by outcome (`reply`, `no-reply`, `redelivered`, `busy`,
  `timeout`, `database-unavailable`, `flood-limited`, `unsupported`, `malformed`, `service-error`,
  `decryption-failed`, `rejected`).
- `jiedui_push_duration_seconds`: histogram of the time from receiving a push to answering it.
- `jiedui_active_sessions`: live sessions in the session store, counted at each scrape.
- `jiedui_outbox_backlog`: notifications in the outbox not yet sent or given up.

With several worker processes (`jiedui serve --workers N`), PROMETHEUS_MULTIPROC_DIR is set and every
scrape adds up the counters and histograms of all workers. The live gauges come from the shared
stores, so any worker reports the same value.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

log = logging.getLogger("jiedui.metrics")

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
"""Environment variable of prometheus-client's multi-process mode; it must be set before the import."""

DURATION_BUCKETS_S: Sequence[float] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 4.0, 5.0)
"""Histogram buckets in seconds, up to WeChat's 5-second wait."""

LIVE_VALUE_TIMEOUT_S = 2.0
"""Limit on computing a live gauge at scrape time; a gauge that takes longer is left out."""


@runtime_checkable
class SessionCounter(Protocol):
    """A chat service that can count its live sessions."""

    async def count_active_sessions(self) -> int:
        """Count the live sessions."""


@runtime_checkable
class OutboxCounter(Protocol):
    """A chat service that can count the notifications waiting in the outbox."""

    async def count_outbox_backlog(self) -> int:
        """Count the notifications not yet sent or given up."""


class _LiveGauges(Collector):
    """Gauges whose values are computed by the scrape handler right before the registry is rendered."""

    def __init__(self) -> None:
        self.active_sessions: int | None = None
        self.outbox_backlog: int | None = None

    def collect(self) -> Iterator[Metric]:
        if self.active_sessions is not None:
            yield GaugeMetricFamily(
                "jiedui_active_sessions", "Live sessions in the session store.", value=self.active_sessions
            )
        if self.outbox_backlog is not None:
            yield GaugeMetricFamily(
                "jiedui_outbox_backlog", "Notifications in the outbox not yet sent or given up.",
                value=self.outbox_backlog,
            )

    def describe(self) -> Iterator[Metric]:
        return iter(())


class PushMetrics:
    """The counters and histogram of one application, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.pushes = Counter("jiedui_pushes", "Pushes by outcome.", ["outcome"], registry=self.registry)
        self.duration = Histogram(
            "jiedui_push_duration_seconds",
            "Time from receiving a push to answering it.",
            buckets=DURATION_BUCKETS_S,
            registry=self.registry,
        )
        self.live = _LiveGauges()

    def observe(self, outcome: str, duration_s: float) -> None:
        """Count one answered push."""
        self.pushes.labels(outcome=outcome).inc()
        self.duration.observe(duration_s)

    def render(self) -> bytes:
        """Render every metric in the Prometheus text format."""
        if os.environ.get(MULTIPROCESS_DIR_VARIABLE):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
        else:
            registry = CollectorRegistry()
            registry.register(_Forward(self.registry))
        registry.register(self.live)
        return generate_latest(registry)


class _Forward(Collector):
    """Collects another registry's metrics, so the live gauges can be added to a per-scrape registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        return iter(self._registry.collect())

    def describe(self) -> Iterator[Metric]:
        return iter(())


METRICS_KEY = web.AppKey("metrics", PushMetrics)


async def serve_metrics(request: web.Request, service: object) -> web.Response:
    """Respond with the metrics, after counting the live sessions of `service` when it can."""
    metrics = request.app[METRICS_KEY]
    metrics.live.active_sessions = None
    metrics.live.outbox_backlog = None
    if isinstance(service, SessionCounter):
        metrics.live.active_sessions = await _count_sessions(service)
    if isinstance(service, OutboxCounter):
        metrics.live.outbox_backlog = await _count_outbox(service)
    body = metrics.render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _count_sessions(service: SessionCounter) -> int | None:
    try:
        async with asyncio.timeout(LIVE_VALUE_TIMEOUT_S):
            return await service.count_active_sessions()
    except Exception as error:  # noqa: BLE001 - a failing gauge must not fail the whole scrape
        log.warning("active sessions not counted for /metrics: %s", type(error).__name__)
        return None


async def _count_outbox(service: OutboxCounter) -> int | None:
    try:
        async with asyncio.timeout(LIVE_VALUE_TIMEOUT_S):
            return await service.count_outbox_backlog()
    except Exception as error:  # noqa: BLE001 - a failing gauge must not fail the whole scrape
        log.warning("outbox backlog not counted for /metrics: %s", type(error).__name__)
        return None
