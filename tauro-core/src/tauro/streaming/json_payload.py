"""``parse_json``: turn a source's payload column into typed columns, and find the bad records.

In a plain stream, a record that does not parse becomes a row of nulls (Spark's behaviour).
With a dead-letter sink, each micro-batch is split instead: good rows go on, bad rows (not JSON,
not an object, a value that does not fit ``json_schema``, or a null payload) go to the
dead-letter writer with the raw payload, the reason, the reader's metadata columns and the
batch id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

CORRUPT_COLUMN = "_tauro_corrupt_record"
PARSED_COLUMN = "_tauro_parsed"
PAYLOAD_COLUMN = "payload"
ERROR_COLUMN = "error"

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "short": (int,),
    "byte": (int,),
    "double": (int, float),
    "float": (int, float),
    "boolean": (bool,),
}


def _payload_text(df: DataFrame, payload_column: str) -> Any:
    from pyspark.sql import functions as F

    return F.col(payload_column).cast("string")


def parse_stream(
    df: DataFrame, payload_column: str, schema: StructType, keep_columns: Sequence[str] = ()
) -> DataFrame:
    """Replace the payload with the parsed columns (malformed records become nulls)."""
    from pyspark.sql import functions as F

    parsed = F.from_json(_payload_text(df, payload_column), schema).alias(PARSED_COLUMN)
    kept = [c for c in keep_columns if c in df.columns]
    return df.select(parsed, *kept).select(f"{PARSED_COLUMN}.*", *kept)


def split_batch(
    batch: DataFrame,
    payload_column: str,
    schema: StructType,
    metadata_columns: Sequence[str],
    batch_id: int,
    node_name: str,
    keep_columns: Sequence[str] = (),
) -> tuple[DataFrame, DataFrame]:
    """Split one micro-batch into (good parsed rows, dead letters)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    with_corrupt = StructType([*schema.fields, StructField(CORRUPT_COLUMN, StringType())])
    text = _payload_text(batch, payload_column)
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_COLUMN}
    metadata = [c for c in metadata_columns if c in batch.columns]
    kept = [c for c in keep_columns if c in batch.columns]
    parsed = batch.select(
        text.alias(PAYLOAD_COLUMN),
        F.from_json(text, with_corrupt, options).alias(PARSED_COLUMN),
        *dict.fromkeys([*metadata, *kept]),
    )
    is_bad = F.col(PARSED_COLUMN).isNull() | F.col(f"{PARSED_COLUMN}.{CORRUPT_COLUMN}").isNotNull()
    good = parsed.where(~is_bad).select(
        *[F.col(f"{PARSED_COLUMN}.{f.name}").alias(f.name) for f in schema.fields], *kept
    )
    explain = F.udf(_explainer(schema.jsonValue()), "string")
    bad = parsed.where(is_bad).select(
        F.col(PAYLOAD_COLUMN),
        explain(F.col(PAYLOAD_COLUMN)).alias(ERROR_COLUMN),
        *metadata,
        F.lit(batch_id).cast("long").alias("batch_id"),
        F.lit(node_name).alias("node"),
        F.current_timestamp().alias("failed_at"),
    )
    return good, bad


def _explainer(schema_json: Mapping[str, Any]) -> Any:
    # No annotations on purpose: pyspark would try to infer a pandas UDF type from them.
    def explain(payload):  # type: ignore[no-untyped-def]
        return explain_json_error(payload, schema_json)

    return explain


def explain_json_error(payload: str | None, schema_json: Mapping[str, Any]) -> str:
    """Why a payload is a dead letter, in words (runs only on the bad rows)."""
    if payload is None:
        return "payload is null"
    try:
        value = json.loads(payload)
    except json.JSONDecodeError as exc:
        return f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    if not isinstance(value, dict):
        return f"expected a JSON object, got {type(value).__name__}"
    for field in schema_json.get("fields", []):
        name, kind = field["name"], field["type"]
        if name not in value or value[name] is None:
            continue
        expected = _JSON_TYPES.get(kind) if isinstance(kind, str) else None
        actual = value[name]
        if expected and (
            not isinstance(actual, expected) or (bool not in expected and isinstance(actual, bool))
        ):
            return f"field '{name}' should be {kind}, got {type(actual).__name__} {actual!r:.80}"
        if isinstance(kind, Mapping) and kind.get("type") == "struct" and not isinstance(actual, dict):
            return f"field '{name}' should be an object, got {type(actual).__name__}"
        if isinstance(kind, Mapping) and kind.get("type") == "array" and not isinstance(actual, list):
            return f"field '{name}' should be an array, got {type(actual).__name__}"
    return "does not fit json_schema"
