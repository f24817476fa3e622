"""Rows shaped as Kafka records, and the check of their schema before the query starts.

Spark's Kafka sink reads ``value`` (STRING or BINARY), ``key`` (STRING or BINARY), ``topic``
(STRING), ``partition`` (INT) and ``headers`` from each row, and otherwise fails only inside the
first batch. Here scalars in ``value``, ``key`` and ``topic`` are cast to STRING (a number,
boolean, date or timestamp has one obvious text form); structs, arrays and maps are refused
before the start with the column, its type and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tauro.plugin import StreamingValidationError, is_true
from tauro_kafka.options import KEY_COLUMN, ROW_AS_JSON, split_options

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.types import DataType, StructType

#: Columns Spark's sink accepts as text or bytes.
_TEXT_OR_BYTES = ("string", "binary")
_HEADERS_TYPE = "array<struct<key:string,value:binary>>"


def _is_complex(kind: DataType) -> bool:
    from pyspark.sql.types import ArrayType, MapType, StructType

    return isinstance(kind, ArrayType | MapType | StructType)


def _refuse_complex(column: str, role: str, kind: DataType, field: str | None) -> StreamingValidationError:
    return StreamingValidationError(
        f"column '{column}' is {kind.simpleString().upper()}, but the Kafka {role} must be STRING or "
        f"BINARY. Serialize it in a transform, e.g. to_json(struct(*)) for the whole row or "
        f"to_json(col('{column}')) for this column, or set options.{ROW_AS_JSON}: true to write "
        "each row as one JSON value",
        field=field,
        expected="STRING or BINARY (scalars are cast to STRING)",
        actual=kind.simpleString().upper(),
        component="KafkaStreamingWriter",
        operation="check_schema",
    )


def _as_text(
    name: str, kind: DataType, role: str, field: str | None = None, alias: str | None = None
) -> Column:
    from pyspark.sql import functions as F

    if _is_complex(kind):
        raise _refuse_complex(name, role, kind, field)
    column = F.col(f"`{name}`")
    if kind.typeName() not in _TEXT_OR_BYTES:
        column = column.cast("string")
    return column.alias(alias or name)


def record_columns(schema: StructType, options: Mapping[str, Any]) -> list[Column]:
    """The columns to select so each row is a valid Kafka record; raises for what cannot be one.

    The value is the ``value`` column when there is one (unless ``row_as_json``), otherwise the
    whole row as JSON. The key is ``options.key_column`` when set, else a ``key`` column. Without
    ``options.topic`` every row must carry its ``topic``.
    """
    from pyspark.sql import functions as F

    tauro, spark_options = split_options(options)
    types = {f.name: f.dataType for f in schema.fields}
    key_column = tauro.get(KEY_COLUMN.lower())
    row_as_json = is_true(tauro, ROW_AS_JSON)
    if key_column is not None and key_column not in types:
        raise StreamingValidationError(
            f"key_column '{key_column}' is not a column of the rows written; columns: {', '.join(types)}",
            field=f"options.{KEY_COLUMN}",
            expected="a column of the output rows",
            actual=key_column,
        )
    has_topic = any(k.lower() == "topic" for k in spark_options)
    if not has_topic and "topic" not in types:
        raise StreamingValidationError(
            "the Kafka sink needs a topic: set options.topic, or give the rows a 'topic' column",
            field="options.topic",
        )
    columns: list[Column] = []
    if "value" in types and not row_as_json:
        columns.append(_as_text("value", types["value"], "value"))
        if key_column is None and "key" in types:
            columns.append(_as_text("key", types["key"], "key"))
        if "partition" in types:
            columns.append(_partition(types["partition"]))
        if "headers" in types:
            columns.append(_headers(types["headers"]))
    else:
        columns.append(F.to_json(F.struct(*[F.col(f"`{c}`") for c in types])).alias("value"))
    if "topic" in types and not has_topic:
        columns.append(_as_text("topic", types["topic"], "topic"))
    if key_column is not None:
        columns.append(_as_text(key_column, types[key_column], "key", f"options.{KEY_COLUMN}", "key"))
    return columns


def _partition(kind: DataType) -> Column:
    from pyspark.sql import functions as F
    from pyspark.sql.types import ByteType, IntegerType, LongType, ShortType

    if not isinstance(kind, ByteType | ShortType | IntegerType | LongType):
        raise StreamingValidationError(
            f"column 'partition' is {kind.simpleString().upper()}, but the Kafka partition must be an "
            "INT; cast it, or drop the column to let the key choose the partition",
            actual=kind.simpleString().upper(),
            component="KafkaStreamingWriter",
        )
    return F.col("partition").cast("int").alias("partition")


def _headers(kind: DataType) -> Column:
    from pyspark.sql import functions as F

    if kind.simpleString() != _HEADERS_TYPE:
        raise StreamingValidationError(
            f"column 'headers' is {kind.simpleString().upper()}, but Kafka headers must be "
            f"{_HEADERS_TYPE.upper()}; build it with array(struct(lit('name').alias('key'), "
            "col('x').cast('binary').alias('value'))), or rename the column",
            actual=kind.simpleString().upper(),
            component="KafkaStreamingWriter",
        )
    return F.col("headers")


def check_records(schema: StructType, options: Mapping[str, Any]) -> None:
    """Raise ``StreamingValidationError`` if rows of ``schema`` cannot be Kafka records."""
    record_columns(schema, options)


def as_kafka_records(df: DataFrame, options: Mapping[str, Any]) -> DataFrame:
    """``df`` shaped as the sink wants it (see ``record_columns``)."""
    return df.select(*record_columns(df.schema, options))
