"""Hooks of the ``kinesis`` plugin: reader, writer, validators and the data source registration.

pyspark and boto3 are imported lazily, inside the hooks and the classes' modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tauro.plugin import hookimpl, is_connect

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from tauro.plugin import ReaderRegistry, ValidatorRegistry, WriterRegistry


@hookimpl
def tauro_register_readers(registry: ReaderRegistry) -> None:
    from tauro_kinesis.reader import KinesisStreamingReader

    registry.add("kinesis", KinesisStreamingReader)


@hookimpl
def tauro_register_writers(registry: WriterRegistry) -> None:
    from tauro_kinesis.writer import KinesisStreamingWriter

    registry.add("kinesis", KinesisStreamingWriter)


@hookimpl
def tauro_register_format_validators(registry: ValidatorRegistry) -> None:
    from tauro_kinesis.validators import validate_kinesis_input, validate_kinesis_output

    registry.add("kinesis", validate_kinesis_input, role="input")
    registry.add("kinesis", validate_kinesis_output, role="output")


@hookimpl
def tauro_session_ready(spark: SparkSession) -> None:
    from tauro_kinesis.registration import register_kinesis_source

    if is_connect(spark):
        return  # a Connect server cannot import the data source (validation says why)

    register_kinesis_source(spark)
