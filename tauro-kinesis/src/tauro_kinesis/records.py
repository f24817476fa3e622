"""Reading one shard with GetShardIterator / GetRecords between two positions.

The same loop serves the driver, which decides how far a micro-batch goes (``stop_after`` a
record count, or at records that arrived after a cut-off), and the Python workers, which read
exactly the records up to the sequence number the driver decided (``until``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tauro_kinesis.options import GET_RECORDS_MAX_LIMIT
from tauro_kinesis.shards import iterator_request, sequence_key


class RecordsMissingError(RuntimeError):
    """Records the checkpoint says exist could not be read again (expired from the stream)."""


@dataclass
class ShardProgress:
    """What a read of one shard saw: its last record and whether the shard has ended."""

    last_sequence_number: str | None = None
    count: int = 0
    #: GetRecords returned no next iterator: the shard is closed and fully read.
    at_shard_end: bool = False
    #: The last GetRecords response's MillisBehindLatest: how far the read is behind the tip.
    millis_behind_latest: int | None = None


def arrival_ms(record: Mapping[str, Any]) -> int:
    stamp = record["ApproximateArrivalTimestamp"]
    if isinstance(stamp, datetime):
        return int(stamp.timestamp() * 1000)
    return int(float(stamp) * 1000)


def read_shard(
    client: Any,
    stream_args: Mapping[str, str],
    shard_id: str,
    start: str,
    progress: ShardProgress,
    *,
    until: str | None = None,
    stop_after: int | None = None,
    arrived_by_ms: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the shard's records after ``start``, filling ``progress`` as it goes.

    Stops at the first of: the record whose sequence number is ``until`` (inclusive; None reads
    to the end of the shard or of the data), ``stop_after`` records, a record that arrived
    after ``arrived_by_ms``, the end of a closed shard, or the tip of an open one.
    """
    last_needed = sequence_key(until) if until is not None else None
    iterator = client.get_shard_iterator(ShardId=shard_id, **stream_args, **iterator_request(start))[
        "ShardIterator"
    ]
    while iterator:
        limit = GET_RECORDS_MAX_LIMIT
        if stop_after is not None:
            limit = max(1, min(limit, stop_after - progress.count))
        response = client.get_records(ShardIterator=iterator, Limit=limit, **_arn_only(stream_args))
        records = response.get("Records", [])
        if response.get("MillisBehindLatest") is not None:
            progress.millis_behind_latest = int(response["MillisBehindLatest"])
        for record in records:
            if arrived_by_ms is not None and arrival_ms(record) > arrived_by_ms:
                return
            key = sequence_key(record["SequenceNumber"])
            if last_needed is not None and key > last_needed:
                return
            progress.last_sequence_number = record["SequenceNumber"]
            progress.count += 1
            yield record
            if last_needed is not None and key == last_needed:
                return
            if stop_after is not None and progress.count >= stop_after:
                return
        iterator = response.get("NextShardIterator")
        if iterator is None:
            progress.at_shard_end = True
            return
        if not records and not response.get("MillisBehindLatest"):
            break  # at the tip of an open shard
    if last_needed is not None:
        raise RecordsMissingError(
            f"shard {shard_id}: the records up to sequence number {until} are no longer in the stream "
            f"(read up to {progress.last_sequence_number or start}); they probably expired past the "
            "stream's retention period while the query was stopped"
        )


def _arn_only(stream_args: Mapping[str, str]) -> dict[str, str]:
    # GetRecords takes the stream only as an ARN (optional); the iterator already names it.
    return {"StreamARN": stream_args["StreamARN"]} if "StreamARN" in stream_args else {}
