"""Which query wrote a ``batch_id=<id>`` directory, so a reset checkpoint cannot overwrite it.

Batch ids restart at 0 when a checkpoint is recreated. ``write_batch`` overwrites its batch
directory (that is what makes a replay idempotent), so without a guard a query on a new
checkpoint would silently replace the batches of the previous one. After writing a batch the
writer leaves ``_tauro_query_<id>`` in its directory (Spark skips ``_`` files when reading);
before writing, it refuses a directory another query id owns. The id is Spark's persistent
query id: stable across restarts on one checkpoint, new for a new checkpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loguru import logger

from tauro.plugin import StreamingQueryError, current_query_id

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

MARKER_PREFIX = "_tauro_query_"  # no "=": Spark reads "_x=y" names as partitions


def _file_system(spark: SparkSession, directory: str) -> tuple[Any, Any] | None:
    jvm: Any = getattr(spark, "_jvm", None)
    jsc: Any = getattr(spark, "_jsc", None)
    if jvm is None or jsc is None:
        return None
    path = jvm.org.apache.hadoop.fs.Path(directory)
    return path.getFileSystem(jsc.hadoopConfiguration()), path


def check_batch_owner(spark: SparkSession, directory: str, batch_id: int) -> str | None:
    """Raise if another query wrote ``directory``; return this query's id to record after."""
    query_id = current_query_id(spark)
    located = _file_system(spark, directory) if query_id else None
    if located is None:
        logger.debug("write_batch outside a streaming query or without a JVM: no owner check")
        return None
    fs, path = located
    if not fs.exists(path):
        return query_id
    owners = [
        name[len(MARKER_PREFIX) :]
        for name in (status.getPath().getName() for status in fs.listStatus(path))
        if name.startswith(MARKER_PREFIX)
    ]
    others = [owner for owner in owners if owner != query_id]
    if others:
        raise StreamingQueryError(
            f"'{directory}' holds batch {batch_id} of query {others[0]}, and this query ({query_id}) "
            "runs on another checkpoint: writing would replace that batch. Write to a new path, or "
            "delete the old batch_id=* directories if they are no longer needed",
            operation="write_batch",
            component="tauro-files",
        )
    return query_id


def record_batch_owner(spark: SparkSession, directory: str, query_id: str | None) -> None:
    """Leave the owner marker in a batch directory just written."""
    located = _file_system(spark, f"{directory.rstrip('/')}/{MARKER_PREFIX}{query_id}") if query_id else None
    if located is not None:
        fs, marker = located
        fs.create(marker, True).close()
