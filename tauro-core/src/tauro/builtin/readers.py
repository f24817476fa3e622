"""Readers for Spark's built-in sources: rate, socket, and Tauro's memory test source."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tauro.plugin import (
    BaseStreamingReader,
    bool_option,
    int_option,
    options_object,
    refuse_over_connect,
    structured_option,
    text_option,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: Why the memory source cannot run on a Spark Connect server.
MEMORY_OVER_CONNECT = (
    "the memory source is a Python data source whose planner runs in the Spark Connect "
    "server's Python, which cannot import Tauro; use a file source (file_stream) for test data"
)


class RateStreamingReader(BaseStreamingReader):
    """Spark's ``rate`` source: ``timestamp`` and ``value`` rows at a fixed rate (testing)."""

    spark_format = "rate"
    spark_counts_rows = True
    optional_options: ClassVar[dict[str, Any]] = {
        "rowsPerSecond": "1",
        "rampUpTime": "0s",
        "numPartitions": None,
    }
    options_schema: ClassVar[dict[str, Any]] = options_object(
        {
            "rowsPerSecond": int_option("Rows generated per second.", minimum=1, default=1),
            "rampUpTime": text_option("Time to reach rowsPerSecond, e.g. '5s'.", default="0s"),
            "numPartitions": int_option("Partitions of the generated rows.", minimum=1),
        }
    )


class RatePerMicroBatchStreamingReader(BaseStreamingReader):
    """Spark's ``rate-micro-batch`` source: a fixed number of rows per micro-batch."""

    spark_format = "rate-micro-batch"
    spark_counts_rows = True
    required_options = ("rowsPerBatch",)
    optional_options: ClassVar[dict[str, Any]] = {
        "numPartitions": None,
        "startTimestamp": "0",
        "advanceMillisPerBatch": "1000",
    }
    options_schema: ClassVar[dict[str, Any]] = options_object(
        {
            "rowsPerBatch": int_option("Rows in every micro-batch.", minimum=1),
            "numPartitions": int_option("Partitions of the generated rows.", minimum=1),
            "startTimestamp": int_option("Timestamp (ms) of the first batch's rows.", default=0),
            "advanceMillisPerBatch": int_option(
                "Milliseconds the timestamp advances per batch.", default=1000
            ),
        },
        required=("rowsPerBatch",),
    )


class SocketStreamingReader(BaseStreamingReader):
    """Spark's ``socket`` source (development only: no replay, so restarts lose data)."""

    spark_format = "socket"
    spark_counts_rows = True
    payload_column = "value"
    dev_only: ClassVar[bool] = True
    required_options = ("host", "port")
    options_schema: ClassVar[dict[str, Any]] = options_object(
        {
            "host": text_option("Host to connect to."),
            "port": int_option("TCP port (1-65535).", minimum=1, maximum=65535),
            "includeTimestamp": bool_option("Add a timestamp column.", default=False),
        },
        required=("host", "port"),
    )


class MemoryStreamingReader(BaseStreamingReader):
    """A replayable test source whose rows come from the config or are pushed from Python.

    Backed by a Python data source over a spool directory (see ``memory_source``): each push is
    one atomically written file and the offset is its index, so checkpoints and restarts work
    as with a real source. Options: ``stream`` (a name; the spool lives under the context's
    base directory) or ``spool`` (a directory), and ``rows`` (a list written once, when the
    spool is created). The input's ``schema`` is required.
    """

    payload_column = "value"
    structured_options: ClassVar[frozenset[str]] = frozenset({"rows"})
    optional_options: ClassVar[dict[str, Any]] = {"stream": None, "spool": None, "rows": None}
    options_schema: ClassVar[dict[str, Any]] = options_object(
        {
            "stream": text_option("A name: the spool lives under the context's base directory."),
            "spool": text_option("A spool directory (not with stream)."),
            "rows": structured_option("Rows written once, when the spool is created: mappings or lists."),
        }
    )

    @classmethod
    def connect_refusal(cls, options: Mapping[str, Any]) -> tuple[str, str] | None:
        return ("format", MEMORY_OVER_CONNECT)

    def preflight(self, spark: SparkSession, **options: Any) -> None:
        refuse_over_connect(spark, "format", MEMORY_OVER_CONNECT, component="memory")

    def read(self, **options: Any) -> DataFrame:
        from tauro.builtin.memory_source import read_memory_stream  # imports pyspark

        return read_memory_stream(self.context, self.spark, **options)
