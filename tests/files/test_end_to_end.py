"""file_stream -> file on the real local Spark, driven with available_now."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pyspark.testing import assertDataFrameEqual

from tauro.streaming.exceptions import StreamingValidationError
from tauro.streaming.pipeline_manager import StreamingPipelineManager
from tauro.streaming.query_manager import StreamingQueryManager

from .helpers import csv_file, file_node, file_output, json_lines, run_node, spark_file

SCHEMA = "id BIGINT, name STRING, amount DOUBLE"


def test_json_to_parquet(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    json_lines(tmp_path / "in" / "a.json", [{"id": 1, "name": "a", "amount": 1.5}, {"id": 2, "name": "b"}])
    json_lines(tmp_path / "in" / "b.json", [{"id": 3, "name": "c", "amount": 3.0}])
    out = tmp_path / "out"
    node = file_node("j2p", tmp_path / "in", "json", schema=SCHEMA, output=file_output(out, "parquet"))
    query = run_node(context, node)
    assert sum(p["numInputRows"] for p in query.recentProgress) == 3
    expected = spark.createDataFrame([(1, "a", 1.5), (2, "b", None), (3, "c", 3.0)], SCHEMA)
    assertDataFrameEqual(spark.read.parquet(str(out)), expected)
    assert (out / "_spark_metadata").is_dir()  # Spark's exactly-once file sink


def test_csv_to_json_with_source_file_through_the_pipeline_manager(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    source = csv_file(
        tmp_path / "in" / "people.csv", ["id", "name", "amount"], [[1, "ann", 2.5], [2, "bob", 4.0]]
    )
    out = tmp_path / "out"
    node = file_node(
        "c2j",
        tmp_path / "in",
        "csv",
        schema=SCHEMA,
        options={"header": True, "include_source_file": True},
        output=file_output(out, "json", partition_by=["name"]),
    )
    manager = StreamingPipelineManager(context, monitor_interval=0.5)
    try:
        execution_id = manager.start_pipeline("csv_pipe", {"nodes": [node]})
        status = manager.wait(execution_id, timeout=180)
        assert status["status"] == "completed", status
        assert status["query_statuses"]["c2j"]["state"] == "completed", status
    finally:
        manager.shutdown(timeout=30)
    assert sorted(p.name for p in out.iterdir() if p.is_dir() and "=" in p.name) == ["name=ann", "name=bob"]
    expected = spark.createDataFrame(
        [(1, 2.5, spark_file(source), "ann"), (2, 4.0, spark_file(source), "bob")],
        "id BIGINT, amount DOUBLE, source_file STRING, name STRING",
    )
    actual = spark.read.schema("id BIGINT, amount DOUBLE, source_file STRING, name STRING").json(str(out))
    assertDataFrameEqual(actual, expected)


def test_parquet_schema_comes_from_the_files(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    data = spark.createDataFrame([(1, "x"), (2, "y")], "id BIGINT, tag STRING")
    data.coalesce(1).write.parquet(str(tmp_path / "in"))
    out = tmp_path / "out"
    run_node(
        context,
        file_node(
            "p2c", tmp_path / "in", "parquet", output=file_output(out, "csv", options={"header": True})
        ),
    )
    assertDataFrameEqual(
        spark.read.schema("id BIGINT, tag STRING").option("header", True).csv(str(out)), data
    )


def test_json_infer_schema(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    json_lines(tmp_path / "in" / "a.json", [{"id": 7, "tags": ["x", "y"]}])
    out = tmp_path / "out"
    node = file_node(
        "infer", tmp_path / "in", "json", options={"infer_schema": True}, output=file_output(out, "parquet")
    )
    run_node(context, node)
    actual = spark.read.parquet(str(out))
    assert actual.schema.simpleString() == "struct<id:bigint,tags:array<string>>"
    assert [(r.id, r.tags) for r in actual.collect()] == [(7, ["x", "y"])]


def test_infer_schema_of_an_empty_directory_is_a_clear_error(context: Any, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    node = file_node("empty", tmp_path / "in", "parquet", output=file_output(tmp_path / "out", "parquet"))
    with pytest.raises(
        StreamingValidationError, match="cannot infer the schema of the parquet files"
    ) as info:
        StreamingQueryManager(context).create_and_start_query(node)
    assert info.value.field == "schema"


def test_avro_round_trip(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    data = spark.createDataFrame([(1, "x"), (2, "y")], "id BIGINT, tag STRING")
    data.write.format("avro").save(str(tmp_path / "in"))
    out = tmp_path / "out"
    run_node(context, file_node("avro", tmp_path / "in", "avro", output=file_output(out, "avro")))
    assertDataFrameEqual(spark.read.format("avro").load(str(out)), data)


def test_orc_and_text(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "lines.txt").write_text("first\nsecond\n")
    out = tmp_path / "out"
    run_node(context, file_node("txt", tmp_path / "in", "text", output=file_output(out, "orc")))
    assertDataFrameEqual(
        spark.read.orc(str(out)), spark.createDataFrame([("first",), ("second",)], "value STRING")
    )


def test_missing_schema_fails_before_anything_starts(context: Any, tmp_path: Path) -> None:
    json_lines(tmp_path / "in" / "a.json", [{"id": 1}])
    node = file_node("noschema", tmp_path / "in", "json", output=file_output(tmp_path / "out", "parquet"))
    before = {q.id for q in context.spark.streams.active}
    with pytest.raises(StreamingValidationError) as info:
        StreamingQueryManager(context).create_and_start_query(node)
    assert info.value.field == "input.schema"
    assert "is required for options.format json" in str(info.value)
    assert "infer_schema: true" in str(info.value)
    assert {q.id for q in context.spark.streams.active} == before
    assert not (tmp_path / "out").exists()


def test_missing_source_directory_is_a_preflight_error(context: Any, tmp_path: Path) -> None:
    node = file_node(
        "nodir", tmp_path / "absent", "json", schema=SCHEMA, output=file_output(tmp_path / "o", "json")
    )
    with pytest.raises(StreamingValidationError, match="does not exist; create the directory") as info:
        StreamingQueryManager(context).create_and_start_query(node)
    assert info.value.field == "input.path"


def test_max_files_per_trigger_is_passed_to_spark(context: Any, tmp_path: Path) -> None:
    for i in range(3):
        json_lines(tmp_path / "in" / f"{i}.json", [{"id": i, "name": str(i)}])
    node = file_node(
        "limited",
        tmp_path / "in",
        "json",
        schema=SCHEMA,
        options={"maxFilesPerTrigger": 1},
        output=file_output(tmp_path / "out", "parquet"),
    )
    query = run_node(context, node)
    assert [p["numInputRows"] for p in query.recentProgress if p["numInputRows"]] == [1, 1, 1]


def test_restart_reads_only_new_files_and_the_sink_has_no_duplicates(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    out = tmp_path / "out"

    def node() -> dict[str, Any]:
        return file_node(
            "restart", tmp_path / "in", "json", schema=SCHEMA, output=file_output(out, "parquet")
        )

    json_lines(tmp_path / "in" / "a.json", [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
    first = run_node(context, node())
    json_lines(tmp_path / "in" / "b.json", [{"id": 3, "name": "c"}])
    second = run_node(context, node())
    third = run_node(context, node())  # nothing new
    assert first.id == second.id == third.id  # one checkpoint, resumed each time
    assert [sum(p["numInputRows"] for p in q.recentProgress) for q in (first, second, third)] == [2, 1, 0]
    expected = spark.createDataFrame([(1, "a", None), (2, "b", None), (3, "c", None)], SCHEMA)
    assertDataFrameEqual(spark.read.parquet(str(out)), expected)


def test_clean_source_archive_moves_processed_files(context: Any, tmp_path: Path) -> None:
    source, archive = tmp_path / "in", tmp_path / "archive"
    out = tmp_path / "out"

    def node() -> dict[str, Any]:
        options = {"cleanSource": "archive", "sourceArchiveDir": str(archive)}
        return file_node(
            "archived", source, "json", schema=SCHEMA, options=options, output=file_output(out, "json")
        )

    a = json_lines(source / "a.json", [{"id": 1, "name": "a"}])
    run_node(context, node())
    # Spark cleans a batch's files when it plans the next batch: a.json is still there.
    assert a.exists()
    b = json_lines(source / "b.json", [{"id": 2, "name": "b"}])
    run_node(context, node())
    assert not a.exists()
    assert (archive / str(a).lstrip("/")).read_text() == '{"id": 1, "name": "a"}\n'
    assert b.exists()  # the last batch's files wait for the next batch
    assert sorted(r.id for r in context.spark.read.schema(SCHEMA).json(str(out)).collect()) == [1, 2]


def test_clean_source_delete(context: Any, tmp_path: Path) -> None:
    source = tmp_path / "in"

    def node() -> dict[str, Any]:
        return file_node(
            "deleted",
            source,
            "json",
            schema=SCHEMA,
            options={"cleanSource": "delete"},
            output=file_output(tmp_path / "out", "json"),
        )

    a = json_lines(source / "a.json", [{"id": 1, "name": "a"}])
    run_node(context, node())
    json_lines(source / "b.json", [{"id": 2, "name": "b"}])
    run_node(context, node())
    assert not a.exists()
    assert sorted(p.name for p in source.iterdir()) == ["b.json"]


def test_parse_json_over_text_keeps_the_source_file(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    source = json_lines(tmp_path / "in" / "a.json", ['{"user": "a", "n": 1}', "oops"])
    out = tmp_path / "out"
    node = file_node(
        "parsed",
        tmp_path / "in",
        "text",
        options={"include_source_file": True},
        parse_json=True,
        json_schema="user STRING, n INT",
        output=file_output(out, "parquet"),
    )
    run_node(context, node)
    # Without a dead-letter sink a malformed line becomes nulls (Spark's from_json behaviour).
    expected = spark.createDataFrame(
        [("a", 1, spark_file(source)), (None, None, spark_file(source))],
        "user STRING, n INT, source_file STRING",
    )
    assertDataFrameEqual(spark.read.parquet(str(out)), expected)


def test_avro_without_the_package_is_a_preflight_error(context: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tauro_files import spark_checks

    spark_checks.require_format_available(context.spark, "avro")  # this session has the package
    # A class the JVM really does not have, as in a session started without spark-avro.
    monkeypatch.setattr(spark_checks, "AVRO_CLASS", "org.apache.spark.sql.avro.NotThere")
    with pytest.raises(StreamingValidationError, match="spark-avro_2.13:4.2.0") as info:
        spark_checks.require_format_available(context.spark, "avro")
    assert info.value.field == "options.format"


def _codecs(out: Path) -> set[str]:
    """The compression of each parquet file written: ``part-...c000.<codec>.parquet``."""
    return {p.name.split(".")[-2] for p in out.rglob("*.parquet")}


def test_streaming_options_are_set_on_the_query_and_the_outputs_own_win(context: Any, tmp_path: Path) -> None:
    json_lines(tmp_path / "in" / "a.json", [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
    query_level = {"compression": "gzip"}

    node = file_node(
        "so", tmp_path / "in", "json", schema=SCHEMA, output=file_output(tmp_path / "gz", "parquet")
    )
    node["streaming"]["options"] = query_level
    run_node(context, node)
    assert _codecs(tmp_path / "gz") == {"gz"}
    assert context.spark.read.parquet(str(tmp_path / "gz")).count() == 2

    output = file_output(tmp_path / "zstd", "parquet", options={"compression": "zstd"})
    node = file_node("so_out", tmp_path / "in", "json", schema=SCHEMA, output=output)
    node["streaming"]["options"] = query_level
    run_node(context, node)
    assert _codecs(tmp_path / "zstd") == {"zstd"}

    # A node whose rows are written per batch (dead letters) keeps the query options on its
    # query: the batch writes get the output's options only.
    json_lines(tmp_path / "text" / "a.json", ['{"id": 1, "name": "a"}', "not json"])
    node = file_node(
        "so_batches",
        tmp_path / "text",
        "text",
        parse_json=True,
        json_schema="id BIGINT, name STRING",
        dead_letter=file_output(tmp_path / "dead", "json"),
        output=file_output(tmp_path / "batches", "parquet"),
    )
    node["streaming"]["options"] = query_level
    run_node(context, node)
    assert _codecs(tmp_path / "batches") == {"snappy"}
    assert context.spark.read.parquet(str(tmp_path / "batches")).count() == 1
