"""What the metrics are made of: figures per pipeline and node, fed by Tauro's events.

Updating is a few dictionary operations under one lock, so observers stay cheap; the
exposition is built only when someone scrapes (``collector.TauroCollector``).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import attrs

from tauro.events import (
    NodeStatusChangedEvent,
    PipelineStatusChangedEvent,
    QueryProgressEvent,
)

#: Node states of docs/runtime.md, each a series of ``tauro_node_status``.
NODE_STATES = (
    "waiting",
    "starting",
    "running",
    "idle",
    "stalled",
    "restarting",
    "failed",
    "blocked",
    "completed",
    "stopped",
)
PIPELINE_STATES = ("queued", "starting", "running", "completed", "stopped", "error")
#: Upper bounds of ``tauro_batch_duration_seconds`` (micro-batches take 0.1 s to minutes).
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
#: Spark's progress timings present only for a batch that ran (not for an idle heartbeat).
_BATCH_TIMINGS = ("addBatch", "walCommit")

NodeKey = tuple[str, str]  # (pipeline, node); "" for a query started outside a pipeline


@attrs.define(eq=False)
class NodeFigures:
    input_rows: int = 0
    batches: int = 0
    rows_per_second: float | None = None
    duration_buckets: list[int] = attrs.field(factory=lambda: [0] * (len(DURATION_BUCKETS) + 1))
    duration_sum: float = 0.0
    duration_count: int = 0
    last_progress: float | None = None  # wall clock (time.time)
    state: str | None = None
    restarts: int = 0
    dead_letters: int = 0
    #: (expectation, outcome "passed" | "failed") -> rows
    expectation_rows: dict[tuple[str, str], int] = attrs.field(factory=dict)
    #: source description -> offsets behind latest / seconds behind latest
    offsets_behind: dict[str, int] = attrs.field(factory=dict)
    seconds_behind: dict[str, float] = attrs.field(factory=dict)

    def observe_duration(self, seconds: float) -> None:
        self.duration_buckets[bisect.bisect_left(DURATION_BUCKETS, seconds)] += 1
        self.duration_sum += seconds
        self.duration_count += 1


class MetricsState:
    """Figures per (pipeline, node) and the pipelines' statuses; safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.nodes: dict[NodeKey, NodeFigures] = {}
        self.pipelines: dict[str, str] = {}

    @contextmanager
    def locked(self) -> Iterator[MetricsState]:
        with self._lock:
            yield self

    def _node(self, pipeline: str | None, node: str | None) -> NodeFigures:
        key = (pipeline or "", node or "")
        figures = self.nodes.get(key)
        if figures is None:
            figures = self.nodes[key] = NodeFigures()
        return figures

    def on_progress(self, event: QueryProgressEvent) -> None:
        progress = event.progress
        ran = event.input_rows > 0 or any(k in (progress.get("durationMs") or {}) for k in _BATCH_TIMINGS)
        lags = event.source_lags()
        with self._lock:
            figures = self._node(event.pipeline_name, event.node_name)
            figures.last_progress = event.timestamp
            for lag in lags:
                if lag.offsets_behind is not None:
                    figures.offsets_behind[lag.source] = lag.offsets_behind
                if lag.millis_behind is not None:
                    figures.seconds_behind[lag.source] = lag.millis_behind / 1000.0
            if not ran:
                return
            figures.batches += 1
            figures.input_rows += event.input_rows
            figures.dead_letters += event.dead_letters
            rate = progress.get("processedRowsPerSecond")
            figures.rows_per_second = float(rate) if rate is not None else figures.rows_per_second
            seconds = event.batch_seconds
            if seconds is not None:
                figures.observe_duration(seconds)
            for name, counts in event.expectations.items():
                for outcome in ("passed", "failed"):
                    key = (name, outcome)
                    figures.expectation_rows[key] = figures.expectation_rows.get(key, 0) + int(
                        counts.get(outcome) or 0
                    )

    def on_node_status(self, event: NodeStatusChangedEvent) -> None:
        with self._lock:
            figures = self._node(event.pipeline_name, event.node_name)
            figures.state = event.new_state
            if event.new_state == "restarting" and event.old_state != "restarting":
                figures.restarts += 1

    def on_pipeline_status(self, event: PipelineStatusChangedEvent) -> None:
        with self._lock:
            self.pipelines[event.pipeline_name] = event.new_status

    def clear(self) -> None:
        with self._lock:
            self.nodes.clear()
            self.pipelines.clear()


#: The process-wide figures the plugin's hooks feed.
STATE = MetricsState()
