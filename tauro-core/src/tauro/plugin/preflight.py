"""Helpers for checks that need Spark (``preflight``) and for code running inside a batch.

On Spark Connect there is no JVM in this process: the checks are skipped (logged) and Spark
reports the problem itself when the query starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loguru import logger

from tauro.errors import StreamingValidationError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def is_connect(spark: Any) -> bool:
    """True for a Spark Connect session (its JVM is on a server, not in this process)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def refuse_over_connect(spark: Any, field: str, reason: str, *, component: str = "plugin") -> None:
    """Raise a ``StreamingValidationError`` on ``field`` saying why it cannot run over Spark
    Connect, when ``spark`` is a Connect session; nothing otherwise. For ``preflight``."""
    if is_connect(spark):
        raise StreamingValidationError(
            f"{field} is not supported over Spark Connect: {reason}",
            field=field,
            expected="a classic (non-Connect) Spark session",
            component=component,
        )


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


#: Local property Spark sets on the thread running a micro-batch (foreachBatch included).
QUERY_ID_PROPERTY = "sql.streaming.queryId"


def current_query_id(spark: SparkSession) -> str | None:
    """The id of the streaming query whose batch runs on this thread, or None.

    Stable across restarts from one checkpoint, so sinks use it as an idempotency key
    (Delta's ``txnAppId``). None outside a batch and on Spark Connect (no SparkContext here).
    """
    try:
        value = spark.sparkContext.getLocalProperty(QUERY_ID_PROPERTY)
    except Exception:  # Spark Connect: no SparkContext on this side
        return None
    return str(value) if value else None
