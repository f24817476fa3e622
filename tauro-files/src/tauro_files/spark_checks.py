"""Preflight checks that need the running Spark: the avro package and the source directory.

They use the JVM of a classic session; on Spark Connect (no JVM here) they are skipped and
Spark reports the problem when the query starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loguru import logger

from tauro.plugin import StreamingValidationError, jvm_of, require_class
from tauro_files.options import AVRO_CLASS, AVRO_PACKAGE, FORMAT
from tauro_files.paths import has_glob

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def require_format_available(spark: SparkSession, fmt: str) -> None:
    """avro is a separate Spark package: name it when it is missing, rather than a JVM trace."""
    if fmt != "avro":
        return
    import pyspark

    package = AVRO_PACKAGE.format(version=pyspark.__version__)
    require_class(
        spark,
        AVRO_CLASS,
        package=package,
        what="format avro",
        field=f"options.{FORMAT}",
        component="tauro-files",
    )


def require_path_exists(spark: SparkSession, path: str) -> None:
    """Spark's file source fails on a missing directory once the query runs; say it first."""
    if not path or has_glob(path):
        return  # a glob may match nothing yet; Spark lists it every trigger
    jvm = jvm_of(spark)
    if jvm is None:
        return
    try:
        hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
        exists = hadoop_path.getFileSystem(spark._jsc.hadoopConfiguration()).exists(hadoop_path)
    except Exception as exc:  # credentials, unknown scheme, ...: let Spark report it in context
        logger.debug("Could not check that '{}' exists: {}", path, exc)
        return
    if not exists:
        raise StreamingValidationError(
            f"'{path}' does not exist; create the directory before starting the query (Spark's file "
            "source does not wait for it to appear)",
            field="path",
            component="tauro-files",
        )
