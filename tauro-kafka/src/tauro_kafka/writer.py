"""The ``kafka`` writer: Spark's Kafka sink, fed rows shaped as Kafka records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tauro.plugin import BaseStreamingWriter
from tauro_kafka.option_schemas import SINK_SCHEMA
from tauro_kafka.options import BOOTSTRAP, KEY_COLUMN, ROW_AS_JSON, split_options
from tauro_kafka.reader import require_connector
from tauro_kafka.records import as_kafka_records, check_records

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming import DataStreamWriter, StreamingQuery
    from pyspark.sql.types import StructType

__all__ = ["KafkaStreamingWriter", "as_kafka_records"]


class KafkaStreamingWriter(BaseStreamingWriter):
    """Publish rows to Kafka with Spark's Kafka sink (at-least-once, as Kafka producers are).

    Scalars in ``value``, ``key`` and ``topic`` are written as STRING; structs, arrays and maps
    are refused by ``check_schema`` before the query starts. ``options.row_as_json: true``
    writes each whole row as one JSON value. ``write_batch`` publishes one micro-batch (dead
    letters, foreachBatch): each dead letter is one JSON record with its payload, error, metadata
    and batch id.
    """

    spark_format = "kafka"
    supports_real_time = True
    required_options = (BOOTSTRAP,)
    options_schema: ClassVar[Mapping[str, Any]] = SINK_SCHEMA
    optional_options: ClassVar[Mapping[str, Any]] = {
        "topic": "(or a 'topic' column)",
        KEY_COLUMN: None,
        ROW_AS_JSON: "false",
        "includeHeaders": "false",
    }

    def check_schema(self, schema: StructType, **options: Any) -> None:
        check_records(schema, options)

    def write(self, df: DataFrame, **options: Any) -> StreamingQuery:
        records = as_kafka_records(df, options)
        return super().write(records, **options)

    def configure(self, writer: DataStreamWriter, **options: Any) -> DataStreamWriter:
        for ignored in ("path", "table_name", "partition_by"):
            options.pop(ignored, None)
        _, spark_options = split_options(options)
        return writer.format("kafka").options(**spark_options)

    def reads_whole_batch(self, **options: Any) -> bool:
        return True  # one save

    def write_batch(self, df: DataFrame, batch_id: int, **options: Any) -> None:
        for ignored in ("path", "table_name", "partition_by"):
            options.pop(ignored, None)
        records = as_kafka_records(df, options)
        _, spark_options = split_options(options)
        records.write.format("kafka").options(**spark_options).save()

    def preflight(self, spark: SparkSession, **options: Any) -> None:
        require_connector(spark)
