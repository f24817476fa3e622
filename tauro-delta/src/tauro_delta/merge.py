"""Upserts into a Delta table, one MERGE per micro-batch, each batch applied at most once.

Idempotence: the MERGE carries Delta's ``txnAppId``/``txnVersion`` (the query id and the batch
id), set on the batch's own session and unset afterwards, so a batch replayed after a crash is
skipped by Delta itself. The query id is new when a checkpoint is recreated, so a new checkpoint
starting again at batch 0 is not mistaken for a replay.

Order: with ``sequence_by`` the newest row per key wins within a batch, and a row never
overwrites (or deletes) a target row with a newer sequence value, across batches. Change Data
Feed input (``_change_type``) is applied as inserts, updates and deletes; pre-images are dropped
and the latest change per key (by ``_commit_version``) is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from loguru import logger

from tauro_delta.options import CDF_COLUMNS, CHANGE_TYPE, COMMIT_VERSION
from tauro_delta.sql_merge import TXN_APP_ID, TXN_VERSION, latest_per_key
from tauro_delta.sql_merge import quote_column as _col
from tauro_delta.sql_merge import quote_path as quoted

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def add_missing_columns(spark: SparkSession, path: str, source: DataFrame) -> None:
    """Schema evolution for merges (mergeSchema): new source columns are added to the table.
    Adding columns is idempotent, so a replayed batch finds them there and adds nothing."""
    from delta.tables import DeltaTable

    target = {f.name.lower() for f in DeltaTable.forPath(spark, path).toDF().schema.fields}
    new = [f for f in source.schema.fields if f.name.lower() not in target]
    if new:
        columns = ", ".join(f"{_col(f.name)} {f.dataType.simpleString()}" for f in new)
        spark.sql(f"ALTER TABLE {quoted(path)} ADD COLUMNS ({columns})")
        logger.info("Delta table {}: added columns {}", path, columns)


def merge_batch(
    batch: DataFrame,
    batch_id: int,
    path: str,
    keys: Sequence[str],
    sequence_by: Sequence[str],
    merge_schema: bool,
    app_id: str | None,
) -> None:
    """MERGE one batch into the table at ``path`` (which exists)."""
    from delta.tables import DeltaTable

    spark = batch.sparkSession
    is_cdf = CHANGE_TYPE in batch.columns
    source = batch
    order = list(sequence_by)
    if is_cdf:
        source = source.where(f"{CHANGE_TYPE} != 'update_preimage'")
        if COMMIT_VERSION in source.columns:
            order.append(COMMIT_VERSION)
    source = latest_per_key(source, keys, order)
    data_columns = [c for c in source.columns if c not in CDF_COLUMNS]
    if merge_schema:
        add_missing_columns(spark, path, source.select(*data_columns))
    matches = " AND ".join(f"t.{_col(k)} = s.{_col(k)}" for k in keys)
    # A target row with a newer sequence value is left alone (an older change arrived late).
    newer = " AND ".join(f"(t.{_col(c)} IS NULL OR s.{_col(c)} >= t.{_col(c)})" for c in sequence_by)
    assignments = {_col(c): f"s.{_col(c)}" for c in data_columns}
    deleted = f"s.{CHANGE_TYPE} = 'delete'"

    def both(*conditions: str) -> str | None:
        present = [c for c in conditions if c]
        return " AND ".join(f"({c})" for c in present) or None

    merge = DeltaTable.forPath(spark, path).alias("t").merge(source.alias("s"), matches)
    if is_cdf:
        merge = merge.whenMatchedDelete(condition=both(deleted, newer))
        merge = merge.whenMatchedUpdate(condition=both(f"NOT {deleted}", newer), set=assignments)
        merge = merge.whenNotMatchedInsert(condition=f"NOT {deleted}", values=assignments)
    else:
        merge = merge.whenMatchedUpdate(condition=both(newer), set=assignments)
        merge = merge.whenNotMatchedInsert(values=assignments)
    if app_id is not None:
        spark.conf.set(TXN_APP_ID, app_id)
        spark.conf.set(TXN_VERSION, str(batch_id))
    try:
        merge.execute()
    finally:
        if app_id is not None:
            spark.conf.unset(TXN_APP_ID)
            spark.conf.unset(TXN_VERSION)
