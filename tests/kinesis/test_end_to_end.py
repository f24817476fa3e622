"""kinesis -> foreachBatch on the real local Spark against kinesis-mock, driven with available_now."""

from __future__ import annotations

import json
from typing import Any

from tauro.events import QueryProgressEvent
from tauro.streaming.pipeline_manager import StreamingPipelineManager

from .emulators import client, create_stream, put_json
from .helpers import JSON_SCHEMA, Collected, kinesis_node, run_node


def rows(first: int, count: int) -> list[dict[str, Any]]:
    return [{"id": i, "name": f"n{i}"} for i in range(first, first + count)]


def test_three_shards_raw_columns(context: Any, kinesis_endpoint: str) -> None:
    stream = create_stream(kinesis_endpoint, shards=3)
    put_json(kinesis_endpoint, stream, rows(0, 300))
    sink = Collected()
    query = run_node(context, kinesis_node("raw", kinesis_endpoint, stream, sink.output))
    assert sink.ids() == list(range(300))
    assert sum(p["numInputRows"] for p in query.recentProgress) == 300
    got = sink.rows()
    assert {r["shardId"] for r in got} == {f"shardId-00000000000{i}" for i in range(3)}
    assert {r["streamName"] for r in got} == {stream}
    first = got[0]
    assert first["partitionKey"] == str(json.loads(bytes(first["data"]))["id"])
    assert first["sequenceNumber"].isdigit()
    assert first["approximateArrivalTimestamp"] is not None
    # Within a shard, records come in sequence-number order.
    for shard in {r["shardId"] for r in got}:
        sequence = [int(r["sequenceNumber"]) for r in got if r["shardId"] == shard]
        assert sequence == sorted(sequence)


def test_parse_json_with_dead_letters_through_the_pipeline_manager(
    context: Any, kinesis_endpoint: str
) -> None:
    from tauro.builtin.writers import MemoryBatchStore

    stream = create_stream(kinesis_endpoint, shards=2)
    put_json(kinesis_endpoint, stream, rows(0, 20))
    kinesis = client(kinesis_endpoint)
    kinesis.put_record(StreamName=stream, Data=b"not json", PartitionKey="bad1")
    kinesis.put_record(StreamName=stream, Data=b'{"id": "x", "name": "wrong type"}', PartitionKey="bad2")
    table = f"kinesis_dead_{stream.replace('-', '_')}"
    MemoryBatchStore.clear(table)
    sink = Collected()
    node = kinesis_node(
        "parsed",
        kinesis_endpoint,
        stream,
        sink.output,
        parse_json=True,
        json_schema=JSON_SCHEMA,
        dead_letter={"format": "memory", "table_name": table},
    )
    manager = StreamingPipelineManager(context, monitor_interval=0.5)
    try:
        execution_id = manager.start_pipeline("kinesis_json", {"nodes": [node]})
        status = manager.wait(execution_id, timeout=240)
        assert status["status"] == "completed", status
    finally:
        manager.shutdown(timeout=30)
    assert sink.ids() == list(range(20))
    assert {tuple(r.asDict()) for r in sink.rows()} == {("id", "name")}
    dead = sorted(MemoryBatchStore.rows(table), key=lambda r: r["payload"])
    assert [(r["payload"], r["error"]) for r in dead] == [
        ("not json", "not valid JSON: Expecting value at line 1 column 1"),
        ('{"id": "x", "name": "wrong type"}', "field 'id' should be long, got str 'x'"),
    ]
    # The reader's metadata columns travel with each dead letter.
    assert all(r["streamName"] == stream and r["sequenceNumber"].isdigit() for r in dead)
    assert {r["shardId"] for r in dead} <= {"shardId-000000000000", "shardId-000000000001"}


def test_max_records_per_shard_bounds_each_batch(context: Any, kinesis_endpoint: str) -> None:
    stream = create_stream(kinesis_endpoint, shards=1)
    put_json(kinesis_endpoint, stream, rows(0, 25))
    sink = Collected()
    node = kinesis_node("limited", kinesis_endpoint, stream, sink.output, options={"maxRecordsPerShard": 10})
    query = run_node(context, node)
    assert [p["numInputRows"] for p in query.recentProgress if p["numInputRows"]] == [10, 10, 5]
    assert sink.ids() == list(range(25))
    # Each batch is one contiguous, ordered slice of the shard.
    assert [
        [json.loads(bytes(r["data"]))["id"] for r in sink.batches[b]]
        for b in sorted(sink.batches)
        if sink.batches[b]
    ] == [
        list(range(0, 10)),
        list(range(10, 20)),
        list(range(20, 25)),
    ]


def test_parsed_records_land_in_parquet_files_exactly_once_across_runs(
    context: Any, kinesis_endpoint: str, tmp_path: Any
) -> None:
    spark = context.spark
    stream = create_stream(kinesis_endpoint, shards=2)
    out = tmp_path / "out"

    def node() -> dict[str, Any]:
        output = {"format": "file", "path": str(out), "options": {"format": "parquet"}}
        return kinesis_node(
            "to_files", kinesis_endpoint, stream, output, parse_json=True, json_schema=JSON_SCHEMA
        )

    put_json(kinesis_endpoint, stream, rows(0, 60))
    run_node(context, node())
    put_json(kinesis_endpoint, stream, rows(60, 40))
    run_node(context, node())  # resumes from the checkpoint
    written = spark.read.schema(JSON_SCHEMA).parquet(str(out)).collect()
    assert sorted((r.id, r.name) for r in written) == [(i, f"n{i}") for i in range(100)]


def test_progress_reports_how_far_each_batch_is_behind_the_tip(context: Any, kinesis_endpoint: str) -> None:
    stream = create_stream(kinesis_endpoint, shards=1)
    put_json(kinesis_endpoint, stream, rows(0, 20))
    sink = Collected()
    node = kinesis_node("lagging", kinesis_endpoint, stream, sink.output, options={"maxRecordsPerShard": 5})
    query = run_node(context, node)
    assert sink.ids() == list(range(20))
    reading = [json.loads(p.json) for p in query.recentProgress if p["numInputRows"]]
    assert len(reading) == 4
    latest = reading[0]["sources"][0]["latestOffset"]
    latest = json.loads(latest) if isinstance(latest, str) else latest
    # kinesis-mock (like moto) answers every GetRecords with MillisBehindLatest 0; the service
    # reports the real distance. What it says reaches the progress and the event unchanged.
    assert latest == {"millisBehindLatest": 0, "millisBehindLatestByShard": {"shardId-000000000000": 0}}
    event = QueryProgressEvent(
        query_id="q",
        run_id=None,
        query_name="kinesis__lagging",
        timestamp=0.0,
        progress=reading[0],
        input_rows=5,
    )
    (lag,) = event.source_lags()
    assert lag.millis_behind == latest["millisBehindLatest"]
