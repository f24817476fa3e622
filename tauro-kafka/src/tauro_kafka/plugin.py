"""Hooks of the ``kafka`` plugin: reader, writer, validators and Spark's Kafka connector package.

pyspark is imported lazily, inside the reader and writer modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tauro.plugin import SparkSettings, hookimpl
from tauro_kafka.options import CONNECTOR_PACKAGE

if TYPE_CHECKING:
    from tauro.plugin import ReaderRegistry, ValidatorRegistry, WriterRegistry


@hookimpl
def tauro_register_readers(registry: ReaderRegistry) -> None:
    from tauro_kafka.reader import KafkaStreamingReader

    registry.add("kafka", KafkaStreamingReader)


@hookimpl
def tauro_register_writers(registry: WriterRegistry) -> None:
    from tauro_kafka.writer import KafkaStreamingWriter

    registry.add("kafka", KafkaStreamingWriter)


@hookimpl
def tauro_register_format_validators(registry: ValidatorRegistry) -> None:
    from tauro_kafka.validators import validate_kafka_input, validate_kafka_output

    registry.add("kafka", validate_kafka_input, role="input")
    registry.add("kafka", validate_kafka_output, role="output")


@hookimpl
def tauro_spark_settings(spark_version: str) -> SparkSettings:
    # Spark's Kafka connector is versioned with Spark itself.
    return SparkSettings(packages=(CONNECTOR_PACKAGE.format(version=spark_version),))
