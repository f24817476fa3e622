"""The delta sink on the real local Spark: append, complete, table names, CDF tables, merges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tauro.streaming.exceptions import StreamingValidationError
from tauro.streaming.query_manager import StreamingQueryManager

from .helpers import history, rows, run_node, spool_node, spool_with


def test_append_then_restart_appends_only_new_rows(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    spool = spool_with(tmp_path / "spool", [{"id": 1, "name": "a", "amount": 1.0, "seq": 1}])
    table = tmp_path / "t"
    node = spool_node("append", tmp_path / "spool", {"format": "delta", "path": str(table)})
    run_node(context, node)
    spool.push([{"id": 2, "name": "b", "amount": 2.0, "seq": 1}])
    run_node(context, node)
    assert rows(spark, table) == [(1, "a", 1.0, 1), (2, "b", 2.0, 1)]
    operations = [h["operation"] for h in history(spark, table)]
    # A plain append to a path: Delta's sink creates the table with its first commit.
    assert operations == ["STREAMING UPDATE", "STREAMING UPDATE"]


def test_table_name_lives_under_the_warehouse_and_is_registered(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    spool_with(tmp_path / "spool", [{"id": 7, "name": "x", "amount": 0.5, "seq": 1}])
    node = spool_node("named", tmp_path / "spool", {"format": "delta", "table_name": "named_events"})
    run_node(context, node)
    location = Path(context.warehouse) / "named_events"
    assert (location / "_delta_log").is_dir()
    assert rows(spark, location) == [(7, "x", 0.5, 1)]
    assert [r["id"] for r in spark.table("named_events").collect()] == [7]
    spark.sql("DROP TABLE IF EXISTS named_events")  # the shared session's catalog: leave it clean


def test_warehouse_tables_are_registered_by_the_session_hook(context: Any, tmp_path: Path) -> None:
    from tauro_delta.tables import register_warehouse_tables

    spark = context.spark
    warehouse = Path(spark.conf.get("spark.sql.warehouse.dir").removeprefix("file:"))
    spark.range(3).write.format("delta").save(str(warehouse / "hook_registered"))
    try:
        assert "hook_registered" in register_warehouse_tables(spark)
        assert spark.table("hook_registered").count() == 3
    finally:
        spark.sql("DROP TABLE IF EXISTS hook_registered")


def test_complete_mode_replaces_the_aggregate(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    spool = spool_with(
        tmp_path / "spool",
        [{"id": 1, "name": "a", "amount": 1.0, "seq": 1}, {"id": 2, "name": "a", "amount": 2.0, "seq": 1}],
    )
    table = tmp_path / "agg"
    node = spool_node(
        "agg",
        tmp_path / "spool",
        {"format": "delta", "path": str(table)},
        transforms=["sum_by_name"],
        streaming={"trigger": {"type": "available_now"}, "output_mode": "complete"},
    )
    from tauro.streaming.transformations import TransformationRegistry

    TransformationRegistry.register(
        "sum_by_name",
        lambda df: df.groupBy("name").agg({"amount": "sum"}).withColumnRenamed("sum(amount)", "total"),
    )
    run_node(context, node)
    spool.push([{"id": 3, "name": "b", "amount": 5.0, "seq": 1}])
    run_node(context, node)
    assert rows(spark, table, "name") == [("a", 3.0), ("b", 5.0)]


def test_partitioned_table_with_change_data_feed_on(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    spool_with(tmp_path / "spool", [{"id": 1, "name": "a", "amount": 1.0, "seq": 1}])
    table = tmp_path / "cdf"
    output = {
        "format": "delta",
        "path": str(table),
        "partition_by": ["name"],
        "options": {"delta.enableChangeDataFeed": True},
    }
    run_node(context, spool_node("cdf_on", tmp_path / "spool", output))
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{table}`").collect()[0]
    assert detail["partitionColumns"] == ["name"]
    assert detail["properties"]["delta.enableChangeDataFeed"] == "true"


def test_new_columns_need_merge_schema(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    table = tmp_path / "evolve"
    spark.createDataFrame([(1, "a")], "id BIGINT, name STRING").write.format("delta").save(str(table))
    spool_with(tmp_path / "spool", [{"id": 2, "name": "b", "amount": 2.0, "seq": 1}])
    node = spool_node("evolve", tmp_path / "spool", {"format": "delta", "path": str(table)})
    with pytest.raises(StreamingValidationError) as caught:
        StreamingQueryManager(context).create_and_start_query(node, pipeline_name="delta")
    assert caught.value.field == "options.mergeSchema"
    assert "amount, seq" in caught.value.message
    node["output"]["options"] = {"mergeSchema": True}
    run_node(context, node)
    assert rows(spark, table) == [(1, "a", None, None), (2, "b", 2.0, 1)]


def test_merge_upserts_and_sequence_by_keeps_the_newest(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    spool = spool_with(
        tmp_path / "spool",
        [
            {"id": 1, "name": "a1", "amount": 1.0, "seq": 1},
            {"id": 1, "name": "a3", "amount": 3.0, "seq": 3},  # newest of the batch wins
            {"id": 1, "name": "a2", "amount": 2.0, "seq": 2},
            {"id": 2, "name": "b1", "amount": 1.0, "seq": 1},
        ],
    )
    table = tmp_path / "latest"
    output = {"format": "delta", "path": str(table), "options": {"merge_keys": ["id"], "sequence_by": "seq"}}
    node = spool_node("latest", tmp_path / "spool", output)
    run_node(context, node)
    assert rows(spark, table) == [(1, "a3", 3.0, 3), (2, "b1", 1.0, 1)]
    # A later batch: an older change of id 1 arrives late and must not overwrite the newer row.
    spool.push(
        [{"id": 1, "name": "late", "amount": 0.0, "seq": 2}, {"id": 2, "name": "b5", "amount": 5.0, "seq": 5}]
    )
    run_node(context, node)
    assert rows(spark, table) == [(1, "a3", 3.0, 3), (2, "b5", 5.0, 5)]


def test_replayed_merge_batch_is_skipped(context: Any, tmp_path: Path) -> None:
    """The MERGE carries txnAppId/txnVersion: running one batch id twice commits once."""
    from tauro_delta.merge import merge_batch

    spark = context.spark
    table = tmp_path / "idem"
    spark.createDataFrame([(1, 10)], "id BIGINT, total BIGINT").write.format("delta").save(str(table))
    batch = spark.createDataFrame([(1, 11), (2, 20)], "id BIGINT, total BIGINT")
    for _ in range(2):
        merge_batch(batch, 0, str(table), ["id"], [], False, "query-a")
    again = spark.createDataFrame([(1, 99)], "id BIGINT, total BIGINT")
    merge_batch(again, 0, str(table), ["id"], [], False, "query-a")  # a replay with other rows: skipped
    assert rows(spark, table) == [(1, 11), (2, 20)]
    merges = [h for h in history(spark, table) if h["operation"] == "MERGE"]
    assert len(merges) == 1
    assert spark.conf.get("spark.databricks.delta.write.txnAppId", None) is None  # unset afterwards
    merge_batch(again, 1, str(table), ["id"], [], False, "query-a")  # the next batch applies
    assert rows(spark, table) == [(1, 99), (2, 20)]


def test_replayed_stream_batch_commits_once_per_txn_version(context: Any, tmp_path: Path) -> None:
    """A restart after a crash between the merge commit and the checkpoint's commit file replays
    the batch: the table history keeps one MERGE per batch id."""
    import shutil

    spark = context.spark
    spool = spool_with(tmp_path / "spool", [{"id": 1, "name": "a", "amount": 1.0, "seq": 1}])
    table = tmp_path / "replay"
    checkpoint = tmp_path / "ck"
    output = {"format": "delta", "path": str(table), "options": {"merge_keys": "id"}}
    node = spool_node(
        "replay",
        tmp_path / "spool",
        output,
        streaming={"trigger": {"type": "available_now"}, "checkpoint_location": str(checkpoint)},
    )
    run_node(context, node)
    spool.push([{"id": 2, "name": "b", "amount": 2.0, "seq": 1}])
    run_node(context, node)
    commits = sorted(int(p.name) for p in (checkpoint / "commits").iterdir() if p.name.isdigit())
    last = commits[-1]
    # As if killed before Spark recorded the commit (the file and its checksum are gone).
    (checkpoint / "commits" / str(last)).unlink()
    (checkpoint / "commits" / f".{last}.crc").unlink(missing_ok=True)
    shutil.rmtree(checkpoint / "state", ignore_errors=True)
    run_node(context, node)
    assert rows(spark, table) == [(1, "a", 1.0, 1), (2, "b", 2.0, 1)]
    merges = [h for h in history(spark, table) if h["operation"] == "MERGE"]
    assert len(merges) == len(commits)


def test_change_data_feed_rows_are_applied_to_a_merge_sink(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    source = tmp_path / "source"
    spark.createDataFrame(
        [(1, "a", 1.0, 1), (2, "b", 2.0, 1), (3, "c", 3.0, 1)],
        "id BIGINT, name STRING, amount DOUBLE, seq BIGINT",
    ).write.format("delta").option("delta.enableChangeDataFeed", "true").save(str(source))
    target = tmp_path / "mirror"
    node = {
        "name": "mirror",
        "input": {"format": "delta_stream", "path": str(source), "options": {"startingVersion": 0}},
        "output": {"format": "delta", "path": str(target), "options": {"merge_keys": ["id"]}},
        "streaming": {"trigger": {"type": "available_now"}},
    }
    run_node(context, node)
    assert rows(spark, target) == [(1, "a", 1.0, 1), (2, "b", 2.0, 1), (3, "c", 3.0, 1)]
    spark.sql(f"UPDATE delta.`{source}` SET name = 'a2', seq = 2 WHERE id = 1")
    spark.sql(f"DELETE FROM delta.`{source}` WHERE id = 2")
    spark.sql(f"INSERT INTO delta.`{source}` VALUES (4, 'd', 4.0, 1)")
    spark.sql(f"UPDATE delta.`{source}` SET name = 'd2' WHERE id = 4")
    run_node(context, node)
    assert rows(spark, target) == rows(spark, source)
    assert rows(spark, target) == [(1, "a2", 1.0, 2), (3, "c", 3.0, 1), (4, "d2", 4.0, 1)]
    assert "_change_type" not in spark.read.format("delta").load(str(target)).columns


def test_write_batch_appends_dead_letters_once_per_batch(context: Any, tmp_path: Path) -> None:
    spark = context.spark
    spool_with(
        tmp_path / "spool",
        [{"value": '{"id": 1}'}, {"value": "not json"}, {"value": '{"id": 2}'}],
    )
    good, bad = tmp_path / "good", tmp_path / "bad"
    node = {
        "name": "dl",
        "input": {
            "format": "memory",
            "schema": "value STRING",
            "options": {"spool": str(tmp_path / "spool")},
            "parse_json": True,
            "json_schema": "id BIGINT",
            "dead_letter": {"format": "delta", "path": str(bad)},
        },
        "output": {"format": "delta", "path": str(good)},
        "streaming": {"trigger": {"type": "available_now"}},
    }
    run_node(context, node)
    assert rows(spark, good) == [(1,), (2,)]
    dead = spark.read.format("delta").load(str(bad)).collect()
    assert [r["payload"] for r in dead] == ["not json"]
    assert all(r["error"] for r in dead)
    # One append per batch into each table, each carrying the query's transaction id.
    assert [h["operation"] for h in history(spark, bad)] == ["WRITE"]


def test_change_rows_apply_newest_first_and_new_columns_are_added(context: Any, tmp_path: Path) -> None:
    from tauro_delta.merge import merge_batch

    spark = context.spark
    table = str(tmp_path / "target")
    spark.createDataFrame(
        [(1, "a", 5), (2, "b", 1), (3, "c", 1)], "id BIGINT, name STRING, seq BIGINT"
    ).write.format("delta").save(table)
    changes = spark.createDataFrame(
        [
            (1, "older", 4, None, "update_postimage", 7),  # older than the target row: ignored
            (2, "b2", 2, "x", "update_preimage", 7),  # pre-images are never applied
            (2, "b3", 3, "y", "update_postimage", 8),  # the newest change of id 2 wins
            (2, "b2", 2, "x", "update_postimage", 7),
            (3, "c", 9, None, "delete", 8),
            (4, "d", 1, "z", "insert", 8),
            (5, "gone", 1, None, "delete", 8),  # deleting what is not there inserts nothing
        ],
        "id BIGINT, name STRING, seq BIGINT, tag STRING, _change_type STRING, _commit_version BIGINT",
    )
    merge_batch(changes, 0, table, ["id"], ["seq"], True, "query-b")
    assert rows(spark, table) == [(1, "a", 5, None), (2, "b3", 3, "y"), (4, "d", 1, "z")]
    assert "_change_type" not in spark.read.format("delta").load(table).columns
