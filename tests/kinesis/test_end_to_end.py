"""kinesis -> foreachBatch on the real local Spark against kinesis-mock, driven with available_now."""

from __future__ import annotations

from typing import Any

from tauro.streaming.pipeline_manager import StreamingPipelineManager

from .emulators import create_stream, put_json
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
    assert first["partitionKey"] == str(__import__("json").loads(bytes(first["data"]))["id"])
    assert first["sequenceNumber"].isdigit()
    assert first["approximateArrivalTimestamp"] is not None
    # Within a shard, records come in sequence-number order.
    for shard in {r["shardId"] for r in got}:
        sequence = [int(r["sequenceNumber"]) for r in got if r["shardId"] == shard]
        assert sequence == sorted(sequence)
