"""The base class of every streaming reader, with each extension point core reads declared."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tauro.errors import StreamingQueryError
from tauro.plugin.context import ContextLike, spark_of

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


class BaseStreamingReader:
    """Base of every streaming reader.

    ``read(**options)`` returns a streaming DataFrame. It receives the input's ``options`` (as
    strings) plus ``path``, ``table_name`` and ``schema`` (a ``StructType``) when they are set.
    The class attributes below are read by core; ``reader_class_problems`` checks
    their types when the plugin loads.
    """

    #: The format name Spark knows this source by (``spark.readStream.format(...)``); used by
    #: the default ``read``. None: the subclass overrides ``read``.
    spark_format: ClassVar[str | None] = None
    #: Column ``parse_json`` parses (Kafka ``value``, Kinesis ``data``); None: no payload column,
    #: and validation rejects ``parse_json`` for this format.
    payload_column: ClassVar[str | None] = None
    #: Columns kept with dead letters (topic/partition/offset, shardId/sequenceNumber, ...).
    metadata_columns: ClassVar[tuple[str, ...]] = ()
    #: Options that may be lists or mappings (JSON-encoded for Spark); others must be scalars.
    structured_options: ClassVar[frozenset[str]] = frozenset()
    #: Options validation requires under ``options`` (reported as ``input.options.<name>``).
    required_options: ClassVar[tuple[str, ...]] = ()
    #: Documented optional options and their defaults (None: no default), shown by
    #: ``STREAMING_FORMAT_CONFIGS`` and the docs.
    optional_options: ClassVar[Mapping[str, Any]] = {}
    #: JSON Schema (draft 2020-12) of the ``options`` mapping, shown by ``tauro schema`` to
    #: editors (build it with ``tauro.plugin.options_object``). None: derived from
    #: ``required_options`` and ``optional_options``, any other scalar option allowed.
    options_schema: ClassVar[Mapping[str, Any] | None] = None
    #: Validation requires the input's ``path`` (file sources).
    requires_path: ClassVar[bool] = False
    #: Validation requires the input's ``schema`` (file sources that cannot infer one).
    requires_schema: ClassVar[bool] = False
    #: True when Spark's ``numInputRows`` counts this source's rows (JVM sources: Kafka, files,
    #: rate). Otherwise (Python data sources report 0) Tauro counts them with ``observe``.
    spark_counts_rows: ClassVar[bool] = False
    #: A source with no replay (socket): a warning in development, an error in production.
    dev_only: ClassVar[bool] = False
    #: Spark runs this source in real-time mode (``trigger: {type: real_time}``); in Spark 4.2
    #: only Kafka does. Such a reader should also implement ``source_partitions``.
    supports_real_time: ClassVar[bool] = False

    def __init__(self, context: ContextLike) -> None:
        self.context = context

    @property
    def spark(self) -> SparkSession:
        return spark_of(self.context)

    def read(self, **options: Any) -> DataFrame:
        """Return a streaming DataFrame. The default reads ``spark_format`` with the options,
        giving ``schema`` to ``.schema()`` and ``path`` to ``.load()`` (never to ``.options()``)."""
        if self.spark_format is None:
            raise StreamingQueryError(
                f"{type(self).__name__} sets no spark_format and does not override read().",
                component=type(self).__name__,
                operation="read",
            )
        path = options.pop("path", None)
        schema = options.pop("schema", None)
        options.pop("table_name", None)
        reader = self.spark.readStream.format(self.spark_format)
        if schema is not None:
            reader = reader.schema(schema)
        if options:
            reader = reader.options(**options)
        return reader.load(path) if path else reader.load()

    def parse_keep_columns(self, options: Mapping[str, Any]) -> tuple[str, ...] | list[str]:
        """Source columns kept beside the parsed payload when ``parse_json`` is true (e.g. Kafka's
        ``key`` and ``timestamp``), given the input's options. Default: none."""
        return ()

    @classmethod
    def connect_refusal(cls, options: Mapping[str, Any]) -> tuple[str, str] | None:
        """Why this source, with these options, cannot run over Spark Connect: ``(field relative
        to the section, reason)``, e.g. ``("format", "a Python data source ...")``; None (the
        default) when it can. Validation refuses such a section before anything starts."""
        return None

    def preflight(self, spark: SparkSession, **options: Any) -> None:
        """Checks that need Spark, run before the query starts. Raise StreamingValidationError."""

    def source_partitions(self, spark: SparkSession, **options: Any) -> int | None:
        """How many partitions (so tasks) the stream reads at once, e.g. a Kafka subscription's
        topic partitions; None when unknown. Real-time mode runs them all at once, so core
        checks the session has that many task slots before the query starts."""
        return None
