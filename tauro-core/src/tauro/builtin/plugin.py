"""The builtin plugin: Spark's own formats, registered through the same hooks as any plugin."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tauro.builtin import readers, writers
from tauro.builtin.writers import validate_foreach_batch
from tauro.plugin import (
    FormatUse,
    ReaderRegistry,
    StreamingValidationError,
    ValidatorRegistry,
    WriterRegistry,
    hookimpl,
    is_connect,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@hookimpl
def tauro_register_readers(registry: ReaderRegistry) -> None:
    registry.add("rate", readers.RateStreamingReader)
    registry.add("rate_micro_batch", readers.RatePerMicroBatchStreamingReader)
    registry.add("socket", readers.SocketStreamingReader)
    registry.add("memory", readers.MemoryStreamingReader)


@hookimpl
def tauro_register_writers(registry: WriterRegistry) -> None:
    registry.add("console", writers.ConsoleStreamingWriter)
    registry.add("memory", writers.MemoryStreamingWriter)
    registry.add("noop", writers.NoopStreamingWriter)
    registry.add("foreach_batch", writers.ForeachBatchStreamingWriter)


def _positive_int(section: Mapping[str, Any], option: str) -> None:
    value = section["options"].get(option)
    if value is not None and (not value.isdigit() or int(value) <= 0):
        raise StreamingValidationError(
            f"must be a positive whole number, not {value!r}", field=f"options.{option}"
        )


def validate_rate(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    _positive_int(section, "rowsPerSecond")
    _positive_int(section, "numPartitions")
    return []


def validate_socket(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    port = section["options"].get("port")
    if port is not None and (not port.isdigit() or not 0 < int(port) < 65536):
        raise StreamingValidationError(f"must be a TCP port (1-65535), not {port!r}", field="options.port")
    return []


def validate_memory_input(section: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    options = section["options"]
    if section.get("schema") is None:
        raise StreamingValidationError(
            "the memory source needs the rows' schema, e.g. schema: 'id BIGINT, value STRING'", field="schema"
        )
    if options.get("stream") and options.get("spool"):
        raise StreamingValidationError(
            "give either options.stream or options.spool, not both", field="options.spool"
        )
    rows = options.get("rows")
    if rows is not None:
        parsed = json.loads(rows)
        if not isinstance(parsed, list) or not all(isinstance(r, dict | list) for r in parsed):
            raise StreamingValidationError(
                "must be a list of rows (mappings of column to value, or lists)", field="options.rows"
            )
    return []


@hookimpl
def tauro_register_format_validators(registry: ValidatorRegistry) -> None:
    registry.add("rate", validate_rate, role="input")
    registry.add("socket", validate_socket, role="input")
    registry.add("memory", validate_memory_input, role="input")
    registry.add("foreach_batch", validate_foreach_batch, role="output")


@hookimpl
def tauro_session_ready(spark: SparkSession, uses: tuple[FormatUse, ...] | None) -> None:
    # Registering the Python data source costs a round trip to a Python worker: only for the
    # memory source (rate, console, foreach_batch, ... need nothing). Idempotent per session.
    if uses is not None and not any(use.format == "memory" for use in uses):
        return
    if is_connect(spark):
        return  # the memory source cannot run on a Connect server (validation says why)
    from tauro.builtin.memory_source import register_memory_source  # imports pyspark

    register_memory_source(spark)
