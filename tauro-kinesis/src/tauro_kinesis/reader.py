"""The ``kinesis`` reader: Tauro's face of the ``kinesis`` Python data source."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tauro.plugin import BaseStreamingReader, refuse_over_connect
from tauro_kinesis.option_schemas import SOURCE_SCHEMA
from tauro_kinesis.options import (
    DEFAULT_MAX_RECORDS_PER_SHARD,
    DEFAULT_STARTING_POSITION,
    ENDPOINT_URL,
    FORMAT,
    MAX_RECORDS_PER_SHARD,
    OVER_CONNECT,
    PROFILE,
    REGION,
    ROLE_ARN,
    STARTING_POSITION,
    STARTING_TIMESTAMP,
    STREAM_ARN,
    STREAM_NAME,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


class KinesisStreamingReader(BaseStreamingReader):
    """Read a Kinesis stream: one row per record, every shard, parents before children.

    Columns: data (binary), partitionKey, sequenceNumber, approximateArrivalTimestamp, shardId,
    streamName. Every option goes to the data source, which carries them to the Python workers.
    """

    payload_column = "data"
    metadata_columns = ("streamName", "shardId", "sequenceNumber")
    options_schema: ClassVar[Mapping[str, Any]] = SOURCE_SCHEMA
    # streamName or streamARN: one of two, so checked by the validators, not listed as required.
    optional_options: ClassVar[Mapping[str, Any]] = {
        STREAM_NAME: "required unless streamARN is given",
        STREAM_ARN: None,
        REGION: None,
        ENDPOINT_URL: None,
        STARTING_POSITION: DEFAULT_STARTING_POSITION,
        STARTING_TIMESTAMP: None,
        MAX_RECORDS_PER_SHARD: DEFAULT_MAX_RECORDS_PER_SHARD,
        PROFILE: None,
        ROLE_ARN: None,
    }
    spark_format = FORMAT
    # A DataSourceStreamReader's rows are counted by Spark (numInputRows), unlike a simple
    # reader's, so Tauro needs no observe operator here.
    spark_counts_rows = True

    @classmethod
    def connect_refusal(cls, options: Mapping[str, Any]) -> tuple[str, str] | None:
        return ("format", OVER_CONNECT)

    def preflight(self, spark: SparkSession, **options: Any) -> None:
        refuse_over_connect(spark, "format", OVER_CONNECT, component="tauro-kinesis")

    def read(self, **options: Any) -> DataFrame:
        from tauro_kinesis.registration import register_kinesis_source

        for reserved in ("path", "table_name", "schema"):
            options.pop(reserved, None)
        register_kinesis_source(self.spark)
        source_options = {k: str(v) for k, v in options.items() if v is not None}
        return self.spark.readStream.format(FORMAT).options(**source_options).load()
