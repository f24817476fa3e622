"""The endpoint's own text rendering says exactly what prometheus_client's would."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tauro.events import NodeStatusChangedEvent, PipelineStatusChangedEvent, QueryProgressEvent
from tauro_prometheus import STATE, MetricsServer
from tauro_prometheus.exposition import CONTENT_TYPE

AWKWARD = 'orders "eu"\\west\nline'  # a quote, a backslash and a newline in a label value


def progress(node: str, batch: int, rows: int) -> QueryProgressEvent:
    kinesis = {"description": "kinesis", "latestOffset": '{"millisBehindLatest": 1200}'}
    return QueryProgressEvent(
        query_id=f"q-{node}", run_id="r", query_name=f"p__{node}", node_name=node, pipeline_name=AWKWARD,
        timestamp=1_700_000_000.0 + batch, input_rows=rows, dead_letters=1,
        progress={"batchId": batch, "numInputRows": rows, "processedRowsPerSecond": 12.5,
                  "durationMs": {"addBatch": 3, "walCommit": 1, "triggerExecution": 1500 * (batch + 1)},
                  "sources": [kinesis]},
        expectations={"positive": {"action": "drop", "passed": rows - 1, "failed": 1,
                                   "total_passed": rows - 1, "total_failed": 1}},
    )  # fmt: skip


@pytest.fixture
def filled() -> Iterator[None]:
    STATE.clear()
    for i in range(3):
        node = f"n{i}"
        STATE.on_node_status(
            NodeStatusChangedEvent(
                execution_id="e", pipeline_name=AWKWARD, node_name=node, old_state=None,
                new_state="running", attempts=1, timestamp=1.0,
            )
        )  # fmt: skip
        for batch in range(2):
            STATE.on_progress(progress(node, batch, 10 + batch))
    STATE.on_pipeline_status(
        PipelineStatusChangedEvent(
            execution_id="e", pipeline_name=AWKWARD, old_status=None, new_status="running", timestamp=1.0
        )
    )
    yield
    STATE.clear()


Samples = list[tuple[str, dict[str, str], float]]


def families(text: str) -> dict[str, tuple[str, str, Samples]]:
    def order(sample: tuple[str, dict[str, str], float]) -> tuple[str, list[tuple[str, str]]]:
        return sample[0], sorted(sample[1].items())

    parsed = text_string_to_metric_families(text)
    return {
        f.name: (f.type, f.documentation, sorted(((s.name, s.labels, s.value) for s in f.samples), key=order))
        for f in parsed
    }


def get(url: str) -> tuple[str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.headers["Content-Type"], response.read().decode("utf-8")


@pytest.mark.usefixtures("filled")
def test_the_endpoint_serves_what_prometheus_client_would_render() -> None:
    server = MetricsServer(0, "127.0.0.1")
    try:
        content_type, served = get(f"http://127.0.0.1:{server.port}/metrics")
        reference = generate_latest(server.registry).decode("utf-8")
    finally:
        server.close()
    assert content_type == CONTENT_TYPE
    got, want = families(served), families(reference)
    # Ages move between the two renderings; everything else is equal.
    age = "tauro_last_progress_age_seconds"
    assert [s[:2] for s in got.pop(age)[2]] == [s[:2] for s in want.pop(age)[2]]
    assert got == want
    rows = dict(((s[1]["node"], s[1]["pipeline"]), s[2]) for s in got["tauro_input_rows"][2])
    assert rows == {(f"n{i}", AWKWARD): 21.0 for i in range(3)}
    assert {s[2] for s in got["tauro_source_lag_seconds"][2]} == {1.2}


def test_an_application_s_own_registry_is_served_by_prometheus_client() -> None:
    registry = CollectorRegistry()
    Counter("app_requests", "Requests the app served.", registry=registry).inc(3)
    server = MetricsServer(0, "127.0.0.1", registry=registry)
    try:
        _, served = get(f"http://127.0.0.1:{server.port}/metrics")
    finally:
        server.close()
    assert families(served)["app_requests"][2][0][2] == 3.0
    assert "tauro_" not in served
