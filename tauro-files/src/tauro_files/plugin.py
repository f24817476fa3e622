"""Hooks of the ``files`` plugin: the ``file_stream`` reader, the ``file`` writer, the same
source and sink under Spark's file format names (``parquet``, ``json``, ``csv``, ``orc``,
``text``, ``avro``), their validators and Spark's avro package. pyspark is imported lazily,
inside the classes' modules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tauro.plugin import SparkSettings, hookimpl
from tauro_files.options import AVRO_PACKAGE

if TYPE_CHECKING:
    from tauro.plugin import FormatUse, ReaderRegistry, ValidatorRegistry, WriterRegistry


@hookimpl
def tauro_register_readers(registry: ReaderRegistry) -> None:
    from tauro_files.named_formats import READERS
    from tauro_files.reader import FileStreamReader

    registry.add("file_stream", FileStreamReader)
    for name, reader in READERS.items():
        registry.add(name, reader)


@hookimpl
def tauro_register_writers(registry: WriterRegistry) -> None:
    from tauro_files.named_formats import WRITERS
    from tauro_files.writer import FileStreamWriter

    registry.add("file", FileStreamWriter)
    for name, writer in WRITERS.items():
        registry.add(name, writer)


@hookimpl
def tauro_register_format_validators(registry: ValidatorRegistry) -> None:
    from tauro_files.named_formats import INPUT_VALIDATORS, OUTPUT_VALIDATORS
    from tauro_files.validators import validate_file_output, validate_file_stream_input

    registry.add("file_stream", validate_file_stream_input, role="input")
    registry.add("file", validate_file_output, role="output")
    for name in INPUT_VALIDATORS:
        registry.add(name, INPUT_VALIDATORS[name], role="input")
        registry.add(name, OUTPUT_VALIDATORS[name], role="output")


def uses_avro(use: FormatUse) -> bool:
    """avro as the format name itself or as ``options.format`` (Spark's option names are
    case-insensitive)."""
    fmt = {str(k).lower(): v for k, v in use.options.items()}.get("format")
    return use.format == "avro" or str(fmt).lower() == "avro"


@hookimpl
def tauro_spark_settings(spark_version: str, uses: tuple[FormatUse, ...] | None) -> SparkSettings | None:
    # avro is the one format Spark does not ship: its package only when a pipeline reads or
    # writes avro (an Ivy resolution at session start costs seconds), or when asked for all.
    if uses is not None and not any(uses_avro(use) for use in uses):
        return None
    return SparkSettings(packages=(AVRO_PACKAGE.format(version=spark_version),))
