"""The ``delta`` sink: Delta's streaming sink (append, complete), or an idempotent MERGE per batch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tauro.plugin import (
    BaseStreamingWriter,
    StreamingValidationError,
    current_query_id,
    is_connect,
    is_true,
)
from tauro_delta.merge import merge_batch, send_with_code, upsert_function
from tauro_delta.option_schemas import SINK_SCHEMA
from tauro_delta.options import (
    CDF_COLUMNS,
    MERGE_KEYS,
    SEQUENCE_BY,
    parse_columns,
    split_sink_options,
)
from tauro_delta.tables import (
    COMPONENT,
    create_table,
    is_delta_table,
    register_table,
    require_delta_session,
    table_columns,
    table_location,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming import DataStreamWriter, StreamingQuery
    from pyspark.sql.types import StructType


def table_schema(schema: StructType, merging: bool) -> StructType:
    """The target's columns for a stream. A merge applies Change Data Feed rows, so their change
    columns are not table data; an append keeps them (an audit trail of the changes)."""
    from pyspark.sql.types import StructType

    if not merging:
        return schema
    return StructType([f for f in schema.fields if f.name not in CDF_COLUMNS])


class DeltaStreamingWriter(BaseStreamingWriter):
    """Write a Delta table at ``path`` or ``<warehouse>/<table_name>``.

    Without ``merge_keys`` this is Delta's streaming sink, exactly-once by itself (append or
    complete mode). With ``merge_keys`` each batch is MERGEd (upserts; Change Data Feed rows as
    inserts, updates and deletes; ``sequence_by`` keeps the newest), skipped when replayed. The
    table is created before the query starts (with any ``delta.*`` table properties given, e.g.
    ``delta.enableChangeDataFeed: true``), so sources downstream can follow it at once.
    """

    spark_format = "delta"
    structured_options = frozenset({MERGE_KEYS, SEQUENCE_BY})
    options_schema: ClassVar[Mapping[str, Any]] = SINK_SCHEMA
    optional_options: ClassVar[Mapping[str, Any]] = {
        MERGE_KEYS: None,
        SEQUENCE_BY: None,
        "mergeSchema": "false",
        "overwriteSchema": "false",
        "delta.enableChangeDataFeed": "false (any delta.* table property)",
        "userMetadata": None,
    }

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self._prepared_path: str | None = None
        self._query_name: str | None = None

    def prepare_table(self, schema: StructType, options: Mapping[str, Any]) -> str:
        """Resolve the table and create it where it must exist before the first batch; check the
        stream's columns fit it. Returns its path.

        A merge needs its target, table properties (Change Data Feed) belong in the table's first
        version, and a named table is registered by name at once, so these are created now. A
        plain append to a path is created by Delta's sink with its first commit, as a
        hand-written query does: creating it first costs a commit per start.
        """
        spark = self.spark
        path = table_location(options, self.context, spark)
        tauro, properties, spark_options = split_sink_options(options)
        merging = bool(tauro.get(MERGE_KEYS))
        columns = table_schema(schema, merging=merging)
        if merging or properties or options.get("table_name"):
            existed = not create_table(spark, path, columns, options.get("partition_by"), properties)
        else:
            existed = is_delta_table(spark, path)
        if existed and not (
            is_true(spark_options, "mergeSchema") or is_true(spark_options, "overwriteSchema")
        ):
            present = table_columns(spark, path)
            new = [f.name for f in columns.fields if f.name.lower() not in present]
            if new:
                raise StreamingValidationError(
                    f"the rows have columns the Delta table at {path} lacks ({', '.join(new)}); set "
                    "options.mergeSchema: true to add them, or drop them in a transform",
                    field="options.mergeSchema",
                    component=COMPONENT,
                )
        for key in parse_columns(tauro.get(MERGE_KEYS, "")) + parse_columns(tauro.get(SEQUENCE_BY, "")):
            if key not in schema.fieldNames():
                field = MERGE_KEYS if key in parse_columns(tauro.get(MERGE_KEYS, "")) else SEQUENCE_BY
                raise StreamingValidationError(
                    f"'{key}' is not a column of the rows written; columns: {', '.join(schema.fieldNames())}",
                    field=f"options.{field}",
                    component=COMPONENT,
                )
        if options.get("table_name"):
            register_table(spark, str(options["table_name"]), path)
        return path

    def write(self, df: DataFrame, **options: Any) -> StreamingQuery:
        self.prepare_table(df.schema, options)
        self._query_name = options.get("query_name")
        return super().write(df, **options)

    def configure(self, writer: DataStreamWriter, **options: Any) -> DataStreamWriter:
        path = table_location(options, self.context, self.spark)
        partition_by = options.pop("partition_by", None)
        tauro, _, spark_options = split_sink_options(
            {k: v for k, v in options.items() if k not in ("path", "table_name")}
        )
        if tauro.get(MERGE_KEYS):
            keys = parse_columns(tauro[MERGE_KEYS])
            sequence = parse_columns(tauro.get(SEQUENCE_BY, ""))
            merge_schema = is_true(spark_options, "mergeSchema")
            if is_connect(self.spark):
                # The server runs the function without Tauro: SQL only, sent with its code.
                send_with_code()
                function = upsert_function(path, keys, sequence, merge_schema, self._query_name)
                return writer.foreachBatch(function)

            def upsert(batch: DataFrame, batch_id: int) -> None:
                app_id = current_query_id(batch.sparkSession)
                merge_batch(batch, batch_id, path, keys, sequence, merge_schema, app_id)

            return writer.foreachBatch(upsert)
        writer = writer.format("delta").option("path", path)
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        return writer.options(**{k: str(v) for k, v in spark_options.items()})

    def reads_whole_batch(self, **options: Any) -> bool:
        # An append is one save; a MERGE's first read of its source is Delta's business.
        return not options.get(MERGE_KEYS)

    def write_batch(self, df: DataFrame, batch_id: int, **options: Any) -> None:
        """One batch (dead letters; the output of a node with dead letters): appended, or
        merged, with the query id and batch id as Delta's txnAppId/txnVersion, so a replayed
        batch is skipped."""
        # The table is checked once per writer, not per batch.
        path = self._prepared_path or self.prepare_table(df.schema, options)
        self._prepared_path = path
        tauro, _, spark_options = split_sink_options(
            {k: v for k, v in options.items() if k not in ("path", "table_name", "partition_by")}
        )
        app_id = current_query_id(df.sparkSession)
        if tauro.get(MERGE_KEYS):
            merge_batch(
                df,
                batch_id,
                path,
                parse_columns(tauro[MERGE_KEYS]),
                parse_columns(tauro.get(SEQUENCE_BY, "")),
                is_true(spark_options, "mergeSchema"),
                app_id,
            )
            return
        writer = (
            df.write.format("delta").mode("append").options(**{k: str(v) for k, v in spark_options.items()})
        )
        if app_id is not None:
            # Several sinks of one query (output and dead letters) write different tables, whose
            # transaction ids are kept apart by Delta.
            writer = writer.option("txnAppId", app_id).option("txnVersion", str(batch_id))
        partition_by = options.get("partition_by")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.save(path)

    def preflight(self, spark: SparkSession, **options: Any) -> None:
        require_delta_session(spark)
