"""The ``kinesis`` writer: the data source's stream writer, and ``write_batch`` for foreachBatch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tauro.plugin import (
    RESERVED_KEYWORDS,
    BaseStreamingWriter,
    StreamingValidationError,
    refuse_over_connect,
)
from tauro_kinesis.option_schemas import SINK_SCHEMA
from tauro_kinesis.options import (
    DATA_COLUMN,
    DEFAULT_DATA_COLUMN,
    DEFAULT_MAX_RETRIES,
    DEFAULT_PARTITION_KEY_COLUMN,
    DEFAULT_RETRY_BACKOFF_MS,
    EXPLICIT_HASH_KEY_COLUMN,
    FORMAT,
    MAX_RECORDS_PER_REQUEST,
    MAX_RETRIES,
    OVER_CONNECT,
    PARTITION_KEY_COLUMN,
    PUT_RECORDS_MAX_COUNT,
    REGION,
    RETRY_BACKOFF_MS,
    STREAM_ARN,
    STREAM_NAME,
)
from tauro_kinesis.validators import check_sink_options

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming import DataStreamWriter, StreamingQuery

_LOCATION_KEYS = ("path", "table_name", "partition_by")


def _sink_options(options: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in options.items() if v is not None and k not in _LOCATION_KEYS}


def _require_columns(df: DataFrame, options: Mapping[str, Any], section: str = "") -> None:
    """The named columns exist in the DataFrame (known only now, not at validation)."""
    problems = check_sink_options(options, columns=df.columns)
    if problems:
        errors = [StreamingValidationError(message, field=section + field) for field, message in problems]
        raise StreamingValidationError(errors[0].message, field=errors[0].field, problems=errors)


class KinesisStreamingWriter(BaseStreamingWriter):
    """Put every row as one record: ``dataColumn`` (binary or string) keyed by
    ``partitionKeyColumn``, in PutRecords calls of up to 500 records / 5 MiB; failed records
    of a partial failure and throttled calls are retried with backoff."""

    spark_format = FORMAT
    options_schema: ClassVar[Mapping[str, Any]] = SINK_SCHEMA
    # streamName or streamARN: one of two, so checked by the validators, not listed as required.
    optional_options: ClassVar[Mapping[str, Any]] = {
        STREAM_NAME: "required unless streamARN is given",
        STREAM_ARN: None,
        REGION: None,
        DATA_COLUMN: DEFAULT_DATA_COLUMN,
        PARTITION_KEY_COLUMN: DEFAULT_PARTITION_KEY_COLUMN,
        EXPLICIT_HASH_KEY_COLUMN: None,
        MAX_RECORDS_PER_REQUEST: PUT_RECORDS_MAX_COUNT,
        MAX_RETRIES: DEFAULT_MAX_RETRIES,
        RETRY_BACKOFF_MS: DEFAULT_RETRY_BACKOFF_MS,
    }

    @classmethod
    def connect_refusal(cls, options: Mapping[str, Any]) -> tuple[str, str] | None:
        return ("format", OVER_CONNECT)

    def preflight(self, spark: SparkSession, **options: Any) -> None:
        refuse_over_connect(spark, "format", OVER_CONNECT, component="tauro-kinesis")

    def write(self, df: DataFrame, **options: Any) -> StreamingQuery:
        from tauro_kinesis.registration import register_kinesis_source

        sink = {k: v for k, v in options.items() if k not in RESERVED_KEYWORDS}
        _require_columns(df, _sink_options(sink), "output.")
        register_kinesis_source(df.sparkSession)
        # Spark finds a Python data source sink through the thread's active session, and a
        # pipeline starts its queries on its own thread, where none is set yet.
        session = df.sparkSession
        session._jvm.org.apache.spark.sql.SparkSession.setActiveSession(session._jsparkSession)
        return super().write(df, **options)

    def configure(self, writer: DataStreamWriter, **options: Any) -> DataStreamWriter:
        return writer.format(FORMAT).options(**_sink_options(options))

    def reads_whole_batch(self, **options: Any) -> bool:
        return True  # one save

    def write_batch(self, df: DataFrame, batch_id: int, **options: Any) -> None:
        from tauro_kinesis.registration import register_kinesis_source

        sink_options = _sink_options(options)
        _require_columns(df, sink_options)
        register_kinesis_source(df.sparkSession)
        df.write.format(FORMAT).mode("append").options(**sink_options).save()
