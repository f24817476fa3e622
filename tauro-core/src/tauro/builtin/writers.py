"""Writers for Spark's built-in sinks: console, memory, noop and foreachBatch."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from tauro.config.models import FunctionConfig
from tauro.plugin import (
    BaseStreamingWriter,
    StreamingValidationError,
    bool_option,
    int_option,
    options_object,
    structured_option,
    text_option,
)
from tauro.streaming.transformations import TransformationRegistry, resolve_callable, unsafe_import_enabled

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, Row
    from pyspark.sql.streaming import DataStreamWriter


class ConsoleStreamingWriter(BaseStreamingWriter):
    """Spark's console sink: prints each batch (numRows, truncate)."""

    spark_format = "console"
    # Spark's real-time allowlist includes the console sink.
    supports_real_time = True
    optional_options: ClassVar[dict[str, Any]] = {"numRows": "20", "truncate": "true"}
    options_schema: ClassVar[dict[str, Any]] = options_object(
        {
            "numRows": int_option("Rows printed per batch.", minimum=1, default=20),
            "truncate": bool_option("Truncate long values.", default=True),
        }
    )

    def configure(self, writer: DataStreamWriter, **options: Any) -> DataStreamWriter:
        options.pop("mode", None)  # the seed shows the output mode here; core applies it
        return super().configure(writer, **options)

    def write_batch(self, df: DataFrame, batch_id: int, **options: Any) -> None:
        num_rows = int(options.get("numRows", 20))
        truncate = str(options.get("truncate", "true")).lower() != "false"
        print(
            f"-------------------------------------------\nBatch: {batch_id}\n"
            "-------------------------------------------"
        )
        df.show(num_rows, truncate)


class NoopStreamingWriter(BaseStreamingWriter):
    """Spark's noop sink: runs the query and discards rows (benchmarks, dry runs)."""

    spark_format = "noop"

    def write_batch(self, df: DataFrame, batch_id: int, **options: Any) -> None:
        df.foreach(lambda _: None)

    def reads_whole_batch(self, **options: Any) -> bool:
        return True


class MemoryBatchStore:
    """Driver-side store of rows written with ``write_batch`` to the memory sink.

    Keyed by table name, then batch id, so a replayed batch replaces itself (idempotent).
    """

    _lock = threading.Lock()
    _tables: ClassVar[dict[str, dict[int, list[Row]]]] = {}

    @classmethod
    def put(cls, table: str, batch_id: int, rows: list[Row]) -> None:
        with cls._lock:
            cls._tables.setdefault(table, {})[batch_id] = rows

    @classmethod
    def rows(cls, table: str) -> list[Row]:
        with cls._lock:
            batches = cls._tables.get(table, {})
            return [row for batch in sorted(batches) for row in batches[batch]]

    @classmethod
    def clear(cls, table: str | None = None) -> None:
        with cls._lock:
            if table is None:
                cls._tables.clear()
            else:
                cls._tables.pop(table, None)


class MemoryStreamingWriter(BaseStreamingWriter):
    """Spark's memory sink: the query name is the in-memory table (``spark.table(name)``).

    As a dead-letter or foreachBatch target, rows are kept driver-side under
    ``options.table_name`` (or ``table_name``) and read back with ``MemoryBatchStore.rows``.
    """

    spark_format = "memory"
    supported_output_modes = frozenset({"append", "complete"})
    options_schema: ClassVar[dict[str, Any]] = options_object(
        {
            "queryName": text_option("The in-memory table (default: the query name)."),
            "table_name": text_option(
                "As a dead-letter or foreachBatch target: the table rows are kept under."
            ),
        }
    )

    def reads_whole_batch(self, **options: Any) -> bool:
        return True  # one collect

    def write_batch(self, df: DataFrame, batch_id: int, **options: Any) -> None:
        table = options.get("table_name") or options.get("queryName") or "dead_letters"
        MemoryBatchStore.put(str(table), batch_id, df.collect())
        # Also visible to SQL as a temp view of everything written so far.
        rows = MemoryBatchStore.rows(str(table))
        if rows:
            df.sparkSession.createDataFrame(rows, df.schema).createOrReplaceTempView(str(table))


def resolve_batch_function(spec: Any, field: str = "output.options.function") -> Callable[..., Any]:
    """A foreachBatch function: a callable, a registered key, or ``module:function`` (gated)."""
    if callable(spec):
        given: Callable[..., Any] = spec
        return given
    if isinstance(spec, str) and ":" in spec:
        module, _, name = spec.partition(":")
        imported, _ = resolve_callable(FunctionConfig(module=module, function=name), field)
        return imported
    if isinstance(spec, str):
        try:
            registered: Callable[..., Any] = TransformationRegistry.get(spec)
            return registered
        except StreamingValidationError as exc:
            raise StreamingValidationError(exc.message, field=field, actual=spec) from None
    raise StreamingValidationError(
        "foreach_batch needs options.function: a registered function key or a callable",
        field=field,
    )


class ForeachBatchStreamingWriter(BaseStreamingWriter):
    """Calls ``function(batch_df, batch_id)`` for every micro-batch.

    ``options.function`` is a key registered with ``TransformationRegistry``, a callable given
    from Python, or ``module:function`` when ``STREAMING_UNSAFE_IMPORT=true``.
    """

    structured_options: ClassVar[frozenset[str]] = frozenset({"function"})
    required_options = ("function",)
    options_schema: ClassVar[dict[str, Any]] = options_object(
        {
            "function": structured_option(
                "A key registered with TransformationRegistry "
                "(or module:function with STREAMING_UNSAFE_IMPORT=true)."
            )
        },
        required=("function",),
    )

    def configure(self, writer: DataStreamWriter, **options: Any) -> DataStreamWriter:
        function = resolve_batch_function(options.get("function"))
        return writer.foreachBatch(function)

    def write_batch(self, df: DataFrame, batch_id: int, **options: Any) -> None:
        resolve_batch_function(options.get("function"))(df, batch_id)


def validate_foreach_batch(section: Any, node: Any) -> list[str]:
    spec = section["options"].get("function")
    if isinstance(spec, str) and ":" in spec and not unsafe_import_enabled():
        raise StreamingValidationError(
            f"importing '{spec}' from configuration is disabled; register the function with "
            "TransformationRegistry.register(...) and give its key, or set "
            "STREAMING_UNSAFE_IMPORT=true in a controlled environment",
            field="options.function",
        )
    if isinstance(spec, str) and ":" not in spec and not TransformationRegistry.contains(spec):
        known = ", ".join(TransformationRegistry.list_transformations()) or "none"
        raise StreamingValidationError(
            f"function '{spec}' is not registered; register it with "
            f"TransformationRegistry.register('{spec}', fn). Registered: {known}",
            field="options.function",
        )
    return []
