"""The ``kafka`` reader: Spark's Kafka source, with the columns ``parse_json`` may keep."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tauro.plugin import BaseStreamingReader, require_class
from tauro_kafka.option_schemas import SOURCE_SCHEMA
from tauro_kafka.options import (
    BOOTSTRAP,
    CONNECTOR_CLASS,
    CONNECTOR_PACKAGE,
    DEAD_LETTER_COLUMNS,
    KEEP_METADATA,
    SUBSCRIPTIONS,
    parse_keep_metadata,
    split_options,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def connector_package() -> str:
    import pyspark

    return CONNECTOR_PACKAGE.format(version=pyspark.__version__)


def require_connector(spark: SparkSession) -> None:
    """Name the connector package when the session lacks it, rather than a JVM trace."""
    require_class(
        spark,
        CONNECTOR_CLASS,
        package=connector_package(),
        what="format kafka",
        field="format",
        component="tauro-kafka",
    )


class KafkaStreamingReader(BaseStreamingReader):
    """Subscribe to Kafka topics with Spark's Kafka source.

    Rows have Spark's Kafka columns (key and value as bytes, topic, partition, offset, timestamp,
    timestampType, and headers with ``includeHeaders``). With ``parse_json`` the value becomes the
    ``json_schema`` columns; ``keep_metadata`` keeps some Kafka columns beside them (the key
    decoded as UTF-8 text). Every other option goes to Spark unchanged.
    """

    spark_format = "kafka"
    # Spark counts JVM sources' rows itself: no observe operator (it costs up to ~7%).
    spark_counts_rows = True
    supports_real_time = True
    payload_column = "value"
    metadata_columns = DEAD_LETTER_COLUMNS
    # assign and the per-partition offsets are JSON for Spark; YAML mappings are easier to write.
    structured_options = frozenset({"assign", "startingOffsets", "startingOffsetsByTimestamp", KEEP_METADATA})
    # One of subscribe, subscribePattern and assign is required too: validate_kafka_input says so.
    required_options = (BOOTSTRAP,)
    options_schema: ClassVar[Mapping[str, Any]] = SOURCE_SCHEMA
    optional_options: ClassVar[Mapping[str, Any]] = {
        "subscribe | subscribePattern | assign": "(exactly one)",
        "startingOffsets": "latest",
        "failOnDataLoss": "true",
        "maxOffsetsPerTrigger": None,
        "minOffsetsPerTrigger": None,
        "maxTriggerDelay": "15m",
        "includeHeaders": "false",
        "groupIdPrefix": "spark-kafka-source",
        "kafkaConsumer.pollTimeoutMs": "120000",
        KEEP_METADATA: "[] (key, topic, partition, offset, timestamp, timestampType, headers)",
    }

    def read(self, **options: Any) -> DataFrame:
        from pyspark.sql import functions as F

        for ignored in ("path", "table_name", "schema"):
            options.pop(ignored, None)  # validation refuses or warns about these
        tauro, spark_options = split_options(options)
        keep = parse_keep_metadata(tauro.get(KEEP_METADATA.lower()))
        if "headers" in keep and not any(k.lower() == "includeheaders" for k in spark_options):
            spark_options["includeHeaders"] = "true"
        df = self.spark.readStream.format("kafka").options(**spark_options).load()
        if "key" in keep:
            df = df.withColumn("key", F.col("key").cast("string"))
        return df

    def parse_keep_columns(self, options: Mapping[str, Any]) -> list[str]:
        """Kafka columns kept beside the columns ``parse_json`` makes of the value."""
        tauro, _ = split_options(options)
        return parse_keep_metadata(tauro.get(KEEP_METADATA.lower()))

    def preflight(self, spark: SparkSession, **options: Any) -> None:
        require_connector(spark)

    def source_partitions(self, spark: SparkSession, **options: Any) -> int | None:
        """The subscription's topic partitions, from a batch read of the same topics that reads
        no records (Spark plans one task per topic partition; only offsets are fetched)."""
        _, spark_options = split_options(options)
        wanted = {k.lower() for k in SUBSCRIPTIONS}
        given = {
            k: v for k, v in spark_options.items() if k.lower().startswith("kafka.") or k.lower() in wanted
        }
        given.update(startingOffsets="earliest", endingOffsets="latest")
        batch = spark.read.format("kafka").options(**given).load()
        if type(batch).__module__.startswith("pyspark.sql.connect"):
            return None  # Spark Connect has no RDD to count partitions of
        return int(batch.rdd.getNumPartitions())
