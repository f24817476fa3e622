"""The ``kinesis`` sink: PutRecords in batches within Kinesis' limits, failed records retried.

A PutRecords call may succeed for some records and fail for others (throttling, internal
errors); only the failed ones are sent again, after an exponential backoff with jitter, so a
record lands once per attempt of its micro-batch. A whole call that is throttled is retried the
same way. Kinesis has no transactions: a micro-batch replayed after a crash is written again
(at-least-once), like Spark's Kafka sink.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pyspark.sql.datasource import DataSourceStreamWriter, DataSourceWriter, WriterCommitMessage

from tauro_kinesis.client import kinesis_client
from tauro_kinesis.options import (
    DATA_COLUMN,
    DEFAULT_DATA_COLUMN,
    DEFAULT_MAX_RETRIES,
    DEFAULT_PARTITION_KEY_COLUMN,
    DEFAULT_RETRY_BACKOFF_MS,
    EXPLICIT_HASH_KEY_COLUMN,
    MAX_RECORDS_PER_REQUEST,
    MAX_RETRIES,
    PARTITION_KEY_COLUMN,
    PARTITION_KEY_MAX_CHARS,
    PUT_RECORDS_MAX_BYTES,
    PUT_RECORDS_MAX_COUNT,
    RECORD_MAX_BYTES,
    RETRY_BACKOFF_MS,
    ConnectionSettings,
    value_of,
    whole_number,
)

#: Error codes worth retrying: throttling and transient service errors.
RETRYABLE_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "LimitExceededException",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "KMSThrottlingException",
    }
)
MAX_BACKOFF_SECONDS = 10.0


class KinesisPutError(RuntimeError):
    """Records that could not be written after every retry (or a record Kinesis cannot take)."""


@dataclass(frozen=True)
class SinkSettings:
    connection: ConnectionSettings
    data_column: str
    partition_key_column: str
    explicit_hash_key_column: str | None
    max_records_per_request: int
    max_retries: int
    retry_backoff_ms: int


def sink_settings(options: Mapping[str, Any], schema: Any = None) -> SinkSettings:
    return SinkSettings(
        connection=ConnectionSettings.from_options(options),
        data_column=value_of(options, DATA_COLUMN) or DEFAULT_DATA_COLUMN,
        partition_key_column=value_of(options, PARTITION_KEY_COLUMN) or DEFAULT_PARTITION_KEY_COLUMN,
        explicit_hash_key_column=value_of(options, EXPLICIT_HASH_KEY_COLUMN),
        max_records_per_request=whole_number(options, MAX_RECORDS_PER_REQUEST, PUT_RECORDS_MAX_COUNT),
        max_retries=whole_number(options, MAX_RETRIES, DEFAULT_MAX_RETRIES),
        retry_backoff_ms=whole_number(options, RETRY_BACKOFF_MS, DEFAULT_RETRY_BACKOFF_MS),
    )


# -- turning rows into PutRecords entries --------------------------------------------------------
def _data_bytes(value: Any, column: str) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    raise KinesisPutError(
        f"column '{column}' holds a {type(value).__name__}; the data column must be binary or string "
        "(e.g. to_json(struct(*)) for a row as JSON)"
    )


def entry(row: Mapping[str, Any], settings: SinkSettings) -> dict[str, Any]:
    """The PutRecords entry of one row, checked against the per-record limits."""
    data = row[settings.data_column]
    key = row[settings.partition_key_column]
    if data is None:
        raise KinesisPutError(f"column '{settings.data_column}' is null; Kinesis records need data")
    if key is None or str(key) == "":
        raise KinesisPutError(
            f"column '{settings.partition_key_column}' is null or empty; every record needs a partition key"
        )
    record: dict[str, Any] = {"Data": _data_bytes(data, settings.data_column), "PartitionKey": str(key)}
    if len(record["PartitionKey"]) > PARTITION_KEY_MAX_CHARS:
        raise KinesisPutError(
            f"a partition key in column '{settings.partition_key_column}' has "
            f"{len(record['PartitionKey'])} characters; Kinesis allows {PARTITION_KEY_MAX_CHARS}"
        )
    if record_size(record) > RECORD_MAX_BYTES:
        raise KinesisPutError(
            f"a record of {record_size(record)} bytes exceeds Kinesis' 1 MiB limit per record "
            "(data plus partition key); split or compress the payload"
        )
    if settings.explicit_hash_key_column and row[settings.explicit_hash_key_column] is not None:
        record["ExplicitHashKey"] = str(row[settings.explicit_hash_key_column])
    return record


def record_size(record: Mapping[str, Any]) -> int:
    return len(record["Data"]) + len(record["PartitionKey"].encode("utf-8"))


def request_batches(records: Iterable[dict[str, Any]], max_count: int) -> Iterator[list[dict[str, Any]]]:
    """Group records into PutRecords requests of at most ``max_count`` records and 5 MiB."""
    batch: list[dict[str, Any]] = []
    size = 0
    for record in records:
        length = record_size(record)
        if batch and (len(batch) >= max_count or size + length > PUT_RECORDS_MAX_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(record)
        size += length
    if batch:
        yield batch


# -- sending with retries ------------------------------------------------------------------------
def backoff_seconds(attempt: int, base_ms: int) -> float:
    """Exponential backoff with full jitter, capped."""
    ceiling = min(MAX_BACKOFF_SECONDS, base_ms / 1000 * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


def _error_code(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code"))
    return None


def put_request(
    client: Any,
    stream_args: Mapping[str, str],
    records: list[dict[str, Any]],
    *,
    max_retries: int,
    retry_backoff_ms: int,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Send one PutRecords request; retry what failed until all landed. Returns the retries."""
    pending = records
    for attempt in range(max_retries + 1):
        try:
            response = client.put_records(Records=pending, **stream_args)
        except Exception as error:
            code = _error_code(error)
            if code not in RETRYABLE_ERRORS:
                raise
            failed, codes = pending, {code}
        else:
            results = response["Records"]
            failed = [rec for rec, res in zip(pending, results) if res.get("ErrorCode")]
            codes = {str(res["ErrorCode"]) for res in results if res.get("ErrorCode")}
        if not failed:
            return attempt
        if attempt == max_retries:
            break
        pending = failed
        sleep(backoff_seconds(attempt + 1, retry_backoff_ms))
    raise KinesisPutError(
        f"{len(failed)} of {len(records)} records were not written to Kinesis after {max_retries} "
        f"retries ({', '.join(sorted(codes))}); raise the stream's capacity or options.maxRetries"
    )


def put_all(client: Any, settings: SinkSettings, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write rows to the stream; returns how many records were written."""
    written = 0
    entries = (entry(row, settings) for row in rows)
    for batch in request_batches(entries, settings.max_records_per_request):
        put_request(
            client,
            settings.connection.stream_args,
            batch,
            max_retries=settings.max_retries,
            retry_backoff_ms=settings.retry_backoff_ms,
        )
        written += len(batch)
    return written


# -- Spark's writer interfaces -------------------------------------------------------------------
@dataclass
class WrittenRecords(WriterCommitMessage):
    count: int


def _write_partition(settings: SinkSettings, rows: Iterator[Any]) -> WrittenRecords:
    client = kinesis_client(settings.connection)
    return WrittenRecords(put_all(client, settings, (row.asDict() for row in rows)))


class KinesisStreamWriter(DataSourceStreamWriter):
    """Streaming writes: each task puts its rows; commit has nothing to finish."""

    def __init__(self, settings: SinkSettings) -> None:
        self.settings = settings

    def write(self, iterator: Iterator[Any]) -> WrittenRecords:
        return _write_partition(self.settings, iterator)

    def commit(self, messages: list[WriterCommitMessage | None], batchId: int) -> None:
        """Records are in the stream once each task returned."""

    def abort(self, messages: list[WriterCommitMessage | None], batchId: int) -> None:
        """Records already put cannot be taken back; the replayed batch writes them again."""


class KinesisBatchWriter(DataSourceWriter):
    """Batch writes (``df.write.format("kinesis")``), used by Tauro's ``write_batch``."""

    def __init__(self, settings: SinkSettings) -> None:
        self.settings = settings

    def write(self, iterator: Iterator[Any]) -> WrittenRecords:
        return _write_partition(self.settings, iterator)
