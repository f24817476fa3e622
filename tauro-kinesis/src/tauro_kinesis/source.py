"""The ``kinesis`` Spark Python data source: a streaming reader (and the sink's entry points).

Offsets are ``{"startingPosition": <marker>, "shards": {shardId: position}}`` (positions: see
``tauro_kinesis.shards``), kept by Spark in the checkpoint's offset log. ``latestOffset`` decides
on the driver how far each shard goes in a micro-batch (the sequence number of the last record
to read, or ``SHARD_END`` for a closed shard read to its end); ``read`` in the workers reads
exactly that range again, so a batch replayed after a restart holds the same records.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loguru import logger
from pyspark.sql.datasource import DataSource, DataSourceStreamReader, InputPartition
from pyspark.sql.streaming.datasource import (
    ReadAllAvailable,
    ReadLimit,
    ReadMaxRows,
    SupportsTriggerAvailableNow,
)

from tauro_kinesis.arrow_rows import records_batch, records_batches
from tauro_kinesis.client import kinesis_client
from tauro_kinesis.options import (
    DEFAULT_MAX_RECORDS_PER_SHARD,
    DEFAULT_STARTING_POSITION,
    FORMAT,
    MAX_RECORDS_PER_SHARD,
    SOURCE_SCHEMA,
    STARTING_POSITION,
    STARTING_TIMESTAMP,
    ConnectionSettings,
    value_of,
    whole_number,
)
from tauro_kinesis.records import ShardProgress, read_shard
from tauro_kinesis.shards import (
    SHARD_END,
    TRIM_HORIZON,
    at_timestamp,
    is_sequence_number,
    list_shards,
    ready_to_join,
)
from tauro_kinesis.validators import check_sink_options, check_source_options, parse_timestamp_ms

if TYPE_CHECKING:
    import pyarrow as pa

START_KEY = "startingPosition"
SHARDS_KEY = "shards"
#: Present in every offset ``latestOffset`` returns, absent from ``initialOffset``: the first
#: micro-batch therefore always runs (empty if there is no data) and writes the pinned start
#: (LATEST resolved to a time) into the checkpoint, so a restart starts from the same place.
VERSION_KEY = "v"


class KinesisOptionsError(ValueError):
    """Options given to ``spark.readStream.format("kinesis")`` directly that do not check out."""


#: Options Spark itself adds to a data source's options (stream writers get these).
_SPARK_OWN_OPTIONS = frozenset({"checkpointlocation", "queryname", "path"})


def _own_options(options: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if str(k).lower() not in _SPARK_OWN_OPTIONS}


def _raise_problems(problems: list[tuple[str, str]]) -> None:
    if problems:
        raise KinesisOptionsError("; ".join(f"{field}: {message}" for field, message in problems))


#: Most record bytes of one shard the driver keeps to hand to the worker with the partition.
PREFETCH_MAX_BYTES = 8 * 1024 * 1024
#: Shards the driver reads at once while deciding a batch's end.
MAX_PARALLEL_SHARD_READS = 8


@dataclass(frozen=True)
class ShardRange(InputPartition):
    """Records of one shard after ``start`` up to ``end`` (a sequence number, or SHARD_END).

    ``rows`` carries the records the driver already fetched while deciding ``end`` (when they
    fit ``PREFETCH_MAX_BYTES``), as one Arrow batch, so the worker does not fetch them a second
    time. Without them (a batch replayed after a restart, or large records) the worker reads the
    range itself.
    """

    shard_id: str
    start: str
    end: str
    rows: pa.RecordBatch | None = None


def _offset(start_marker: str, positions: Mapping[str, str], *, initial: bool = False) -> dict[str, Any]:
    # Sorted keys: Spark compares offsets as JSON text, so equal offsets must print alike.
    offset: dict[str, Any] = {
        START_KEY: start_marker,
        SHARDS_KEY: {k: positions[k] for k in sorted(positions)},
    }
    if not initial:
        offset[VERSION_KEY] = 1
    return offset


class KinesisStreamReader(DataSourceStreamReader, SupportsTriggerAvailableNow):
    """Reads every readable shard of the stream; one Spark task per shard with new records."""

    def __init__(self, settings: ConnectionSettings, start_marker: str, max_records_per_shard: int) -> None:
        self.settings = settings
        self.start_marker = start_marker
        self.max_records_per_shard = max_records_per_shard
        #: Set by Trigger.AvailableNow: records that arrived later are left for the next run.
        self.arrived_by_ms: int | None = None
        self._initial: dict[str, Any] | None = None
        #: Rows fetched by the last latestOffset, by (shard, start, end), for partitions().
        self._prefetched: dict[tuple[str, str, str], pa.RecordBatch] = {}
        #: MillisBehindLatest of each open shard at the end the last latestOffset chose.
        self._millis_behind: dict[str, int] = {}

    # -- driver side ---------------------------------------------------------------------------
    def initialOffset(self) -> dict[str, Any]:
        # Computed once per query run: Spark may ask more than once, and LATEST must not move.
        if self._initial is None:
            shards = list_shards(self._client(), self.settings.stream_args)
            marker = self.start_marker
            if marker == "LATEST":
                # Pinned to "now"; the first batch writes it into the checkpoint (VERSION_KEY).
                marker = at_timestamp(int(time.time() * 1000))
            positions = {shard_id: marker for shard_id in ready_to_join(shards, {})}
            self._initial = _offset(marker, positions, initial=True)
        return self._initial

    def getDefaultReadLimit(self) -> ReadLimit:
        # Spark has no per-shard limit: ReadMaxRows carries maxRecordsPerShard, read per shard.
        return ReadMaxRows(self.max_records_per_shard)

    def prepareForTriggerAvailableNow(self) -> None:
        self.arrived_by_ms = int(time.time() * 1000)

    def latestOffset(self, start: dict[str, Any], limit: ReadLimit) -> dict[str, Any]:
        marker = str(start[START_KEY])
        positions: dict[str, str] = dict(start[SHARDS_KEY])
        per_shard = None if isinstance(limit, ReadAllAvailable) else self._per_shard(limit)
        client = self._client()
        shards = list_shards(client, self.settings.stream_args)
        listed = {shard.shard_id: shard for shard in shards}
        for shard_id, position in list(positions.items()):
            if shard_id in listed:
                continue
            if position != SHARD_END:
                logger.warning(
                    "kinesis stream {}: shard {} expired before it was read to its end",
                    self.settings.stream,
                    shard_id,
                )
            del positions[shard_id]
        self._prefetched = {}
        open_shards = [(shard_id, pos) for shard_id, pos in positions.items() if pos != SHARD_END]
        # Shards are read side by side: each GetRecords round trip waits on the service, and the
        # batch's end is known only when every shard is read.
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_SHARD_READS, len(open_shards) or 1)) as pool:
            ends = pool.map(lambda item: self._advance(client, item[0], item[1], per_shard), open_shards)
            self._millis_behind = {}
            for (shard_id, position), (end, rows, behind) in zip(open_shards, ends):
                positions[shard_id] = end
                if rows is not None and end != position:
                    self._prefetched[(shard_id, position, end)] = rows
                if behind is not None and end != SHARD_END:
                    self._millis_behind[shard_id] = behind
        # Children join after the batch that drained their parents: they are read from the next
        # batch on, never in the same batch as a parent.
        for shard_id in ready_to_join(shards, positions):
            positions[shard_id] = marker
        return _offset(marker, positions)

    def _advance(
        self, client: Any, shard_id: str, position: str, per_shard: int | None
    ) -> tuple[str, pa.RecordBatch | None, int | None]:
        """Where this batch ends in the shard, the rows read on the way if small enough, and
        the shard's MillisBehindLatest there."""
        progress = ShardProgress()
        records: list[dict[str, Any]] | None = []
        size = 0
        for record in read_shard(
            client,
            self.settings.stream_args,
            shard_id,
            position,
            progress,
            stop_after=per_shard,
            arrived_by_ms=self.arrived_by_ms,
        ):
            if records is not None:
                size += len(record["Data"])
                records = records if size <= PREFETCH_MAX_BYTES else None
            if records is not None:
                records.append(record)
        end = position
        if progress.at_shard_end:
            end = SHARD_END
        elif progress.last_sequence_number is not None:
            end = progress.last_sequence_number
        behind = progress.millis_behind_latest
        if records is None:
            return end, None, behind
        return end, records_batch(records, shard_id, self.settings.stream), behind

    def reportLatestOffset(self) -> dict[str, Any] | None:
        """How far the batch's end is behind the tip of the stream, for the query's progress
        (``sources[].latestOffset``): the largest and each open shard's MillisBehindLatest."""
        if not self._millis_behind:
            return None
        return {
            "millisBehindLatest": max(self._millis_behind.values()),
            "millisBehindLatestByShard": dict(sorted(self._millis_behind.items())),
        }

    def partitions(self, start: dict[str, Any], end: dict[str, Any]) -> list[ShardRange]:
        before: Mapping[str, str] = start[SHARDS_KEY]
        ranges = []
        for shard_id, position in end[SHARDS_KEY].items():
            first = before.get(shard_id)
            # Nothing to read: a shard that joined in this batch, an unchanged position, a
            # drained shard, or an end that is still a start marker.
            if first is None or first in (position, SHARD_END):
                continue
            if position != SHARD_END and not is_sequence_number(position):
                continue
            rows = self._prefetched.pop((shard_id, first, position), None)
            ranges.append(ShardRange(shard_id, first, position, rows))
        return ranges

    def commit(self, end: dict[str, Any]) -> None:
        """Nothing to do: the position is in Spark's checkpoint, not in the stream."""

    # -- worker side ---------------------------------------------------------------------------
    def read(self, partition: InputPartition) -> Iterator[pa.RecordBatch]:
        assert isinstance(partition, ShardRange)
        if partition.rows is not None:
            yield partition.rows
            return
        until = None if partition.end == SHARD_END else partition.end
        records = read_shard(
            self._client(),
            self.settings.stream_args,
            partition.shard_id,
            partition.start,
            ShardProgress(),
            until=until,
        )
        yield from records_batches(records, partition.shard_id, self.settings.stream)

    # -- helpers -------------------------------------------------------------------------------
    def _client(self) -> Any:
        return kinesis_client(self.settings)

    def _per_shard(self, limit: ReadLimit) -> int:
        if isinstance(limit, ReadMaxRows):
            return max(1, int(limit.max_rows))
        return self.max_records_per_shard


def _start_marker(options: Mapping[str, Any]) -> str:
    position = (value_of(options, STARTING_POSITION) or DEFAULT_STARTING_POSITION).upper()
    if position == "TRIM_HORIZON":
        return TRIM_HORIZON
    if position == "AT_TIMESTAMP":
        return at_timestamp(parse_timestamp_ms(str(value_of(options, STARTING_TIMESTAMP))))
    return "LATEST"


class KinesisDataSource(DataSource):
    """``spark.readStream.format("kinesis")`` and ``df.writeStream.format("kinesis")``.

    Options: see the tauro-kinesis README. The source's schema is fixed (``SOURCE_SCHEMA``).
    """

    @classmethod
    def name(cls) -> str:
        return FORMAT

    def schema(self) -> str:
        return SOURCE_SCHEMA

    def streamReader(self, schema: Any) -> KinesisStreamReader:
        options = _own_options(self.options)
        _raise_problems(check_source_options(options))
        return KinesisStreamReader(
            ConnectionSettings.from_options(options),
            _start_marker(options),
            whole_number(options, MAX_RECORDS_PER_SHARD, DEFAULT_MAX_RECORDS_PER_SHARD),
        )

    def streamWriter(self, schema: Any, overwrite: bool) -> Any:
        from tauro_kinesis.sink import KinesisStreamWriter, sink_settings

        options = _own_options(self.options)
        _raise_problems(check_sink_options(options, columns=schema.fieldNames()))
        return KinesisStreamWriter(sink_settings(options, schema))

    def writer(self, schema: Any, overwrite: bool) -> Any:
        from tauro_kinesis.sink import KinesisBatchWriter, sink_settings

        options = _own_options(self.options)
        _raise_problems(check_sink_options(options, columns=schema.fieldNames()))
        return KinesisBatchWriter(sink_settings(options, schema))
