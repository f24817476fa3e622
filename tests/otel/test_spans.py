"""Spans of a real pipeline, recorded with the OpenTelemetry SDK's InMemorySpanExporter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from pyspark.sql import functions as F
from pyspark.sql.types import LongType

import tauro_otel
from tauro.streaming.pipeline_manager import StreamingPipelineManager

from ..core.streams import Collected, memory_node, register, spool_with


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tauro_otel.use_tracer_provider(provider)
    try:
        yield exporter
    finally:
        tauro_otel.use_tracer_provider(None)
        provider.shutdown()


def named(spans: tuple[ReadableSpan, ...], name: str, **attributes: Any) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name and attributes.items() <= dict(s.attributes or {}).items()]


def test_a_span_per_batch_and_short_spans_for_start_stop_and_failure(
    context: Any, tmp_path: Path, exporter: InMemorySpanExporter
) -> None:
    @F.udf(LongType())
    def explode(value: int) -> int:
        raise ValueError(f"bad record {value}")

    register("otel_explode", lambda df: df.withColumn("id", explode("id")))
    good = memory_node(
        "good",
        spool_with(
            tmp_path / "good", [{"id": 1, "value": "a"}, {"id": 2, "value": "b"}], [{"id": 3, "value": "c"}]
        ).path,
        output=Collected("otel_good").output,
    )
    good["input"]["options"]["maxFilesPerTrigger"] = 1
    bad = memory_node(
        "bad", spool_with(tmp_path / "bad", [{"id": 9, "value": "x"}]).path, transforms=["otel_explode"]
    )
    manager = StreamingPipelineManager(context, monitor_interval=0.5)
    try:
        execution_id = manager.start_pipeline("traced", {"on_failure": "isolate", "nodes": [good, bad]})
        status = manager.wait(execution_id, timeout=180)
    finally:
        manager.shutdown(timeout=30)
    assert status["status"] == "error", status
    spans = exporter.get_finished_spans()

    batches = sorted(named(spans, "tauro.batch", **{"tauro.node": "good"}), key=lambda s: s.start_time or 0)
    assert [(s.attributes or {})["tauro.batch_id"] for s in batches] == [0, 1]
    assert [(s.attributes or {})["tauro.input_rows"] for s in batches] == [2, 1]
    for span in batches:
        attributes = dict(span.attributes or {})
        assert attributes["tauro.pipeline"] == "traced"
        assert attributes["tauro.execution_id"] == execution_id
        assert attributes["tauro.outcome"] == "ok"
        assert span.end_time is not None and span.start_time is not None
        assert 0 < span.end_time - span.start_time < 120 * 10**9  # the batch's own duration
    # Short spans only: nothing lasts as long as a query or the run.
    assert named(spans, "tauro.query.start", **{"tauro.node": "good"})
    assert named(spans, "tauro.query.stop", **{"tauro.node": "good", "tauro.outcome": "stopped"})
    (failure,) = named(spans, "tauro.query.failure", **{"tauro.node": "bad"})
    assert failure.status.status_code is StatusCode.ERROR
    assert "bad record 9" in str(failure.events[0].attributes)
    assert named(spans, "tauro.run.start", **{"tauro.pipeline": "traced"})
    (run_failure,) = named(spans, "tauro.run.failure", **{"tauro.pipeline": "traced"})
    assert run_failure.status.status_code is StatusCode.ERROR
    assert all((s.end_time or 0) - (s.start_time or 0) == 0 for s in spans if s.name != "tauro.batch")


def test_without_an_sdk_the_plugin_records_nothing(context: Any, tmp_path: Path) -> None:
    from opentelemetry import trace

    tauro_otel.use_tracer_provider(None)
    tracer = trace.get_tracer("tauro_otel")
    span = tracer.start_span("probe")
    assert not span.is_recording()  # OpenTelemetry's API alone: a no-op tracer
    span.end()
