"""The ``file_stream`` reader: Spark's streaming file source for every supported format."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tauro.plugin import BaseStreamingReader, StreamingValidationError, first_line, is_true
from tauro_files.option_schemas import SOURCE_SCHEMA
from tauro_files.options import (
    FORMAT,
    INCLUDE_SOURCE_FILE,
    INFER_SCHEMA,
    SOURCE_FILE_COLUMN,
    STREAM_OPTIONS,
    split_options,
)
from tauro_files.spark_checks import require_format_available, require_path_exists

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType


class FileStreamReader(BaseStreamingReader):
    """Watch a directory (or glob) for new files of ``options.format``.

    ``read`` receives the input's options plus ``path`` and, when set, ``schema`` (a
    ``StructType``). ``format``, ``infer_schema`` and ``include_source_file`` are Tauro's options;
    every other option goes to Spark unchanged (maxFilesPerTrigger, cleanSource, header, ...).
    """

    #: ``parse_json`` parses the lines of ``options.format: text`` (Spark's text column).
    payload_column = "value"
    # Spark counts JVM sources' rows itself: no observe operator (it costs up to ~7%).
    spark_counts_rows = True
    #: Kept with dead letters when ``include_source_file`` is true.
    metadata_columns = (SOURCE_FILE_COLUMN,)
    options_schema: ClassVar[Mapping[str, Any]] = SOURCE_SCHEMA
    optional_options: ClassVar[Mapping[str, Any]] = {
        FORMAT: "parquet (or json, csv, orc, text, avro)",
        INFER_SCHEMA: "false",
        INCLUDE_SOURCE_FILE: "false",
        "maxFilesPerTrigger": None,
        "maxBytesPerTrigger": None,
        "latestFirst": "false",
        "fileNameOnly": "false",
        "maxFileAge": "7d",
        "pathGlobFilter": None,
        "recursiveFileLookup": "false",
        "cleanSource": "off",
        "sourceArchiveDir": None,
    }

    #: The file format when the source is named after it (``format: parquet``); None for
    #: ``file_stream``, which takes ``options.format``.
    file_format: ClassVar[str | None] = None

    def read(self, **options: Any) -> DataFrame:
        from pyspark.sql import functions as F

        path = str(options.pop("path"))
        schema: StructType | None = options.pop("schema", None)
        options.pop("table_name", None)
        tauro, spark_options = split_options(options, self.file_format)
        fmt = str(tauro[FORMAT]).lower()
        if schema is None and fmt != "text":
            # parquet/orc/avro carry their schema; json/csv only with infer_schema (validated).
            schema = self.infer_schema(fmt, path, spark_options, infer=is_true(tauro, INFER_SCHEMA))
        reader = self.spark.readStream.format(fmt).options(**spark_options)
        if schema is not None:
            reader = reader.schema(schema)
        df = reader.load(path)
        if is_true(tauro, INCLUDE_SOURCE_FILE):
            df = df.withColumn(SOURCE_FILE_COLUMN, F.col("_metadata.file_path"))
        return df

    def infer_schema(
        self, fmt: str, path: str, spark_options: Mapping[str, str], *, infer: bool
    ) -> StructType:
        """The schema of the files present now, read once as a batch.

        Spark's streaming file source infers only with the session-wide
        ``spark.sql.streaming.schemaInference=true``; a batch read of the same path with the same
        options infers the same schema for this one source and leaves the session alone.
        """
        batch_options = {k: v for k, v in spark_options.items() if k.lower() not in STREAM_OPTIONS}
        if fmt == "csv" and infer:
            batch_options = {"inferSchema": "true", **batch_options}
        try:
            schema: StructType = self.spark.read.format(fmt).options(**batch_options).load(path).schema
        except Exception as exc:
            raise StreamingValidationError(
                f"cannot infer the schema of the {fmt} files in '{path}' ({first_line(exc)}); the "
                "directory must hold at least one file when the query starts, or give input.schema",
                field="schema",
                component=type(self).__name__,
                operation="infer_schema",
            ) from exc
        return schema

    def parse_keep_columns(self, options: Mapping[str, Any]) -> tuple[str, ...]:
        """Columns kept beside the parsed JSON fields (core's ``parse_json``)."""
        return (SOURCE_FILE_COLUMN,) if is_true(options, INCLUDE_SOURCE_FILE) else ()

    def preflight(self, spark: SparkSession, **options: Any) -> None:
        fmt = str(split_options(options, self.file_format)[0][FORMAT]).lower()
        require_format_available(spark, fmt)
        require_path_exists(spark, str(options.get("path", "")))
