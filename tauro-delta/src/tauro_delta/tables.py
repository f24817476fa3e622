"""Where a Delta table lives, whether the session can use Delta, and the table's own state.

A ``table_name`` is a directory under the context's warehouse (``<warehouse>/<name>``), read and
written by path, so later runs and other processes find it without a metastore; every session
Tauro uses also registers the warehouse's Delta tables by name (``spark.table("events")``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from loguru import logger

from tauro.plugin import StreamingValidationError, is_connect, jvm_of
from tauro_delta.merge import quote_path as quoted
from tauro_delta.options import CATALOG, CATALOG_KEY, CDF_PROPERTY, DELTA_CLASS, EXTENSION, delta_package

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

COMPONENT = "tauro-delta"


def warehouse_of(context: Any, spark: SparkSession) -> str:
    """The context's warehouse, else the session's ``spark.sql.warehouse.dir``."""
    warehouse = getattr(context, "warehouse", None)
    if warehouse is None and isinstance(context, Mapping):
        warehouse = context.get("warehouse")
    if warehouse is None:
        warehouse = spark.conf.get("spark.sql.warehouse.dir", "spark-warehouse")
    return str(warehouse).removeprefix("file:")


def table_location(options: Mapping[str, Any], context: Any, spark: SparkSession) -> str:
    """The table's path: ``path`` as given, or ``<warehouse>/<table_name>``."""
    path = options.get("path")
    if path:
        return str(path)
    name = options.get("table_name")
    if not name:
        raise StreamingValidationError(
            "a Delta table needs 'path' or 'table_name'", field="path", component=COMPONENT
        )
    return f"{warehouse_of(context, spark).rstrip('/')}/{name}"


def require_delta_session(spark: SparkSession, field: str = "format") -> None:
    """A session without the Delta jar, extension or catalog fails here with the settings to add
    (they can only be set when the session is built), rather than with a JVM trace later."""
    import pyspark

    jvm = jvm_of(spark)
    package = delta_package(pyspark.__version__)
    missing: list[str] = []
    if jvm is not None and not jvm.org.apache.spark.util.Utils.classIsLoadable(DELTA_CLASS):
        missing.append(f"spark.jars.packages={package}")
    extensions = str(spark.conf.get("spark.sql.extensions", "") or "")
    if EXTENSION not in [e.strip() for e in extensions.split(",")]:
        missing.append(f"spark.sql.extensions={EXTENSION}")
    if str(spark.conf.get(CATALOG_KEY, "") or "") != CATALOG:
        missing.append(f"{CATALOG_KEY}={CATALOG}")
    if missing:
        raise StreamingValidationError(
            "this Spark session is not set up for Delta Lake; build it with "
            + ", ".join(missing)
            + " (Tauro adds these itself when it builds the session)",
            field=field,
            component=COMPONENT,
        )


def is_delta_table(spark: SparkSession, path: str) -> bool:
    if is_connect(spark):
        return _connect_is_delta_table(spark, path)
    from delta.tables import DeltaTable

    try:
        return bool(DeltaTable.isDeltaTable(spark, path))
    except Exception as exc:  # unknown scheme, credentials: let Spark say it in context
        logger.debug("Could not check whether '{}' is a Delta table: {}", path, exc)
        return True


def table_properties(spark: SparkSession, path: str) -> dict[str, str]:
    """The table's properties. SHOW TBLPROPERTIES reads only the table's metadata; DESCRIBE
    DETAIL also sizes every file, which costs a minute on a loaded machine's first call."""
    rows = spark.sql(f"SHOW TBLPROPERTIES {quoted(path)}").collect()
    return {str(r["key"]): str(r["value"]) for r in rows}


def has_change_data_feed(spark: SparkSession, path: str) -> bool:
    return table_properties(spark, path).get(CDF_PROPERTY, "false").lower() == "true"


def create_table(
    spark: SparkSession,
    path: str,
    schema: StructType,
    partition_by: list[str] | None,
    properties: Mapping[str, str],
) -> bool:
    """Create the table (empty) unless it exists; True when this call created it. Existing
    tables get the properties asked for that they lack."""
    exists = (
        _connect_is_delta_table(spark, path) if is_connect(spark) else _classic_is_delta_table(spark, path)
    )
    if exists:
        if not properties:
            return False
        current = table_properties(spark, path)
        changed = {k: v for k, v in properties.items() if current.get(k, "").lower() != v.lower()}
        if changed:
            assignments = ", ".join(f"'{k}' = '{v}'" for k, v in changed.items())
            spark.sql(f"ALTER TABLE {quoted(path)} SET TBLPROPERTIES ({assignments})")
            logger.info("Delta table {}: set {}", path, assignments)
        return False
    if is_connect(spark):
        _connect_create_table(spark, path, schema, partition_by, properties)
        logger.info("Created Delta table {}", path)
        return True
    from delta.tables import DeltaTable

    builder = DeltaTable.createIfNotExists(spark).location(path).addColumns(schema)
    if partition_by:
        builder = builder.partitionedBy(*partition_by)
    for key, value in properties.items():
        builder = builder.property(key, value)
    builder.execute()
    logger.info("Created Delta table {}", path)
    return True


def table_columns(spark: SparkSession, path: str) -> set[str]:
    """The table's column names, lower-case."""
    if is_connect(spark):  # no DeltaTable API over Spark Connect: the reader knows the schema
        fields = spark.read.format("delta").load(path).schema.fields
    else:
        from delta.tables import DeltaTable

        fields = DeltaTable.forPath(spark, path).toDF().schema.fields
    return {f.name.lower() for f in fields}


def _classic_is_delta_table(spark: SparkSession, path: str) -> bool:
    from delta.tables import DeltaTable

    return bool(DeltaTable.isDeltaTable(spark, path))


def _connect_is_delta_table(spark: SparkSession, path: str) -> bool:
    """Over Spark Connect (Delta's DeltaTable API needs Delta's Connect plugin on the server):
    a table's metadata answers when it is one; a path that is not a Delta table raises."""
    try:
        spark.sql(f"SHOW TBLPROPERTIES {quoted(path)}").collect()
    except Exception as exc:
        logger.debug("'{}' is not a readable Delta table: {}", path, str(exc).splitlines()[0])
        return False
    return True


def _connect_create_table(
    spark: SparkSession,
    path: str,
    schema: StructType,
    partition_by: list[str] | None,
    properties: Mapping[str, str],
) -> None:
    """CREATE TABLE ... USING DELTA over SQL (what ``DeltaTable.createIfNotExists`` does)."""
    columns = ", ".join(
        f"`{f.name.replace('`', '``')}` {f.dataType.simpleString()}{'' if f.nullable else ' NOT NULL'}"
        for f in schema.fields
    )
    sql = f"CREATE TABLE IF NOT EXISTS {quoted(path)} ({columns}) USING DELTA"
    if partition_by:
        sql += " PARTITIONED BY (" + ", ".join(f"`{c}`" for c in partition_by) + ")"
    if properties:
        sql += " TBLPROPERTIES (" + ", ".join(f"'{k}' = '{v}'" for k, v in properties.items()) + ")"
    spark.sql(sql)


def register_table(spark: SparkSession, name: str, path: str) -> None:
    """Make ``name`` resolve to the table at ``path`` in this session's catalog."""
    try:
        spark.sql(f"CREATE TABLE IF NOT EXISTS `{name}` USING DELTA LOCATION '{path}'")
    except Exception as exc:  # a catalog that refuses: reading by name is a convenience
        logger.warning("Could not register Delta table '{}' ({}): {}", name, path, str(exc).splitlines()[0])


def register_warehouse_tables(spark: SparkSession) -> list[str]:
    """Register every Delta table directory of the session's warehouse by its name."""
    warehouse = warehouse_of(None, spark)
    if "://" in warehouse or not os.path.isdir(warehouse):
        return []  # remote warehouses: a listing costs a round trip per session; tables resolve by path
    names: list[str] = []
    for entry in sorted(os.listdir(warehouse)):
        location = os.path.join(warehouse, entry)
        if os.path.isdir(os.path.join(location, "_delta_log")) and entry.isidentifier():
            register_table(spark, entry, location)
            names.append(entry)
    return names
