"""The delta and delta_stream sources on real tables; their preflight errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tauro.streaming.exceptions import StreamingValidationError
from tauro.streaming.query_manager import StreamingQueryManager

from .helpers import rows, run_node

SCHEMA = "id BIGINT, name STRING"


def _table(spark: Any, path: Path, data: list[tuple[Any, ...]], cdf: bool = False) -> None:
    writer = spark.createDataFrame(data, SCHEMA).write.format("delta").mode("append")
    if cdf:
        writer = writer.option("delta.enableChangeDataFeed", "true")
    writer.save(str(path))


def _copy_node(name: str, source: dict[str, Any], target: Path) -> dict[str, Any]:
    return {
        "name": name,
        "input": source,
        "output": {"format": "delta", "path": str(target)},
        "streaming": {"trigger": {"type": "available_now"}},
    }


def test_delta_source_streams_appended_rows_across_runs(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    source, target = tmp_path / "src", tmp_path / "dst"
    _table(spark, source, [(1, "a"), (2, "b")])
    node = _copy_node("copy", {"format": "delta", "path": str(source)}, target)
    run_node(context, node)
    _table(spark, source, [(3, "c")])
    run_node(context, node)
    assert rows(spark, target) == [(1, "a"), (2, "b"), (3, "c")]


def test_delta_source_by_table_name_with_starting_version_and_file_limit(
    context: Any, tmp_path: Path
) -> None:
    spark = context.spark
    location = Path(context.warehouse) / "source_named"
    for version in range(3):  # versions 0, 1, 2: one file each
        _table(spark, location, [(version, f"v{version}")])
    target = tmp_path / "dst"
    source = {
        "format": "delta",
        "table_name": "source_named",
        "options": {"startingVersion": 1, "maxFilesPerTrigger": 1},
    }
    query = run_node(context, _copy_node("named", source, target))
    assert rows(spark, target) == [(1, "v1"), (2, "v2")]
    batches = [p for p in query.recentProgress if p.numInputRows]
    assert [p.numInputRows for p in batches] == [1, 1]  # one file per trigger


def test_delta_source_skip_change_commits_ignores_updates(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    source, target = tmp_path / "src", tmp_path / "dst"
    _table(spark, source, [(1, "a")])
    node = _copy_node(
        "skip", {"format": "delta", "path": str(source), "options": {"skipChangeCommits": True}}, target
    )
    run_node(context, node)
    spark.sql(f"UPDATE delta.`{source}` SET name = 'a2' WHERE id = 1")
    _table(spark, source, [(2, "b")])
    run_node(context, node)
    assert rows(spark, target) == [(1, "a"), (2, "b")]


def test_delta_stream_reads_the_change_feed_with_change_columns(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    source, target = tmp_path / "src", tmp_path / "changes"
    _table(spark, source, [(1, "a"), (2, "b")], cdf=True)
    spark.sql(f"UPDATE delta.`{source}` SET name = 'a2' WHERE id = 1")
    spark.sql(f"DELETE FROM delta.`{source}` WHERE id = 2")
    node = _copy_node(
        "feed", {"format": "delta_stream", "path": str(source), "options": {"startingVersion": 1}}, target
    )
    run_node(context, node)
    changes = (
        spark.read.format("delta").load(str(target)).orderBy("_commit_version", "_change_type").collect()
    )
    assert [(r["id"], r["name"], r["_change_type"], r["_commit_version"]) for r in changes] == [
        (1, "a2", "update_postimage", 1),
        (1, "a", "update_preimage", 1),
        (2, "b", "delete", 2),
    ]


def test_delta_stream_seed_options_as_written_start_at_latest(context: Any, tmp_path: Path) -> None:
    """The seed's options (strings, readChangeFeed given, skipChangeCommits) work as written:
    a running stream starting at latest sees only the changes made after it started."""
    spark = context.spark
    source, target = tmp_path / "src", tmp_path / "changes"
    _table(spark, source, [(1, "old")], cdf=True)
    options = {"readChangeFeed": "true", "startingVersion": "latest", "skipChangeCommits": "false"}
    node = _copy_node("latest", {"format": "delta_stream", "path": str(source), "options": options}, target)
    node["streaming"] = {"trigger": {"type": "processing_time", "interval": "1 second"}}
    manager = StreamingQueryManager(context)
    query = manager.create_and_start_query(node, pipeline_name="delta")
    try:
        query.processAllAvailable()
        # Nothing before "latest": no batch wrote rows (a path table appears with its first commit).
        written = (target / "_delta_log").is_dir() and spark.read.format("delta").load(str(target)).count()
        assert not written
        _table(spark, source, [(2, "new")])
        query.processAllAvailable()
    finally:
        manager.stop_query(query)
    changes = spark.read.format("delta").load(str(target)).collect()
    assert [(r["id"], r["_change_type"]) for r in changes] == [(2, "insert")]


def test_delta_stream_starting_timestamp(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    source, target = tmp_path / "src", tmp_path / "changes"
    _table(spark, source, [(1, "a")], cdf=True)
    options = {"startingTimestamp": "2000-01-01"}
    run_node(
        context, _copy_node("ts", {"format": "delta_stream", "path": str(source), "options": options}, target)
    )
    assert [r["id"] for r in spark.read.format("delta").load(str(target)).collect()] == [1]


def _start_error(context: Any, node: dict[str, Any]) -> StreamingValidationError:
    with pytest.raises(StreamingValidationError) as caught:
        StreamingQueryManager(context).create_and_start_query(node, pipeline_name="delta")
    return caught.value


def test_missing_table_is_a_preflight_error(context: Any, tmp_path: Path) -> None:
    node = _copy_node("missing", {"format": "delta", "path": str(tmp_path / "nope")}, tmp_path / "dst")
    error = _start_error(context, node)
    assert error.field == "input.path"
    assert "there is no Delta table at" in error.message
    assert not (tmp_path / "dst").exists()  # nothing started, nothing written


def test_missing_table_by_name_names_the_table_name(context: Any, tmp_path: Path) -> None:
    node = _copy_node("missing", {"format": "delta_stream", "table_name": "never_made"}, tmp_path / "dst")
    error = _start_error(context, node)
    assert error.field == "input.table_name"
    assert "never_made" in error.message


def test_table_without_change_data_feed_names_the_fix(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    source = tmp_path / "src"
    _table(spark, source, [(1, "a")])
    error = _start_error(
        context, _copy_node("nocdf", {"format": "delta_stream", "path": str(source)}, tmp_path / "dst")
    )
    assert error.field == "input.path"
    assert "SET TBLPROPERTIES (delta.enableChangeDataFeed = true)" in error.message
    assert f"ALTER TABLE delta.`{source}`" in error.message
