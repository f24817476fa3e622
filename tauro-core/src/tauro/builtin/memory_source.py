"""Tauro's replayable in-memory test source: how the builtin plugin registers and reads it.

The source is a Spark Python data source over a spool directory: ``memory_spool`` writes the
files, ``memory_types`` converts their rows to the schema, ``memory_datasource`` is the data
source. This module is the glue (spool location from the context, options) and the public face.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger

from tauro.builtin.memory_datasource import MemoryDataSource, MemoryStreamReader
from tauro.builtin.memory_spool import (
    BASE64_MARKER,
    DATA_SOURCE_NAME,
    STREAM_NAME,
    MemorySourceError,
    MemorySpool,
)
from tauro.builtin.memory_types import max_files_option
from tauro.config.context import context_settings
from tauro.errors import StreamingValidationError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "BASE64_MARKER",
    "DATA_SOURCE_NAME",
    "MemoryDataSource",
    "MemorySourceError",
    "MemorySpool",
    "MemoryStreamReader",
    "read_memory_stream",
    "register_memory_source",
    "spool_dir_for",
]

_registered: weakref.WeakSet[SparkSession] = weakref.WeakSet()
_register_lock = threading.Lock()


def register_memory_source(spark: SparkSession) -> None:
    """Register the data source with ``spark`` (once per session object)."""
    with _register_lock:
        if spark in _registered:
            return
        try:
            spark.dataSource.register(MemoryDataSource)
        except Exception as error:  # e.g. a Spark Connect server without Python data sources
            logger.warning(
                "could not register the {} data source ({}); the memory source is unavailable",
                DATA_SOURCE_NAME,
                error,
            )
            return
        _registered.add(spark)


def spool_dir_for(context: Any, stream: str) -> Path:
    """The spool directory of a named stream: ``<base_dir>/memory/<stream>``."""
    if not STREAM_NAME.fullmatch(stream):
        raise StreamingValidationError(
            f"stream names use letters, digits, '_', '-' and '.', not {stream!r}",
            field="options.stream",
        )
    return Path(context_settings(context)["base_dir"]) / "memory" / stream


def _spool_path(context: Any, options: Mapping[str, Any]) -> Path:
    stream, spool = options.get("stream"), options.get("spool")
    if stream and spool:
        raise StreamingValidationError(
            "give either options.stream or options.spool, not both", field="options.spool"
        )
    path = Path(spool).expanduser() if spool else spool_dir_for(context, stream or "default")
    return path.absolute()  # the Python workers may run in another directory


def _config_rows(rows: Any) -> list[Any]:
    try:
        parsed = json.loads(rows) if isinstance(rows, str | bytes) else rows
    except ValueError as error:
        raise StreamingValidationError(f"is not valid JSON: {error}", field="options.rows") from None
    if not isinstance(parsed, list) or not all(isinstance(row, dict | list) for row in parsed):
        raise StreamingValidationError(
            "must be a list of rows (mappings of column to value, or lists)", field="options.rows"
        )
    return parsed


def _checked_max_files(value: Any) -> int | None:
    try:
        return max_files_option(value)
    except ValueError as error:
        raise StreamingValidationError(str(error), field="options.maxFilesPerTrigger") from None


def read_memory_stream(context: Any, spark: SparkSession, **options: Any) -> DataFrame:
    """The memory source's streaming DataFrame (what ``MemoryStreamingReader.read`` returns).

    Options: ``stream`` (name; default ``default``) or ``spool`` (directory), ``rows`` (JSON
    list written as the first file when the spool has none), ``schema`` (required) and
    ``maxFilesPerTrigger``.
    """
    schema = options.get("schema")
    if schema is None:
        raise StreamingValidationError(
            "the memory source needs the rows' schema, e.g. schema: 'id BIGINT, value STRING'",
            field="input.schema",
        )
    max_files = _checked_max_files(options.get("maxFilesPerTrigger"))
    spool = MemorySpool(_spool_path(context, options))
    if options.get("rows") is not None:
        rows = _config_rows(options["rows"])
        if rows:
            spool.seed(rows)
    register_memory_source(spark)
    reader = (
        spark.readStream.format(DATA_SOURCE_NAME)
        .schema(schema)
        .option("spool", str(spool.path))
        .option("timeZone", spark.conf.get("spark.sql.session.timeZone") or "UTC")
    )
    if max_files is not None:
        reader = reader.option("maxFilesPerTrigger", str(max_files))
    return reader.load()
