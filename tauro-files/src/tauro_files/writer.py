"""The ``file`` writer: Spark's file sink, and an idempotent per-batch write for foreachBatch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tauro.plugin import BaseStreamingWriter
from tauro_files.batch_owner import check_batch_owner, record_batch_owner
from tauro_files.option_schemas import SINK_SCHEMA
from tauro_files.options import FORMAT, split_options
from tauro_files.spark_checks import require_format_available

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming import DataStreamWriter

#: Directory of one batch written by ``write_batch``: ``<path>/batch_id=<id>``.
BATCH_DIRECTORY = "batch_id={batch_id}"


def batch_path(path: str, batch_id: int) -> str:
    return f"{path.rstrip('/')}/{BATCH_DIRECTORY.format(batch_id=batch_id)}"


class FileStreamWriter(BaseStreamingWriter):
    """Write ``options.format`` files under ``path`` (append only, as Spark's file sink).

    The streaming sink is Spark's own: exactly-once through its ``_spark_metadata`` log.
    ``write_batch`` (dead letters, and the output of a node with dead letters) writes each batch
    to ``<path>/batch_id=<id>/`` with mode overwrite, so a replayed batch replaces itself.
    """

    # Append-only is enforced by validate_file_output, whose message says why; core's generic
    # check from supported_output_modes would report the same problem a second time.
    supported_output_modes = None
    options_schema: ClassVar[Mapping[str, Any]] = SINK_SCHEMA
    optional_options: ClassVar[Mapping[str, Any]] = {
        FORMAT: "parquet (or json, csv, orc, text, avro)",
        "compression": None,
    }

    #: The file format when the sink is named after it (``format: parquet``); None for ``file``,
    #: which takes ``options.format``.
    file_format: ClassVar[str | None] = None

    def configure(self, writer: DataStreamWriter, **options: Any) -> DataStreamWriter:
        path = str(options.pop("path"))
        partition_by = options.pop("partition_by", None)
        options.pop("table_name", None)
        tauro, spark_options = split_options(options, self.file_format)
        writer = writer.format(str(tauro[FORMAT]).lower()).option("path", path)
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        return writer.options(**spark_options)

    def reads_whole_batch(self, **options: Any) -> bool:
        return True  # one save

    def write_batch(self, df: DataFrame, batch_id: int, **options: Any) -> None:
        path = str(options.pop("path"))
        partition_by = options.pop("partition_by", None)
        options.pop("table_name", None)
        tauro, spark_options = split_options(options, self.file_format)
        target = batch_path(path, batch_id)
        owner = check_batch_owner(df.sparkSession, target, batch_id)
        # Static overwrite: replace the whole batch directory even when the session's
        # partitionOverwriteMode is dynamic, so no file of an earlier attempt survives.
        writer = df.write.format(str(tauro[FORMAT]).lower()).mode("overwrite")
        writer = writer.options(**spark_options).option("partitionOverwriteMode", "static")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.save(target)
        record_batch_owner(df.sparkSession, target, owner)

    def preflight(self, spark: SparkSession, **options: Any) -> None:
        require_format_available(spark, str(split_options(options, self.file_format)[0][FORMAT]).lower())
