"""The ``kafka`` writer: Spark's Kafka sink, fed rows shaped as Kafka records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tauro.streaming.exceptions import StreamingValidationError
from tauro.streaming.writers import BaseStreamingWriter
from tauro_kafka.options import BOOTSTRAP, KEY_COLUMN, SINK_COLUMNS, split_options
from tauro_kafka.reader import require_connector

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming import DataStreamWriter, StreamingQuery


def as_kafka_records(df: DataFrame, options: Mapping[str, Any]) -> DataFrame:
    """Shape rows as the sink wants them: value, and key, topic, partition, headers when given.

    The value is the ``value`` column when there is one, otherwise the whole row as JSON. The key
    is ``options.key_column`` (as text) when set, else a ``key`` column of a row that has a value.
    Without ``options.topic`` every row must carry its ``topic``.
    """
    from pyspark.sql import functions as F

    tauro, spark_options = split_options(options)
    columns = set(df.columns)
    key_column = tauro.get(KEY_COLUMN.lower())
    if key_column is not None and key_column not in columns:
        raise StreamingValidationError(
            f"key_column '{key_column}' is not a column of the rows written; columns: "
            f"{', '.join(df.columns)}",
            field=f"options.{KEY_COLUMN}",
            expected="a column of the output rows",
            actual=key_column,
        )
    has_topic = any(k.lower() == "topic" for k in spark_options)
    if not has_topic and "topic" not in columns:
        raise StreamingValidationError(
            "the Kafka sink needs a topic: set options.topic, or give the rows a 'topic' column",
            field="options.topic",
        )
    if "value" in columns:
        record = [F.col(c) for c in SINK_COLUMNS if c in columns and c != "key"]
        if key_column is None and "key" in columns:
            record.append(F.col("key"))
    else:
        record = [F.to_json(F.struct(*[F.col(c) for c in df.columns])).alias("value")]
        if "topic" in columns and not has_topic:
            record.append(F.col("topic"))
    if key_column is not None:
        record.append(F.col(key_column).cast("string").alias("key"))
    return df.select(*record)


class KafkaStreamingWriter(BaseStreamingWriter):
    """Publish rows to Kafka with Spark's Kafka sink (at-least-once, as Kafka producers are).

    ``write_batch`` publishes one micro-batch (dead letters, foreachBatch): each dead letter is
    one JSON record with its payload, error, metadata and batch id.
    """

    spark_format = "kafka"
    required_options = (BOOTSTRAP,)
    optional_options: ClassVar[Mapping[str, Any]] = {
        "topic": "(or a 'topic' column)",
        KEY_COLUMN: None,
        "includeHeaders": "false",
    }

    def write(self, df: DataFrame, **options: Any) -> StreamingQuery:
        records = as_kafka_records(df, options)
        return super().write(records, **options)

    def configure(self, writer: DataStreamWriter, **options: Any) -> DataStreamWriter:
        for ignored in ("path", "table_name", "partition_by"):
            options.pop(ignored, None)
        _, spark_options = split_options(options)
        return writer.format("kafka").options(**spark_options)

    def write_batch(self, df: DataFrame, batch_id: int, **options: Any) -> None:
        for ignored in ("path", "table_name", "partition_by"):
            options.pop(ignored, None)
        records = as_kafka_records(df, options)
        _, spark_options = split_options(options)
        records.write.format("kafka").options(**spark_options).save()

    def preflight(self, spark: SparkSession, **options: Any) -> None:
        require_connector(spark)
