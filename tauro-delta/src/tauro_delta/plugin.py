"""Hooks of the ``delta`` plugin: the sink, two sources, their validators, the Delta package and
session settings, and the warehouse's tables registered by name in every session.

pyspark and delta-spark are imported lazily, inside the reader, writer and table modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tauro.plugin import SparkSettings, hookimpl
from tauro_delta.options import delta_package, session_conf

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from tauro.plugin import ReaderRegistry, ValidatorRegistry, WriterRegistry


@hookimpl
def tauro_register_readers(registry: ReaderRegistry) -> None:
    from tauro_delta.reader import DeltaChangeFeedReader, DeltaStreamingReader

    registry.add("delta", DeltaStreamingReader)
    registry.add("delta_stream", DeltaChangeFeedReader)


@hookimpl
def tauro_register_writers(registry: WriterRegistry) -> None:
    from tauro_delta.writer import DeltaStreamingWriter

    registry.add("delta", DeltaStreamingWriter)


@hookimpl
def tauro_register_format_validators(registry: ValidatorRegistry) -> None:
    from tauro_delta.validators import (
        validate_delta_input,
        validate_delta_output,
        validate_delta_stream_input,
    )

    registry.add("delta", validate_delta_input, role="input")
    registry.add("delta_stream", validate_delta_stream_input, role="input")
    registry.add("delta", validate_delta_output, role="output")


@hookimpl
def tauro_spark_settings(spark_version: str) -> SparkSettings:
    # The Delta artifact is named after the Spark minor version it is built for.
    return SparkSettings(packages=(delta_package(spark_version),), conf=session_conf())


@hookimpl
def tauro_session_ready(spark: SparkSession) -> None:
    from tauro.plugin import jvm_of
    from tauro_delta.options import DELTA_CLASS
    from tauro_delta.tables import register_warehouse_tables

    jvm = jvm_of(spark)
    if jvm is not None and not jvm.org.apache.spark.util.Utils.classIsLoadable(DELTA_CLASS):
        return  # a session without Delta: the preflight of a Delta node says what to add
    size_snapshots_for_local_mode(spark)
    register_warehouse_tables(spark)


def size_snapshots_for_local_mode(spark: SparkSession) -> None:
    """On a local master, Delta rebuilds a table's state in as many partitions as the session has
    cores, not 50: every small commit, merge and read of a local run waits on that rebuild, and
    50 tasks on a few cores made them about 40% slower. A value the user set is kept; clusters
    keep Delta's default."""
    from tauro.plugin import is_connect
    from tauro_delta.options import SNAPSHOT_PARTITIONS

    if is_connect(spark):
        return  # the server's master and cores are not known to a Connect client
    if not spark.sparkContext.master.startswith("local") or spark.conf.get(SNAPSHOT_PARTITIONS, ""):
        return
    spark.conf.set(SNAPSHOT_PARTITIONS, str(max(1, spark.sparkContext.defaultParallelism)))
