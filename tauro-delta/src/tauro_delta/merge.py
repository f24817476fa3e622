"""Upserts into a Delta table, one MERGE per micro-batch, each batch applied at most once.

Idempotence: the MERGE carries Delta's ``txnAppId``/``txnVersion`` (the query id and the batch
id), set on the batch's own session and unset afterwards, so a batch replayed after a crash is
skipped by Delta itself. The query id is new when a checkpoint is recreated, so a new checkpoint
starting again at batch 0 is not mistaken for a replay.

Order: with ``sequence_by`` the newest row per key wins within a batch, and a row never
overwrites (or deletes) a target row with a newer sequence value, across batches. Change Data
Feed input (``_change_type``) is applied as inserts, updates and deletes; pre-images are dropped
and the latest change per key (by ``_commit_version``) is kept.

One implementation serves classic sessions and Spark Connect: a Connect server runs a query's
``foreachBatch`` function in a Python of its own, which has pyspark but not Tauro, and Delta's
``DeltaTable`` API needs a Connect plugin there. So the MERGE is Spark SQL, and this module's
functions travel to the server with their code (pickled by value, ``send_with_code``): they call
only each other, pyspark, the standard library and Delta's SQL, never a function of another
module of Tauro's, loguru or delta, which the server could not import.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

# Constants are sent as values with the functions that use them.
from tauro_delta.options import CDF_COLUMNS, CHANGE_TYPE, COMMIT_VERSION

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

TXN_APP_ID = "spark.databricks.delta.write.txnAppId"
TXN_VERSION = "spark.databricks.delta.write.txnVersion"


def quote_column(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def quote_path(path: str) -> str:
    """``delta.`<path>``` for SQL, backticks escaped."""
    return "delta.`" + path.replace("`", "``") + "`"


def latest_per_key(df: DataFrame, keys: Sequence[str], order: Sequence[str]) -> DataFrame:
    """One row per key: the greatest by ``order`` (nulls last); any one when order is empty."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    ordering = [F.col(c).desc_nulls_last() for c in order] or [F.lit(1)]
    window = Window.partitionBy(*[F.col(k) for k in keys]).orderBy(*ordering)
    ranked = df.withColumn("__tauro_rank", F.row_number().over(window))
    return ranked.where(F.col("__tauro_rank") == 1).drop("__tauro_rank")


def merge_sql(
    path: str,
    source_view: str,
    columns: Sequence[str],
    keys: Sequence[str],
    sequence_by: Sequence[str],
    cdf: bool,
) -> str:
    """The MERGE statement of one batch held in ``source_view``."""
    matches = " AND ".join(f"t.{quote_column(k)} = s.{quote_column(k)}" for k in keys)
    # A target row with a newer sequence value is left alone (an older change arrived late).
    newer = " AND ".join(
        f"(t.{quote_column(c)} IS NULL OR s.{quote_column(c)} >= t.{quote_column(c)})" for c in sequence_by
    )
    assign = ", ".join(f"t.{quote_column(c)} = s.{quote_column(c)}" for c in columns)
    names = ", ".join(quote_column(c) for c in columns)
    values = ", ".join(f"s.{quote_column(c)}" for c in columns)
    deleted = f"s.{quote_column(CHANGE_TYPE)} = 'delete'"

    def when(*conditions: str) -> str:
        present = [f"({c})" for c in conditions if c]
        return f" AND {' AND '.join(present)}" if present else ""

    clauses = [f"MERGE INTO {quote_path(path)} AS t USING {source_view} AS s ON {matches}"]
    if cdf:
        clauses.append(f"WHEN MATCHED{when(deleted, newer)} THEN DELETE")
        clauses.append(f"WHEN MATCHED{when(f'NOT {deleted}', newer)} THEN UPDATE SET {assign}")
        clauses.append(f"WHEN NOT MATCHED{when(f'NOT {deleted}')} THEN INSERT ({names}) VALUES ({values})")
    else:
        clauses.append(f"WHEN MATCHED{when(newer)} THEN UPDATE SET {assign}")
        clauses.append(f"WHEN NOT MATCHED THEN INSERT ({names}) VALUES ({values})")
    return " ".join(clauses)


def add_missing_columns(spark: SparkSession, path: str, source: DataFrame) -> None:
    """mergeSchema: the source's new columns are added to the table (idempotent on replay)."""
    target = {f.name.lower() for f in spark.read.format("delta").load(path).schema.fields}
    new = [f for f in source.schema.fields if f.name.lower() not in target]
    if new:
        columns = ", ".join(f"{quote_column(f.name)} {f.dataType.simpleString()}" for f in new)
        spark.sql(f"ALTER TABLE {quote_path(path)} ADD COLUMNS ({columns})")


def merge_batch(
    batch: DataFrame,
    batch_id: int,
    path: str,
    keys: Sequence[str],
    sequence_by: Sequence[str],
    merge_schema: bool,
    app_id: str | None,
) -> None:
    """MERGE one batch into the Delta table at ``path`` (which exists)."""
    spark = batch.sparkSession
    cdf = CHANGE_TYPE in batch.columns
    source, order = batch, list(sequence_by)
    if cdf:
        source = source.where(f"{quote_column(CHANGE_TYPE)} != 'update_preimage'")
        if COMMIT_VERSION in source.columns:
            order.append(COMMIT_VERSION)
    source = latest_per_key(source, keys, order)
    columns = [c for c in source.columns if c not in CDF_COLUMNS]
    if merge_schema:
        add_missing_columns(spark, path, source.select(*columns))
    view = f"tauro_merge_{uuid.uuid4().hex}"
    source.createOrReplaceTempView(view)
    statement = merge_sql(path, view, columns, keys, sequence_by, cdf)
    if app_id is not None:
        spark.conf.set(TXN_APP_ID, app_id)
        spark.conf.set(TXN_VERSION, str(batch_id))
    try:
        spark.sql(statement)
    finally:
        if app_id is not None:
            spark.conf.unset(TXN_APP_ID)
            spark.conf.unset(TXN_VERSION)
        spark.catalog.dropTempView(view)


def query_id_of(spark: SparkSession, query_name: str) -> str:
    """The id of the session's active query named ``query_name``: kept across restarts of one
    checkpoint, new with a new checkpoint, so a new checkpoint's batch 0 is no replay."""
    for query in spark.streams.active:
        if query.name == query_name:
            return str(query.id)
    # Without the id the MERGE could not be made idempotent: better no write than a double one.
    raise RuntimeError(f"no active streaming query named {query_name!r} in this session")


def upsert_function(
    path: str, keys: Sequence[str], sequence_by: Sequence[str], merge_schema: bool, query_name: str | None
) -> Callable[[DataFrame, int], None]:
    """The ``foreachBatch`` function of a merge over Spark Connect.

    Its batches run on the server in a session attached to the client's, where the query is
    found by its name (unique among active queries) for its id, once per process.
    """
    found: dict[str, str] = {}

    def upsert(batch: DataFrame, batch_id: int) -> None:
        app_id = None
        if query_name:
            if "app_id" not in found:
                found["app_id"] = query_id_of(batch.sparkSession, query_name)
            app_id = found["app_id"]
        merge_batch(batch, batch_id, path, keys, sequence_by, merge_schema, app_id)

    return upsert


def send_with_code() -> None:
    """Pickle this module's functions by value, so a Connect server needs only pyspark."""
    import sys

    from pyspark import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
