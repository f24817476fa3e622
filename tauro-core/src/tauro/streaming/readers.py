"""Streaming readers: the base class plugins subclass and the factory over the registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tauro.plugins import get_registry
from tauro.registry import PROGRAMMATIC
from tauro.streaming.context_access import ContextLike, spark_of

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


class BaseStreamingReader:
    """Base of every streaming reader.

    ``read(**options)`` returns a streaming DataFrame. It receives the input's ``options`` (as
    strings) plus ``path``, ``table_name`` and ``schema`` (a ``StructType``) when they are set.
    """

    #: Column ``parse_json`` parses (Kafka ``value``, Kinesis ``data``); None: no payload column.
    payload_column: ClassVar[str | None] = None
    #: Columns kept with dead letters (topic/partition/offset, shardId/sequenceNumber, ...).
    metadata_columns: ClassVar[tuple[str, ...]] = ()
    #: Options that may be lists or mappings (JSON-encoded for Spark); others must be scalars.
    structured_options: ClassVar[frozenset[str]] = frozenset()
    #: Documented options, shown by ``STREAMING_FORMAT_CONFIGS`` and the docs.
    required_options: ClassVar[tuple[str, ...]] = ()
    optional_options: ClassVar[Mapping[str, Any]] = {}
    #: True when Spark's ``numInputRows`` counts this source's rows (JVM sources: Kafka, files,
    #: rate). Otherwise (Python data sources report 0) Tauro counts them with ``observe``.
    spark_counts_rows: ClassVar[bool] = False
    #: The format name Spark knows this source by (``spark.readStream.format(...)``).
    spark_format: ClassVar[str | None] = None

    def __init__(self, context: ContextLike) -> None:
        self.context = context

    @property
    def spark(self) -> SparkSession:
        return spark_of(self.context)

    def read(self, **options: Any) -> DataFrame:
        """Return a streaming DataFrame. The default reads ``spark_format`` with the options."""
        if self.spark_format is None:
            from tauro.streaming.exceptions import StreamingQueryError

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

    def preflight(self, spark: SparkSession, **options: Any) -> None:
        """Checks that need Spark, run before the query starts. Raise StreamingValidationError."""


class StreamingReaderFactory:
    """Create readers by format name from the plugin registry."""

    @staticmethod
    def register(name: str, reader_cls: type[BaseStreamingReader]) -> None:
        """Register (or replace, with a warning) a reader from Python code."""
        get_registry().add_reader(name, reader_cls, PROGRAMMATIC)

    @staticmethod
    def create(format: str, context: ContextLike) -> BaseStreamingReader:
        cls = get_registry().reader(str(format).lower()).target
        reader: BaseStreamingReader = cls(context)
        return reader

    @staticmethod
    def get_reader_class(format: str) -> type[BaseStreamingReader]:
        cls: type[BaseStreamingReader] = get_registry().reader(str(format).lower()).target
        return cls

    @staticmethod
    def list_formats() -> list[str]:
        return get_registry().reader_names()
