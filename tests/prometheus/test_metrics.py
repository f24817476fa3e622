"""The metrics of a real pipeline, scraped over HTTP: rows, batches, durations, statuses,
restarts, dead letters and expectation counts match what the pipeline did."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from pyspark.sql import functions as F
from pyspark.sql.types import LongType

import tauro_prometheus
from tauro.builtin.writers import MemoryBatchStore
from tauro.streaming.pipeline_manager import StreamingPipelineManager
from tauro_prometheus import STATE, MetricsServer

from ..core.streams import Collected, memory_node, register, spool_with
from .scrape import scrape, value


@pytest.fixture
def endpoint() -> Iterator[str]:
    STATE.clear()
    server = MetricsServer(0, "127.0.0.1")
    try:
        yield f"http://127.0.0.1:{server.port}/metrics"
    finally:
        server.close()


def test_a_pipeline_s_figures_reach_the_endpoint(context: Any, tmp_path: Path, endpoint: str) -> None:
    MemoryBatchStore.clear("prom_dead")

    @F.udf(LongType())
    def explode(value: int) -> int:
        raise ValueError(f"bad record {value}")

    register("prom_explode", lambda df: df.withColumn("id", explode("id")))
    events = memory_node(
        "events",
        spool_with(
            tmp_path / "events",
            [{"id": 1, "value": '{"n": 1}'}, {"id": 2, "value": "not json"}, {"id": 3, "value": '{"n": 3}'}],
            [{"id": 4, "value": "{"}, {"id": 5, "value": '{"n": 5}'}],
        ).path,
        output=Collected("prom_events").output,
    )
    events["input"]["options"]["maxFilesPerTrigger"] = 1
    events["input"].update(
        parse_json=True, json_schema="n INT", dead_letter={"format": "memory", "table_name": "prom_dead"}
    )
    checked = memory_node(
        "checked",
        spool_with(
            tmp_path / "checked", [{"id": 1, "value": "a"}, {"id": 2, "value": None}, {"id": 3, "value": "c"}]
        ).path,
        output=Collected("prom_checked").output,
        expectations=[{"name": "has_value", "expr": "value IS NOT NULL", "action": "warn"}],
    )
    bad = memory_node(
        "bad",
        spool_with(tmp_path / "bad", [{"id": 9, "value": "x"}]).path,
        transforms=["prom_explode"],
        restart={"max_attempts": 2, "backoff": "100 ms", "max_backoff": "1 second"},
    )
    manager = StreamingPipelineManager(context, monitor_interval=0.5)
    try:
        execution_id = manager.start_pipeline(
            "orders", {"on_failure": "isolate", "nodes": [events, checked, bad]}
        )
        status = manager.wait(execution_id, timeout=180)
    finally:
        manager.shutdown(timeout=30)
    assert status["status"] == "error", status
    nodes = status["query_statuses"]

    samples = scrape(endpoint)
    at = {"pipeline": "orders"}
    # Rows and batches are Tauro's own counts, the same the status reports.
    assert value(samples, "tauro_input_rows_total", **at, node="events") == nodes["events"]["input_rows"] == 5
    assert value(samples, "tauro_batches_total", **at, node="events") == nodes["events"]["batches"] == 2
    assert value(samples, "tauro_input_rows_total", **at, node="checked") == 3
    assert value(samples, "tauro_batch_duration_seconds_count", **at, node="events") == 2
    assert value(samples, "tauro_batch_duration_seconds_bucket", **at, node="events", le="+Inf") == 2
    assert (value(samples, "tauro_batch_duration_seconds_sum", **at, node="events") or 0) > 0
    assert value(samples, "tauro_processed_rows_per_second", **at, node="events") is not None
    assert 0 <= (value(samples, "tauro_last_progress_age_seconds", **at, node="events") or -1) < 300
    # Dead letters and expectation counts.
    assert (
        value(samples, "tauro_dead_letters_total", **at, node="events")
        == nodes["events"]["dead_letters"]
        == 2
    )
    assert value(samples, "tauro_dead_letters_total", **at, node="checked") == 0
    expectation = {**at, "node": "checked", "expectation": "has_value"}
    assert value(samples, "tauro_expectation_rows_total", **expectation, outcome="passed") == 2
    assert value(samples, "tauro_expectation_rows_total", **expectation, outcome="failed") == 1
    # Statuses: one series per state of docs/runtime.md, 1 for the current one.
    assert value(samples, "tauro_node_status", **at, node="events", status="completed") == 1
    assert value(samples, "tauro_node_status", **at, node="events", status="running") == 0
    assert value(samples, "tauro_node_status", **at, node="bad", status="failed") == 1
    assert len([s for s in samples if s.name == "tauro_node_status" and s.labels["node"] == "bad"]) == 10
    assert value(samples, "tauro_pipeline_status", pipeline="orders", status="error") == 1
    # The failed node was restarted once (two attempts), the others never.
    assert nodes["bad"]["attempts"] == 2
    assert value(samples, "tauro_node_restarts_total", **at, node="bad") == 1
    assert value(samples, "tauro_node_restarts_total", **at, node="events") == 0
    # Labels are pipeline and node names, never execution, query or batch ids.
    assert {k for s in samples for k in s.labels} <= {
        "pipeline",
        "node",
        "status",
        "expectation",
        "outcome",
        "source",
        "le",
    }
    assert execution_id not in str(samples)


def test_an_application_registers_the_metrics_in_its_own_registry() -> None:
    registry = CollectorRegistry()
    collector = tauro_prometheus.register(registry)
    STATE.clear()
    from tauro.events import NodeStatusChangedEvent

    STATE.on_node_status(
        NodeStatusChangedEvent(
            execution_id="e-1",
            pipeline_name="app",
            node_name="n",
            old_state=None,
            new_state="running",
            attempts=1,
            timestamp=0.0,
        )
    )
    text = generate_latest(registry).decode()
    assert 'tauro_node_status{node="n",pipeline="app",status="running"} 1.0' in text
    registry.unregister(collector)
    assert "tauro_" not in generate_latest(registry).decode()


def test_the_grafana_dashboard_ships_with_the_distribution() -> None:
    import json

    dashboard = json.loads(tauro_prometheus.dashboard_path().read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for metric in (
        "tauro_input_rows_total",
        "tauro_node_status",
        "tauro_node_restarts_total",
        "tauro_dead_letters_total",
        "tauro_batch_duration_seconds_bucket",
        "tauro_source_offsets_behind_latest",
    ):
        assert metric in exprs
