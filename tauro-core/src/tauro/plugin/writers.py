"""The base class of every streaming writer, with each extension point core reads declared."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tauro.durations import spark_interval
from tauro.errors import StreamingValidationError
from tauro.plugin.context import ContextLike, spark_of

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming import DataStreamWriter, StreamingQuery
    from pyspark.sql.types import StructType


#: Keywords core passes to ``write`` beside the output's options. ``query_options`` (the
#: node's ``streaming.options``, a dict) is passed only when the node sets some.
RESERVED_KEYWORDS = ("trigger", "output_mode", "checkpoint_location", "query_name", "query_options")


def apply_trigger(writer: DataStreamWriter, trigger: Mapping[str, Any] | None) -> DataStreamWriter:
    """Apply a normalized trigger dict (``{"type": ..., "interval": ...}``) to a writer."""
    if not trigger:
        return writer
    kind = trigger.get("type")
    if kind == "processing_time":
        return writer.trigger(processingTime=spark_interval(trigger["interval"]))
    if kind == "once":
        return writer.trigger(once=True)
    if kind == "available_now":
        return writer.trigger(availableNow=True)
    if kind == "continuous":
        return writer.trigger(continuous=spark_interval(trigger.get("interval") or "1 second"))
    if kind == "real_time":
        # The interval is how often a real-time query checkpoints, not its latency.
        return writer.trigger(realTime=spark_interval(trigger.get("interval") or "5 minutes"))
    raise StreamingValidationError(
        f"Unknown trigger type {kind!r}; use processing_time, once, available_now, continuous or real_time.",
        field="streaming.trigger.type",
        actual=kind,
    )


class BaseStreamingWriter:
    """Base of every streaming writer.

    ``write(df, **options)`` receives the output's ``options`` plus ``path``, ``table_name`` and
    ``partition_by`` when set, and the reserved keywords ``trigger``, ``output_mode``,
    ``checkpoint_location`` and ``query_name``. Subclasses usually override only ``configure``.
    """

    #: The format name Spark knows this sink by (``df.writeStream.format(...)``), set by the
    #: default ``configure``. None: ``configure`` sets no format.
    spark_format: ClassVar[str | None] = None
    #: Options that may be lists or mappings (JSON-encoded for Spark); others must be scalars.
    structured_options: ClassVar[frozenset[str]] = frozenset()
    #: Options validation requires under ``options`` (reported as ``output.options.<name>``).
    required_options: ClassVar[tuple[str, ...]] = ()
    #: Documented optional options and their defaults (None: no default).
    optional_options: ClassVar[Mapping[str, Any]] = {}
    #: JSON Schema (draft 2020-12) of the ``options`` mapping, shown by ``tauro schema`` to
    #: editors (build it with ``tauro.plugin.options_object``). None: derived from
    #: ``required_options`` and ``optional_options``, any other scalar option allowed.
    options_schema: ClassVar[Mapping[str, Any] | None] = None
    #: Validation requires the output's ``path`` (file sinks).
    requires_path: ClassVar[bool] = False
    #: Output modes this sink supports (validation checks ``streaming.output_mode`` against it);
    #: None means every mode Spark allows.
    supported_output_modes: ClassVar[frozenset[str] | None] = None
    #: Spark runs this sink in real-time mode (``trigger: {type: real_time}``): Spark 4.2 allows
    #: Kafka, console and foreach (ForeachWriter) sinks only, never foreachBatch.
    supports_real_time: ClassVar[bool] = False

    def __init__(self, context: ContextLike) -> None:
        self.context = context

    @property
    def spark(self) -> SparkSession:
        return spark_of(self.context)

    def configure(self, writer: DataStreamWriter, **options: Any) -> DataStreamWriter:
        """The format-specific part: format, path, partitioning and options."""
        if self.spark_format is not None:
            writer = writer.format(self.spark_format)
        path = options.pop("path", None)
        partition_by = options.pop("partition_by", None)
        options.pop("table_name", None)
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        if path:
            writer = writer.option("path", path)
        if options:
            writer = writer.options(**{k: v for k, v in options.items() if v is not None})
        return writer

    def start(self, writer: DataStreamWriter, **options: Any) -> StreamingQuery:
        """Start the configured writer; sinks writing to a table override this."""
        return writer.start()

    def write(self, df: DataFrame, **options: Any) -> StreamingQuery:
        trigger = options.pop("trigger", None)
        output_mode = options.pop("output_mode", None)
        checkpoint = options.pop("checkpoint_location", None)
        query_name = options.pop("query_name", None)
        query_options = options.pop("query_options", None)
        start_options = {k: options.get(k) for k in ("path", "table_name")}
        writer = df.writeStream
        if query_options:
            # Set first, so the output's own options win on the same key.
            writer = writer.options(**query_options)
        writer = self.configure(writer, **options)
        writer = apply_trigger(writer, trigger)
        if output_mode:
            writer = writer.outputMode(output_mode)
        if checkpoint:
            writer = writer.option("checkpointLocation", checkpoint)
        if query_name:
            writer = writer.queryName(query_name)
        return self.start(writer, **start_options)

    def write_batch(self, df: DataFrame, batch_id: int, **options: Any) -> None:
        """Write one micro-batch (dead letters, foreachBatch targets). Override to support it."""
        raise StreamingValidationError(
            f"Format writer {type(self).__name__} cannot write single batches, so it cannot be "
            "a dead-letter target; choose a sink that implements write_batch (e.g. memory, "
            "delta, files).",
            field="format",
        )

    def reads_whole_batch(self, **options: Any) -> bool:
        """Whether ``write_batch`` reads every row of its DataFrame in its first action, as one
        ``df.write...save()`` does. Core then takes a checked node's counts from that read as
        they are; otherwise (the default) it first checks them against the batch's row count.
        Say True only when no option makes the write read part of the rows first."""
        return False

    @classmethod
    def supports_write_batch(cls) -> bool:
        return cls.write_batch is not BaseStreamingWriter.write_batch

    @classmethod
    def connect_refusal(cls, options: Mapping[str, Any]) -> tuple[str, str] | None:
        """Why this sink, with these options, cannot run over Spark Connect: ``(field relative
        to the section, reason)``, e.g. ``("format", "a Python data source ...")``; None (the
        default) when it can. Validation refuses such a section before anything starts."""
        return None

    def preflight(self, spark: SparkSession, **options: Any) -> None:
        """Checks that need Spark, run before the query starts. Raise StreamingValidationError."""

    def check_schema(self, schema: StructType, **options: Any) -> None:
        """Check the schema of the rows this sink will write, before the query starts.

        Core calls it with the node's final DataFrame schema (after parsing, transformations
        and the function) and the same options as ``write``. Raise ``StreamingValidationError``
        naming the column, its type and the fix for rows the sink cannot write; the node then
        fails before anything starts, and is not retried.
        """
