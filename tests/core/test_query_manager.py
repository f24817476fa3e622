from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import functions as F

from tauro.builtin.writers import MemoryBatchStore
from tauro.checkpoints import resolve_checkpoint
from tauro.durations import spark_interval
from tauro.streaming.exceptions import StreamingError, StreamingQueryError, StreamingValidationError
from tauro.streaming.query_manager import StreamingQueryManager, default_query_name

from .streams import Collected, memory_node, register, spool_with


def run_to_end(query: Any) -> None:
    try:
        query.awaitTermination(120)
    finally:
        query.stop()


def test_seed_rate_source_example(context: Any, tmp_path: Path) -> None:
    # The seed's "Using Rate Source for Testing", driven without sleeping.
    test_config = {
        "name": "rate_test",
        "input": {"format": "rate", "options": {"rowsPerSecond": "100", "numPartitions": "4"}},
        "output": {"format": "memory"},
        "streaming": {
            "trigger": {"type": "processing_time", "interval": "1 second"},
            "checkpoint_location": str(tmp_path / "test_checkpoint"),
        },
    }
    sqm = StreamingQueryManager(context)
    query = sqm.create_and_start_query(test_config)
    try:
        query.processAllAvailable()
        assert query.lastProgress is not None  # at least one batch ran
        assert query.name == "rate_test"
        assert query.isActive
        assert [q["node"] for q in sqm.list_queries()] == ["rate_test"]
    finally:
        assert sqm.stop_query(query, timeout=30)
    assert not query.isActive
    assert context.spark.table("rate_test").columns == ["timestamp", "value"]  # the memory sink's table


def test_dict_context_from_the_seed(spark: Any, tmp_path: Path) -> None:
    spool = spool_with(tmp_path / "spool", [{"id": 1, "value": "a"}])
    out = Collected("dict_ctx_sink")
    sqm = StreamingQueryManager({"spark": spark, "checkpoint_base": str(tmp_path / "cp")})
    query = sqm.create_and_start_query(
        memory_node("n", spool.path, output=out.output), execution_id="exec-001"
    )
    run_to_end(query)
    assert out.ids() == [1]
    assert Path(tmp_path / "cp" / "_queries" / "n").is_dir()


def test_order_parse_watermark_transforms_function(context: Any, tmp_path: Path) -> None:
    spool = spool_with(
        tmp_path / "spool",
        [
            {"id": 1, "value": json.dumps({"user": "a", "n": 2, "ts": "2026-01-01T00:00:00Z"})},
            {"id": 2, "value": json.dumps({"user": "b", "n": 5, "ts": "2026-01-01T00:00:01Z"})},
        ],
    )
    seen: list[list[str]] = []

    def double(df: Any) -> Any:
        seen.append(df.columns)
        return df.withColumn("n", F.col("n") * 2)

    def keep_big(df: Any, config: dict[str, Any]) -> Any:
        return df.where(F.col("n") >= config["min"])

    register("double", double)
    register("keep_big", keep_big)
    out = Collected("order_sink")
    node = memory_node("parsed", spool.path, output=out.output)
    node["input"].update(
        parse_json=True,
        json_schema="user STRING, n INT, ts TIMESTAMP",
        watermark={"column": "ts", "delay": "1 minute"},
    )
    node.update(transforms=["double"], function={"key": "keep_big", "params": {"min": 5}})
    query = StreamingQueryManager(context).create_and_start_query(node, pipeline_name="p")
    run_to_end(query)
    assert seen == [["user", "n", "ts"]]
    assert [(r["user"], r["n"]) for r in out.rows()] == [("b", 10)]
    assert query.name == "p__parsed"


def test_default_query_names_are_spark_safe() -> None:
    assert default_query_name("silver.events", "my-pipe") == "my_pipe__silver_events"


def test_seed_parse_json_twice_gets_a_clear_error(context: Any, tmp_path: Path) -> None:
    # The seed's end-to-end transform parses `value` again after parse_json already did.
    spool = spool_with(tmp_path / "spool", [{"id": 1, "value": "{}"}])

    def parse_and_enrich(df: Any) -> Any:
        return df.select(F.from_json(F.col("value"), "a STRING").alias("data")).select("data.*")

    register("parse_and_enrich", parse_and_enrich)
    node = memory_node("twice", spool.path, transforms=["parse_and_enrich"])
    node["input"].update(parse_json=True, json_schema="user_id STRING")
    before = {q.id for q in context.spark.streams.active}
    with pytest.raises(StreamingQueryError, match="parse_json already turned 'value' into columns") as info:
        StreamingQueryManager(context).create_and_start_query(node)
    assert info.value.context["field"] == "transforms[0]"
    assert {q.id for q in context.spark.streams.active} == before


def test_malformed_json_goes_to_the_dead_letter_sink(context: Any, tmp_path: Path) -> None:
    MemoryBatchStore.clear("dead")
    spool = spool_with(
        tmp_path / "spool",
        [
            {"id": 1, "value": '{"user": "a", "n": 1}'},
            {"id": 2, "value": "not json"},
            {"id": 3, "value": '{"user": "c", "n": "three"}'},
            {"id": 4, "value": '{"user": "d", "n": 4}'},
        ],
    )
    out = Collected("good_rows")
    node = memory_node("dl", spool.path, output=out.output)
    node["input"].update(
        parse_json=True,
        json_schema="user STRING, n INT",
        dead_letter={"format": "memory", "table_name": "dead"},
    )
    sqm = StreamingQueryManager(context)
    query = sqm.create_and_start_query(node, pipeline_name="dlp")
    run_to_end(query)
    assert sorted((r["user"], r["n"]) for r in out.rows()) == [("a", 1), ("d", 4)]
    dead = sorted(MemoryBatchStore.rows("dead"), key=lambda r: r["payload"])
    assert [r["payload"] for r in dead] == ["not json", '{"user": "c", "n": "three"}']
    assert dead[0]["error"].startswith("not valid JSON")
    assert dead[1]["error"].startswith("field 'n' should be integer")
    assert {r["batch_id"] for r in dead} == {0} and {r["node"] for r in dead} == {"dl"}
    assert sqm.list_queries()[0]["dead_letters"] == 2


def test_restart_resumes_from_the_stable_checkpoint(context: Any, tmp_path: Path) -> None:
    spool = spool_with(tmp_path / "spool", [{"id": 1, "value": "a"}, {"id": 2, "value": "b"}])
    out = Collected("resume_sink")
    sqm = StreamingQueryManager(context)
    run_to_end(
        sqm.create_and_start_query(memory_node("resume", spool.path, output=out.output), pipeline_name="r")
    )
    spool.push([{"id": 3, "value": "c"}])
    run_to_end(
        sqm.create_and_start_query(memory_node("resume", spool.path, output=out.output), pipeline_name="r")
    )
    assert out.ids() == [1, 2, 3]  # committed rows were not read again
    expected = resolve_checkpoint("resume", "r", None, None, context.checkpoint_base)
    assert Path(expected, "commits").is_dir()


def test_restart_after_a_kill_during_the_first_offsets_write(context: Any, tmp_path: Path) -> None:
    # A run SIGKILLed while Spark wrote its first offsets entry leaves the temp file beside the
    # query id; Spark alone then refuses batch 0 (checkpoint location should be empty).
    spool = spool_with(tmp_path / "spool", [{"id": 1, "value": "a"}])
    checkpoint = Path(resolve_checkpoint("killed", "k", None, None, context.checkpoint_base))
    (checkpoint / "offsets").mkdir(parents=True)
    query_id = "7d0c5bc4-5b1e-4c38-9a53-0a4f8f1f2a10"
    (checkpoint / "metadata").write_text(json.dumps({"id": query_id}) + "\n")
    offsets = checkpoint / "offsets"
    leftovers = [offsets / f".0.{query_id}.tmp", offsets / f"..0.{query_id}.tmp.crc"]
    for leftover in leftovers:
        leftover.write_text("v1\n{")
    out = Collected("killed_sink")
    query = StreamingQueryManager(context).create_and_start_query(
        memory_node("killed", spool.path, output=out.output), pipeline_name="k"
    )
    run_to_end(query)
    assert out.ids() == [1]
    assert str(query.id) == query_id  # the id the killed run had, kept
    assert not any(leftover.exists() for leftover in leftovers)
    assert (checkpoint / "commits" / "0").is_file()


def test_failure_after_start_stops_the_query_and_releases_the_lock(context: Any, tmp_path: Path) -> None:
    spool = spool_with(tmp_path / "spool", [{"id": 1, "value": "a"}])
    sqm = StreamingQueryManager(context)
    node = memory_node(
        "dup",
        spool.path,
        streaming={"trigger": {"type": "processing_time", "interval": "1 second"}, "query_name": "dup_name"},
    )
    first = sqm.create_and_start_query(node, pipeline_name="one")
    try:
        with pytest.raises(StreamingQueryError, match="already active"):
            sqm.create_and_start_query({**node, "name": "dup2"}, pipeline_name="two")
    finally:
        sqm.stop_query(first)
    # The lock of the refused start was released: the node can start now.
    second = sqm.create_and_start_query({**node, "name": "dup2"}, pipeline_name="two")
    sqm.stop_query(second)


def test_validation_errors_raise_before_anything_starts(context: Any) -> None:
    before = {q.id for q in context.spark.streams.active}
    with pytest.raises(StreamingValidationError) as info:
        StreamingQueryManager(context).create_and_start_query({"name": "x", "input": {"format": "rate"}})
    assert info.value.field == "output"
    assert {q.id for q in context.spark.streams.active} == before


def test_a_second_process_on_the_same_checkpoint_is_refused(context: Any, tmp_path: Path) -> None:
    spool = spool_with(tmp_path / "spool", [{"id": 1, "value": "a"}])
    checkpoint = tmp_path / "shared-cp"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from tauro.checkpoints import CheckpointLock;"
            f"l = CheckpointLock({str(checkpoint)!r}, execution_id='other-run', query_name='q'); l.acquire();"
            "print('locked', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        node = memory_node(
            "locked",
            spool.path,
            streaming={"trigger": {"type": "available_now"}, "checkpoint_location": str(checkpoint)},
        )
        with pytest.raises(StreamingError) as info:
            StreamingQueryManager(context).create_and_start_query(node)
        assert f"pid {holder.pid}" in str(info.value) and "other-run" in str(info.value)
    finally:
        holder.kill()
        holder.wait(30)
    query = StreamingQueryManager(context).create_and_start_query(node)  # the kernel freed the lock
    run_to_end(query)


@pytest.mark.parametrize(
    ("interval", "delay"), [("500 ms", "30s"), ("2s", "5 min"), ("1.5 seconds", "1 hr"), ("0 seconds", "10s")]
)
def test_every_accepted_duration_spelling_starts_on_spark(
    context: Any, tmp_path: Path, interval: str, delay: str
) -> None:
    # The validator accepts these; Spark's own interval parser would refuse most of them.
    node = {
        "name": "spelled",
        "input": {
            "format": "rate",
            "options": {"rowsPerSecond": "10"},
            "watermark": {"column": "timestamp", "delay": delay},
        },
        "output": {"format": "noop"},
        "streaming": {
            "trigger": {"type": "processing_time", "interval": interval},
            "checkpoint_location": str(tmp_path / "cp"),
        },
    }
    sqm = StreamingQueryManager(context)
    query = sqm.create_and_start_query(node)
    try:
        assert query.isActive
        assert query.exception() is None
    finally:
        assert sqm.stop_query(query, timeout=30)


def test_spark_intervals_for_every_duration_spelling() -> None:
    assert spark_interval("500 ms") == "500 milliseconds"
    assert spark_interval("30s") == "30 seconds"
    assert spark_interval("5 min") == "300 seconds"
    assert spark_interval("1.5 h") == "5400 seconds"
