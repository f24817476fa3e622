"""Restarts, replays and resharding: no record lost or repeated (kinesis-mock, real Spark)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from .emulators import client, create_stream, put_json, wait_active
from .helpers import Collected, kinesis_node, run_node


def rows(first: int, count: int) -> list[dict[str, Any]]:
    # Partition keys repeat (id % 7), so per-key order can be checked across shards.
    return [{"id": i, "name": f"n{i}", "k": i % 7} for i in range(first, first + count)]


def record_id(row: Any) -> int:
    return int(json.loads(bytes(row["data"]))["id"])


def test_a_restart_resumes_without_loss_or_duplicates(context: Any, kinesis_endpoint: str) -> None:
    stream = create_stream(kinesis_endpoint, shards=2)
    sink = Collected()

    def node() -> dict[str, Any]:
        return kinesis_node("restart", kinesis_endpoint, stream, sink.output)

    put_json(kinesis_endpoint, stream, rows(0, 100), key="k")
    first = run_node(context, node())
    put_json(kinesis_endpoint, stream, rows(100, 50), key="k")
    second = run_node(context, node())
    third = run_node(context, node())  # nothing new
    assert first.id == second.id == third.id  # one checkpoint, resumed each time
    counts = [sum(p["numInputRows"] for p in q.recentProgress) for q in (first, second, third)]
    assert counts == [100, 50, 0]
    assert sink.ids() == list(range(150))


def test_a_batch_replayed_after_a_crash_reads_the_same_records(
    context: Any, kinesis_endpoint: str, tmp_path: Path
) -> None:
    stream = create_stream(kinesis_endpoint, shards=2)
    sink = Collected()
    checkpoint = tmp_path / "cp"

    def node() -> dict[str, Any]:
        spec = kinesis_node("replay", kinesis_endpoint, stream, sink.output)
        spec["streaming"]["checkpoint_location"] = str(checkpoint)
        return spec

    put_json(kinesis_endpoint, stream, rows(0, 40), key="k")
    run_node(context, node())
    last = max(b for b, batch in sink.batches.items() if batch)
    original = sorted(record_id(r) for r in sink.batches[last])
    # A crash after the batch's offsets were logged but before it was committed: Spark replays
    # the batch from the offset log. New records arrived meanwhile; the replay must not take them.
    (checkpoint / "commits" / str(last)).unlink()
    (checkpoint / "commits" / f".{last}.crc").unlink(missing_ok=True)
    put_json(kinesis_endpoint, stream, rows(40, 30), key="k")
    run_node(context, node())
    assert sorted(record_id(r) for r in sink.batches[last]) == original
    assert sink.ids() == list(range(70))


def _split(kinesis: Any, stream: str, shard_id: str) -> None:
    shard = next(s for s in kinesis.list_shards(StreamName=stream)["Shards"] if s["ShardId"] == shard_id)
    low, high = (int(shard["HashKeyRange"][k]) for k in ("StartingHashKey", "EndingHashKey"))
    kinesis.split_shard(StreamName=stream, ShardToSplit=shard_id, NewStartingHashKey=str((low + high) // 2))


def test_split_and_merge_mid_stream_lose_and_repeat_nothing(context: Any, kinesis_endpoint: str) -> None:
    stream = create_stream(kinesis_endpoint, shards=2)
    kinesis = client(kinesis_endpoint)
    sink = Collected()

    def node() -> dict[str, Any]:
        return kinesis_node(
            "reshard", kinesis_endpoint, stream, sink.output, options={"maxRecordsPerShard": 15}
        )

    put_json(kinesis_endpoint, stream, rows(0, 60), key="k")
    run_node(context, node())
    # The parent still holds unread records when it is split.
    put_json(kinesis_endpoint, stream, rows(60, 40), key="k")
    _split(kinesis, stream, "shardId-000000000000")
    wait_active(kinesis_endpoint, stream)
    put_json(kinesis_endpoint, stream, rows(100, 60), key="k")
    children = [s for s in kinesis.list_shards(StreamName=stream)["Shards"] if s.get("ParentShardId")]
    assert len(children) == 2
    kinesis.merge_shards(
        StreamName=stream, ShardToMerge=children[0]["ShardId"], AdjacentShardToMerge=children[1]["ShardId"]
    )
    wait_active(kinesis_endpoint, stream)
    put_json(kinesis_endpoint, stream, rows(160, 60), key="k")
    run_node(context, node())

    assert sink.ids() == list(range(220))
    shards = {s["ShardId"]: s for s in kinesis.list_shards(StreamName=stream)["Shards"]}
    assert len(shards) == 5  # 2 originals, 2 children of the split, 1 child of the merge
    batch_of: dict[str, list[int]] = {}
    for batch_id, batch in sink.batches.items():
        for row in batch:
            batch_of.setdefault(row["shardId"], []).append(batch_id)
    for shard_id, shard in shards.items():
        parents = [p for p in (shard.get("ParentShardId"), shard.get("AdjacentParentShardId")) if p]
        for parent in parents:
            if shard_id in batch_of and parent in batch_of:
                assert max(batch_of[parent]) < min(batch_of[shard_id]), (parent, shard_id)
    merged = next(s for s in shards.values() if s.get("AdjacentParentShardId"))
    assert merged["ShardId"] in batch_of  # the merge's child was read too
    # Per partition key, records were delivered in the order they were put.
    seen: dict[int, list[int]] = {}
    for row in sink.rows():
        record = json.loads(bytes(row["data"]))
        seen.setdefault(record["k"], []).append(record["id"])
    assert all(ids == sorted(ids) for ids in seen.values()), seen


def test_latest_reads_only_records_put_after_the_start(context: Any, kinesis_endpoint: str) -> None:
    stream = create_stream(kinesis_endpoint, shards=2)
    sink = Collected()

    def node() -> dict[str, Any]:
        return kinesis_node(
            "latest", kinesis_endpoint, stream, sink.output, options={"startingPosition": "LATEST"}
        )

    put_json(kinesis_endpoint, stream, rows(0, 10))
    time.sleep(0.05)  # arrival timestamps have millisecond precision
    first = run_node(context, node())
    assert sink.ids() == []
    put_json(kinesis_endpoint, stream, rows(10, 10))
    second = run_node(context, node())
    assert first.id == second.id
    assert sink.ids() == list(range(10, 20))


def test_at_timestamp_starts_at_that_time(context: Any, kinesis_endpoint: str) -> None:
    stream = create_stream(kinesis_endpoint, shards=1)
    put_json(kinesis_endpoint, stream, rows(0, 5))
    time.sleep(1.1)
    middle = int(time.time() * 1000)
    time.sleep(0.05)
    put_json(kinesis_endpoint, stream, rows(5, 5))
    sink = Collected()
    options = {"startingPosition": "AT_TIMESTAMP", "startingTimestamp": str(middle)}
    run_node(context, kinesis_node("at_ts", kinesis_endpoint, stream, sink.output, options=options))
    assert sink.ids() == list(range(5, 10))


def test_a_split_while_the_query_runs_loses_and_repeats_nothing(context: Any, kinesis_endpoint: str) -> None:
    from tauro.streaming.query_manager import StreamingQueryManager

    stream = create_stream(kinesis_endpoint, shards=1)
    kinesis = client(kinesis_endpoint)
    sink = Collected()
    node = kinesis_node("running", kinesis_endpoint, stream, sink.output, options={"maxRecordsPerShard": 20})
    node["streaming"]["trigger"] = {"type": "processing_time", "interval": "200 milliseconds"}
    manager = StreamingQueryManager(context)
    query = manager.create_and_start_query(node, pipeline_name="kinesis")
    try:
        put_json(kinesis_endpoint, stream, rows(0, 50), key="k")
        query.processAllAvailable()
        put_json(kinesis_endpoint, stream, rows(50, 30), key="k")  # unread when the split happens
        _split(kinesis, stream, "shardId-000000000000")
        wait_active(kinesis_endpoint, stream)
        put_json(kinesis_endpoint, stream, rows(80, 70), key="k")
        query.processAllAvailable()
    finally:
        manager.stop_query(query)
    assert query.exception() is None
    assert sink.ids() == list(range(150))
    parent_batches = [
        b for b, batch in sink.batches.items() for r in batch if r["shardId"] == "shardId-000000000000"
    ]
    child_batches = [
        b for b, batch in sink.batches.items() for r in batch if r["shardId"] != "shardId-000000000000"
    ]
    assert child_batches and max(parent_batches) < min(child_batches)
