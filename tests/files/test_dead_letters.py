"""parse_json over text files: malformed lines reach the dead-letter sink with their file;
``write_batch`` is idempotent per batch and refuses to overwrite another query's batches."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from pyspark.errors import StreamingQueryException
from pyspark.testing import assertDataFrameEqual

from tauro.builtin.writers import MemoryBatchStore
from tauro.plugin.preflight import QUERY_ID_PROPERTY
from tauro.streaming.exceptions import StreamingQueryError
from tauro.streaming.query_manager import StreamingQueryManager
from tauro_files.writer import FileStreamWriter

from .helpers import file_node, file_output, json_lines, run_node, spark_file

JSON_SCHEMA = "user STRING, n INT"


def text_json_node(
    name: str, source: Path, output: dict[str, Any], dead_letter: dict[str, Any]
) -> dict[str, Any]:
    return file_node(
        name,
        source,
        "text",
        options={"include_source_file": True},
        parse_json=True,
        json_schema=JSON_SCHEMA,
        dead_letter=dead_letter,
        output=output,
    )


def test_malformed_lines_reach_the_memory_dead_letter_sink_with_their_file(
    context: Any, tmp_path: Path
) -> None:
    MemoryBatchStore.clear("file_dead")
    good = json_lines(tmp_path / "in" / "good.json", ['{"user": "a", "n": 1}', '{"user": "b", "n": 2}'])
    bad = json_lines(
        tmp_path / "in" / "bad.json", ['{"user": "c", "n": 3}', "not json", '{"user": "d", "n": "x"}']
    )
    out = tmp_path / "out"
    node = text_json_node(
        "dl", tmp_path / "in", file_output(out, "parquet"), {"format": "memory", "table_name": "file_dead"}
    )
    manager = StreamingQueryManager(context)
    query = manager.create_and_start_query(node, pipeline_name="dlp")
    try:
        query.awaitTermination(180)
    finally:
        manager.stop_query(query)
    dead = sorted(MemoryBatchStore.rows("file_dead"), key=lambda r: r["payload"])
    assert [(r["payload"], r["source_file"]) for r in dead] == [
        ("not json", spark_file(bad)),
        ('{"user": "d", "n": "x"}', spark_file(bad)),
    ]
    assert dead[0]["error"].startswith("not valid JSON")
    assert dead[1]["error"].startswith("field 'n' should be integer")
    assert manager.list_queries()[0]["dead_letters"] == 2
    spark = context.spark
    # Good rows went through the file writer's write_batch: <out>/batch_id=0/.
    expected = spark.createDataFrame(
        [("a", 1, spark_file(good), 0), ("b", 2, spark_file(good), 0), ("c", 3, spark_file(bad), 0)],
        "user STRING, n INT, source_file STRING, batch_id INT",
    )
    assertDataFrameEqual(spark.read.parquet(str(out)), expected)
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["batch_id=0"]


def test_dead_letters_written_as_json_files(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    bad = json_lines(tmp_path / "in" / "a.json", ['{"user": "a", "n": 1}', "[1, 2]"])
    dead = tmp_path / "dead"
    node = text_json_node(
        "dlfile", tmp_path / "in", file_output(tmp_path / "out", "json"), file_output(dead, "json")
    )
    run_node(context, node)
    rows = spark.read.json(str(dead)).collect()
    assert [(r.payload, r.error, r.source_file, r.batch_id, r.node) for r in rows] == [
        ("[1, 2]", "expected a JSON object, got list", spark_file(bad), 0, "dlfile")
    ]


def test_write_batch_replaces_a_replayed_batch(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    writer = FileStreamWriter(context)
    options = {"path": str(tmp_path / "out"), "format": "parquet"}
    writer.write_batch(spark.createDataFrame([(1, "first attempt")], "id INT, v STRING"), 4, **options)
    writer.write_batch(
        spark.createDataFrame([(1, "replay"), (2, "replay")], "id INT, v STRING"), 4, **options
    )
    writer.write_batch(spark.createDataFrame([(3, "next")], "id INT, v STRING"), 5, **options)
    expected = spark.createDataFrame(
        [(1, "replay", 4), (2, "replay", 4), (3, "next", 5)], "id INT, v STRING, batch_id INT"
    )
    assertDataFrameEqual(spark.read.parquet(options["path"]), expected)


def test_write_batch_refuses_a_batch_of_another_query(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    sc = spark.sparkContext
    writer = FileStreamWriter(context)
    options = {"path": str(tmp_path / "out"), "format": "json"}
    df = spark.createDataFrame([(1,)], "id INT")
    try:
        # The property Spark sets on the thread running a micro-batch of query "q-one".
        sc.setLocalProperty(QUERY_ID_PROPERTY, "q-one")
        writer.write_batch(df, 0, **options)
        writer.write_batch(df, 0, **options)  # its own replay is fine
        sc.setLocalProperty(QUERY_ID_PROPERTY, "q-two")
        with pytest.raises(StreamingQueryError, match="holds batch 0 of query q-one"):
            writer.write_batch(df, 0, **options)
        writer.write_batch(df, 1, **options)  # a batch nobody wrote yet
    finally:
        sc.setLocalProperty(QUERY_ID_PROPERTY, None)  # type: ignore[arg-type]
    assert sorted(r.batch_id for r in spark.read.json(options["path"]).collect()) == [0, 1]


def test_a_reset_checkpoint_cannot_overwrite_earlier_dead_letters(context: Any, tmp_path: Path) -> None:
    dead = tmp_path / "dead"
    checkpoint = tmp_path / "cp"

    def node() -> dict[str, Any]:
        spec = text_json_node(
            "reset", tmp_path / "in", file_output(tmp_path / "out", "json"), file_output(dead, "json")
        )
        spec["streaming"]["checkpoint_location"] = str(checkpoint)
        return spec

    json_lines(tmp_path / "in" / "a.json", ["broken {"])
    run_node(context, node())
    shutil.rmtree(checkpoint)  # the next query has a new id and starts again at batch 0
    manager = StreamingQueryManager(context)
    query = manager.create_and_start_query(node(), pipeline_name="files")
    try:
        with pytest.raises(StreamingQueryException, match="holds batch 0 of query"):
            query.awaitTermination(180)
    finally:
        manager.stop_query(query)
    assert [r.payload for r in context.spark.read.json(str(dead)).collect()] == ["broken {"]
