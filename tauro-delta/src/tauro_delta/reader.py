"""The ``delta`` source (a table as a stream) and ``delta_stream`` (its Change Data Feed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tauro.plugin import BaseStreamingReader, StreamingValidationError
from tauro_delta.merge import quote_path as quoted
from tauro_delta.option_schemas import CHANGE_FEED_SCHEMA, SOURCE_SCHEMA
from tauro_delta.options import CDF_PROPERTY
from tauro_delta.tables import (
    COMPONENT,
    has_change_data_feed,
    is_delta_table,
    require_delta_session,
    table_location,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def _spark_options(options: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(k): str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in options.items()
        if k not in ("path", "table_name", "schema") and v is not None
    }


class DeltaStreamingReader(BaseStreamingReader):
    """Stream the rows appended to a Delta table (``path`` or ``table_name``).

    Spark counts the rows of Delta's source itself. A table whose rows are updated or deleted
    stops this stream unless ``skipChangeCommits`` is true (or follow it with ``delta_stream``).
    """

    spark_format = "delta"
    spark_counts_rows = True
    metadata_columns = ()
    optional_options: ClassVar[Mapping[str, Any]] = {
        "startingVersion": "(the table's current state, then new commits)",
        "startingTimestamp": None,
        "maxFilesPerTrigger": "1000",
        "maxBytesPerTrigger": None,
        "skipChangeCommits": "false",
        "ignoreDeletes": "false",
    }
    options_schema: ClassVar[Mapping[str, Any]] = SOURCE_SCHEMA
    change_data_feed: ClassVar[bool] = False

    def location(self, options: Mapping[str, Any]) -> str:
        return table_location(options, self.context, self.spark)

    def read(self, **options: Any) -> DataFrame:
        path = self.location(options)
        spark_options = _spark_options(options)
        if self.change_data_feed:
            spark_options = {k: v for k, v in spark_options.items() if k.lower() != "readchangefeed"}
            spark_options["readChangeFeed"] = "true"
        return self.spark.readStream.format("delta").options(**spark_options).load(path)

    def preflight(self, spark: SparkSession, **options: Any) -> None:
        require_delta_session(spark)
        path = table_location(options, self.context, spark)
        where = "table_name" if options.get("table_name") and not options.get("path") else "path"
        if not is_delta_table(spark, path):
            raise StreamingValidationError(
                f"there is no Delta table at {path}; create it first (a node writing it with "
                "format: delta, listed in depends_on, does), or correct the " + where,
                field=where,
                component=COMPONENT,
            )
        if self.change_data_feed and not has_change_data_feed(spark, path):
            raise StreamingValidationError(
                f"the Delta table at {path} does not record its changes (Change Data Feed is off); "
                f"turn it on with ALTER TABLE {quoted(path)} SET TBLPROPERTIES "
                f"({CDF_PROPERTY} = true), or create it from Tauro with options "
                f"'{CDF_PROPERTY}: true' on its delta sink. Changes are recorded from that version on",
                field=where,
                component=COMPONENT,
            )


class DeltaChangeFeedReader(DeltaStreamingReader):
    """Stream a Delta table's Change Data Feed: every insert, update (pre- and post-image) and
    delete, with ``_change_type``, ``_commit_version`` and ``_commit_timestamp``.

    ``startingVersion`` (a version or ``latest``) or ``startingTimestamp`` choose where to begin;
    without either the stream starts with the table's current rows as inserts.
    """

    change_data_feed = True
    options_schema: ClassVar[Mapping[str, Any]] = CHANGE_FEED_SCHEMA
    optional_options: ClassVar[Mapping[str, Any]] = {
        "readChangeFeed": "true (always on for this format)",
        "startingVersion": "(the table's current state as inserts, then changes)",
        "startingTimestamp": None,
        "maxFilesPerTrigger": "1000",
        "maxBytesPerTrigger": None,
    }
