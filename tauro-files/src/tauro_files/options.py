"""Names shared by the reader, the writer and the validators: formats and option groups.

Options are compared case-insensitively, as Spark does (``multiline`` is ``multiLine``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: File formats the source and the sink accept (``options.format``).
FORMATS = ("json", "csv", "parquet", "orc", "text", "avro")
#: ``options.format`` when not given: Spark's own default (``spark.sql.sources.default``), so the
#: seed's minimal ``{"format": "file_stream", "path": ...}`` is a complete source.
DEFAULT_FORMAT = "parquet"
#: Formats whose files do not carry a schema: a streaming read needs one given or inferred.
SCHEMALESS_FORMATS = frozenset({"json", "csv"})
#: Spark's package for avro, for the running Spark version (Scala 2.13 is the only build of Spark 4).
AVRO_PACKAGE = "org.apache.spark:spark-avro_2.13:{version}"
#: Registered by the package's DataSourceRegister: spark-sql itself ships ``AvroFileFormat``, so
#: that class is loadable even when the avro data source is not.
AVRO_CLASS = "org.apache.spark.sql.v2.avro.AvroDataSourceV2"

# Tauro's own options: consumed by the plugin, never passed to Spark.
FORMAT = "format"
INFER_SCHEMA = "infer_schema"
INCLUDE_SOURCE_FILE = "include_source_file"
TAURO_OPTIONS = frozenset({FORMAT, INFER_SCHEMA, INCLUDE_SOURCE_FILE})

#: The column ``include_source_file`` adds (from ``_metadata.file_path``).
SOURCE_FILE_COLUMN = "source_file"

#: Spark's file-stream options: they only make sense for streaming reads (dropped from the
#: batch read that infers a schema).
STREAM_OPTIONS = frozenset(
    {
        "maxfilespertrigger",
        "maxbytespertrigger",
        "latestfirst",
        "filenameonly",
        "maxfileage",
        "cleansource",
        "sourcearchivedir",
        "maxcachedfiles",
        "discardcachedinputratio",
    }
)
#: Options Spark parses as booleans (a typo such as ``yes`` fails only when the query runs).
BOOLEAN_OPTIONS = frozenset(
    {
        "latestfirst",
        "filenameonly",
        "recursivefilelookup",
        "header",
        "multiline",
        "wholetext",
        "mergeschema",
        "inferschema",
        "enforceschema",
        INFER_SCHEMA,
        INCLUDE_SOURCE_FILE,
    }
)
#: Options Spark parses as positive whole numbers.
POSITIVE_INT_OPTIONS = frozenset({"maxfilespertrigger", "maxbytespertrigger"})
#: Batch-only options Spark rejects in a streaming file source.
BATCH_ONLY_OPTIONS = frozenset({"modifiedbefore", "modifiedafter"})
CLEAN_SOURCE_MODES = ("off", "archive", "delete")


#: The generic names; each of ``FORMATS`` is also a source and sink name of its own
#: (``format: parquet`` is ``format: file_stream`` / ``file`` with ``options.format: parquet``).
GENERIC_SOURCE = "file_stream"
GENERIC_SINK = "file"
FILE_FORMAT_NAMES = frozenset({GENERIC_SOURCE, GENERIC_SINK, *FORMATS})


def split_options(
    options: Mapping[str, Any], fixed_format: str | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """(Tauro's options, Spark's options) of a section's options; ``format`` is always set.

    ``fixed_format`` is the file format a Spark-named source or sink (``parquet``, ...) stands
    for; it wins over ``options.format`` (validation refuses a different one).
    """
    tauro: dict[str, Any] = {FORMAT: DEFAULT_FORMAT}
    spark: dict[str, str] = {}
    for key, value in options.items():
        if key.lower() in TAURO_OPTIONS:
            tauro[key.lower()] = value
        elif value is not None:
            spark[key] = str(value)
    if fixed_format is not None:
        tauro[FORMAT] = fixed_format
    return tauro, spark
