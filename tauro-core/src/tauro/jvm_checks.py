"""Preflight checks against the JVM of a classic Spark session, for plugins.

On Spark Connect there is no JVM in this process: the checks are skipped (logged) and Spark
reports the problem itself when the query starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loguru import logger

from tauro.streaming.exceptions import StreamingValidationError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def jvm_of(spark: SparkSession) -> Any | None:
    """The session's py4j JVM view, or None for a session without one (Spark Connect)."""
    jvm = getattr(spark, "_jvm", None)
    if jvm is None or getattr(spark, "_jsc", None) is None:
        logger.debug("No JVM behind this session (Spark Connect?); JVM preflight checks skipped")
        return None
    return jvm


def require_class(
    spark: SparkSession, class_name: str, *, package: str, what: str, field: str, component: str
) -> None:
    """Fail with the Maven package to add when ``class_name`` is not on the session's classpath."""
    jvm = jvm_of(spark)
    if jvm is None or jvm.org.apache.spark.util.Utils.classIsLoadable(class_name):
        return
    raise StreamingValidationError(
        f"{what} needs the Spark package {package}, which this session does not have; start the "
        f"session with spark.jars.packages={package} (Tauro adds it when it builds the session)",
        field=field,
        component=component,
    )
