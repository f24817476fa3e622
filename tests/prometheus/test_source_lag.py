"""Source lag read from Spark's progress, in the shape Spark's Kafka source reports it."""

from __future__ import annotations

from tauro.events import QueryProgressEvent, SourceLag
from tauro_prometheus import STATE, TauroCollector

KAFKA_SOURCE = {
    "description": "KafkaV2[Subscribe[orders]]",
    "startOffset": {"orders": {"0": 10, "1": 4}},
    "endOffset": {"orders": {"0": 20, "1": 8}},
    "latestOffset": {"orders": {"0": 25, "1": 8}},
    "numInputRows": 14,
    "metrics": {
        "avgOffsetsBehindLatest": "2.5",
        "maxOffsetsBehindLatest": "5",
        "minOffsetsBehindLatest": "0",
    },
}


def event(*sources: dict[str, object]) -> QueryProgressEvent:
    progress = {"batchId": 3, "numInputRows": 14, "durationMs": {"addBatch": 5, "triggerExecution": 40},
                "sources": list(sources)}  # fmt: skip
    return QueryProgressEvent(
        query_id="q", run_id="r", query_name="p__n", node_name="n", pipeline_name="p",
        timestamp=1.0, progress=progress, input_rows=14,
    )  # fmt: skip


def test_kafka_lag_comes_from_the_source_metrics_else_the_offsets() -> None:
    assert event(KAFKA_SOURCE).source_lags() == (
        SourceLag(source="KafkaV2[Subscribe[orders]]", offsets_behind=5),
    )
    without_metrics = {k: v for k, v in KAFKA_SOURCE.items() if k != "metrics"}
    assert event(without_metrics).source_lags()[0].offsets_behind == 5
    # Offsets as Spark's JSON text work too; a source reporting nothing is left out.
    as_text = {**without_metrics, "latestOffset": '{"orders": {"0": 21, "1": 9}}'}
    assert event(as_text).source_lags()[0].offsets_behind == 2
    assert event({"description": "MemoryStream", "endOffset": "3"}).source_lags() == ()


def test_lag_becomes_gauges_per_source() -> None:
    STATE.clear()
    kinesis = {"description": "kinesis", "metrics": {"MillisBehindLatest": "1500"}}
    STATE.on_progress(event(KAFKA_SOURCE, kinesis))
    samples = {
        (s.name, s.labels.get("source")): s.value for m in TauroCollector().collect() for s in m.samples
    }
    assert samples[("tauro_source_offsets_behind_latest", "KafkaV2[Subscribe[orders]]")] == 5
    assert samples[("tauro_source_lag_seconds", "kinesis")] == 1.5
    assert samples[("tauro_batch_duration_seconds_sum", None)] == 0.04


def test_a_python_source_reports_its_lag_in_latest_offset() -> None:
    # Python data sources have no metrics: the kinesis source puts MillisBehindLatest in the
    # offset it reports as latest (Spark gives it as JSON text).
    kinesis = {
        "description": "kinesis",
        "latestOffset": '{"millisBehindLatest": 2500, "millisBehindLatestByShard": {"s-0": 2500}}',
        "endOffset": '{"startingPosition": "TRIM_HORIZON", "shards": {"s-0": "495"}, "v": 1}',
    }
    assert event(kinesis).source_lags() == (SourceLag(source="kinesis", millis_behind=2500.0),)
