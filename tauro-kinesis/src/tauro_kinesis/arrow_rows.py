"""Kinesis records as Arrow record batches of the source's schema (``SOURCE_SCHEMA``).

Spark's Python data source turns tuples into Arrow one value at a time, with a type check per
value; a reader that yields ``pyarrow.RecordBatch`` objects skips that, and a batch the driver
fetched travels to the worker inside its partition as Arrow buffers rather than pickled tuples.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

#: Records per batch a worker yields when it reads a range itself (one GetRecords page at most).
ROWS_PER_BATCH = 10_000


def arrow_schema() -> pa.Schema:
    """The Arrow form of ``SOURCE_SCHEMA``, as Spark's worker checks it (UTC microseconds)."""
    import pyarrow as pa

    return pa.schema(
        [
            ("data", pa.binary()),
            ("partitionKey", pa.string()),
            ("sequenceNumber", pa.string()),
            ("approximateArrivalTimestamp", pa.timestamp("us", tz="UTC")),
            ("shardId", pa.string()),
            ("streamName", pa.string()),
        ]
    )


def _arrival_us(stamps: Sequence[Any]) -> list[Any]:
    # boto3 parses the timestamp into an aware datetime; some emulators' JSON gives epoch seconds.
    if not stamps or isinstance(stamps[0], datetime):
        return list(stamps)
    return [round(float(s) * 1_000_000) for s in stamps]


def records_batch(records: Sequence[Mapping[str, Any]], shard_id: str, stream: str) -> pa.RecordBatch:
    """One record batch of GetRecords records of one shard (column by column, no per-row tuple)."""
    import pyarrow as pa

    schema = arrow_schema()
    n = len(records)
    columns = [
        pa.array([r["Data"] for r in records], pa.binary()),
        pa.array([r.get("PartitionKey") for r in records], pa.string()),
        pa.array([r["SequenceNumber"] for r in records], pa.string()),
        pa.array(_arrival_us([r["ApproximateArrivalTimestamp"] for r in records]), schema.field(3).type),
        pa.array([shard_id] * n, pa.string()),
        pa.array([stream] * n, pa.string()),
    ]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def records_batches(
    records: Iterable[Mapping[str, Any]], shard_id: str, stream: str, size: int = ROWS_PER_BATCH
) -> Iterator[pa.RecordBatch]:
    """``records`` as record batches of at most ``size`` rows; nothing for no records."""
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield records_batch(chunk, shard_id, stream)
