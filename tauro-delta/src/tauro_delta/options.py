"""Names the Delta family uses: its Maven package, session settings and Tauro's own options."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

DELTA_VERSION = "4.4.0"
#: The Delta artifact is built per Spark minor version (delta-spark_4.2_2.13 for Spark 4.2).
PACKAGE = "io.delta:delta-spark_{spark_minor}_2.13:" + DELTA_VERSION
EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"
CATALOG_KEY = "spark.sql.catalog.spark_catalog"
CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog"
#: A class of the Delta jar: its presence on the classpath means the package is there.
DELTA_CLASS = "io.delta.tables.DeltaTable"
CDF_PROPERTY = "delta.enableChangeDataFeed"

# Sink options Tauro handles itself (never passed to Spark).
MERGE_KEYS = "merge_keys"
SEQUENCE_BY = "sequence_by"
TAURO_SINK_OPTIONS = (MERGE_KEYS, SEQUENCE_BY)
#: Options starting with "delta." are table properties, set when Tauro creates the table.
PROPERTY_PREFIX = "delta."

# Options Delta's streaming sink understands (others are ignored by Delta: a warning here).
SINK_OPTIONS = ("mergeSchema", "overwriteSchema", "userMetadata", "maxRecordsPerFile", "optimizeWrite")
BOOLEAN_SINK_OPTIONS = ("mergeSchema", "overwriteSchema", "optimizeWrite")

# Options of Delta's streaming source.
SOURCE_OPTIONS = (
    "startingVersion",
    "startingTimestamp",
    "maxFilesPerTrigger",
    "maxBytesPerTrigger",
    "ignoreDeletes",
    "ignoreChanges",
    "skipChangeCommits",
    "withEventTimeOrder",
    "schemaTrackingLocation",
    "excludeRegex",
)
CDF_SOURCE_OPTIONS = (*SOURCE_OPTIONS, "readChangeFeed")
BOOLEAN_SOURCE_OPTIONS = (
    "ignoreDeletes",
    "ignoreChanges",
    "skipChangeCommits",
    "withEventTimeOrder",
    "readChangeFeed",
)
POSITIVE_INT_SOURCE_OPTIONS = ("maxFilesPerTrigger",)

# Columns of a Change Data Feed row beside the table's own.
CHANGE_TYPE = "_change_type"
COMMIT_VERSION = "_commit_version"
COMMIT_TIMESTAMP = "_commit_timestamp"
CDF_COLUMNS = (CHANGE_TYPE, COMMIT_VERSION, COMMIT_TIMESTAMP)

_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def delta_package(spark_version: str) -> str:
    major, minor, *_ = spark_version.split(".")
    return PACKAGE.format(spark_minor=f"{major}.{minor}")


def session_conf() -> dict[str, str]:
    return {"spark.sql.extensions": EXTENSION, CATALOG_KEY: CATALOG}


#: Partitions Delta uses to rebuild a table's state from its log (50 unless set).
SNAPSHOT_PARTITIONS = "spark.databricks.delta.snapshotPartitions"


def is_table_name(name: str) -> bool:
    return _TABLE_NAME.match(name) is not None


def parse_columns(value: Any) -> list[str]:
    """``merge_keys`` / ``sequence_by``: a list, or names separated by commas."""
    if isinstance(value, list | tuple):
        items = [str(v).strip() for v in value]
    else:
        text = str(value).strip()
        if text.startswith("["):
            import json

            try:
                items = [str(v).strip() for v in json.loads(text)]
            except ValueError:
                items = [text]
        else:
            items = [part.strip() for part in text.split(",")]
    return [item for item in items if item]


def split_sink_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """(Tauro's options by lower-case name, table properties, options for Spark)."""
    tauro: dict[str, Any] = {}
    properties: dict[str, str] = {}
    spark: dict[str, Any] = {}
    for key, value in options.items():
        name = str(key)
        if name.lower() in TAURO_SINK_OPTIONS:
            tauro[name.lower()] = value
        elif name.lower().startswith(PROPERTY_PREFIX):
            properties[name] = str(value).lower() if isinstance(value, bool) else str(value)
        elif value is not None:
            spark[name] = value
    return tauro, properties, spark
