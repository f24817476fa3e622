"""Shards, their lineage, and the positions the source keeps per shard in its offsets.

A position is one of:

- a sequence number (digits): the last record read from the shard (the next read starts AFTER it);
- ``TRIM_HORIZON`` or ``AT_TIMESTAMP:<epoch ms>``: nothing read yet, start there;
- ``SHARD_END``: the shard is closed (resharded) and every record of it was read.

A shard is read only once all its parents (split: one, merge: two) are at ``SHARD_END``, so
parents are drained before their children, as Kinesis' ordering per partition key requires.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

TRIM_HORIZON: Final = "TRIM_HORIZON"
AT_TIMESTAMP_PREFIX: Final = "AT_TIMESTAMP:"
SHARD_END: Final = "SHARD_END"


@dataclass(frozen=True)
class Shard:
    shard_id: str
    parents: tuple[str, ...]
    #: True once the shard was split or merged: no record is added any more.
    closed: bool


def is_sequence_number(position: str) -> bool:
    return position.isdigit()


def at_timestamp(epoch_ms: int) -> str:
    return f"{AT_TIMESTAMP_PREFIX}{epoch_ms}"


def iterator_request(position: str) -> dict[str, Any]:
    """GetShardIterator parameters that start right after ``position``."""
    if is_sequence_number(position):
        return {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": position}
    if position == TRIM_HORIZON:
        return {"ShardIteratorType": "TRIM_HORIZON"}
    if position.startswith(AT_TIMESTAMP_PREFIX):
        from datetime import UTC, datetime

        epoch_ms = int(position.removeprefix(AT_TIMESTAMP_PREFIX))
        return {
            "ShardIteratorType": "AT_TIMESTAMP",
            "Timestamp": datetime.fromtimestamp(epoch_ms / 1000, UTC),
        }
    raise ValueError(f"not a start position of a Kinesis shard: {position!r}")


def list_shards(client: Any, stream_args: Mapping[str, str]) -> list[Shard]:
    """Every shard the stream still holds (open and closed), following ListShards' pages."""
    shards: list[Shard] = []
    request: dict[str, Any] = dict(stream_args)
    while True:
        response = client.list_shards(**request)
        for raw in response.get("Shards", ()):
            parents = tuple(p for p in (raw.get("ParentShardId"), raw.get("AdjacentParentShardId")) if p)
            closed = "EndingSequenceNumber" in raw.get("SequenceNumberRange", {})
            shards.append(Shard(raw["ShardId"], parents, closed))
        token = response.get("NextToken")
        if not token:
            return shards
        # ListShards takes the token alone: the stream is part of it.
        request = {"NextToken": token}


def roots(shards: Iterable[Shard]) -> list[str]:
    """Shards whose parents are no longer listed (expired) or that never had any."""
    listed = [s.shard_id for s in shards]
    known = set(listed)
    return [s.shard_id for s in shards if not any(p in known for p in s.parents)]


def ready_to_join(shards: Iterable[Shard], positions: Mapping[str, str]) -> list[str]:
    """Listed shards not tracked yet whose parents are all drained (or gone)."""
    shards = list(shards)
    listed = {s.shard_id for s in shards}
    joining = []
    for shard in shards:
        if shard.shard_id in positions:
            continue
        if all(
            positions.get(p) == SHARD_END or (p not in listed and p not in positions) for p in shard.parents
        ):
            joining.append(shard.shard_id)
    return joining


def sequence_key(sequence_number: str) -> int:
    """Sequence numbers compare as integers (they are up to 128-bit decimal strings)."""
    return int(sequence_number)
