"""The Prometheus collector: Tauro's figures as metric families, built at scrape time."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from tauro_prometheus.state import DURATION_BUCKETS, NODE_STATES, PIPELINE_STATES, STATE, MetricsState

LABELS = ["pipeline", "node"]


class TauroCollector(Collector):
    """Yields every ``tauro_*`` metric of one ``MetricsState`` (the plugin's by default)."""

    def __init__(self, state: MetricsState | None = None) -> None:
        self.state = state or STATE

    def describe(self) -> Iterable[Metric]:
        return ()  # the names depend on nothing but are cheap to build: let the registry ask

    def collect(self) -> Iterator[Metric]:
        now = time.time()
        rows = CounterMetricFamily("tauro_input_rows", "Rows read by the node's batches.", labels=LABELS)
        batches = CounterMetricFamily("tauro_batches", "Micro-batches the node ran.", labels=LABELS)
        rate = GaugeMetricFamily(
            "tauro_processed_rows_per_second", "Rows per second of the node's last batch.", labels=LABELS
        )
        duration = HistogramMetricFamily(
            "tauro_batch_duration_seconds", "Duration of the node's micro-batches.", labels=LABELS
        )
        age = GaugeMetricFamily(
            "tauro_last_progress_age_seconds", "Seconds since the node's last progress report.", labels=LABELS
        )
        stamp = GaugeMetricFamily(
            "tauro_last_progress_timestamp_seconds",
            "Unix time of the node's last progress report.",
            labels=LABELS,
        )
        status = GaugeMetricFamily(
            "tauro_node_status",
            "1 for the node's current state, 0 for the others.",
            labels=[*LABELS, "status"],
        )
        restarts = CounterMetricFamily(
            "tauro_node_restarts", "Restarts the node's restart policy scheduled.", labels=LABELS
        )
        dead = CounterMetricFamily(
            "tauro_dead_letters", "Rows the node sent to its dead-letter sink.", labels=LABELS
        )
        expectations = CounterMetricFamily(
            "tauro_expectation_rows",
            "Rows that passed or failed each expectation of the node.",
            labels=[*LABELS, "expectation", "outcome"],
        )
        offsets = GaugeMetricFamily(
            "tauro_source_offsets_behind_latest",
            "Records the node's source is behind its latest offset (Kafka).",
            labels=[*LABELS, "source"],
        )
        lag = GaugeMetricFamily(
            "tauro_source_lag_seconds",
            "Seconds the node's source is behind the tip of its stream (Kinesis).",
            labels=[*LABELS, "source"],
        )
        pipelines = GaugeMetricFamily(
            "tauro_pipeline_status",
            "1 for the pipeline's current status, 0 for the others.",
            labels=["pipeline", "status"],
        )
        with self.state.locked() as state:
            for (pipeline, node), f in state.nodes.items():
                key = [pipeline, node]
                rows.add_metric(key, f.input_rows)
                batches.add_metric(key, f.batches)
                dead.add_metric(key, f.dead_letters)
                if f.rows_per_second is not None:
                    rate.add_metric(key, f.rows_per_second)
                if f.duration_count:
                    cumulative, buckets = 0, []
                    for bound, count in zip((*map(repr, DURATION_BUCKETS), "+Inf"), f.duration_buckets):
                        cumulative += count
                        buckets.append((bound, cumulative))
                    duration.add_metric(key, buckets, f.duration_sum)
                if f.last_progress is not None:
                    age.add_metric(key, max(now - f.last_progress, 0.0))
                    stamp.add_metric(key, f.last_progress)
                if f.state is not None:
                    restarts.add_metric(key, f.restarts)
                    for value in NODE_STATES:
                        status.add_metric([*key, value], 1.0 if f.state == value else 0.0)
                for (name, outcome), count in sorted(f.expectation_rows.items()):
                    expectations.add_metric([*key, name, outcome], count)
                for source, behind in sorted(f.offsets_behind.items()):
                    offsets.add_metric([*key, source], behind)
                for source, seconds in sorted(f.seconds_behind.items()):
                    lag.add_metric([*key, source], seconds)
            for pipeline, current in state.pipelines.items():
                for value in PIPELINE_STATES:
                    pipelines.add_metric([pipeline, value], 1.0 if current == value else 0.0)
        yield from (rows, batches, rate, duration, age, stamp, status, restarts, dead, expectations)
        yield from (offsets, lag, pipelines)
