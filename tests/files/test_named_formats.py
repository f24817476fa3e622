"""Spark's file format names as sources and sinks: ``format: parquet`` and its siblings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pyspark.testing import assertDataFrameEqual

from tauro.plugins import get_registry
from tauro.streaming.pipeline_manager import StreamingPipelineManager
from tauro.streaming.validators import StreamingValidator

from .helpers import json_lines, run_node

FORMATS = ("parquet", "json", "csv", "orc", "text", "avro")


def named_node(name: str, source: dict[str, Any], output: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "input": source,
        "output": output,
        "streaming": {"trigger": {"type": "available_now"}, **extra},
    }


def problems(pipeline: dict[str, Any]) -> list[tuple[str | None, str]]:
    report = StreamingValidator().check_pipeline(pipeline, name="p")
    return [(p.field, p.message) for p in report.problems]


def test_parquet_source_and_sink_end_to_end(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    data = spark.createDataFrame([(1, "x", 1.5), (2, "y", None)], "id BIGINT, tag STRING, amount DOUBLE")
    data.coalesce(1).write.parquet(str(tmp_path / "in"))
    out = tmp_path / "out"
    node = named_node(
        "p2p",
        {"format": "parquet", "path": str(tmp_path / "in")},
        {"format": "parquet", "path": str(out), "options": {"compression": "zstd"}},
    )
    query = run_node(context, node)
    assert sum(p["numInputRows"] for p in query.recentProgress) == 2
    assertDataFrameEqual(spark.read.parquet(str(out)), data)
    assert (out / "_spark_metadata").is_dir()  # Spark's exactly-once file sink, as with `file`
    assert all(f.name.endswith(".zstd.parquet") for f in out.glob("part-*"))


def test_json_source_into_parquet_through_the_pipeline_manager(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    json_lines(tmp_path / "in" / "a.json", [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
    out = tmp_path / "out"
    node = named_node(
        "j2p",
        {"format": "json", "path": str(tmp_path / "in"), "schema": "id BIGINT, name STRING"},
        {"format": "parquet", "path": str(out)},
    )
    manager = StreamingPipelineManager(context, monitor_interval=0.5)
    try:
        status = manager.wait(manager.start_pipeline("named", {"nodes": [node]}), timeout=180)
    finally:
        manager.shutdown(timeout=30)
    assert status["status"] == "completed", status
    assert status["query_statuses"]["j2p"]["input_rows"] == 2
    expected = spark.createDataFrame([(1, "a"), (2, "b")], "id BIGINT, name STRING")
    assertDataFrameEqual(spark.read.parquet(str(out)), expected)


def test_the_names_come_from_the_files_plugin_registry() -> None:
    registry = get_registry()
    for name in FORMATS:
        assert registry.readers[name].plugin == "files"
        assert registry.writers[name].plugin == "files"
        assert registry.readers[name].target.file_format == name
        assert registry.writers[name].target.file_format == name


def test_parquet_sink_validation_errors() -> None:
    def output(**section: Any) -> dict[str, Any]:
        return {"nodes": [named_node("n", {"format": "rate"}, {"format": "parquet", **section})]}

    assert problems(output()) == [
        ("nodes[0].output.path", "is required: the directory the files are written to")
    ]
    [(field, message)] = problems(output(path="/data/out", options={"format": "json"}))
    assert field == "nodes[0].output.options.format"
    assert "contradicts format: parquet" in message and "format: json" in message
    assert problems(output(path="/data/out", options={"format": "PARQUET"})) == []
    complete = {"nodes": [named_node("n", {"format": "rate"}, {"format": "parquet", "path": "/d"})]}
    complete["nodes"][0]["streaming"]["output_mode"] = "complete"
    [(field, message)] = problems(complete)
    assert field == "nodes[0].output" and "only supports append" in message


def test_parquet_source_validation_errors(tmp_path: Path) -> None:
    def source(**section: Any) -> dict[str, Any]:
        return {"nodes": [named_node("n", {"format": "parquet", **section}, {"format": "noop"})]}

    assert problems(source()) == [
        (
            "nodes[0].input.path",
            "is required: the directory (or glob) the source watches for new files",
        )
    ]
    [(field, message)] = problems(source(path="/data/in", options={"maxFilesPerTrigger": 0}))
    assert field == "nodes[0].input.options.maxFilesPerTrigger" and "positive whole number" in message
    found = problems(source(path="/data/in", parse_json=True))
    assert ("nodes[0].input.parse_json") in [field for field, _ in found]
    assert any("does not have" in message for _, message in found)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_named_format_validates_exactly_as_the_generic_names(fmt: str) -> None:
    """Same sections written both ways give the same problems (and none where both are fine)."""
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"path": "/data/in"}, {"path": "/data/in/out"}),
        ({"path": "/data/in", "options": {"cleanSource": "archive"}}, {"path": "/data/out"}),
        ({"path": "/data/in", "schema": "id BIGINT"}, {"path": "/data/out", "options": {"header": "yes"}}),
    ]
    for source, sink in cases:
        generic_source = {
            **source,
            "format": "file_stream",
            "options": {"format": fmt, **source.get("options", {})},
        }
        generic_sink = {**sink, "format": "file", "options": {"format": fmt, **sink.get("options", {})}}
        named = problems({"nodes": [named_node("n", {**source, "format": fmt}, {**sink, "format": fmt})]})
        generic = problems({"nodes": [named_node("n", generic_source, generic_sink)]})
        assert named == generic
